#include "lib/base/error.h"
#include "runtime/measure.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <seccomp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char root[64];

static void write_file(const char *path, const char *content)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

/* A tree wide enough for the walk to share it among threads (it does past a few hundred entries):
 * 12 directories of 80 files, nested directories, links to files and to a directory. */
static int make_tree(void **state)
{
	snprintf(root, sizeof(root), "/tmp/cocoon-measure-tree-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	char path[512];
	for (int d = 0; d < 12; d++) {
		snprintf(path, sizeof(path), "%s/d%02d", root, d);
		mkdir(path, 0755);
		for (int f = 0; f < 80; f++) {
			char content[64];
			snprintf(path, sizeof(path), "%s/d%02d/f%02d", root, d, f);
			snprintf(content, sizeof(content), "file %d of directory %d\n", f, d);
			write_file(path, content);
		}
		snprintf(path, sizeof(path), "%s/d%02d/deeper", root, d);
		mkdir(path, 0700);
		snprintf(path, sizeof(path), "%s/d%02d/deeper/leaf", root, d);
		write_file(path, "leaf\n");
	}
	snprintf(path, sizeof(path), "%s/link-to-file", root);
	if (symlink("d00/f00", path) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/link-to-dir", root);
	return symlink("d01", path);
}

static int remove_tree(void **state)
{
	char command[128];
	snprintf(command, sizeof(command), "rm -rf '%s'", root);
	return system(command) == 0 ? 0 : -1;
}

static void measure(const char *cache, char out[97])
{
	struct cc_error err = { 0 };
	int r = runtime_measure_tree(root, cache, out, &err);
	if (r < 0)
		fail_msg("measure: %s", cc_error_message(&err));
}

/* The same digest without a cache, filling one, and from it (once the entries' ctime is two seconds
 * old: what changed within one timestamp tick is never remembered), with the work shared. */
static void test_same_digest_however_walked(void **state)
{
	char plain[97], cold[97], warm[97];
	measure(NULL, plain);
	char cache[96];
	snprintf(cache, sizeof(cache), "%s.cache", root);
	unlink(cache);
	sleep(3);
	measure(cache, cold);
	struct stat st;
	assert_int_equal(stat(cache, &st), 0);
	assert_true(st.st_size > 24 + 72 * 900); /* the 960 files' digests and the links' targets */
	measure(cache, warm);
	unlink(cache);
	assert_string_equal(plain, cold);
	assert_string_equal(plain, warm);
}

/* A kernel without openat2 (or a filter that refuses it): directories are opened one component at a
 * time, and the digest is the same. Checked in a child, under a filter that makes openat2 ENOSYS. */
static void test_without_openat2(void **state)
{
	char plain[97];
	measure(NULL, plain);
	int pipe_fds[2];
	assert_int_equal(pipe(pipe_fds), 0);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		close(pipe_fds[0]);
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		if (!ctx || seccomp_rule_add(ctx, SCMP_ACT_ERRNO(ENOSYS), SCMP_SYS(openat2), 0) < 0 ||
		    seccomp_load(ctx) < 0)
			_exit(2);
		if (syscall(SYS_openat2, AT_FDCWD, "/", NULL, 0) >= 0 || errno != ENOSYS)
			_exit(3);
		char digest[97];
		struct cc_error err = { 0 };
		if (runtime_measure_tree(root, NULL, digest, &err) < 0)
			_exit(4);
		_exit(write(pipe_fds[1], digest, 96) == 96 ? 0 : 5);
	}
	close(pipe_fds[1]);
	char digest[97] = "";
	ssize_t n = read(pipe_fds[0], digest, 96);
	close(pipe_fds[0]);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_int_equal(n, 96);
	assert_string_equal(digest, plain);
}

/* Any change of content, name, mode or link target changes the digest; a link to a directory is
 * measured as a link, never followed. */
static void test_changes_change_the_digest(void **state)
{
	char before[97], after[97], path[512];
	measure(NULL, before);
	snprintf(path, sizeof(path), "%s/d01/f10", root);
	write_file(path, "file 10 of directory 1, changed\n");
	measure(NULL, after);
	assert_string_not_equal(before, after);

	memcpy(before, after, sizeof(before));
	snprintf(path, sizeof(path), "%s/d05/deeper/leaf", root);
	assert_int_equal(chmod(path, 0600), 0);
	measure(NULL, after);
	assert_string_not_equal(before, after);

	memcpy(before, after, sizeof(before));
	snprintf(path, sizeof(path), "%s/link-to-dir", root);
	assert_int_equal(unlink(path), 0);
	assert_int_equal(symlink("d02", path), 0);
	measure(NULL, after);
	assert_string_not_equal(before, after);
}

/* A path longer than PATH_MAX below the root (openat2 refuses it with ENAMETOOLONG): its directory
 * is walked all the same, component by component, and what is in it counts. */
static void test_paths_longer_than_path_max(void **state)
{
	char name[201];
	memset(name, 'n', 200);
	name[200] = '\0';
	char top[256];
	snprintf(top, sizeof(top), "%s/long", root);
	assert_int_equal(mkdir(top, 0755), 0);
	int dir = open(top, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 25; i++) { /* 25 x 201 bytes: past 4096 */
		assert_int_equal(mkdirat(dir, name, 0755), 0);
		int next = openat(dir, name, O_RDONLY | O_DIRECTORY);
		close(dir);
		dir = next;
	}
	int file = openat(dir, "hidden", O_WRONLY | O_CREAT, 0644);
	assert_int_equal(write(file, "one\n", 4), 4);
	close(file);
	char before[97], after[97];
	measure(NULL, before);
	file = openat(dir, "hidden", O_WRONLY | O_TRUNC);
	assert_int_equal(write(file, "two\n", 4), 4);
	close(file);
	measure(NULL, after);
	assert_string_not_equal(before, after);
	file = openat(dir, "added", O_WRONLY | O_CREAT, 0755);
	close(file);
	close(dir);
	memcpy(before, after, sizeof(before));
	measure(NULL, after);
	assert_string_not_equal(before, after);
	char command[320];
	snprintf(command, sizeof(command), "rm -rf '%s'", top);
	assert_int_equal(system(command), 0);
}

static void test_depth_limit(void **state)
{
	char path[4096];
	int len = snprintf(path, sizeof(path), "%s/deep", root);
	assert_int_equal(mkdir(path, 0755), 0);
	int dir = open(path, O_RDONLY | O_DIRECTORY);
	for (int i = 0; i < 258; i++) {
		assert_int_equal(mkdirat(dir, "n", 0755), 0);
		int next = openat(dir, "n", O_RDONLY | O_DIRECTORY);
		close(dir);
		dir = next;
	}
	close(dir);
	char digest[97];
	struct cc_error err = { 0 };
	assert_int_equal(runtime_measure_tree(root, NULL, digest, &err), -ELOOP);
	assert_non_null(strstr(err.message, "nested deeper than 256 levels"));
	char command[128];
	snprintf(command, sizeof(command), "rm -rf '%.*s'", len, path);
	assert_int_equal(system(command), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_digest_however_walked),
		cmocka_unit_test(test_without_openat2),
		cmocka_unit_test(test_changes_change_the_digest),
		cmocka_unit_test(test_paths_longer_than_path_max),
		cmocka_unit_test(test_depth_limit),
	};
	return cmocka_run_group_tests(tests, make_tree, remove_tree);
}
