#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/safepath.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>

struct fixture {
	char *top; /* holds root/ and outside/ */
	int root_fd;
	char *outside; /* a directory next to the root that must never be reached */
};

typedef int (*open_fn)(int, const char *, int, mode_t, struct cc_error *);

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->top = unit_tmpdir();
	char path[512];
	snprintf(path, sizeof(path), "%s/root", fx->top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/etc", fx->top);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/root/etc/passwd", fx->top);
	write_text(path, "inside");
	fx->outside = cc_xasprintf("%s/outside", fx->top);
	mkdir(fx->outside, 0755);
	snprintf(path, sizeof(path), "%s/passwd", fx->outside);
	write_text(path, "OUTSIDE");
	/* The classic escapes: absolute symlinks, relative climbs, and symlinks to the outside dir. */
	snprintf(path, sizeof(path), "%s/root/abs", fx->top);
	assert_int_equal(symlink("/etc", path), 0);
	snprintf(path, sizeof(path), "%s/root/climb", fx->top);
	assert_int_equal(symlink("../../../../../../etc", path), 0);
	snprintf(path, sizeof(path), "%s/root/to-outside", fx->top);
	assert_int_equal(symlink(fx->outside, path), 0);
	snprintf(path, sizeof(path), "%s/root/loop", fx->top);
	assert_int_equal(symlink("loop", path), 0);
	snprintf(path, sizeof(path), "%s/root/file-link", fx->top);
	assert_int_equal(symlink("/etc/passwd", path), 0);
	snprintf(path, sizeof(path), "%s/root", fx->top);
	fx->root_fd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
	assert_true(fx->root_fd >= 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	close(fx->root_fd);
	free(fx->outside);
	unit_rmdir(fx->top);
	free(fx);
	return 0;
}

static void expect_content(int fd, const char *text)
{
	char buf[64] = "";
	assert_true(fd >= 0);
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	assert_true(n >= 0);
	buf[n] = '\0';
	assert_string_equal(buf, text);
	close(fd);
}

static void check_confinement(struct fixture *fx, open_fn open_in_root)
{
	struct cc_error err = { 0 };
	const char *paths[] = { "/etc/passwd",      "etc/passwd",
				"abs/passwd",       "climb/passwd",
				"../../etc/passwd", "/../../../etc/./passwd",
				"file-link",        "etc/../../../etc/passwd" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(paths); i++) {
		int fd = open_in_root(fx->root_fd, paths[i], O_RDONLY, 0, &err);
		if (fd < 0)
			fail_msg("open %s: %s", paths[i], cc_error_message(&err));
		expect_content(fd, "inside");
	}
	/* A symlink to an absolute host path is reinterpreted inside the root, where it does not exist. */
	assert_int_equal(open_in_root(fx->root_fd, "to-outside/passwd", O_RDONLY, 0, &err), -ENOENT);
	assert_int_equal(open_in_root(fx->root_fd, "loop", O_RDONLY, 0, &err), -ELOOP);
	assert_int_equal(open_in_root(fx->root_fd, "etc/passwd/x", O_RDONLY, 0, &err), -ENOTDIR);
	/* Creating through a climbing symlink lands inside the root. */
	int fd = open_in_root(fx->root_fd, "climb/created", O_WRONLY | O_CREAT, 0600, &err);
	assert_true(fd >= 0);
	close(fd);
	char path[512];
	snprintf(path, sizeof(path), "%s/root/etc/created", fx->top);
	assert_int_equal(access(path, F_OK), 0);
	unlink(path);
	/* The root itself. */
	fd = open_in_root(fx->root_fd, "/", O_RDONLY | O_DIRECTORY, 0, &err);
	assert_true(fd >= 0);
	close(fd);
}

static void test_openat2(void **state)
{
	if (!cc_path_have_openat2())
		skip();
	check_confinement(*state, cc_path_open_in_root);
}

static void test_user_space_walk(void **state)
{
	check_confinement(*state, cc_path_open_in_root_walk);
}

static void test_mkdir_in_root_stays_inside(void **state)
{
	struct fixture *fx = *state;
	struct cc_error err = { 0 };
	int fd = cc_path_mkdir_in_root(fx->root_fd, "/var/lib/data", 0755, &err);
	assert_true(fd >= 0);
	close(fd);
	char path[512];
	snprintf(path, sizeof(path), "%s/root/var/lib/data", fx->top);
	assert_int_equal(access(path, F_OK), 0);
	/* Through a symlink that points at the outside directory: must not create anything there. */
	fd = cc_path_mkdir_in_root(fx->root_fd, "to-outside/sub", 0755, &err);
	if (fd >= 0)
		close(fd);
	snprintf(path, sizeof(path), "%s/sub", fx->outside);
	assert_int_not_equal(access(path, F_OK), 0);
	/* Through a climbing symlink: lands in root/etc. */
	fd = cc_path_mkdir_in_root(fx->root_fd, "climb/newdir", 0755, &err);
	assert_true(fd >= 0);
	close(fd);
	snprintf(path, sizeof(path), "%s/root/etc/newdir", fx->top);
	assert_int_equal(access(path, F_OK), 0);
}

static void test_long_component(void **state)
{
	struct fixture *fx = *state;
	struct cc_error err = { 0 };
	char name[400];
	memset(name, 'n', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	assert_int_equal(cc_path_open_in_root_walk(fx->root_fd, name, O_RDONLY, 0, &err), -ENAMETOOLONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_openat2, setup, teardown),
		cmocka_unit_test_setup_teardown(test_user_space_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mkdir_in_root_stays_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_long_component, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
