/* Layer unpacking (src/image/layer.c): path escapes, symlinks, hard links, limits, devices and the
 * OCI whiteouts, each with a tar made here by libarchive. */
#include "image/layer.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>

struct tar {
	struct archive *a;
	char *buf;
	size_t size, used;
};

static void tar_begin(struct tar *t)
{
	t->size = 1 << 20;
	t->buf = calloc(1, t->size);
	t->a = archive_write_new();
	archive_write_set_format_pax_restricted(t->a);
	assert_int_equal(archive_write_open_memory(t->a, t->buf, t->size, &t->used), ARCHIVE_OK);
}

static void tar_add(struct tar *t, const char *path, mode_t type, mode_t perm, const char *data, size_t len,
		    const char *link, bool hard)
{
	struct archive_entry *e = archive_entry_new();
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, perm);
	archive_entry_set_size(e, type == AE_IFREG && !hard ? (la_int64_t)len : 0);
	if (link && hard)
		archive_entry_set_hardlink(e, link);
	else if (link)
		archive_entry_set_symlink(e, link);
	if (type == AE_IFCHR)
		archive_entry_set_rdev(e, makedev(1, 3));
	assert_int_equal(archive_write_header(t->a, e), ARCHIVE_OK);
	if (data && len)
		assert_int_equal(archive_write_data(t->a, data, len), (la_ssize_t)len);
	archive_entry_free(e);
}

static void tar_file(struct tar *t, const char *path, const char *text)
{
	tar_add(t, path, AE_IFREG, 0644, text, strlen(text), NULL, false);
}

static void tar_end(struct tar *t)
{
	assert_int_equal(archive_write_close(t->a), ARCHIVE_OK);
	archive_write_free(t->a);
}

struct fixture {
	char *top; /* holds layer/ and outside/ */
	int layer_fd;
	char outside[512];
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->top = unit_tmpdir();
	char path[600];
	snprintf(path, sizeof(path), "%s/layer", fx->top);
	assert_int_equal(mkdir(path, 0755), 0);
	fx->layer_fd = open(path, O_RDONLY | O_DIRECTORY);
	snprintf(fx->outside, sizeof(fx->outside), "%s/outside", fx->top);
	assert_int_equal(mkdir(fx->outside, 0755), 0);
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	close(fx->layer_fd);
	unit_rmdir(fx->top);
	free(fx);
	return 0;
}

static int unpack(struct fixture *fx, struct tar *t, const struct image_unpack_options *opts,
		  struct image_unpack_stats *stats, struct cc_error *err)
{
	int r = image_layer_unpack_memory(t->buf, t->used, fx->layer_fd, opts, stats, err);
	free(t->buf);
	return r;
}

