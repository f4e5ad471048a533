/* scan/apk_db.c: the installed database of an Alpine 3.18 image (tests/fixtures/apk/installed, in
 * apk-tools' format), origins that differ from the name, and malformed or truncated input. */
#include "inventory_unit.h"

#include <errno.h>

static const char db_path[] = "/lib/apk/db/installed";

static void parse_refused(const char *text, int code, const char *word)
{
	unit_text_db_refused(scan_apk_parse, db_path, text, code, word);
}

static void test_fixture(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/apk/installed", &len);
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	if (scan_apk_parse(data, len, db_path, &inv, &err) != 0)
		fail_msg("%s", err.message);
	assert_int_equal(inv.n_packages, 7);

	const struct scan_package *musl = unit_package(&inv, "musl");
	assert_int_equal(musl->type, SCAN_PACKAGE_APK);
	unit_assert_str(musl->version, "1.2.4-r2");
	unit_assert_str(musl->arch, "x86_64");
	unit_assert_str(musl->source_name, "musl");
	unit_assert_str(musl->source_version, "1.2.4-r2");
	unit_assert_str(musl->license, "MIT");
	unit_assert_str(musl->db_path, db_path);

	/* origins other than the name: what the secdb names */
	unit_assert_str(unit_package(&inv, "ssl_client")->source_name, "busybox");
	unit_assert_str(unit_package(&inv, "libcrypto3")->source_name, "openssl");
	const struct scan_package *libssl = unit_package(&inv, "libssl3");
	unit_assert_str(libssl->source_name, "openssl");
	unit_assert_str(libssl->source_version, "3.1.4-r0");
	const struct scan_package *bundle = unit_package(&inv, "ca-certificates-bundle");
	unit_assert_str(bundle->source_name, "ca-certificates");
	unit_assert_str(bundle->license, "MPL-2.0 AND MIT");
	unit_assert_str(unit_package(&inv, "alpine-baselayout-data")->source_name, "alpine-baselayout");
	scan_inventory_free(&inv);
	free(data);
}

static void test_optional_fields(void **state)
{
	(void)state;
	/* no origin, arch or license; an empty L:; no blank line at the end, several between stanzas */
	const char *text = "P:a\nV:1-r0\n\n\n\nP:b\nV:2-r1\nL:\nA:aarch64";
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_apk_parse(text, strlen(text), NULL, &inv, &err), 0);
	assert_int_equal(inv.n_packages, 2);
	unit_assert_str(inv.packages[0].source_name, "a");
	assert_null(inv.packages[0].arch);
	assert_null(inv.packages[0].license);
	assert_null(inv.packages[0].db_path);
	assert_null(inv.packages[1].license);
	unit_assert_str(inv.packages[1].arch, "aarch64");
	scan_inventory_free(&inv);
}

static void test_refused(void **state)
{
	(void)state;
	const char *bad[][2] = {
		{ "P:a\nV:1-r0\nnot a field\n", "line 3: not an `X:value`" },
		{ "P:a\nV:1-r0\nX\n", "line 3" },
		{ "P:a\nV:1-r0\nP:b\n", "a second P: line" },
		{ "P:a\nV:1-r0\n\nV:2-r0\no:b\n", "stanza at line 4: no P:" },
		{ "P:a\no:b\n", "stanza at line 1 (package `a`): no V:" },
		{ "P:a\nV:\n", "no V:" },
		{ "P:a\nV:1-r0\r\n", "control character" },
		{ "P:a\nV:1-r0\no:\x1b]0;x\x07\n", "control character" },
		{ "P:a\xc3\nV:1-r0\n", "invalid UTF-8" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		parse_refused(bad[i][0], EBADMSG, bad[i][1]);
}

static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/apk/installed", &len);
	size_t refused = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char *prefix = malloc(cut ? cut : 1);
		memcpy(prefix, data, cut);
		struct scan_inventory inv = { 0 };
		struct cc_error err = { 0 };
		int r = scan_apk_parse(prefix, cut, db_path, &inv, &err);
		if (r < 0) {
			assert_int_equal(r, -EBADMSG);
			assert_true(err.message[0] != '\0');
			assert_int_equal(inv.n_packages, 0);
			refused++;
		}
		scan_inventory_free(&inv);
		free(prefix);
	}
	assert_true(refused > 0);
	free(data);
}

static void test_limits(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	unit_assert_refused(scan_apk_parse("", SCAN_INVENTORY_DB_MAX + 1, db_path, &inv, &err), EFBIG, &err, db_path);
	inv.n_packages = SCAN_INVENTORY_PACKAGES_MAX;
	unit_assert_refused(scan_apk_parse("P:a\nV:1\n", 8, db_path, &inv, &err), E2BIG, &err, "packages");
	inv.n_packages = 0;
	scan_inventory_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture), cmocka_unit_test(test_optional_fields),
		cmocka_unit_test(test_refused), cmocka_unit_test(test_truncated),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
