/* A root filesystem directory as the one layer of an image: walked with openat from directory fds,
 * never through a symlink, so a hostile tree cannot point the scan outside itself. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "scan/image_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_DEPTH 256

ssize_t scan_image_read_fd(void *src, void *buf, size_t len)
{
	for (;;) {
		ssize_t n = read(*(int *)src, buf, len);
		if (n >= 0 || errno != EINTR)
			return n < 0 ? -errno : n;
	}
}

/* An autofs trigger: statx looks without mounting (AT_NO_AUTOMOUNT), openat would mount. */
static bool automount_point(int dir, const char *name)
{
	struct statx stx;
	if (statx(dir, name, AT_SYMLINK_NOFOLLOW | AT_NO_AUTOMOUNT, STATX_TYPE, &stx) < 0)
		return true; /* cannot tell: not entered */
	return (stx.stx_attributes_mask & STATX_ATTR_AUTOMOUNT) && (stx.stx_attributes & STATX_ATTR_AUTOMOUNT);
}

static int walk(struct scan_reading *rd, int dir, const char *prefix, int depth, uint64_t *entries,
		struct cc_error *err)
{
	if (depth > MAX_DEPTH)
		return cc_error_set(err, ELOOP, "`%s` is nested deeper than %d directories", prefix, MAX_DEPTH);
	DIR *d = cc_opendir_dup(dir);
	if (!d)
		return cc_error_set_errno(err, errno, "read directory `/%s`", prefix);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d))) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (++*entries > rd->opts->limits.max_entries) {
			r = cc_error_set(err, EFBIG, "the directory has more than %llu entries",
					 (unsigned long long)rd->opts->limits.max_entries);
			break;
		}
		_cleanup_free_ char *path =
		    *prefix ? cc_xasprintf("%s/%s", prefix, de->d_name) : cc_xstrdup(de->d_name);
		struct stat st;
		if (fstatat(dir, de->d_name, &st, AT_SYMLINK_NOFOLLOW) < 0)
			continue; /* gone since readdir */
		if (S_ISDIR(st.st_mode)) {
			if (rd->opts->host && automount_point(dir, de->d_name))
				continue; /* opening it would mount it (an NFS server that is down hangs the walk) */
			int sub = openat(dir, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
				continue; /* unreadable: nothing of it can be scanned, nor hidden */
			if (rd->opts->enter_dir && !rd->opts->enter_dir(rd->opts->enter_dir_ctx, path, sub)) {
				close(sub);
				continue;
			}
			r = walk(rd, sub, path, depth + 1, entries, err);
			close(sub);
			continue;
		}
		if (!S_ISREG(st.st_mode))
			continue;
		_cleanup_close_ int fd =
		    openat(dir, de->d_name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
		if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
			continue;
		uint64_t size = (uint64_t)st.st_size;
		if (rd->opts->keep && rd->opts->keep(path)) {
			r = scan_image_keep(rd, path, size, 0, scan_image_read_fd, &fd, err);
			rd->img->files++;
			rd->img->bytes += size;
			continue;
		}
		r = scan_image_visit(rd, path, size, st.st_mode, NULL, scan_image_read_fd, &fd, err);
	}
	closedir(d);
	return r;
}

int scan_image_walk_directory(struct scan_reading *rd, int dir_fd, struct cc_error *err)
{
	uint64_t entries = 0;
	return walk(rd, dir_fd, "", 0, &entries, err);
}
