/* The local audit socket: every cocoon component sends its security events here, one canonical
 * event JSON per line, and gets "ok <id>" back only once the event is durable in the queue (or
 * "error <reason>" when the event is invalid). A producer that does not get "ok" has not been
 * heard and keeps the decision fail-closed. */
#pragma once

#include "lib/base/buf.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_error;

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

int audit_socket_input_open(struct audit_socket_input *in, const char *path, struct cc_error *err);
void audit_socket_input_close(struct audit_socket_input *in);

/* Accepts and reads without blocking; for each complete line calls accept_line, which returns 0
 * to acknowledge after the next commit or a negative errno with a reason to refuse now. */
int audit_socket_input_read(struct audit_socket_input *in,
			    int (*accept_line)(void *ctx, const char *line, size_t len, char *reason,
					       size_t reason_size, char id_out[37]),
			    void *ctx);

/* Sends the acknowledgements held back until now: call after the queue is durable. */
void audit_socket_input_commit(struct audit_socket_input *in);
