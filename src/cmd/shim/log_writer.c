/* The container's log file with rotation and dropped-byte accounting (see log_writer.h).
 *
 * A line is written with one writev on an O_APPEND descriptor, so a reader (kubelet, `kubectl logs`
 * through cocoond, a log shipper) never sees half of one unless the disk fills in the middle of it;
 * then the torn tail is cut off again (ftruncate to the size before the line), so the file stays a
 * sequence of whole CRI lines. Rotation renames, so a reader that holds FILE open keeps reading the
 * old one to its end, as with kubelet's own rotation. */
#include "cmd/shim/log_writer.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_log_file(const char *path, bool *ret_created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	if (fd >= 0) {
		if (ret_created)
			*ret_created = true;
		return fd;
	}
	if (errno != EEXIST)
		return -errno;
	fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return -errno;
	if (ret_created)
		*ret_created = false;
	return fd;
}

/* Opens FILE again (after a rotation, or after it could not be opened); the size starts from what
 * is in it. */
static int reopen(struct shim_log *log)
{
	if (log->fd >= 0)
		return 0;
	int fd = open_log_file(log->path, NULL);
	if (fd < 0)
		return fd;
	struct stat st;
	log->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	log->fd = fd;
	return 0;
}

int shim_log_open(struct shim_log *log, const char *path, uint64_t max_bytes, unsigned max_files, bool *ret_created,
		  struct cc_error *err)
{
	*log = (struct shim_log){
		.fd = -1, .max_bytes = max_bytes, .max_files = max_files ? max_files : 1, .writev = writev
	};
	bool created = false;
	int fd = open_log_file(path, &created);
	if (fd < 0)
		return cc_error_set_errno(err, -fd, "open container log `%s`", path);
	struct stat st;
	log->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
	log->fd = fd;
	log->path = cc_xstrdup(path);
	if (ret_created)
		*ret_created = created;
	return 0;
}

void shim_log_close(struct shim_log *log)
{
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	free(log->path);
	log->path = NULL;
}

static char *numbered(const char *path, unsigned n)
{
	return cc_xasprintf("%s.%u", path, n);
}

int shim_log_rotate(struct shim_log *log, struct cc_error *err)
{
	if (log->max_files > 1) {
		_cleanup_free_ char *oldest = numbered(log->path, log->max_files - 1);
		if (unlink(oldest) < 0 && errno != ENOENT)
			return cc_error_set_errno(err, errno, "remove the oldest log `%s`", oldest);
		for (unsigned n = log->max_files - 1; n > 1; n--) {
			_cleanup_free_ char *from = numbered(log->path, n - 1);
			_cleanup_free_ char *to = numbered(log->path, n);
			if (rename(from, to) < 0 && errno != ENOENT)
				return cc_error_set_errno(err, errno, "rename `%s` to `%s`", from, to);
		}
		_cleanup_free_ char *first = numbered(log->path, 1);
		if (rename(log->path, first) < 0 && errno != ENOENT)
			return cc_error_set_errno(err, errno, "rename `%s` to `%s`", log->path, first);
	} else if (unlink(log->path) < 0 && errno != ENOENT) {
		return cc_error_set_errno(err, errno, "remove `%s` (--log-max-files 1 keeps no history)", log->path);
	}
	if (log->fd >= 0)
		close(log->fd);
	log->fd = -1;
	log->size = 0;
	int r = reopen(log);
	if (r < 0)
		return cc_error_set_errno(err, -r, "open container log `%s`", log->path);
	return 0;
}

/* Rotates when the line would take a non-empty file past the limit, so every file stays within
 * max_bytes unless one line alone is longer. A failed rotation is reported once and the line goes
 * into the current file: the limit is given up before a byte is. */
static void rotate_if_needed(struct shim_log *log, size_t line_len)
{
	if (log->fd < 0 || log->size == 0 || log->size + line_len <= log->max_bytes)
		return;
	struct cc_error err = { 0 };
	if (shim_log_rotate(log, &err) < 0) {
		if (!log->rotate_failed)
			cc_warning("log rotation: %s; writing on into the current file", cc_error_message(&err));
		log->rotate_failed = true;
		return;
	}
	if (log->rotate_failed)
		cc_info("log rotation works again");
	log->rotate_failed = false;
}

/* Writes the whole iovec or nothing: a partial line is cut off again. Returns 0 or a negative errno. */
static int write_whole(struct shim_log *log, struct iovec *iov, int count, size_t total)
{
	size_t done = 0;
	while (done < total) {
		ssize_t n = log->writev(log->fd, iov, count);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : EIO;
			if (done > 0 && ftruncate(log->fd, (off_t)log->size) < 0)
				cc_warning("cut a torn line off `%s`: %s", log->path, strerror(errno));
			return -e;
		}
		done += (size_t)n;
		/* Skip what was written. */
		size_t skip = (size_t)n;
		while (count > 0 && skip >= iov->iov_len) {
			skip -= iov->iov_len;
			iov++;
			count--;
		}
		if (count > 0) {
			iov->iov_base = (char *)iov->iov_base + skip;
			iov->iov_len -= skip;
		}
	}
	log->size += total;
	return 0;
}

/* The note that tells a reader of the log that output is missing here, how much, and why. */
static size_t format_drop_note(const struct shim_log *log, char *note, size_t size)
{
	int len =
	    snprintf(note, size, "cocoon-shim: %llu bytes of the container's output were lost: cannot write `%s`: %s",
		     (unsigned long long)log->dropped, log->path, strerror(log->drop_errno));
	if (len < 0)
		return 0;
	return (size_t)len < size ? (size_t)len : size - 1;
}

static void count_dropped(struct shim_log *log, uint64_t bytes, int r)
{
	if (log->dropped == 0)
		cc_warning("cannot write the container's log `%s`: %s; counting the bytes lost until it can", log->path,
			   strerror(-r));
	log->dropped += bytes;
	log->drop_errno = -r;
}

/* After a loss, the note goes out in the same write as the next line: it says output is missing,
 * so it appears only once that line is in the file too, with the whole count. */
void shim_log_write_line(struct shim_log *log, int64_t unix_ns, enum shim_stream stream, bool partial, const char *head,
			 size_t head_len, const char *tail, size_t tail_len)
{
	char note_header[SHIM_CRI_HEADER_MAX], note[512], header[SHIM_CRI_HEADER_MAX];
	size_t note_len = log->dropped ? format_drop_note(log, note, sizeof(note)) : 0;
	size_t note_header_len = note_len ? shim_cri_header(note_header, unix_ns, SHIM_STDERR, false) : 0;
	size_t header_len = shim_cri_header(header, unix_ns, stream, partial);
	struct iovec iov[7] = {
		{ note_header, note_header_len },
		{ note, note_len },
		{ "\n", note_len ? 1 : 0 },
		{ header, header_len },
		{ (void *)head, head_len },
		{ (void *)tail, tail_len },
		{ "\n", 1 },
	};
	size_t total = 0;
	for (size_t i = 0; i < CC_ARRAY_SIZE(iov); i++)
		total += iov[i].iov_len;
	rotate_if_needed(log, total);
	int r = reopen(log);
	if (r == 0)
		r = write_whole(log, iov, (int)CC_ARRAY_SIZE(iov), total);
	if (r < 0) {
		count_dropped(log, head_len + tail_len, r);
		return;
	}
	if (log->dropped) {
		cc_info("the container's log `%s` is written again; %llu bytes were lost", log->path,
			(unsigned long long)log->dropped);
		log->dropped = 0;
	}
}
