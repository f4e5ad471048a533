/* Confined path resolution: openat2(RESOLVE_IN_ROOT) with a user-space fallback.
 *
 * The fallback walks one component at a time with O_PATH|O_NOFOLLOW, keeping a stack of directory
 * fds from the root down. ".." pops the stack but never past the root; a symlink's target is read
 * with readlinkat and spliced in front of the remaining path, restarting from the root when the
 * target is absolute. Symlink expansions are capped at 40, like the kernel's ELOOP limit. */
#include "lib/base/safepath.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_SYMLINK_EXPANSIONS 40
#define MAX_DEPTH              256

static int openat2_syscall(int dirfd, const char *path, struct open_how *how)
{
	return (int)syscall(SYS_openat2, dirfd, path, how, sizeof(*how));
}

bool cc_path_have_openat2(void)
{
	static int cached = -1;
	if (cached < 0) {
		struct open_how how = { .flags = O_PATH | O_CLOEXEC, .resolve = RESOLVE_IN_ROOT };
		int fd = openat2_syscall(AT_FDCWD, "/", &how);
		cached = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	return cached;
}

struct walk {
	int fds[MAX_DEPTH]; /* fds[0] is the root (not owned), the rest are owned O_PATH fds */
	int depth;
};

static void walk_release(struct walk *w)
{
	for (int i = 1; i <= w->depth; i++)
		close(w->fds[i]);
	w->depth = 0;
}

static int walk_top(const struct walk *w)
{
	return w->fds[w->depth];
}

/* Splits off the next component of *rest into comp; returns false when nothing is left. */
static bool next_component(char **rest, char comp[NAME_MAX + 1], int *ret_error)
{
	char *p = *rest;
	while (*p == '/')
		p++;
	if (*p == '\0') {
		*rest = p;
		return false;
	}
	size_t n = strcspn(p, "/");
	if (n > NAME_MAX) {
		*ret_error = -ENAMETOOLONG;
		return false;
	}
	memcpy(comp, p, n);
	comp[n] = '\0';
	*rest = p + n;
	return true;
}

static bool only_slashes(const char *s)
{
	return s[strspn(s, "/")] == '\0';
}

int cc_path_open_in_root_walk(int root_fd, const char *path, int flags, mode_t mode, struct cc_error *err)
{
	struct walk w = { .fds = { root_fd }, .depth = 0 };
	char *pending = cc_xstrdup(path);
	char *rest = pending;
	int expansions = 0;
	int r;
	char comp[NAME_MAX + 1];

	for (;;) {
		int split_error = 0;
		if (!next_component(&rest, comp, &split_error)) {
			if (split_error < 0) {
				r = cc_error_set(err, -split_error, "path `%s` has a component longer than %d bytes",
						 path, NAME_MAX);
				goto out;
			}
			/* Path ended on a directory (or was "/"): open it with the caller's flags. */
			r = openat(walk_top(&w), ".", flags | O_CLOEXEC, mode);
			if (r < 0)
				r = cc_error_set_errno(err, errno, "open `%s` inside root", path);
			goto out;
		}
		if (strcmp(comp, ".") == 0)
			continue;
		if (strcmp(comp, "..") == 0) {
			if (w.depth > 0)
				close(w.fds[w.depth--]);
			continue;
		}
		bool last = only_slashes(rest);
		if (last) {
			/* Final component: open with the caller's flags but never follow a symlink
			 * ourselves; a symlink here is expanded by the loop below instead. */
			int fd = openat(walk_top(&w), comp, flags | O_CLOEXEC | O_NOFOLLOW, mode);
			if (fd >= 0) {
				r = fd;
				goto out;
			}
			if (errno != ELOOP && !(errno == ENOTDIR && (flags & O_DIRECTORY)) && errno != EMLINK) {
				r = cc_error_set_errno(err, errno, "open `%s` inside root", path);
				goto out;
			}
		}
		int fd = openat(walk_top(&w), comp, O_PATH | O_NOFOLLOW | O_CLOEXEC);
		if (fd < 0) {
			r = cc_error_set_errno(err, errno, "resolve `%s` inside root: component `%s`", path, comp);
			goto out;
		}
		struct stat st;
		if (fstat(fd, &st) < 0) {
			r = cc_error_set_errno(err, errno, "stat component `%s` of `%s`", comp, path);
			close(fd);
			goto out;
		}
		if (S_ISLNK(st.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(fd, "", target, sizeof(target) - 1);
			close(fd);
			if (n < 0) {
				r = cc_error_set_errno(err, errno, "read symlink `%s` in `%s`", comp, path);
				goto out;
			}
			target[n] = '\0';
			if (++expansions > MAX_SYMLINK_EXPANSIONS) {
				r = cc_error_set(err, ELOOP, "too many symlinks resolving `%s` inside root", path);
				goto out;
			}
			if (target[0] == '/')
				walk_release(&w);
			char *joined = cc_xasprintf("%s/%s", target, rest);
			free(pending);
			pending = rest = joined;
			continue;
		}
		if (last && !S_ISDIR(st.st_mode)) {
			/* Not a symlink and not a directory: the open above failed for another reason. */
			close(fd);
			r = cc_error_set(err, ENOTDIR, "`%s` inside root is not a directory", path);
			goto out;
		}
		if (!S_ISDIR(st.st_mode)) {
			close(fd);
			r = cc_error_set(err, ENOTDIR, "component `%s` of `%s` is not a directory", comp, path);
			goto out;
		}
		if (w.depth + 1 >= MAX_DEPTH) {
			close(fd);
			r = cc_error_set(err, ENAMETOOLONG, "path `%s` is nested too deeply", path);
			goto out;
		}
		w.fds[++w.depth] = fd;
	}
out:
	walk_release(&w);
	free(pending);
	return r;
}

int cc_path_open_in_root(int root_fd, const char *path, int flags, mode_t mode, struct cc_error *err)
{
	if (!cc_path_have_openat2())
		return cc_path_open_in_root_walk(root_fd, path, flags, mode, err);
	struct open_how how = {
		.flags = (unsigned long long)(flags | O_CLOEXEC),
		.mode = (flags & (O_CREAT | O_TMPFILE)) ? mode : 0,
		.resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS,
	};
	for (int attempt = 0; attempt < 16; attempt++) {
		int fd = openat2_syscall(root_fd, path, &how);
		if (fd >= 0)
			return fd;
		/* EAGAIN: a concurrent rename raced the lookup; the kernel asks us to retry. */
		if (errno != EAGAIN && errno != EINTR)
			return cc_error_set_errno(err, errno, "open `%s` inside root", path);
	}
	return cc_error_set(err, EAGAIN, "open `%s` inside root: kept racing with renames", path);
}

int cc_path_mkdir_in_root(int root_fd, const char *path, mode_t mode, struct cc_error *err)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	_cleanup_close_ int dir = cc_path_open_in_root(root_fd, "/", O_PATH | O_DIRECTORY, 0, err);
	if (dir < 0)
		return dir;
	char *rest = copy;
	char comp[NAME_MAX + 1];
	int split_error = 0;
	_cleanup_free_ char *done = cc_xstrdup("");
	while (next_component(&rest, comp, &split_error)) {
		char *next_done = cc_xasprintf("%s/%s", done, comp);
		free(done);
		done = next_done;
		if (mkdirat(dir, comp, mode) < 0 && errno != EEXIST)
			return cc_error_set_errno(err, errno, "create directory `%s` inside root", done);
		/* Re-resolve from the root each step so a symlink planted in between stays confined. */
		int next = cc_path_open_in_root(root_fd, done, O_PATH | O_DIRECTORY, 0, err);
		if (next < 0)
			return next;
		close(dir);
		dir = next;
	}
	if (split_error < 0)
		return cc_error_set(err, -split_error, "path `%s` has a component that is too long", path);
	return CC_TAKE_FD(dir);
}
