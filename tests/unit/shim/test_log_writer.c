/* The container's log file: whole CRI lines, rotation (sizes, numbering, the oldest dropped, every
 * line kept in order), and a disk that fills up (bytes counted, no torn line, one note afterwards). */
#include "cmd/shim/log_writer.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>
#include <sys/stat.h>

/* 2016-10-06T00:17:09.000000001Z */
#define T0     1475713029000000001LL
#define HEADER "2016-10-06T00:17:09.000000001Z "

static char *path_in(const char *dir, const char *name)
{
	char *path = malloc(strlen(dir) + strlen(name) + 2);
	assert_non_null(path);
	sprintf(path, "%s/%s", dir, name);
	return path;
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *text = calloc(1, 1 << 20);
	assert_non_null(text);
	size_t n = fread(text, 1, (1 << 20) - 1, f);
	text[n] = '\0';
	fclose(f);
	return text;
}

static off_t size_of(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 ? st.st_size : -1;
}

static void write_text(struct shim_log *log, enum shim_stream stream, bool partial, const char *text)
{
	shim_log_write_line(log, T0, stream, partial, text, strlen(text), NULL, 0);
}

static void test_lines_are_appended_whole(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	struct shim_log log;
	bool created = false;
	struct cc_error err = { 0 };
	assert_int_equal(shim_log_open(&log, path, 1 << 20, 5, &created, &err), 0);
	assert_true(created);
	write_text(&log, SHIM_STDOUT, false, "hello");
	shim_log_write_line(&log, T0, SHIM_STDERR, true, "par", 3, "tial", 4);
	char *text = slurp(path);
	assert_string_equal(text, HEADER "stdout F hello\n" HEADER "stderr P partial\n");
	free(text);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	shim_log_close(&log);

	/* Opening again appends, and says the file was there. */
	assert_int_equal(shim_log_open(&log, path, 1 << 20, 5, &created, &err), 0);
	assert_false(created);
	assert_int_equal(log.size, (uint64_t)size_of(path));
	write_text(&log, SHIM_STDOUT, false, "again");
	text = slurp(path);
	assert_non_null(strstr(text, "stderr P partial\n" HEADER "stdout F again\n"));
	free(text);
	shim_log_close(&log);
	free(path);
	unit_rmdir(dir);
}

/* The line numbers found in the files, in order, must run from first to last without a gap. */
static int check_numbers(char *const *paths, size_t count, int last)
{
	int expected = -1;
	for (size_t i = 0; i < count; i++) {
		char *text = slurp(paths[i]);
		assert_non_null(text);
		for (char *line = strtok(text, "\n"); line; line = strtok(NULL, "\n")) {
			int n;
			assert_int_equal(sscanf(line, HEADER "stdout F line %d", &n), 1);
			if (expected >= 0)
				assert_int_equal(n, expected);
			expected = n + 1;
		}
		free(text);
	}
	assert_int_equal(expected, last + 1);
	return 0;
}

