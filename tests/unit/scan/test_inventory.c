/* scan/inventory.c: the package array (growth without a capacity field, truncation, copies), and the
 * checks the parsers share. */
#include "inventory_unit.h"
#include "scan/inventory_parse.h"

#include <errno.h>

static void add_named(struct scan_inventory *inv, size_t i)
{
	char name[32], version[32];
	snprintf(name, sizeof(name), "pkg-%zu", i);
	snprintf(version, sizeof(version), "%zu.0-1", i);
	scan_inventory_add(inv, &(struct scan_package){ .type = SCAN_PACKAGE_DEB, .name = name, .version = version });
}

static void assert_named(const struct scan_inventory *inv, size_t n)
{
	assert_int_equal(inv->n_packages, n);
	for (size_t i = 0; i < n; i++) {
		char name[32];
		snprintf(name, sizeof(name), "pkg-%zu", i);
		unit_assert_str(inv->packages[i].name, name);
	}
}

static void test_add_copies(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	char name[] = "bash";
	struct scan_package p = { .type = SCAN_PACKAGE_DEB, .name = name, .version = "5.2", .source_name = "bash" };
	scan_inventory_add(&inv, &p);
	name[0] = 'X'; /* the inventory has its own copy */
	assert_int_equal(inv.n_packages, 1);
	unit_assert_str(inv.packages[0].name, "bash");
	assert_ptr_not_equal(inv.packages[0].name, name);
	assert_null(inv.packages[0].arch); /* NULL stays NULL */
	assert_null(inv.packages[0].license);
	assert_null(inv.packages[0].db_path);
	scan_inventory_free(&inv);
	assert_null(inv.packages);
	assert_int_equal(inv.n_packages, 0);
	scan_inventory_free(&inv); /* empty again: a second free is harmless */
}

/* Growth across several powers of two, a truncation back below them and growth again. */
static void test_grow_truncate_grow(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	for (size_t i = 0; i < 1000; i++)
		add_named(&inv, i);
	assert_named(&inv, 1000);
	scan_inventory_truncate(&inv, 10);
	assert_named(&inv, 10);
	for (size_t i = 10; i < 300; i++)
		add_named(&inv, i);
	assert_named(&inv, 300);
	scan_inventory_truncate(&inv, 0);
	for (size_t i = 0; i < 40; i++)
		add_named(&inv, i);
	assert_named(&inv, 40);
	scan_inventory_free(&inv);
}

static void test_os_clear(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	inv.os.id = strdup("debian");
	inv.os.pretty_name = strdup("Debian GNU/Linux 12 (bookworm)");
	scan_inventory_free(&inv);
	assert_null(inv.os.id);
	assert_null(inv.os.pretty_name);
}

static void test_value_problem(void **state)
{
	(void)state;
	assert_null(scan_value_problem("2.36-9+deb12u4", 14));
	assert_null(scan_value_problem("Timo Teräs", strlen("Timo Teräs")));
	assert_null(scan_value_problem("", 0));
	assert_non_null(scan_value_problem("a\tb", 3));
	assert_non_null(scan_value_problem("a\0b", 3));
	assert_non_null(scan_value_problem("a\x1b[31mb", 7));
	assert_non_null(scan_value_problem("a\x7f", 2));
	assert_non_null(scan_value_problem("caf\xe9", 4));  /* Latin-1 */
	assert_non_null(scan_value_problem("\xc0\xaf", 2)); /* overlong */
	char long_value[SCAN_INVENTORY_VALUE_MAX + 1];
	memset(long_value, 'a', sizeof(long_value));
	assert_null(scan_value_problem(long_value, SCAN_INVENTORY_VALUE_MAX));
	assert_non_null(scan_value_problem(long_value, SCAN_INVENTORY_VALUE_MAX + 1));
}

static void test_limits(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	assert_int_equal(scan_db_size_check(SCAN_INVENTORY_DB_MAX, SCAN_INVENTORY_DB_MAX, "x", &err), 0);
	unit_assert_refused(
	    scan_db_size_check(SCAN_INVENTORY_DB_MAX + 1, SCAN_INVENTORY_DB_MAX, "/var/lib/dpkg/status", &err), EFBIG,
	    &err, "/var/lib/dpkg/status");
	struct scan_inventory inv = { .n_packages = SCAN_INVENTORY_PACKAGES_MAX - 1 };
	assert_int_equal(scan_inventory_room(&inv, "x", &err), 0);
	inv.n_packages = SCAN_INVENTORY_PACKAGES_MAX;
	unit_assert_refused(scan_inventory_room(&inv, "lib/apk/db/installed", &err), E2BIG, &err, "1000000");
	assert_int_equal(scan_inventory_room(&inv, "x", NULL), -E2BIG); /* err may be NULL */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_copies), cmocka_unit_test(test_grow_truncate_grow),
		cmocka_unit_test(test_os_clear),   cmocka_unit_test(test_value_problem),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
