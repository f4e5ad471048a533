/* file:PATH output: one message per line, appended, fdatasync'ed per batch. */
#include "audit/output.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/uio.h>
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
	for (size_t i = 0; i < count; i++) {
		struct iovec iov[2] = { { (void *)batch[i].data, batch[i].len }, { "\n", 1 } };
		ssize_t n = writev(s->fd, iov, 2);
		if (n != (ssize_t)(batch[i].len + 1))
			return cc_error_set_errno(err, n < 0 ? errno : ENOSPC, "write output file `%s`", o->target);
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
	.default_format = AUDIT_FORMAT_JSON,
	.send = file_send,
	.close = file_close,
};
