/* Whole-file reads with a size limit and crash-safe whole-file writes. */
#include "lib/base/file.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int cc_read_fd(int fd, const char *name, size_t max_size, char **ret_data, size_t *ret_len, struct cc_error *err)
{
	enum { CHUNK = 65536 };
	_cleanup_buf_ struct cc_buf buf = CC_BUF_INIT;
	for (;;) {
		/* At most one chunk past the limit is ever held, then the input is refused. */
		int r = cc_buf_reserve(&buf, CHUNK);
		if (r < 0)
			return cc_error_set(err, -r, "`%s`: cannot grow read buffer", name);
		ssize_t n = read(fd, buf.data + buf.len, CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return cc_error_set_errno(err, errno, "read `%s`", name);
		}
		if (n == 0)
			break;
		buf.len += (size_t)n;
		if (buf.len > max_size)
			return cc_error_set(err, EFBIG, "`%s` is larger than the limit of %zu bytes", name, max_size);
	}
	cc_buf_reserve(&buf, 0);
	buf.data[buf.len] = '\0';
	*ret_data = cc_buf_steal(&buf, ret_len);
	return 0;
}

int cc_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len, struct cc_error *err)
{
	if (strcmp(path, "-") == 0)
		return cc_read_fd(STDIN_FILENO, "standard input", max_size, ret_data, ret_len, err);
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s`", path);
	struct stat st;
	if (fstat(fd, &st) < 0)
		return cc_error_set_errno(err, errno, "stat `%s`", path);
	if (S_ISDIR(st.st_mode))
		return cc_error_set(err, EISDIR, "`%s` is a directory, expected a file", path);
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max_size)
		return cc_error_set(err, EFBIG, "`%s` is %lld bytes, larger than the limit of %zu bytes", path,
				    (long long)st.st_size, max_size);
	return cc_read_fd(fd, path, max_size, ret_data, ret_len, err);
}

int cc_write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len > 0) {
		ssize_t n = write(fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

DIR *cc_opendir_dup(int dir_fd)
{
	int fd = dup(dir_fd);
	if (fd < 0)
		return NULL;
	DIR *d = fdopendir(fd);
	if (!d) {
		int saved = errno;
		close(fd);
		errno = saved;
		return NULL;
	}
	rewinddir(d);
	return d;
}

int cc_mkdir_p(const char *path, unsigned mode, struct cc_error *err)
{
	_cleanup_free_ char *copy = cc_xstrdup(path);
	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, mode) < 0 && errno != EEXIST)
			return cc_error_set_errno(err, errno, "create directory `%s`", copy);
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		return cc_error_set_errno(err, errno, "create directory `%s`", copy);
	struct stat st;
	if (stat(copy, &st) < 0 || !S_ISDIR(st.st_mode))
		return cc_error_set(err, ENOTDIR, "`%s` exists and is not a directory", copy);
	return 0;
}

/* Both writers: the content into a temporary file beside path, renamed over it; durable adds the
 * fsyncs of the file and the directory. */
static int replace_file(const char *path, const void *data, size_t len, unsigned mode, bool durable,
			struct cc_error *err)
{
	_cleanup_free_ char *tmp = cc_xasprintf("%s.tmp.XXXXXX", path);
	_cleanup_close_ int fd = mkostemp(tmp, O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "create temporary file next to `%s`", path);
	int r = fchmod(fd, mode) < 0 ? -errno : 0;
	if (r == 0)
		r = cc_write_all(fd, data, len);
	if (r == 0 && durable && fsync(fd) < 0)
		r = -errno;
	if (r == 0 && rename(tmp, path) < 0)
		r = -errno;
	if (r < 0) {
		unlink(tmp);
		return cc_error_set_errno(err, -r, "write `%s`", path);
	}
	if (durable) {
		_cleanup_free_ char *dir_copy = cc_xstrdup(path);
		_cleanup_close_ int dirfd = open(dirname(dir_copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dirfd >= 0)
			fsync(dirfd);
	}
	return 0;
}

int cc_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, struct cc_error *err)
{
	return replace_file(path, data, len, mode, true, err);
}

int cc_replace_file(const char *path, const void *data, size_t len, unsigned mode, struct cc_error *err)
{
	return replace_file(path, data, len, mode, false, err);
}

bool cc_is_mountpoint(const char *path)
{
	struct stat st, parent;
	_cleanup_free_ char *up = cc_xasprintf("%s/..", path);
	return stat(path, &st) == 0 && stat(up, &parent) == 0 && st.st_dev != parent.st_dev;
}

bool cc_sibling_executable(const char *relative, char *out, size_t size)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return false;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return false;
	*slash = '\0';
	int len = snprintf(out, size, "%s/%s", self, relative);
	return len > 0 && (size_t)len < size && access(out, X_OK) == 0;
}
