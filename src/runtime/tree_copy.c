/* Copy of a directory tree between two directory descriptors (see tree_copy.h). Every name is
 * resolved relative to an opened directory with O_NOFOLLOW, so a symlink in the image is copied as a
 * symlink and never followed out of the tree. */
#include "runtime/tree_copy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TREE_COPY_MAX_DEPTH 128

/* Owner, mode (with the set-id bits a chown clears) and times, as the source has them. Ownership may
 * be refused in a user namespace for ids it does not map; the copy is then owned by the copier, as
 * crun leaves it. */
static void copy_attributes(int dir, const char *name, const struct stat *st)
{
	fchownat(dir, name, st->st_uid, st->st_gid, AT_SYMLINK_NOFOLLOW);
	if (!S_ISLNK(st->st_mode))
		fchmodat(dir, name, st->st_mode & 07777, 0);
	const struct timespec times[2] = { st->st_atim, st->st_mtim };
	utimensat(dir, name, times, AT_SYMLINK_NOFOLLOW);
}

static int copy_file(int src_dir, int dst_dir, const char *name, const struct stat *st)
{
	/* Non-blocking and checked again through the descriptor: an entry swapped for a FIFO meanwhile
	 * must not hold the init. */
	_cleanup_close_ int in = openat(src_dir, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (in < 0)
		return -errno;
	struct stat now;
	if (fstat(in, &now) < 0 || !S_ISREG(now.st_mode))
		return -EINVAL;
	_cleanup_close_ int out =
	    openat(dst_dir, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st->st_mode & 0777);
	if (out < 0)
		return -errno;
	off_t left = st->st_size;
	while (left > 0) {
		ssize_t n = copy_file_range(in, NULL, out, NULL, (size_t)(left > SSIZE_MAX ? SSIZE_MAX : left), 0);
		if (n < 0 && (errno == EXDEV || errno == ENOSYS || errno == EINVAL || errno == EOPNOTSUPP)) {
			char buf[65536];
			n = read(in, buf, sizeof(buf));
			if (n > 0 && cc_write_all(out, buf, (size_t)n) < 0)
				return -errno;
		}
		if (n < 0)
			return -errno;
		if (n == 0)
			break; /* the file shrank meanwhile */
		left -= n;
	}
	return 0;
}

static int copy_entries(int src_dir, int dst_dir, int depth, const char *where, struct cc_error *err);

static int copy_entry(int src_dir, int dst_dir, const char *name, int depth, const char *where, struct cc_error *err)
{
	struct stat st;
	if (fstatat(src_dir, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set_errno(err, errno, "tmpcopyup: stat `%s/%s`", where, name);
	int r = 0;
	if (S_ISDIR(st.st_mode)) {
		if (mkdirat(dst_dir, name, 0700) < 0)
			return cc_error_set_errno(err, errno, "tmpcopyup: create `%s/%s`", where, name);
		_cleanup_close_ int from = openat(src_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		_cleanup_close_ int to = openat(dst_dir, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (from < 0 || to < 0)
			return cc_error_set_errno(err, errno, "tmpcopyup: open `%s/%s`", where, name);
		_cleanup_free_ char *inner = cc_xasprintf("%s/%s", where, name);
		if ((r = copy_entries(from, to, depth + 1, inner, err)) < 0)
			return r;
	} else if (S_ISREG(st.st_mode)) {
		r = copy_file(src_dir, dst_dir, name, &st);
	} else if (S_ISLNK(st.st_mode)) {
		char target[PATH_MAX];
		ssize_t n = readlinkat(src_dir, name, target, sizeof(target) - 1);
		if (n < 0)
			r = -errno;
		else {
			target[n] = '\0';
			r = symlinkat(target, dst_dir, name) < 0 ? -errno : 0;
		}
	} else if (S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode)) {
		return 0; /* device nodes of an image are not made again: a tmpfs is no place for them */
	} else {
		r = mknodat(dst_dir, name, st.st_mode, 0) < 0 ? -errno : 0; /* FIFOs and sockets */
	}
	if (r < 0)
		return cc_error_set_errno(err, -r, "tmpcopyup: copy `%s/%s`", where, name);
	copy_attributes(dst_dir, name, &st);
	return 0;
}

static int copy_entries(int src_dir, int dst_dir, int depth, const char *where, struct cc_error *err)
{
	if (depth > TREE_COPY_MAX_DEPTH)
		return cc_error_set(err, ELOOP, "tmpcopyup: `%s` is nested deeper than %d levels", where,
				    TREE_COPY_MAX_DEPTH);
	DIR *d = cc_opendir_dup(src_dir);
	if (!d)
		return cc_error_set_errno(err, errno, "tmpcopyup: read `%s`", where);
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = copy_entry(src_dir, dst_dir, de->d_name, depth, where, err);
	closedir(d);
	return r;
}

int runtime_tree_copy(int src_dir, int dst_dir, const char *where, struct cc_error *err)
{
	struct stat st;
	if (fstat(src_dir, &st) < 0)
		return cc_error_set_errno(err, errno, "tmpcopyup: stat `%s`", where);
	int r = copy_entries(src_dir, dst_dir, 0, where, err);
	if (r == 0) {
		/* The top directory takes the source's owner and mode, as the tmpfs replaces it. */
		fchown(dst_dir, st.st_uid, st.st_gid);
		fchmod(dst_dir, st.st_mode & 07777);
	}
	return r;
}