static bool exists_at(int dir, const char *path)
{
	struct stat st;
	return fstatat(dir, path, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

static void test_plain_layer(void **state)
{
	struct fixture *fx = *state;
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "./", AE_IFDIR, 0755, NULL, 0, NULL, false);
	tar_add(&t, "bin/", AE_IFDIR, 0755, NULL, 0, NULL, false);
	tar_file(&t, "bin/tool", "#!/bin/sh\n");
	tar_add(&t, "bin/sh", AE_IFLNK, 0777, NULL, 0, "tool", false);
	tar_add(&t, "bin/hard", AE_IFREG, 0644, NULL, 0, "bin/tool", true);
	tar_add(&t, "deep/er/file", AE_IFREG, 0600, "x", 1, NULL, false); /* parents made on the way */
	tar_add(&t, "suid", AE_IFREG, 04777, "s", 1, NULL, false);
	tar_end(&t);
	struct cc_error err = { 0 };
	struct image_unpack_stats stats;
	assert_int_equal(unpack(fx, &t, NULL, &stats, &err), 0);
	struct stat st, st2;
	assert_int_equal(fstatat(fx->layer_fd, "bin/tool", &st, 0), 0);
	assert_int_equal(st.st_size, 10);
	assert_int_equal(fstatat(fx->layer_fd, "bin/hard", &st2, 0), 0);
	assert_int_equal(st.st_ino, st2.st_ino);
	char target[64] = "";
	assert_int_equal(readlinkat(fx->layer_fd, "bin/sh", target, sizeof(target)), 4);
	assert_true(exists_at(fx->layer_fd, "deep/er/file"));
	/* setuid kept, group and other write dropped */
	assert_int_equal(fstatat(fx->layer_fd, "suid", &st, 0), 0);
	assert_int_equal(st.st_mode & 07777, 04755);
	assert_int_equal(stats.entries, 7);
}

static void test_dotdot_refused(void **state)
{
	struct fixture *fx = *state;
	struct tar t;
	tar_begin(&t);
	tar_file(&t, "../outside/evil", "pwned");
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
	assert_non_null(strstr(err.message, "../outside/evil"));
	char evil[600];
	snprintf(evil, sizeof(evil), "%s/evil", fx->outside);
	assert_int_equal(access(evil, F_OK), -1);

	tar_begin(&t);
	tar_file(&t, "a/../../../../../../tmp/evil", "pwned");
	tar_end(&t);
	assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
}

static void test_absolute_refused(void **state)
{
	struct fixture *fx = *state;
	char path[600];
	snprintf(path, sizeof(path), "%s/evil", fx->outside);
	struct tar t;
	tar_begin(&t);
	tar_file(&t, path, "pwned");
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
	assert_non_null(strstr(err.message, "absolute"));
	assert_int_equal(access(path, F_OK), -1);
}

static void test_symlink_not_followed(void **state)
{
	struct fixture *fx = *state;
	char evil[600];
	snprintf(evil, sizeof(evil), "%s/pwned", fx->outside);
	const char *targets[] = { fx->outside, "../outside", "/etc" };
	for (size_t i = 0; i < 3; i++) {
		struct tar t;
		tar_begin(&t);
		tar_add(&t, "out", AE_IFLNK, 0777, NULL, 0, targets[i], false);
		tar_file(&t, i == 2 ? "out/cocoon-test-pwned" : "out/pwned", "pwned");
		tar_end(&t);
		struct cc_error err = { 0 };
		assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -ELOOP);
		assert_non_null(strstr(err.message, "symlink"));
		assert_int_equal(access(evil, F_OK), -1);
		assert_int_equal(access("/etc/cocoon-test-pwned", F_OK), -1);
		unlinkat(fx->layer_fd, "out", 0);
	}
	/* A symlink replacing a file does not redirect a later write of that name either. */
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "f", AE_IFLNK, 0777, NULL, 0, evil, false);
	tar_file(&t, "f", "data");
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, NULL, NULL, &err), 0);
	assert_int_equal(access(evil, F_OK), -1);
	struct stat st;
	assert_int_equal(fstatat(fx->layer_fd, "f", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
}

static void test_hardlink_outside_refused(void **state)
{
	struct fixture *fx = *state;
	const char *targets[] = { "/etc/passwd", "../outside/secret", "etc/passwd" };
	char secret[600];
	snprintf(secret, sizeof(secret), "%s/secret", fx->outside);
	FILE *f = fopen(secret, "w");
	fputs("secret", f);
	fclose(f);
	for (size_t i = 0; i < 3; i++) {
		struct tar t;
		tar_begin(&t);
		tar_add(&t, "passwd", AE_IFREG, 0644, NULL, 0, targets[i], true);
		tar_end(&t);
		struct cc_error err = { 0 };
		assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
		assert_non_null(strstr(err.message, "hard link"));
		assert_false(exists_at(fx->layer_fd, "passwd"));
	}
	/* Through a symlink inside the layer: the link's directory is a symlink, refused too. */
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "etc", AE_IFLNK, 0777, NULL, 0, "/etc", false);
	tar_add(&t, "passwd", AE_IFREG, 0644, NULL, 0, "etc/passwd", true);
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
}

static void test_limits(void **state)
{
	struct fixture *fx = *state;
	struct image_unpack_options opts;
	image_unpack_options_default(&opts);
	opts.limits.max_entry_size = 100;
	opts.limits.max_layer_size = 150;
	char big[200];
	memset(big, 'x', sizeof(big));
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "big", AE_IFREG, 0644, big, 101, NULL, false);
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, &opts, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.message, "`big`"));
	assert_non_null(strstr(err.message, "per entry"));

	tar_begin(&t);
	tar_add(&t, "one", AE_IFREG, 0644, big, 100, NULL, false);
	tar_add(&t, "two", AE_IFREG, 0644, big, 100, NULL, false);
	tar_end(&t);
	assert_int_equal(unpack(fx, &t, &opts, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.message, "layer is over the limit"));

	opts.limits.max_layer_size = 1000;
	opts.limits.max_entries = 2;
	tar_begin(&t);
	for (int i = 0; i < 3; i++)
		tar_file(&t, i == 0 ? "a" : i == 1 ? "b" : "c", "x");
	tar_end(&t);
	assert_int_equal(unpack(fx, &t, &opts, NULL, &err), -EFBIG);
	assert_non_null(strstr(err.message, "entries"));
}

