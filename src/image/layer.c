/* Layer unpacking: a tar stream (plain, gzip, zstd, xz, bzip2) into one directory per layer.
 *
 * A layer comes from outside and is the classic way into a host (symlink and ".." escapes, hard
 * links to /etc/shadow, device nodes, a 100 GB sparse file). The rules, in the order they apply:
 *   - an entry's path is split into components; an absolute path or a ".." component refuses the
 *     layer (real image builders never write them, so there is nothing to be lenient about);
 *   - the parent directory is resolved with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS |
 *     RESOLVE_NO_SYMLINKS) below the layer directory, and missing parents are created one component
 *     at a time with O_NOFOLLOW: no symlink is ever followed while extracting, so a symlink the layer
 *     planted (`lib -> /etc`) cannot redirect a later entry (`lib/passwd`);
 *   - the last component is created with *at() calls that do not follow it (O_EXCL|O_NOFOLLOW,
 *     symlinkat, linkat without AT_SYMLINK_FOLLOW, mknodat);
 *   - a hard link's target is resolved by the same rules and must be a regular file already in the
 *     layer; device nodes are skipped (and counted) unless allowed and running as root;
 *   - modes are masked to 07777, and a setuid/setgid file loses group/other write;
 *   - limits per entry, per layer and on the entry count give an error naming the entry.
 * Whiteouts follow the OCI image spec (image-spec layer.md, "Whiteouts"): `.wh.NAME` hides NAME of
 * the layers below and `.wh..wh..opq` hides all of the directory's lower contents; overlayfs shows
 * the same when `.wh.NAME` becomes a 0/0 character device (or an empty file carrying
 * trusted.overlay.whiteout, overlayfs 6.7+, whose parent then carries trusted.overlay.opaque=x) and
 * `.wh..wh..opq` becomes trusted.overlay.opaque=y on the directory. A whiteout applies to lower
 * layers only, so one for a name this layer itself created is ignored. */
#include "image/layer.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/safepath.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#define WHITEOUT_PREFIX     ".wh."
#define WHITEOUT_OPAQUE     ".wh..wh..opq"
#define XATTR_OPAQUE        "trusted.overlay.opaque"
#define XATTR_WHITEOUT      "trusted.overlay.whiteout"
#define MAX_PATH_COMPONENTS 256

void image_limits_default(struct image_limits *ret)
{
	*ret = (struct image_limits){
		.max_entry_size = IMAGE_DEFAULT_MAX_ENTRY_SIZE,
		.max_layer_size = IMAGE_DEFAULT_MAX_LAYER_SIZE,
		.max_entries = IMAGE_DEFAULT_MAX_ENTRIES,
		.max_blob_size = IMAGE_DEFAULT_MAX_BLOB_SIZE,
	};
}

void image_unpack_options_default(struct image_unpack_options *ret)
{
	*ret = (struct image_unpack_options){ .whiteouts = IMAGE_WHITEOUT_AUTO, .keep_owner = true };
	image_limits_default(&ret->limits);
}

struct unpack {
	int dir_fd;
	const struct image_unpack_options *opts;
	struct image_unpack_stats stats;
	bool root;
	struct cc_error *err;
};

/* An entry's path split into components; the buffer holds them NUL-separated. */
struct entry_path {
	char buf[PATH_MAX];
	const char *comps[MAX_PATH_COMPONENTS];
	size_t n;
};

static int split_path(const char *path, struct entry_path *ret, struct cc_error *err)
{
	if (!path || !*path)
		return cc_error_set(err, EINVAL, "an entry has no name");
	if (strlen(path) >= sizeof(ret->buf))
		return cc_error_set(err, ENAMETOOLONG, "entry `%.64s...` has a path longer than %d bytes", path,
				    PATH_MAX);
	if (path[0] == '/')
		return cc_error_set(err, EPERM, "entry `%s` has an absolute path; layers hold relative paths only",
				    path);
	strcpy(ret->buf, path);
	ret->n = 0;
	for (char *save = NULL, *c = strtok_r(ret->buf, "/", &save); c; c = strtok_r(NULL, "/", &save)) {
		if (strcmp(c, ".") == 0)
			continue;
		if (strcmp(c, "..") == 0)
			return cc_error_set(err, EPERM, "entry `%s` has a `..` component that could leave the layer",
					    path);
		if (strlen(c) > NAME_MAX)
			return cc_error_set(err, ENAMETOOLONG, "entry `%s` has a component longer than %d bytes", path,
					    NAME_MAX);
		if (ret->n == MAX_PATH_COMPONENTS)
			return cc_error_set(err, ENAMETOOLONG, "entry `%s` is nested deeper than %d directories", path,
					    MAX_PATH_COMPONENTS);
		ret->comps[ret->n++] = c;
	}
	return 0;
}

