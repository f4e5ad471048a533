#include "lib/base/error.h"
#include "lib/store/store.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

struct listing {
	char keys[8][64];
	size_t count;
};

static int collect(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	(void)value, (void)len, (void)revision;
	struct listing *l = userdata;
	if (l->count == 8)
		return -E2BIG;
	snprintf(l->keys[l->count++], 64, "%s", key);
	return 0;
}

static struct cc_store *open_in(const char *dir)
{
	char url[512];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", dir);
	struct cc_store *store;
	struct cc_error err = { 0 };
	assert_int_equal(cc_store_open(url, &store, &err), 0);
	assert_string_equal(cc_store_backend(store), "sqlite");
	return store;
}

static void test_compare_and_swap_lets_one_writer_win(void **state)
{
	char *dir = unit_tmpdir();
	struct cc_store *store = open_in(dir);
	struct cc_error err = { 0 };
	int64_t rev1, rev2;
	assert_int_equal(cc_store_put(store, "keys/a", "one", 3, CC_STORE_ABSENT, &rev1, &err), 0);
	assert_int_equal(cc_store_put(store, "keys/a", "dup", 3, CC_STORE_ABSENT, NULL, &err), -ESTALE);
	assert_int_equal(cc_store_put(store, "keys/a", "two", 3, rev1, &rev2, &err), 0);
	assert_true(rev2 > rev1);
	/* a writer that read revision 1 lost the race */
	assert_int_equal(cc_store_put(store, "keys/a", "old", 3, rev1, NULL, &err), -ESTALE);
	assert_non_null(strstr(cc_error_message(&err), "changed by another writer"));
	char *value;
	size_t len;
	int64_t rev;
	assert_int_equal(cc_store_get(store, "keys/a", &value, &len, &rev, &err), 0);
	assert_int_equal(len, 3);
	assert_string_equal(value, "two");
	assert_int_equal(rev, rev2);
	free(value);
	assert_int_equal(cc_store_put(store, "keys/a", "any", 3, CC_STORE_ANY, NULL, &err), 0);
	cc_store_close(store);
	unit_rmdir(dir);
}

static void test_state_survives_reopening_and_deletes_are_reported(void **state)
{
	char *dir = unit_tmpdir();
	struct cc_store *store = open_in(dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_store_put(store, "k", "", 0, CC_STORE_ANY, NULL, &err), 0);
	cc_store_close(store);
	store = open_in(dir);
	char *value;
	size_t len;
	assert_int_equal(cc_store_get(store, "k", &value, &len, NULL, &err), 0);
	assert_int_equal(len, 0);
	free(value);
	assert_int_equal(cc_store_delete(store, "k", &err), 0);
	assert_int_equal(cc_store_delete(store, "k", &err), -ENOENT);
	assert_int_equal(cc_store_get(store, "k", &value, &len, NULL, &err), -ENOENT);
	assert_non_null(strstr(cc_error_message(&err), "`k` does not exist"));
	cc_store_close(store);
	unit_rmdir(dir);
}

static void test_list_matches_the_prefix_literally(void **state)
{
	char *dir = unit_tmpdir();
	struct cc_store *store = open_in(dir);
	struct cc_error err = { 0 };
	const char *keys[] = { "t/%a", "t/_b", "t/ab", "tx", "u/1" };
	for (size_t i = 0; i < 5; i++)
		assert_int_equal(cc_store_put(store, keys[i], "v", 1, CC_STORE_ANY, NULL, &err), 0);
	struct listing l = { 0 };
	assert_int_equal(cc_store_list(store, "t/%", collect, &l, &err), 0);
	assert_int_equal(l.count, 1);
	assert_string_equal(l.keys[0], "t/%a");
	memset(&l, 0, sizeof(l));
	assert_int_equal(cc_store_list(store, "t/", collect, &l, &err), 0);
	assert_int_equal(l.count, 3);
	cc_store_close(store);
	unit_rmdir(dir);
}

static void test_bad_urls_and_a_corrupt_file_are_named(void **state)
{
	struct cc_store *store;
	struct cc_error err = { 0 };
	assert_int_equal(cc_store_open("redis:x", &store, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(&err), "unknown backend `redis`"));
	assert_int_equal(cc_store_open("/tmp/x.db", &store, &err), -EINVAL);
	assert_int_equal(cc_store_open("etcd:ftp://x", &store, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(&err), "not an http:// or https:// URL"));
	char *dir = unit_tmpdir(), path[512], url[600];
	snprintf(path, sizeof(path), "%s/state.db", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < 512; i++)
		fputs("garbage!", f);
	fclose(f);
	assert_int_equal(chmod(path, 0600), 0);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	assert_true(cc_store_open(url, &store, &err) < 0);
	assert_non_null(strstr(cc_error_message(&err), "is not usable"));
	unit_rmdir(dir);
}

/* Issue 11, finding 8: the store is created 0600, and a store (or its -wal or -shm file) that group
 * or others may open is refused, naming the file and the fix. */
static void test_the_store_file_is_private_to_its_owner(void **state)
{
	char *dir = unit_tmpdir(), path[512], url[600], wal[600];
	snprintf(path, sizeof(path), "%s/state.db", dir);
	snprintf(url, sizeof(url), "sqlite:%s", path);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	struct cc_store *store;
	struct cc_error err = { 0 };
	mode_t old = umask(022);
	assert_int_equal(cc_store_open(url, &store, &err), 0);
	assert_int_equal(cc_store_put(store, "k", "v", 1, CC_STORE_ANY, NULL, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(stat(wal, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	cc_store_close(store);
	assert_int_equal(chmod(path, 0644), 0);
	assert_int_equal(cc_store_open(url, &store, &err), -EPERM);
	assert_non_null(strstr(cc_error_message(&err), "is open to group or others (mode 644); chmod 600 it"));
	assert_int_equal(chmod(path, 0600), 0);
	int fd = open(wal, O_WRONLY | O_CREAT, 0640);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(chmod(wal, 0640), 0);
	assert_int_equal(cc_store_open(url, &store, &err), -EPERM);
	assert_non_null(strstr(cc_error_message(&err), "state.db-wal` is open to group or others (mode 640)"));
	umask(old);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_compare_and_swap_lets_one_writer_win),
		cmocka_unit_test(test_state_survives_reopening_and_deletes_are_reported),
		cmocka_unit_test(test_list_matches_the_prefix_literally),
		cmocka_unit_test(test_bad_urls_and_a_corrupt_file_are_named),
		cmocka_unit_test(test_the_store_file_is_private_to_its_owner),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
