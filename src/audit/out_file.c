/* file:PATH output: one message per line, appended, fdatasync'ed per batch; the file is the
 * forwarder's alone (a failed batch is cut back to where it began). */
#include "audit/output.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct file_state {
	int fd;
};

static int file_send(struct audit_output *o, const struct audit_message *batch, size_t count, struct cc_error *err)
{
	struct file_state *s = o->state;
	if (!s) {
		s = o->state = cc_xcalloc(1, sizeof(*s));
		s->fd = open(o->target, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600);
		if (s->fd < 0) {
			int r = cc_error_set_errno(err, errno, "open output file `%s`", o->target);
			free(s);
			o->state = NULL;
			return r;
		}
	}
	/* One write for the batch; if the file system refuses part of it, the file is cut back to
	 * where the batch began, so a retry never leaves half a line behind. */
	_cleanup_buf_ struct cc_buf lines = CC_BUF_INIT;
	size_t total = 0;
	for (size_t i = 0; i < count; i++)
		total += batch[i].len + 1;
	cc_buf_reserve(&lines, total);
	for (size_t i = 0; i < count; i++) {
		cc_buf_append(&lines, batch[i].data, batch[i].len);
		cc_buf_append(&lines, "\n", 1);
	}
	struct stat st;
	if (fstat(s->fd, &st) < 0)
		return cc_error_set_errno(err, errno, "stat output file `%s`", o->target);
	size_t done = 0;
	while (done < lines.len) {
		ssize_t n = write(s->fd, lines.data + done, lines.len - done);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			int e = n < 0 ? errno : ENOSPC;
			if (ftruncate(s->fd, st.st_size) < 0)
				cc_err("output file `%s`: cannot remove a partial batch: %s", o->target,
				       strerror(errno));
			return cc_error_set_errno(err, e, "write output file `%s`", o->target);
		}
		done += (size_t)n;
	}
	if (fdatasync(s->fd) < 0)
		return cc_error_set_errno(err, errno, "sync output file `%s`", o->target);
	return 0;
}

static void file_close(struct audit_output *o)
{
	struct file_state *s = o->state;
	if (s) {
		close(s->fd);
		free(s);
		o->state = NULL;
	}
}

const struct audit_output_ops audit_out_file = {
	.scheme = "file",
	.prefix = "file:",
	.usage = "file:PATH",
	.default_format = AUDIT_FORMAT_JSON,
	.send = file_send,
	.close = file_close,
};