static bool have_openat2(void)
{
	return cc_path_have_openat2();
}

/* Opens (as O_PATH) the directory made of the first n components below dir_fd, never following a
 * symlink; with create, missing directories are made (mode 0755). */
static int open_parent(int dir_fd, const struct entry_path *p, size_t n, bool create, const char *path,
		       struct cc_error *err)
{
	if (n == 0)
		return fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	if (have_openat2()) {
		char joined[PATH_MAX] = "";
		size_t len = 0;
		for (size_t i = 0; i < n; i++)
			len += (size_t)snprintf(joined + len, sizeof(joined) - len, "%s%s", i ? "/" : "", p->comps[i]);
		struct open_how how = {
			.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
			.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS | RESOLVE_NO_SYMLINKS,
		};
		int fd = (int)syscall(SYS_openat2, dir_fd, joined, &how, sizeof(how));
		if (fd >= 0)
			return fd;
		if (errno == ELOOP)
			return cc_error_set(err, ELOOP, "entry `%s` lies below a symlink; it is not followed", path);
		if (errno == ENOTDIR)
			return cc_error_set(err, ENOTDIR, "entry `%s` lies below something that is not a directory",
					    path);
		if (errno != ENOENT || !create)
			return cc_error_set_errno(err, errno, "resolve the directory of entry `%s`", path);
	}
	_cleanup_close_ int fd = fcntl(dir_fd, F_DUPFD_CLOEXEC, 3);
	for (size_t i = 0; i < n; i++) {
		if (create && mkdirat(fd, p->comps[i], 0755) < 0 && errno != EEXIST)
			return cc_error_set_errno(err, errno, "create directory `%s` for entry `%s`", p->comps[i],
						  path);
		int next = openat(fd, p->comps[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (next < 0) {
			struct stat st;
			if (fstatat(fd, p->comps[i], &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode))
				return cc_error_set(err, ELOOP, "entry `%s` lies below a symlink; it is not followed",
						    path);
			return cc_error_set_errno(err, errno, "open directory `%s` of entry `%s`", p->comps[i], path);
		}
		close(fd);
		fd = next;
	}
	return CC_TAKE_FD(fd);
}

/* Makes room for a new entry called name: a directory that exists stays when a directory comes
 * (returns 1); anything else is removed, as a later tar entry replaces an earlier one. */
static int make_room(int parent, const char *name, bool is_dir, struct cc_error *err)
{
	struct stat st;
	if (fstatat(parent, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "stat `%s`", name);
	if (S_ISDIR(st.st_mode))
		return is_dir ? 1 : image_remove_tree_at(parent, name, err);
	if (unlinkat(parent, name, 0) < 0)
		return cc_error_set_errno(err, errno, "replace `%s`", name);
	return 0;
}

static mode_t sane_mode(mode_t mode)
{
	mode_t m = mode & 07777;
	if (m & (S_ISUID | S_ISGID))
		m &= (mode_t) ~(S_IWGRP | S_IWOTH);
	return m;
}

static int set_owner_and_mode(struct unpack *u, int fd, struct archive_entry *e, const char *path)
{
	if (u->root && u->opts->keep_owner && fchown(fd, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e)) < 0)
		return cc_error_set_errno(u->err, errno, "chown entry `%s`", path);
	/* After chown, which clears the setuid and setgid bits. */
	if (fchmod(fd, sane_mode(archive_entry_perm(e) | (archive_entry_mode(e) & 07000))) < 0)
		return cc_error_set_errno(u->err, errno, "chmod entry `%s`", path);
	return 0;
}

static int write_file(struct unpack *u, struct archive *a, struct archive_entry *e, int parent, const char *name,
		      const char *path)
{
	const struct image_limits *lim = &u->opts->limits;
	int64_t declared = archive_entry_size_is_set(e) ? archive_entry_size(e) : 0;
	if (declared < 0 || (uint64_t)declared > lim->max_entry_size)
		return cc_error_set(u->err, EFBIG, "entry `%s` has %lld bytes, over the limit of %llu per entry", path,
				    (long long)declared, (unsigned long long)lim->max_entry_size);
	if (u->stats.bytes + (uint64_t)declared > lim->max_layer_size)
		return cc_error_set(u->err, EFBIG, "layer is over the limit of %llu bytes unpacked (at entry `%s`)",
				    (unsigned long long)lim->max_layer_size, path);
	_cleanup_close_ int fd = openat(parent, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set_errno(u->err, errno, "create entry `%s`", path);
	for (;;) {
		const void *block;
		size_t size;
		la_int64_t offset;
		int r = archive_read_data_block(a, &block, &size, &offset);
		if (r == ARCHIVE_EOF)
			break;
		if (r < ARCHIVE_WARN)
			return cc_error_set(u->err, EIO, "read entry `%s`: %s", path, archive_error_string(a));
		if (offset < 0 || (uint64_t)offset + size > (uint64_t)declared)
			return cc_error_set(u->err, EFBIG, "entry `%s` holds more data than its declared %lld bytes",
					    path, (long long)declared);
		for (size_t done = 0; done < size;) {
			ssize_t n = pwrite(fd, (const char *)block + done, size - done, offset + (off_t)done);
			if (n < 0 && errno == EINTR)
				continue;
			if (n < 0)
				return cc_error_set_errno(u->err, errno, "write entry `%s`", path);
			done += (size_t)n;
		}
	}
	if (ftruncate(fd, declared) < 0) /* a sparse file's trailing hole */
		return cc_error_set_errno(u->err, errno, "size entry `%s`", path);
	u->stats.bytes += (uint64_t)declared;
	int r = set_owner_and_mode(u, fd, e, path);
	if (r < 0)
		return r;
	struct timespec times[2] = { { .tv_sec = archive_entry_mtime(e) }, { .tv_sec = archive_entry_mtime(e) } };
	futimens(fd, times);
	return 0;
}

static int make_directory(struct unpack *u, struct archive_entry *e, int parent, const char *name, const char *path)
{
	int r = make_room(parent, name, true, u->err);
	if (r < 0)
		return r;
	if (r == 0 && mkdirat(parent, name, 0700) < 0)
		return cc_error_set_errno(u->err, errno, "create directory `%s`", path);
	_cleanup_close_ int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(u->err, errno, "open directory `%s`", path);
	return set_owner_and_mode(u, fd, e, path);
}

static int make_symlink(struct unpack *u, struct archive_entry *e, int parent, const char *name, const char *path)
{
	const char *target = archive_entry_symlink(e);
	if (!target || !*target)
		return cc_error_set(u->err, EINVAL, "symlink entry `%s` has no target", path);
	int r = make_room(parent, name, false, u->err);
	if (r < 0)
		return r;
	/* The target is stored as it is: it is only ever resolved later inside the container's root. */
	if (symlinkat(target, parent, name) < 0)
		return cc_error_set_errno(u->err, errno, "create symlink `%s`", path);
	if (u->root && u->opts->keep_owner)
		fchownat(parent, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW);
	return 0;
}

static int make_hardlink(struct unpack *u, struct archive_entry *e, int parent, const char *name, const char *path)
{
	const char *target = archive_entry_hardlink(e);
	struct entry_path tp;
	struct cc_error sub = { 0 };
	if (split_path(target, &tp, &sub) < 0 || tp.n == 0)
		return cc_error_set(u->err, EPERM, "hard link `%s` points outside the layer (`%s`): %s", path, target,
				    sub.code ? cc_error_message(&sub) : "the layer's root");
	_cleanup_close_ int tparent = open_parent(u->dir_fd, &tp, tp.n - 1, false, target, &sub);
	if (tparent < 0)
		return cc_error_set(u->err, EPERM, "hard link `%s` to `%s`: the target is not in the layer: %s", path,
				    target, cc_error_message(&sub));
	const char *tname = tp.comps[tp.n - 1];
	struct stat st;
	if (fstatat(tparent, tname, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return cc_error_set(u->err, EPERM, "hard link `%s` to `%s`: the target is not in the layer", path,
				    target);
	if (!S_ISREG(st.st_mode))
		return cc_error_set(u->err, EPERM, "hard link `%s` to `%s`: the target is not a regular file", path,
				    target);
	struct stat cur;
	if (fstatat(parent, name, &cur, AT_SYMLINK_NOFOLLOW) == 0 && cur.st_dev == st.st_dev && cur.st_ino == st.st_ino)
		return 0; /* a link to itself */
	int r = make_room(parent, name, false, u->err);
	if (r < 0)
		return r;
	if (linkat(tparent, tname, parent, name, 0) < 0)
		return cc_error_set_errno(u->err, errno, "create hard link `%s` to `%s`", path, target);
	return 0;
}

static int make_special(struct unpack *u, struct archive_entry *e, int parent, const char *name, const char *path)
{
	mode_t type = archive_entry_filetype(e);
	if (type == AE_IFSOCK)
		return 0; /* a socket in a tar is meaningless: nothing to create */
	if ((type == AE_IFCHR || type == AE_IFBLK) && !(u->opts->allow_devices && u->root)) {
		u->stats.devices_skipped++;
		return 0;
	}
	int r = make_room(parent, name, false, u->err);
	if (r < 0)
		return r;
	dev_t dev = type == AE_IFIFO ? 0 : makedev(archive_entry_rdevmajor(e), archive_entry_rdevminor(e));
	if (mknodat(parent, name, type | 0600, dev) < 0)
		return cc_error_set_errno(u->err, errno, "create special file `%s`", path);
	if (u->root && u->opts->keep_owner)
		fchownat(parent, name, (uid_t)archive_entry_uid(e), (gid_t)archive_entry_gid(e), AT_SYMLINK_NOFOLLOW);
	/* mknodat made a node, not a symlink, so fchmodat does not follow anything here. */
	if (fchmodat(parent, name, sane_mode(archive_entry_mode(e)), 0) < 0)
		return cc_error_set_errno(u->err, errno, "chmod special file `%s`", path);
	return 0;
}

static int set_dir_xattr(int parent, const char *key, const char *value, bool keep_y, const char *path,
			 struct cc_error *err)
{
	_cleanup_close_ int fd = openat(parent, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open the directory of `%s`", path);
	char old[4] = "";
	if (keep_y && fgetxattr(fd, key, old, sizeof(old)) == 1 && old[0] == 'y')
		return 0;
	if (fsetxattr(fd, key, value, strlen(value), 0) < 0)
		return cc_error_set_errno(err, errno,
					  "set %s on the directory of `%s` (overlayfs needs it; trusted.* xattrs need "
					  "CAP_SYS_ADMIN)",
					  key, path);
	return 0;
}

static int make_whiteout(struct unpack *u, int parent, const char *victim, const char *path)
{
	if (!*victim || strcmp(victim, ".") == 0 || strcmp(victim, "..") == 0)
		return cc_error_set(u->err, EPERM, "whiteout `%s` names no sibling; the OCI spec forbids it", path);
	struct stat st;
	if (fstatat(parent, victim, &st, AT_SYMLINK_NOFOLLOW) == 0)
		return 0; /* this layer made it: whiteouts hide lower layers only */
	enum image_whiteout_form form = u->opts->whiteouts;
	if (form != IMAGE_WHITEOUT_XATTR) {
		if (mknodat(parent, victim, S_IFCHR | 0, makedev(0, 0)) == 0) {
			u->stats.whiteouts++;
			return 0;
		}
		if (form == IMAGE_WHITEOUT_CHARDEV || (errno != EPERM && errno != EACCES))
			return cc_error_set_errno(u->err, errno, "create whiteout for `%s`", path);
	}
	_cleanup_close_ int fd = openat(parent, victim, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0000);
	if (fd < 0)
		return cc_error_set_errno(u->err, errno, "create whiteout for `%s`", path);
	if (fsetxattr(fd, XATTR_WHITEOUT, "y", 1, 0) < 0)
		return cc_error_set_errno(u->err, errno, "set %s on whiteout `%s`", XATTR_WHITEOUT, path);
	int r = set_dir_xattr(parent, XATTR_OPAQUE, "x", true, path, u->err);
	if (r == 0)
		u->stats.whiteouts++;
	return r;
}

static int unpack_entry(struct unpack *u, struct archive *a, struct archive_entry *e)
{
	const char *path = archive_entry_pathname(e);
	struct entry_path p;
	int r = split_path(path, &p, u->err);
	if (r < 0)
		return r;
	if (++u->stats.entries > u->opts->limits.max_entries)
		return cc_error_set(u->err, EFBIG, "layer has more than %llu entries",
				    (unsigned long long)u->opts->limits.max_entries);
	mode_t type = archive_entry_filetype(e);
	if (p.n == 0) { /* "./": the layer's root itself keeps the store's mode */
		if (type != AE_IFDIR)
			return cc_error_set(u->err, EINVAL, "entry `%s` names the layer's root but is no directory",
					    path);
		return 0;
	}
	const char *name = p.comps[p.n - 1];
	_cleanup_close_ int parent = open_parent(u->dir_fd, &p, p.n - 1, true, path, u->err);
	if (parent < 0)
		return parent;
	bool hardlink = archive_entry_hardlink(e) != NULL;
	if (!hardlink && type == AE_IFREG && strncmp(name, WHITEOUT_PREFIX, strlen(WHITEOUT_PREFIX)) == 0) {
		if (strcmp(name, WHITEOUT_OPAQUE) == 0) {
			r = set_dir_xattr(parent, XATTR_OPAQUE, "y", false, path, u->err);
			if (r == 0)
				u->stats.opaques++;
			return r;
		}
		return make_whiteout(u, parent, name + strlen(WHITEOUT_PREFIX), path);
	}
	if (hardlink)
		return make_hardlink(u, e, parent, name, path);
	switch (type) {
	case AE_IFREG:
		r = make_room(parent, name, false, u->err);
		return r < 0 ? r : write_file(u, a, e, parent, name, path);
	case AE_IFDIR: return make_directory(u, e, parent, name, path);
	case AE_IFLNK: return make_symlink(u, e, parent, name, path);
	case AE_IFCHR:
	case AE_IFBLK:
	case AE_IFIFO:
	case AE_IFSOCK: return make_special(u, e, parent, name, path);
	default: return cc_error_set(u->err, EINVAL, "entry `%s` has an unknown type 0%o", path, (unsigned)type);
	}
}

/* Only built-in decompressors: archive_read_support_filter_all would also run external programs
 * (lrzip, lzop, grzip) on demand. */
static struct archive *new_reader(bool raw)
{
	struct archive *a = archive_read_new();
	if (!a)
		abort();
	archive_read_support_filter_gzip(a);
	archive_read_support_filter_zstd(a);
	archive_read_support_filter_xz(a);
	archive_read_support_filter_bzip2(a);
	if (raw)
		archive_read_support_format_raw(a);
	else
		archive_read_support_format_tar(a);
	return a;
}

static int unpack_archive(struct archive *a, int dir_fd, const struct image_unpack_options *opts,
			  struct image_unpack_stats *ret_stats, struct cc_error *err)
{
	struct image_unpack_options defaults;
	if (!opts) {
		image_unpack_options_default(&defaults);
		opts = &defaults;
	}
	struct unpack u = { .dir_fd = dir_fd, .opts = opts, .root = geteuid() == 0, .err = err };
	int r = 0;
	for (;;) {
		struct archive_entry *e;
		int ar = archive_read_next_header(a, &e);
		if (ar == ARCHIVE_EOF)
			break;
		if (ar < ARCHIVE_WARN) {
			r = cc_error_set(err, EINVAL, "read layer tar (after %llu entries): %s",
					 (unsigned long long)u.stats.entries, archive_error_string(a));
			break;
		}
		if ((r = unpack_entry(&u, a, e)) < 0)
			break;
	}
	archive_read_free(a);
	if (r == 0 && ret_stats)
		*ret_stats = u.stats;
	return r;
}

int image_layer_unpack_fd(int layer_fd, int dir_fd, const struct image_unpack_options *opts,
			  struct image_unpack_stats *ret_stats, struct cc_error *err)
{
	if (lseek(layer_fd, 0, SEEK_SET) < 0)
		return cc_error_set_errno(err, errno, "rewind layer");
	struct archive *a = new_reader(false);
	if (archive_read_open_fd(a, layer_fd, 64 * 1024) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "open layer tar: %s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	return unpack_archive(a, dir_fd, opts, ret_stats, err);
}

int image_layer_unpack_memory(const void *data, size_t len, int dir_fd, const struct image_unpack_options *opts,
			      struct image_unpack_stats *ret_stats, struct cc_error *err)
{
	struct archive *a = new_reader(false);
	if (archive_read_open_memory(a, data, len) != ARCHIVE_OK) {
		int r = cc_error_set(err, EINVAL, "open layer tar: %s", archive_error_string(a));
		archive_read_free(a);
		return r;
	}
	return unpack_archive(a, dir_fd, opts, ret_stats, err);
}

int image_layer_diff_id(int layer_fd, uint64_t max_size, char **ret, struct cc_error *err)
{
	if (lseek(layer_fd, 0, SEEK_SET) < 0)
		return cc_error_set_errno(err, errno, "rewind layer");
	struct archive *a = new_reader(true);
	struct cc_digest_ctx *ctx = NULL;
	int r = 0;
	struct archive_entry *e;
	if (archive_read_open_fd(a, layer_fd, 64 * 1024) != ARCHIVE_OK ||
	    archive_read_next_header(a, &e) < ARCHIVE_WARN) {
		r = cc_error_set(err, EINVAL, "read layer: %s", archive_error_string(a));
		goto out;
	}
	if ((r = cc_digest_begin(CC_DIGEST_SHA256, &ctx, err)) < 0)
		goto out;
	uint64_t total = 0;
	char buf[64 * 1024];
	for (;;) {
		la_ssize_t n = archive_read_data(a, buf, sizeof(buf));
		if (n == 0)
			break;
		if (n < 0) {
			r = cc_error_set(err, EIO, "decompress layer: %s", archive_error_string(a));
			goto out;
		}
		total += (uint64_t)n;
		if (total > max_size) {
			r = cc_error_set(err, EFBIG, "layer is over the limit of %llu bytes uncompressed",
					 (unsigned long long)max_size);
			goto out;
		}
		cc_digest_update(ctx, buf, (size_t)n);
	}
	uint8_t md[32];
	r = cc_digest_end(ctx, md, err);
	ctx = NULL;
	if (r == 0) {
		char hex[2 * sizeof(md) + 1];
		cc_hex_encode(md, sizeof(md), hex);
		*ret = cc_xasprintf("sha256:%s", hex);
	}
out:
	if (ctx)
		cc_digest_abort(ctx);
	archive_read_free(a);
	return r;
}

int image_remove_tree_at(int dir_fd, const char *name, struct cc_error *err)
{
	struct stat st;
	if (fstatat(dir_fd, name, &st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "stat `%s`", name);
	if (!S_ISDIR(st.st_mode)) {
		if (unlinkat(dir_fd, name, 0) < 0 && errno != ENOENT)
			return cc_error_set_errno(err, errno, "remove `%s`", name);
		return 0;
	}
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open directory `%s`", name);
	DIR *d = fdopendir(fd);
	if (!d) {
		close(fd);
		return cc_error_set_errno(err, errno, "read directory `%s`", name);
	}
	int r = 0;
	struct dirent *de;
	while (r == 0 && (de = readdir(d)))
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0)
			r = image_remove_tree_at(dirfd(d), de->d_name, err);
	closedir(d);
	if (r == 0 && unlinkat(dir_fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		r = cc_error_set_errno(err, errno, "remove directory `%s`", name);
	return r;
}