static void test_rotation_shifts_and_drops_the_oldest(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	struct shim_log log;
	struct cc_error err = { 0 };
	/* Each line is 31 + 16 + 4 bytes or so: about 3 to a file of 200 bytes. */
	assert_int_equal(shim_log_open(&log, path, 200, 3, NULL, &err), 0);
	for (int i = 1; i <= 40; i++) {
		char text[32];
		snprintf(text, sizeof(text), "line %d", i);
		write_text(&log, SHIM_STDOUT, false, text);
		assert_true(log.size <= 200);
	}
	char *p1 = path_in(dir, "c.log.1"), *p2 = path_in(dir, "c.log.2"), *p3 = path_in(dir, "c.log.3");
	assert_true(size_of(path) > 0 && size_of(path) <= 200);
	assert_true(size_of(p1) > 0 && size_of(p1) <= 200);
	assert_true(size_of(p2) > 0 && size_of(p2) <= 200);
	assert_int_equal(size_of(p3), -1); /* max_files 3: FILE, FILE.1, FILE.2 */
	struct stat st;
	assert_int_equal(stat(p2, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *order[] = { p2, p1, path };
	check_numbers(order, 3, 40);
	shim_log_close(&log);
	free(p1);
	free(p2);
	free(p3);
	free(path);
	unit_rmdir(dir);
}

static void test_rotation_keeps_every_line_with_enough_files(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	struct shim_log log;
	struct cc_error err = { 0 };
	assert_int_equal(shim_log_open(&log, path, 300, 30, NULL, &err), 0);
	for (int i = 1; i <= 100; i++) {
		char text[32];
		snprintf(text, sizeof(text), "line %d", i);
		write_text(&log, SHIM_STDOUT, false, text);
	}
	char *paths[31];
	size_t count = 0;
	for (int n = 29; n >= 1; n--) {
		char name[32];
		snprintf(name, sizeof(name), "c.log.%d", n);
		char *p = path_in(dir, name);
		if (size_of(p) >= 0)
			paths[count++] = p;
		else
			free(p);
	}
	assert_true(count > 10);
	paths[count++] = strdup(path);
	/* The oldest kept file starts with line 1: nothing was dropped. */
	char *oldest = slurp(paths[0]);
	assert_non_null(strstr(oldest, "stdout F line 1\n"));
	free(oldest);
	check_numbers(paths, count, 100);
	for (size_t i = 0; i < count; i++)
		free(paths[i]);
	shim_log_close(&log);
	free(path);
	unit_rmdir(dir);
}

static void test_one_file_only_and_long_lines(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	struct shim_log log;
	struct cc_error err = { 0 };
	assert_int_equal(shim_log_open(&log, path, 100, 1, NULL, &err), 0);
	write_text(&log, SHIM_STDOUT, false, "first");
	write_text(&log, SHIM_STDOUT, false, "second");
	write_text(&log, SHIM_STDOUT, false, "third");
	char *p1 = path_in(dir, "c.log.1");
	assert_int_equal(size_of(p1), -1);
	char *text = slurp(path);
	assert_null(strstr(text, "first"));
	assert_non_null(strstr(text, "third"));
	free(text);
	/* A line longer than the limit is written whole, alone in its file. */
	char big[300];
	memset(big, 'b', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	write_text(&log, SHIM_STDOUT, false, big);
	assert_int_equal(size_of(path), (off_t)(strlen(HEADER "stdout F ") + strlen(big) + 1));
	shim_log_close(&log);
	free(p1);
	free(path);
	unit_rmdir(dir);
}

/* A writev that fails as a full disk does, or writes only a part first. */
static int disk_full;
static size_t partial_then_full;

static ssize_t full_disk_writev(int fd, const struct iovec *iov, int count)
{
	if (partial_then_full) {
		while (count > 0 && iov->iov_len == 0) {
			iov++;
			count--;
		}
		size_t n = partial_then_full < iov->iov_len ? partial_then_full : iov->iov_len;
		partial_then_full = 0;
		disk_full = 1;
		return write(fd, iov->iov_base, n);
	}
	if (disk_full) {
		errno = ENOSPC;
		return -1;
	}
	return writev(fd, iov, count);
}

static void test_full_disk_counts_and_notes(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	struct shim_log log;
	struct cc_error err = { 0 };
	assert_int_equal(shim_log_open(&log, path, 1 << 20, 2, NULL, &err), 0);
	log.writev = full_disk_writev;
	write_text(&log, SHIM_STDOUT, false, "before");
	off_t before = size_of(path);

	/* A line torn by the full disk is cut off again; its bytes are counted. */
	partial_then_full = 10;
	write_text(&log, SHIM_STDOUT, false, "lost one");
	assert_int_equal(size_of(path), before);
	write_text(&log, SHIM_STDERR, true, "lost two!");
	assert_int_equal(size_of(path), before);
	assert_int_equal(log.dropped, 17);
	assert_int_equal(log.drop_errno, ENOSPC);

	/* Space again: the note and the next line, together. */
	disk_full = 0;
	write_text(&log, SHIM_STDOUT, false, "after");
	assert_int_equal(log.dropped, 0);
	char *text = slurp(path);
	char expected[512];
	snprintf(expected, sizeof(expected),
		 HEADER
		 "stdout F before\n" HEADER
		 "stderr F cocoon-shim: 17 bytes of the container's output were lost: cannot write `%s`: %s\n" HEADER
		 "stdout F after\n",
		 path, strerror(ENOSPC));
	assert_string_equal(text, expected);
	free(text);
	assert_int_equal(log.size, (uint64_t)size_of(path));
	shim_log_close(&log);
	free(path);
	unit_rmdir(dir);
}

static void test_failed_rotation_keeps_writing(void **state)
{
	char *dir = unit_tmpdir();
	char *path = path_in(dir, "c.log");
	char *p1 = path_in(dir, "c.log.1");
	/* FILE.1, the oldest with max_files 2, is a directory: it cannot be removed. */
	assert_int_equal(mkdir(p1, 0700), 0);
	char *inside = path_in(p1, "x");
	FILE *f = fopen(inside, "w");
	assert_non_null(f);
	fclose(f);
	struct shim_log log;
	struct cc_error err = { 0 };
	assert_int_equal(shim_log_open(&log, path, 100, 2, NULL, &err), 0);
	write_text(&log, SHIM_STDOUT, false, "one one one one one");
	write_text(&log, SHIM_STDOUT, false, "two two two two two");
	write_text(&log, SHIM_STDOUT, false, "three three three");
	assert_true(log.rotate_failed);
	assert_int_equal(log.dropped, 0);
	char *text = slurp(path);
	assert_non_null(strstr(text, "one one"));
	assert_non_null(strstr(text, "three three"));
	free(text);
	assert_int_equal(shim_log_rotate(&log, &err), -EISDIR);
	assert_non_null(strstr(err.message, "c.log.1"));
	shim_log_close(&log);
	free(inside);
	free(p1);
	free(path);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_are_appended_whole),
		cmocka_unit_test(test_rotation_shifts_and_drops_the_oldest),
		cmocka_unit_test(test_rotation_keeps_every_line_with_enough_files),
		cmocka_unit_test(test_one_file_only_and_long_lines),
		cmocka_unit_test(test_full_disk_counts_and_notes),
		cmocka_unit_test(test_failed_rotation_keeps_writing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
