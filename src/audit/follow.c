/* Log file follower (see follow.h). Rotation by rename is seen as a new inode at the path: the
 * old file is read to its end through the descriptor still open, then the new one from its start.
 * copytruncate is seen as the file at the same inode becoming shorter than the position. */
#include "audit/follow.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int open_path(struct audit_follower *in, struct cc_error *err)
{
	int fd = open(in->path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return errno == ENOENT ? 0 : cc_error_set_errno(err, errno, "open audit log `%s`", in->path);
	struct stat st;
	fstat(fd, &st);
	if (in->fd >= 0)
		close(in->fd);
	in->fd = fd;
	in->dev = st.st_dev;
	in->ino = st.st_ino;
	return 1;
}

int audit_follower_open(struct audit_follower *in, const char *path, const char *state_path, struct cc_error *err)
{
	*in = (struct audit_follower){ .path = cc_xstrdup(path), .state_path = cc_xstrdup(state_path), .fd = -1 };
	int r = open_path(in, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *saved = NULL;
	size_t len;
	unsigned long long dev, ino, offset;
	if (r > 0 && cc_read_file(state_path, 256, &saved, &len, NULL) == 0 &&
	    sscanf(saved, "%llu %llu %llu", &dev, &ino, &offset) == 3 && dev == (unsigned long long)in->dev &&
	    ino == (unsigned long long)in->ino) {
		struct stat st;
		fstat(in->fd, &st);
		/* Resume where we were, unless the file was truncated meanwhile. */
		in->offset = offset <= (unsigned long long)st.st_size ? offset : 0;
		audit_follower_mark(in, &in->committed);
	}
	return 0;
}

void audit_follower_close(struct audit_follower *in)
{
	if (in->fd >= 0)
		close(in->fd);
	free(in->path);
	free(in->state_path);
	cc_buf_free(&in->partial);
	free(in->chunk);
	in->chunk = NULL;
	in->fd = -1;
}

static size_t split_lines(struct audit_follower *in, const char *data, size_t len, size_t max_lines,
			  void (*line)(void *ctx, const char *data, size_t len), void *ctx, size_t *ret_used)
{
	size_t count = 0, used = 0;
	while (used < len && count < max_lines) {
		const char *nl = memchr(data + used, '\n', len - used);
		size_t n = nl ? (size_t)(nl - (data + used)) : len - used;
		if (!nl) {
			/* Keep the start of a line until its newline arrives, within the line limit. */
			if (!in->skipping && in->partial.len + n <= AUDIT_LINE_MAX)
				cc_buf_append(&in->partial, data + used, n);
			else if (!in->skipping) {
				in->skipping = true;
				in->rejected_long++;
				cc_warning("audit log %s: line longer than %u bytes at offset %" PRIu64 "; skipped",
					   in->path, AUDIT_LINE_MAX, in->offset + used);
				cc_buf_reset(&in->partial);
			}
			used = len;
			break;
		}
		if (in->skipping) {
			in->skipping = false;
		} else if (in->partial.len) {
			if (in->partial.len + n <= AUDIT_LINE_MAX) {
				cc_buf_append(&in->partial, data + used, n);
				line(ctx, in->partial.data, in->partial.len);
				count++;
			} else {
				in->rejected_long++;
			}
			cc_buf_reset(&in->partial);
		} else if (n <= AUDIT_LINE_MAX) {
			if (n > 0) {
				line(ctx, data + used, n);
				count++;
			}
		} else {
			in->rejected_long++;
			cc_warning("audit log %s: line of %zu bytes is longer than %u; skipped", in->path, n,
				   AUDIT_LINE_MAX);
		}
		used += n + 1;
	}
	*ret_used = used;
	return count;
}

int audit_follower_read(struct audit_follower *in, size_t max_lines,
			void (*line)(void *ctx, const char *data, size_t len), void *ctx, struct cc_error *err)
{
	if (in->fd < 0 && open_path(in, err) <= 0)
		return 0;
	if (!in->chunk)
		in->chunk = cc_xmalloc(AUDIT_FILE_CHUNK);
	char *chunk = in->chunk;
	size_t total = 0;
	while (total < max_lines) {
		ssize_t n = pread(in->fd, chunk, AUDIT_FILE_CHUNK, (off_t)in->offset);
		if (n < 0)
			return cc_error_set_errno(err, errno, "read audit log `%s`", in->path);
		if (n > 0) {
			size_t used;
			total += split_lines(in, chunk, (size_t)n, max_lines - total, line, ctx, &used);
			in->offset += used;
			continue;
		}
		/* At the end of what we have open: rotation or truncation? */
		struct stat at_path, mine;
		fstat(in->fd, &mine);
		if (stat(in->path, &at_path) == 0 && (at_path.st_ino != in->ino || at_path.st_dev != in->dev)) {
			cc_info("audit log %s was rotated; following the new file", in->path);
			if (open_path(in, err) < 0)
				return -err->code;
			in->offset = 0;
			cc_buf_reset(&in->partial);
			continue;
		}
		if ((uint64_t)mine.st_size < in->offset) {
			cc_info("audit log %s was truncated (copytruncate); reading from its start", in->path);
			in->offset = 0;
			cc_buf_reset(&in->partial);
			continue;
		}
		break;
	}
	return (int)total;
}

void audit_follower_mark(const struct audit_follower *in, struct audit_file_mark *ret)
{
	*ret = (struct audit_file_mark){ .dev = in->dev, .ino = in->ino, .offset = in->offset - in->partial.len };
}

int audit_follower_commit(struct audit_follower *in, const struct audit_file_mark *mark, struct cc_error *err)
{
	if (mark->dev == in->committed.dev && mark->ino == in->committed.ino && mark->offset == in->committed.offset)
		return 0;
	char text[96];
	snprintf(text, sizeof(text), "%llu %llu %" PRIu64 "\n", (unsigned long long)mark->dev,
		 (unsigned long long)mark->ino, mark->offset);
	int r = cc_write_file_atomic(in->state_path, text, strlen(text), 0600, err);
	if (r == 0)
		in->committed = *mark;
	return r;
}
