#include "runtime/measure_cache.h"
#include "unit.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A file's stat as the walk sees it: only the key's fields matter. */
static struct stat entry(dev_t dev, ino_t ino, off_t size, time_t ctime_sec, long ctime_nsec)
{
	struct stat st = { 0 };
	st.st_dev = dev;
	st.st_ino = ino;
	st.st_size = size;
	st.st_ctim.tv_sec = ctime_sec;
	st.st_ctim.tv_nsec = ctime_nsec;
	return st;
}

static void digest_of(unsigned seed, uint8_t out[32])
{
	for (int i = 0; i < 32; i++)
		out[i] = (uint8_t)(seed * 31 + (unsigned)i);
}

static char *cache_path(void)
{
	char *path = strdup("/tmp/cocoon-measure-cache-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	close(fd);
	unlink(path);
	return path;
}

static void write_bytes(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(data, 1, len, f), len);
	fclose(f);
}

/* A cache file of these bytes has no target for link. */
static void expect_no_link(const char *path, const void *data, size_t len, const struct stat *link)
{
	write_bytes(path, data, len);
	struct measure_cache *c = measure_cache_open(path, 1000);
	assert_null(measure_cache_link(c, link));
	measure_cache_close(c);
}

static void test_remembers_across_opens(void **state)
{
	char *path = cache_path();
	struct measure_cache *c = measure_cache_open(path, 1000);
	struct stat file = entry(8, 42, 1234, 500, 7), link = entry(8, 43, 7, 500, 9);
	uint8_t md[32], want[32];
	assert_false(measure_cache_digest(c, &file, md));
	assert_null(measure_cache_link(c, &link));
	digest_of(1, want);
	measure_cache_remember_digest(c, &file, want);
	measure_cache_remember_link(c, &link, "busybox", 7);
	measure_cache_save(c, path);
	measure_cache_close(c);

	c = measure_cache_open(path, 1000);
	assert_true(measure_cache_digest(c, &file, md));
	assert_memory_equal(md, want, 32);
	const char *target = measure_cache_link(c, &link);
	assert_non_null(target);
	assert_memory_equal(target, "busybox", 7);
	/* A digest is not a link target, nor the other way round. */
	assert_null(measure_cache_link(c, &file));
	assert_false(measure_cache_digest(c, &link, md));
	/* Any change of size or ctime (to the nanosecond) is a miss. */
	struct stat grown = entry(8, 42, 1235, 500, 7), touched = entry(8, 42, 1234, 500, 8),
		    other_dev = entry(9, 42, 1234, 500, 7);
	assert_false(measure_cache_digest(c, &grown, md));
	assert_false(measure_cache_digest(c, &touched, md));
	assert_false(measure_cache_digest(c, &other_dev, md));
	measure_cache_close(c);
	unlink(path);
	free(path);
}

static void test_unsettled_entries_are_not_remembered(void **state)
{
	char *path = cache_path();
	struct measure_cache *c = measure_cache_open(path, 1000);
	struct stat fresh = entry(8, 1, 10, 1000, 0), old = entry(8, 2, 10, 999, 999999999);
	uint8_t md[32];
	digest_of(2, md);
	measure_cache_remember_digest(c, &fresh, md);
	measure_cache_remember_digest(c, &old, md);
	measure_cache_save(c, path);
	measure_cache_close(c);
	c = measure_cache_open(path, 2000);
	assert_false(measure_cache_digest(c, &fresh, md));
	assert_true(measure_cache_digest(c, &old, md));
	measure_cache_close(c);
	unlink(path);
	free(path);
}

