/* Plain and TLS stream I/O on a non-blocking socket, with poll() for deadlines. Using
 * non-blocking sockets makes every wait explicit, so a peer that stops sending (slowloris) or
 * stops reading cannot pin a connection thread beyond its timeout. */
#include "lib/net/stream.h"

#include <errno.h>
#include <openssl/err.h>
#include <poll.h>
#include <unistd.h>

static int wait_for(int fd, short events, int timeout_ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	for (;;) {
		int n = poll(&pfd, 1, timeout_ms);
		if (n > 0)
			return 0;
		if (n == 0)
			return -ETIMEDOUT;
		if (errno != EINTR)
			return -errno;
	}
}

ssize_t cc_stream_read(struct cc_stream *s, void *buf, size_t len, int timeout_ms)
{
	for (;;) {
		if (!s->ssl) {
			ssize_t n = read(s->fd, buf, len);
			if (n >= 0)
				return n;
			if (errno == ECONNRESET)
				return 0;
			if (errno != EAGAIN && errno != EINTR)
				return -errno;
			int r = wait_for(s->fd, POLLIN, timeout_ms);
			if (r < 0)
				return r;
			continue;
		}
		size_t got = 0;
		ERR_clear_error();
		if (SSL_read_ex(s->ssl, buf, len, &got) == 1)
			return (ssize_t)got;
		int e = SSL_get_error(s->ssl, 0);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			int r = wait_for(s->fd, e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, timeout_ms);
			if (r < 0)
				return r;
			continue;
		}
		/* A peer that closes without close_notify ends the stream; anything else is an error. */
		if (e == SSL_ERROR_SYSCALL && ERR_peek_error() == 0)
			return 0;
		ERR_clear_error();
		return -EPROTO;
	}
}

int cc_stream_write(struct cc_stream *s, const void *buf, size_t len, int timeout_ms)
{
	const char *p = buf;
	while (len > 0) {
		size_t done = 0;
		int want = 0;
		if (!s->ssl) {
			ssize_t n = write(s->fd, p, len);
			if (n >= 0)
				done = (size_t)n;
			else if (errno == EAGAIN || errno == EINTR)
				want = POLLOUT;
			else
				return -errno;
		} else {
			ERR_clear_error();
			if (SSL_write_ex(s->ssl, p, len, &done) != 1) {
				int e = SSL_get_error(s->ssl, 0);
				if (e == SSL_ERROR_WANT_WRITE)
					want = POLLOUT;
				else if (e == SSL_ERROR_WANT_READ)
					want = POLLIN;
				else {
					ERR_clear_error();
					return -EPIPE;
				}
			}
		}
		if (want) {
			int r = wait_for(s->fd, (short)want, timeout_ms);
			if (r < 0)
				return r;
			continue;
		}
		p += done;
		len -= done;
	}
	return 0;
}

void cc_stream_close(struct cc_stream *s)
{
	if (s->ssl) {
		/* One close_notify attempt; do not wait for the peer's (RFC 8446 §6.1 allows it). */
		SSL_shutdown(s->ssl);
		SSL_free(s->ssl);
		s->ssl = NULL;
	}
	if (s->fd >= 0) {
		close(s->fd);
		s->fd = -1;
	}
}
