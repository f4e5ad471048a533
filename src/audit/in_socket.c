/* socket:PATH input: the local audit socket. Every cocoon component sends its security events
 * here, one canonical event JSON per line, and gets "ok <id>" back only once the event is durable
 * in the queue (or "error <reason>" when the event is invalid). A producer that does not get "ok"
 * has not been heard and keeps the decision fail-closed. Polled by the writer thread, without
 * blocking. */
#include "audit/input.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/event/event.h"
#include "lib/net/address.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define AUDIT_SOCKET_CLIENTS 64

struct audit_socket_client {
	int fd;
	struct cc_buf in;
	struct cc_buf acks; /* "ok <id>\n" lines waiting for the next durable commit */
};

struct audit_socket_input {
	char *path;
	int listen_fd;
	struct audit_socket_client clients[AUDIT_SOCKET_CLIENTS];
	unsigned long rejected;
};

static int audit_socket_input_open(struct audit_socket_input *in, const char *path, struct cc_error *err)
{
	*in = (struct audit_socket_input){ .path = cc_xstrdup(path), .listen_fd = -1 };
	for (int i = 0; i < AUDIT_SOCKET_CLIENTS; i++)
		in->clients[i].fd = -1;
	struct cc_address addr = { .is_unix = true };
	if (strlen(path) >= sizeof(addr.path))
		return cc_error_set(err, ENAMETOOLONG, "audit socket path `%s` is too long", path);
	snprintf(addr.path, sizeof(addr.path), "%s", path);
	in->listen_fd = cc_address_listen(&addr, 0660, 64, err);
	if (in->listen_fd < 0)
		return in->listen_fd;
	fcntl(in->listen_fd, F_SETFL, O_NONBLOCK);
	return 0;
}

static void drop_client(struct audit_socket_client *c)
{
	close(c->fd);
	c->fd = -1;
	cc_buf_free(&c->in);
	cc_buf_free(&c->acks);
}

static void audit_socket_input_close(struct audit_socket_input *in)
{
	for (int i = 0; i < AUDIT_SOCKET_CLIENTS; i++)
		if (in->clients[i].fd >= 0)
			drop_client(&in->clients[i]);
	if (in->listen_fd >= 0) {
		close(in->listen_fd);
		unlink(in->path);
	}
	free(in->path);
}

static void reply(struct audit_socket_client *c, const char *text)
{
	if (cc_write_all(c->fd, text, strlen(text)) < 0)
		drop_client(c);
}

static int audit_socket_input_read(struct audit_socket_input *in,
				   int (*accept_line)(void *ctx, const char *line, size_t len, char *reason,
						      size_t reason_size, char id_out[37]),
				   void *ctx)
{
	int fd;
	while ((fd = accept4(in->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK)) >= 0) {
		int slot = -1;
		for (int i = 0; i < AUDIT_SOCKET_CLIENTS && slot < 0; i++)
			if (in->clients[i].fd < 0)
				slot = i;
		if (slot < 0) {
			(void)!write(fd, "error too many producers\n", 25);
			close(fd);
			continue;
		}
		in->clients[slot] = (struct audit_socket_client){ .fd = fd };
	}
	int lines = 0;
	for (int i = 0; i < AUDIT_SOCKET_CLIENTS; i++) {
		struct audit_socket_client *c = &in->clients[i];
		if (c->fd < 0)
			continue;
		char chunk[65536];
		ssize_t n;
		while (c->fd >= 0 && (n = read(c->fd, chunk, sizeof(chunk))) > 0) {
			cc_buf_append(&c->in, chunk, (size_t)n);
			char *nl;
			while (c->fd >= 0 && c->in.len && (nl = memchr(c->in.data, '\n', c->in.len))) {
				size_t len = (size_t)(nl - c->in.data);
				char reason[256] = "", id[37] = "";
				int r = accept_line(ctx, c->in.data, len, reason, sizeof(reason), id);
				if (r < 0) {
					in->rejected++;
					char text[300];
					snprintf(text, sizeof(text), "error %s\n", reason);
					reply(c, text);
				} else {
					cc_buf_appendf(&c->acks, "ok %s\n", id);
					lines++;
				}
				if (c->fd >= 0)
					cc_buf_consume(&c->in, len + 1);
			}
			if (c->fd >= 0 && c->in.len > CC_EVENT_MAX_SIZE + 1) {
				in->rejected++;
				reply(c, "error event larger than 65536 bytes\n");
				if (c->fd >= 0)
					drop_client(c);
			}
		}
		if (c->fd >= 0 && n == 0 && c->acks.len == 0)
			drop_client(c); /* the producer closed and has nothing pending */
	}
	return lines;
}

static void audit_socket_input_commit(struct audit_socket_input *in)
{
	for (int i = 0; i < AUDIT_SOCKET_CLIENTS; i++) {
		struct audit_socket_client *c = &in->clients[i];
		if (c->fd >= 0 && c->acks.len) {
			/* The socket is non-blocking; acks are small. Wait briefly if the producer is slow. */
			int flags = fcntl(c->fd, F_GETFL);
			fcntl(c->fd, F_SETFL, flags & ~O_NONBLOCK);
			reply(c, c->acks.data);
			if (c->fd >= 0) {
				fcntl(c->fd, F_SETFL, flags);
				cc_buf_reset(&c->acks);
			}
		}
	}
}

/* A line from a producer: a cocoon event. */
static int socket_line(void *ctx, const char *line, size_t len, char *reason, size_t reason_size, char id_out[37])
{
	struct audit_forwarder *f = ctx;
	struct cc_error err = { 0 };
	struct cc_event *ev;
	if (cc_event_parse(line, len, &ev, &err) < 0) {
		audit_forwarder_count_rejected(f, 1);
		snprintf(reason, reason_size, "%s", cc_error_message(&err));
		return -EINVAL;
	}
	snprintf(id_out, 37, "%s", ev->id);
	if (audit_forwarder_queue(f, ev) < 0) {
		snprintf(reason, reason_size, "the queue cannot take the event");
		return -EIO;
	}
	return 0;
}

static int socket_start(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err)
{
	struct audit_socket_input *s = cc_xcalloc(1, sizeof(*s));
	int r = audit_socket_input_open(s, in->target, err);
	if (r < 0) {
		audit_socket_input_close(s);
		free(s);
		return r;
	}
	in->state = s;
	return 0;
}

static size_t socket_poll(struct audit_input *in, struct audit_forwarder *f)
{
	return (size_t)audit_socket_input_read(in->state, socket_line, f);
}

static void socket_commit(struct audit_input *in)
{
	audit_socket_input_commit(in->state); /* producers hear "ok" only now */
}

static void socket_stop(struct audit_input *in)
{
	if (!in->state)
		return;
	audit_socket_input_close(in->state);
	free(in->state);
	in->state = NULL;
}

const struct audit_input_ops audit_in_socket = {
	.kind = "socket",
	.prefix = "socket:",
	.usage = "socket:PATH",
	.start = socket_start,
	.poll = socket_poll,
	.commit = socket_commit,
	.stop = socket_stop,
};