/* Saving merges what was there with what is new; a new record for an inode replaces its old one. */
static void test_merges_and_replaces(void **state)
{
	char *path = cache_path();
	enum { N = 2000 };
	struct measure_cache *c = measure_cache_open(path, 1000);
	uint8_t md[32];
	for (unsigned i = 0; i < N; i += 2) { /* even inodes first, in descending order */
		struct stat st = entry(3, (ino_t)(N - i), 100 + i, 10, 0);
		digest_of(i, md);
		measure_cache_remember_digest(c, &st, md);
	}
	measure_cache_save(c, path);
	measure_cache_close(c);
	c = measure_cache_open(path, 1000);
	for (unsigned i = 1; i < N; i += 2) { /* then the odd ones, and inode 2 again with a new ctime */
		struct stat st = entry(3, (ino_t)(N - i), 100 + i, 10, 0);
		digest_of(i, md);
		measure_cache_remember_digest(c, &st, md);
	}
	struct stat replaced = entry(3, 2, 100 + N - 2, 11, 0);
	digest_of(99999, md);
	measure_cache_remember_digest(c, &replaced, md);
	measure_cache_save(c, path);
	measure_cache_close(c);

	c = measure_cache_open(path, 1000);
	for (unsigned i = 0; i < N; i++) {
		struct stat st = entry(3, (ino_t)(N - i), 100 + i, i == N - 2 ? 11 : 10, 0);
		uint8_t want[32];
		digest_of(i == N - 2 ? 99999 : i, want);
		assert_true(measure_cache_digest(c, &st, md));
		assert_memory_equal(md, want, 32);
	}
	measure_cache_close(c);
	unlink(path);
	free(path);
}

/* Whatever the file holds, opening and looking up never crash and never hand out a value that is
 * not a record's: anything but an exact cache is an empty one. */
static void test_malformed_files_are_empty_caches(void **state)
{
	char *path = cache_path();
	struct measure_cache *c = measure_cache_open(path, 1000);
	struct stat link = entry(8, 43, 7, 500, 9);
	measure_cache_remember_link(c, &link, "busybox", 7);
	measure_cache_save(c, path);
	measure_cache_close(c);
	char *good;
	size_t len;
	{
		FILE *f = fopen(path, "rb");
		assert_non_null(f);
		fseek(f, 0, SEEK_END);
		len = (size_t)ftell(f);
		rewind(f);
		good = malloc(len);
		assert_int_equal(fread(good, 1, len, f), len);
		fclose(f);
	}
	assert_int_equal(len, 24 + 72 + 7);
	c = measure_cache_open(path, 1000); /* the file as written has it */
	assert_non_null(measure_cache_link(c, &link));
	measure_cache_close(c);
	char *bad = malloc(len + 8);
	/* cut short, one byte too many, another magic, another version */
	expect_no_link(path, good, len - 1, &link);
	memcpy(bad, good, len);
	bad[len] = 'x';
	expect_no_link(path, bad, len + 1, &link);
	memcpy(bad, good, len);
	bad[0] = 'X';
	expect_no_link(path, bad, len, &link);
	memcpy(bad, good, len);
	bad[8] = 2;
	expect_no_link(path, bad, len, &link);
	/* a link record pointing past the string area, and a target with a NUL in it */
	memcpy(bad, good, len);
	uint32_t offset = 5;
	memcpy(bad + 24 + 40, &offset, sizeof(offset));
	expect_no_link(path, bad, len, &link);
	memcpy(bad, good, len);
	bad[len - 3] = '\0';
	expect_no_link(path, bad, len, &link);
	/* a directory, and nothing at all */
	unlink(path);
	assert_int_equal(mkdir(path, 0700), 0);
	c = measure_cache_open(path, 1000);
	assert_null(measure_cache_link(c, &link));
	measure_cache_close(c);
	rmdir(path);
	c = measure_cache_open(NULL, 1000);
	assert_null(measure_cache_link(c, &link));
	measure_cache_save(c, NULL);
	measure_cache_close(c);
	free(bad);
	free(good);
	free(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_remembers_across_opens),
		cmocka_unit_test(test_unsettled_entries_are_not_remembered),
		cmocka_unit_test(test_merges_and_replaces),
		cmocka_unit_test(test_malformed_files_are_empty_caches),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
