/* The atomic directory writer (platform/atomic_dir.h): a set is read whole through ..data, names are
 * symlinks into it, a second set replaces the first (which is removed) and drops names it lacks,
 * modes and owners are as given, and names that could escape the directory are refused. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "platform/atomic_dir.h"
#include "unit.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char root[] = "/tmp/cocoon-atomic-dir-XXXXXX";

static int setup(void **state)
{
	(void)state;
	return mkdtemp(root) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", root);
	return system(cmd) == 0 ? 0 : -1;
}

static char *read_name(const char *dir, const char *name)
{
	char path[PATH_MAX];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *out = calloc(1, 256);
	if (fread(out, 1, 255, f) == 0)
		out[0] = '\0';
	fclose(f);
	return out;
}

static size_t hidden_sets(const char *dir)
{
	DIR *d = opendir(dir);
	size_t n = 0;
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strncmp(e->d_name, "..", 2) == 0 && strcmp(e->d_name, "..") != 0 &&
		     strcmp(e->d_name, "..data") != 0;
	if (d)
		closedir(d);
	return n;
}

static void test_write_and_replace(void **state)
{
	(void)state;
	char dir[PATH_MAX / 2];
	snprintf(dir, sizeof(dir), "%s/vol", root);
	struct cc_error err = { 0 };
	struct atomic_file first[] = {
		{ .name = "tls.key", .data = "key-1", .len = 5, .mode = 0400, .uid = 1000, .gid = 2000 },
		{ .name = "tls.crt", .data = "crt-1", .len = 5, .mode = 0444 },
		{ .name = "old.pem", .data = "old", .len = 3, .mode = 0444 },
	};
	assert_int_equal(atomic_dir_write(dir, first, 3, &err), 0);
	_cleanup_free_ char *key = read_name(dir, "tls.key"), *crt = read_name(dir, "tls.crt");
	assert_string_equal(key, "key-1");
	assert_string_equal(crt, "crt-1");
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/tls.key", dir);
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0400);
	assert_int_equal(st.st_uid, 1000);
	assert_int_equal(st.st_gid, 2000);
	assert_int_equal(hidden_sets(dir), 1);

	struct atomic_file second[] = {
		{ .name = "tls.key", .data = "key-2", .len = 5, .mode = 0400 },
		{ .name = "tls.crt", .data = "crt-2", .len = 5, .mode = 0444 },
	};
	assert_int_equal(atomic_dir_write(dir, second, 2, &err), 0);
	_cleanup_free_ char *key2 = read_name(dir, "tls.key");
	assert_string_equal(key2, "key-2");
	char *data = NULL;
	size_t len = 0;
	assert_int_equal(atomic_dir_read(dir, "tls.crt", 64, &data, &len, &err), 0);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "crt-2", 5);
	free(data);
	/* the earlier set is gone, and with it the name the new one lacks */
	assert_int_equal(hidden_sets(dir), 1);
	snprintf(path, sizeof(path), "%s/old.pem", dir);
	assert_int_equal(lstat(path, &st), -1);
	assert_int_equal(atomic_dir_read(dir, "old.pem", 64, &data, &len, &err), -ENOENT);
}

static void test_refuses_escaping_names(void **state)
{
	(void)state;
	char dir[PATH_MAX / 2];
	snprintf(dir, sizeof(dir), "%s/bad", root);
	const char *bad[] = { "../x", "a/b", "..data", "", ".", "..hidden" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cc_error err = { 0 };
		struct atomic_file f = { .name = bad[i], .data = "x", .len = 1, .mode = 0444 };
		assert_int_equal(atomic_dir_write(dir, &f, 1, &err), -EINVAL);
		assert_non_null(strstr(err.message, "not a plain file name"));
		char *data = NULL;
		size_t len;
		assert_int_equal(atomic_dir_read(dir, bad[i], 64, &data, &len, &err), -EINVAL);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_write_and_replace),
		cmocka_unit_test(test_refuses_escaping_names),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
