/* The atomic writer of atomic_dir.h. */
#include "platform/atomic_dir.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static bool plain_name(const char *name)
{
	return name[0] && strncmp(name, "..", 2) != 0 && !strchr(name, '/') && strcmp(name, ".") != 0;
}

static int write_one(const char *dir, const struct atomic_file *f, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, f->name);
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "%s", path);
	int r = cc_write_all(fd, f->data, f->len);
	if (r == 0 && fchown(fd, f->uid, f->gid) < 0)
		r = -errno;
	if (r == 0 && fchmod(fd, f->mode) < 0) /* after chown, which may clear set-id bits */
		r = -errno;
	if (r == 0 && fsync(fd) < 0)
		r = -errno;
	close(fd);
	return r < 0 ? cc_error_set_errno(err, -r, "%s", path) : 0;
}

/* The target of dir/..data, or "" when there is none. */
static void current_set(const char *dir, char *out, size_t size)
{
	_cleanup_free_ char *link = cc_xasprintf("%s/..data", dir);
	ssize_t n = readlink(link, out, size - 1);
	out[n > 0 ? n : 0] = '\0';
}

static void remove_set(const char *dir, const char *set)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, set);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			unlinkat(dirfd(d), e->d_name, 0);
	closedir(d);
	rmdir(path);
}

/* NAME -> ..data/NAME for the new names; links whose name the new set lacks go. */
static int link_names(const char *dir, const struct atomic_file *files, size_t n, struct cc_error *err)
{
	for (size_t i = 0; i < n; i++) {
		_cleanup_free_ char *link = cc_xasprintf("%s/%s", dir, files[i].name);
		_cleanup_free_ char *target = cc_xasprintf("..data/%s", files[i].name);
		if (symlink(target, link) < 0 && errno != EEXIST)
			return cc_error_set_errno(err, errno, "%s", link);
	}
	DIR *d = opendir(dir);
	if (!d)
		return cc_error_set_errno(err, errno, "%s", dir);
	struct dirent *e;
	while ((e = readdir(d))) {
		if (!plain_name(e->d_name))
			continue;
		bool wanted = false;
		for (size_t i = 0; i < n && !wanted; i++)
			wanted = strcmp(files[i].name, e->d_name) == 0;
		if (!wanted)
			unlinkat(dirfd(d), e->d_name, 0);
	}
	closedir(d);
	return 0;
}

int atomic_dir_write(const char *dir, const struct atomic_file *files, size_t n, struct cc_error *err)
{
	for (size_t i = 0; i < n; i++)
		if (!plain_name(files[i].name))
			return cc_error_set(err, EINVAL, "`%s` is not a plain file name", files[i].name);
	int r = cc_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	char old[NAME_MAX + 1];
	current_set(dir, old, sizeof(old));
	char set[64];
	snprintf(set, sizeof(set), "..%lld", (long long)cc_time_now_ns());
	_cleanup_free_ char *set_path = cc_xasprintf("%s/%s", dir, set);
	if (mkdir(set_path, 0755) < 0)
		return cc_error_set_errno(err, errno, "%s", set_path);
	for (size_t i = 0; i < n && r == 0; i++)
		r = write_one(set_path, &files[i], err);
	_cleanup_free_ char *tmp = cc_xasprintf("%s/..data_tmp", dir);
	_cleanup_free_ char *data = cc_xasprintf("%s/..data", dir);
	unlink(tmp);
	if (r == 0 && symlink(set, tmp) < 0)
		r = cc_error_set_errno(err, errno, "%s", tmp);
	if (r == 0 && rename(tmp, data) < 0) /* the one step readers see */
		r = cc_error_set_errno(err, errno, "%s", data);
	if (r < 0) {
		unlink(tmp);
		remove_set(dir, set);
		return r;
	}
	if (old[0] && strcmp(old, set) != 0)
		remove_set(dir, old);
	return link_names(dir, files, n, err);
}

int atomic_dir_read(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len, struct cc_error *err)
{
	if (!plain_name(name))
		return cc_error_set(err, EINVAL, "`%s` is not a plain file name", name);
	_cleanup_free_ char *path = cc_xasprintf("%s/..data/%s", dir, name);
	return cc_read_file(path, max, ret, ret_len, err);
}
