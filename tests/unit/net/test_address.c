#include "lib/base/error.h"
#include "lib/net/address.h"
#include "unit.h"

#include <errno.h>

static void test_parse_forms(void **state)
{
	struct cc_address a;
	struct cc_error err = { 0 };
	assert_int_equal(cc_address_parse("unix:/run/kms.sock", &a, &err), 0);
	assert_true(a.is_unix);
	assert_string_equal(a.path, "/run/kms.sock");
	assert_int_equal(cc_address_parse("unix:///run/kms.sock", &a, &err), 0);
	assert_string_equal(a.path, "/run/kms.sock");
	assert_int_equal(cc_address_parse("/tmp/x.sock", &a, &err), 0);
	assert_true(a.is_unix);
	assert_int_equal(cc_address_parse("127.0.0.1:8443", &a, &err), 0);
	assert_false(a.is_unix);
	assert_string_equal(a.host, "127.0.0.1");
	assert_int_equal(a.port, 8443);
	assert_int_equal(cc_address_parse("[::1]:0", &a, &err), 0);
	assert_string_equal(a.host, "::1");
	assert_int_equal(cc_address_parse("tcp://:9000", &a, &err), 0);
	assert_string_equal(a.host, "0.0.0.0");
}

static void test_parse_errors(void **state)
{
	struct cc_address a;
	struct cc_error err = { 0 };
	assert_int_equal(cc_address_parse("localhost", &a, &err), -EINVAL);
	assert_int_equal(cc_address_parse("localhost:99999", &a, &err), -EINVAL);
	assert_int_equal(cc_address_parse("localhost:12ab", &a, &err), -EINVAL);
	assert_int_equal(cc_address_parse("[::1", &a, &err), -EINVAL);
	assert_int_equal(cc_address_parse("unix:", &a, &err), -EINVAL);
	char long_path[200] = "unix:/";
	memset(long_path + 6, 'a', 150);
	long_path[156] = '\0';
	assert_int_equal(cc_address_parse(long_path, &a, &err), -ENAMETOOLONG);
}

static void test_listen_unix_refuses_regular_file(void **state)
{
	char *dir = unit_tmpdir();
	char path[100];
	snprintf(path, sizeof(path), "%.80s/file", dir);
	FILE *f = fopen(path, "w");
	fclose(f);
	struct cc_address a = { .is_unix = true };
	snprintf(a.path, sizeof(a.path), "%s", path);
	struct cc_error err = { 0 };
	assert_int_equal(cc_address_listen(&a, 0600, 8, &err), -EEXIST);
	/* A stale socket is replaced. */
	snprintf(a.path, sizeof(a.path), "%.80s/sock", dir);
	int fd = cc_address_listen(&a, 0600, 8, &err);
	assert_true(fd >= 0);
	close(fd);
	fd = cc_address_listen(&a, 0600, 8, &err);
	assert_true(fd >= 0);
	close(fd);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_forms),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_listen_unix_refuses_regular_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
