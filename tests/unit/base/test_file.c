#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

static void test_read_within_limit(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *path = cc_xasprintf("%s/f", dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_write_file_atomic(path, "content", 7, 0600, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *data;
	size_t len;
	assert_int_equal(cc_read_file(path, 7, &data, &len, &err), 0);
	assert_int_equal(len, 7);
	assert_string_equal(data, "content");
	free(data);
	unit_rmdir(dir);
}

static void test_read_over_limit_is_refused(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *path = cc_xasprintf("%s/f", dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_write_file_atomic(path, "content", 7, 0644, &err), 0);
	char *data;
	size_t len;
	assert_int_equal(cc_read_file(path, 6, &data, &len, &err), -EFBIG);
	assert_non_null(strstr(err.message, "limit of 6 bytes"));
	unit_rmdir(dir);
}

static void test_endless_input_is_bounded(void **state)
{
	struct cc_error err = { 0 };
	char *data;
	size_t len;
	assert_int_equal(cc_read_file("/dev/zero", 1u << 20, &data, &len, &err), -EFBIG);
}

static void test_missing_and_directory(void **state)
{
	struct cc_error err = { 0 };
	char *data;
	size_t len;
	assert_int_equal(cc_read_file("/nonexistent/x", 10, &data, &len, &err), -ENOENT);
	assert_non_null(strstr(err.message, "/nonexistent/x"));
	assert_int_equal(cc_read_file("/tmp", 10, &data, &len, &err), -EISDIR);
}

static void test_atomic_replace(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *path = cc_xasprintf("%s/f", dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_write_file_atomic(path, "one", 3, 0600, &err), 0);
	assert_int_equal(cc_write_file_atomic(path, "two!", 4, 0600, &err), 0);
	char *data;
	size_t len;
	assert_int_equal(cc_read_file(path, 100, &data, &len, &err), 0);
	assert_string_equal(data, "two!");
	free(data);
	_cleanup_free_ char *bad = cc_xasprintf("%s/missing-dir/f", dir);
	assert_true(cc_write_file_atomic(bad, "x", 1, 0600, &err) < 0);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_read_within_limit),        cmocka_unit_test(test_read_over_limit_is_refused),
		cmocka_unit_test(test_endless_input_is_bounded), cmocka_unit_test(test_missing_and_directory),
		cmocka_unit_test(test_atomic_replace),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
