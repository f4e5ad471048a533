/* A connected byte stream, plain or TLS, with deadlines: the only place the server does socket I/O. */
#pragma once

#include <openssl/ssl.h>
#include <stddef.h>
#include <sys/types.h>

struct cc_stream {
	int fd;
	SSL *ssl; /* NULL for plain (unix socket or h2c) */
};

/* Reads up to len bytes, waiting at most timeout_ms. Returns the count, 0 at end of stream,
 * -ETIMEDOUT, or another negative errno. */
ssize_t cc_stream_read(struct cc_stream *s, void *buf, size_t len, int timeout_ms);
/* Writes everything or fails; each wait is bounded by timeout_ms. */
int cc_stream_write(struct cc_stream *s, const void *buf, size_t len, int timeout_ms);
/* Sends TLS close_notify (if any) and closes the socket. */
void cc_stream_close(struct cc_stream *s);