static void test_devices_skipped(void **state)
{
	struct fixture *fx = *state;
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "null", AE_IFCHR, 0666, NULL, 0, NULL, false);
	tar_add(&t, "fifo", AE_IFIFO, 0644, NULL, 0, NULL, false);
	tar_end(&t);
	struct cc_error err = { 0 };
	struct image_unpack_stats stats;
	assert_int_equal(unpack(fx, &t, NULL, &stats, &err), 0);
	assert_int_equal(stats.devices_skipped, 1);
	assert_false(exists_at(fx->layer_fd, "null"));
	assert_true(exists_at(fx->layer_fd, "fifo"));
}

static void test_whiteouts(void **state)
{
	struct fixture *fx = *state;
	if (geteuid() != 0)
		skip(); /* whiteout devices and trusted.* xattrs need root */
	struct tar t;
	tar_begin(&t);
	tar_add(&t, "dir/", AE_IFDIR, 0755, NULL, 0, NULL, false);
	tar_file(&t, "dir/.wh.gone", "");
	tar_file(&t, "kept", "mine");
	tar_file(&t, ".wh.kept", ""); /* this layer's own file: the whiteout hides lower layers only */
	tar_add(&t, "opaque/", AE_IFDIR, 0755, NULL, 0, NULL, false);
	tar_file(&t, "opaque/.wh..wh..opq", "");
	tar_file(&t, "opaque/new", "n");
	tar_end(&t);
	struct cc_error err = { 0 };
	struct image_unpack_stats stats;
	assert_int_equal(unpack(fx, &t, NULL, &stats, &err), 0);
	struct stat st;
	assert_int_equal(fstatat(fx->layer_fd, "dir/gone", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(st.st_rdev, makedev(0, 0));
	assert_false(exists_at(fx->layer_fd, "dir/.wh.gone"));
	assert_int_equal(fstatat(fx->layer_fd, "kept", &st, AT_SYMLINK_NOFOLLOW), 0);
	assert_true(S_ISREG(st.st_mode));
	char value[8] = "";
	char path[600];
	snprintf(path, sizeof(path), "%s/layer/opaque", fx->top);
	assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", value, sizeof(value)), 1);
	assert_int_equal(value[0], 'y');
	assert_false(exists_at(fx->layer_fd, "opaque/.wh..wh..opq"));
	assert_true(exists_at(fx->layer_fd, "opaque/new"));
	assert_int_equal(stats.whiteouts, 1);
	assert_int_equal(stats.opaques, 1);
}

static void test_whiteout_xattr_form(void **state)
{
	struct fixture *fx = *state;
	if (geteuid() != 0)
		skip();
	struct image_unpack_options opts;
	image_unpack_options_default(&opts);
	opts.whiteouts = IMAGE_WHITEOUT_XATTR;
	struct tar t;
	tar_begin(&t);
	tar_file(&t, "d/.wh.gone", "");
	tar_end(&t);
	struct cc_error err = { 0 };
	assert_int_equal(unpack(fx, &t, &opts, NULL, &err), 0);
	char path[600], value[8] = "";
	snprintf(path, sizeof(path), "%s/layer/d/gone", fx->top);
	struct stat st;
	assert_int_equal(lstat(path, &st), 0);
	assert_true(S_ISREG(st.st_mode));
	assert_int_equal(st.st_size, 0);
	assert_int_equal(lgetxattr(path, "trusted.overlay.whiteout", value, sizeof(value)), 1);
	snprintf(path, sizeof(path), "%s/layer/d", fx->top);
	assert_int_equal(lgetxattr(path, "trusted.overlay.opaque", value, sizeof(value)), 1);
	assert_int_equal(value[0], 'x');
}

static void test_bad_whiteout_names(void **state)
{
	struct fixture *fx = *state;
	const char *names[] = { ".wh.", "d/.wh..", "d/.wh..." };
	for (size_t i = 0; i < 2; i++) {
		struct tar t;
		tar_begin(&t);
		tar_file(&t, names[i], "");
		tar_end(&t);
		struct cc_error err = { 0 };
		assert_int_equal(unpack(fx, &t, NULL, NULL, &err), -EPERM);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_plain_layer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dotdot_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlink_not_followed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_hardlink_outside_refused, setup, teardown),
		cmocka_unit_test_setup_teardown(test_limits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_devices_skipped, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whiteouts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whiteout_xattr_form, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_whiteout_names, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
