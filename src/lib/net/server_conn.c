/* Bytes on the wire for cc_server's connections: the TLS handshake, non-blocking reads and writes
 * (plain or TLS), choosing HTTP/2 or HTTP/1.1, lingering close, and closing. Idle connections keep
 * no buffers: input and output buffers are freed whenever they empty, so ten thousand idle clients
 * cost their descriptors and a few hundred bytes each. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/response_stream.h"
#include "lib/net/server_internal.h"
#include "lib/net/tls.h"

#include <errno.h>
#include <openssl/err.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define READ_CHUNK     (64u << 10)
#define LINGER_MS      2000
#define LINGER_MAX     (8u << 20)
#define CONN_ROUND_MAX (256u << 10) /* bytes read per connection per loop round, for fairness */

int64_t conn_idle_timeout(const struct connection *c)
{
	const struct cc_server_config *cfg = &c->srv->cfg;
	if (!c->authenticated)
		return cfg->unauthenticated_idle_timeout_ms;
	/* gRPC clients keep connections open between calls; allow a longer idle period than HTTP/1.1. */
	return c->state == CONN_H2 ? (int64_t)cfg->idle_timeout_ms * 5 : cfg->idle_timeout_ms;
}

void conn_update_interest(struct connection *c)
{
	if (c->closed)
		return;
	uint32_t want = 0;
	if (!c->read_paused)
		want |= EPOLLIN;
	if (c->out.len)
		want |= EPOLLOUT;
	if (want != c->interest) {
		c->interest = want;
		cc_loop_modify(c->srv->loop, c->fd, want, c);
	}
}

static void unlink_connection(struct connection *c)
{
	struct cc_server *srv = c->srv;
	if (c->prev)
		c->prev->next = c->next;
	else
		srv->oldest = c->next;
	if (c->next)
		c->next->prev = c->prev;
	else
		srv->newest = c->prev;
	c->prev = c->next = NULL;
	srv->connection_count--;
}

void conn_free(struct connection *c)
{
	http1_conn_free(c);
	ws_conn_free(c);
	cc_buf_free(&c->in);
	cc_buf_free_secure(&c->out);
	cc_mem_charge_release(&c->http1_charge);
	free(c);
}

static void free_later(struct cc_loop *loop, void *arg)
{
	struct connection *c = arg;
	if (c->jobs == 0)
		conn_free(c);
}

void conn_close(struct connection *c)
{
	if (c->closed)
		return;
	c->closed = true;
	server_handshake_done(c->srv, c);
	cc_loop_remove(c->srv->loop, c->fd);
	unlink_connection(c);
	http1_conn_close(c);
	ws_conn_close(c);
	h2_conn_free(c);
	if (c->ssl) {
		SSL_set_quiet_shutdown(c->ssl, c->state == CONN_HANDSHAKE);
		SSL_shutdown(c->ssl); /* one close_notify attempt; RFC 8446 §6.1 does not require waiting */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	close(c->fd);
	c->fd = -1;
	/* Freed after this loop round (callers up the stack still look at c->closed), or when its last
	 * job comes back from the workers (server.c job_done). */
	if (c->jobs == 0)
		cc_loop_post(c->srv->loop, free_later, c);
}

void conn_linger(struct connection *c)
{
	c->close_after_flush = true;
	c->linger_after_flush = true;
	c->read_paused = false;
	conn_flush(c);
}

/* Lingering close (RFC 9112 §9.6): after an early error response the client may still be sending
 * its body; closing at once would make the kernel answer with RST and destroy the response before
 * the client reads it. Half-close, then discard input for a short while. */
static void start_linger(struct connection *c)
{
	if (c->ssl)
		SSL_shutdown(c->ssl);
	shutdown(c->fd, SHUT_WR);
	c->state = CONN_LINGER;
	c->deadline_ms = cc_time_monotonic_ms() + LINGER_MS;
	c->close_after_flush = false;
	c->read_paused = false;
	cc_buf_free(&c->in);
	conn_update_interest(c);
}

/* Writes as much of out as the socket takes. */
static int write_some(struct connection *c, size_t *ret_done)
{
	*ret_done = 0;
	if (!c->ssl) {
		ssize_t n = send(c->fd, c->out.data, c->out.len, MSG_NOSIGNAL);
		if (n >= 0) {
			*ret_done = (size_t)n;
			return 0;
		}
		return errno == EAGAIN || errno == EINTR ? -EAGAIN : -errno;
	}
	ERR_clear_error();
	if (SSL_write_ex(c->ssl, c->out.data, c->out.len, ret_done) == 1)
		return 0;
	int e = SSL_get_error(c->ssl, 0);
	ERR_clear_error();
	return e == SSL_ERROR_WANT_WRITE || e == SSL_ERROR_WANT_READ ? -EAGAIN : -EPIPE;
}

void conn_write_once(struct connection *c)
{
	size_t done;
	if (c->out.len && write_some(c, &done) == 0)
		cc_buf_consume(&c->out, done);
}

bool conn_flush(struct connection *c)
{
	while (c->out.len) {
		size_t done;
		int r = write_some(c, &done);
		if (r == -EAGAIN)
			break;
		if (r < 0) {
			conn_close(c);
			return false;
		}
		cc_buf_consume(&c->out, done);
		c->write_stalled_since = 0; /* progress */
	}
	/* The stall clock starts when output waits without progress, not at the last write: a watch
	 * silent for an hour may still send its next event into a full socket. */
	if (c->out.len && !c->write_stalled_since)
		c->write_stalled_since = cc_time_monotonic_ms();
	if (c->out.len == 0) {
		c->write_stalled_since = 0;
		cc_buf_free_secure(&c->out); /* may have held a data key (KMS Decrypt) */
		if (c->close_after_flush) {
			if (c->linger_after_flush)
				start_linger(c);
			else
				conn_close(c);
			return !c->closed;
		}
	}
	conn_update_interest(c);
	return true;
}

static void handshake(struct connection *c)
{
	ERR_clear_error();
	int rc = SSL_accept(c->ssl);
	if (rc != 1) {
		int e = SSL_get_error(c->ssl, rc);
		if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) {
			uint32_t want = e == SSL_ERROR_WANT_READ ? EPOLLIN : EPOLLOUT;
			if (want != c->interest) {
				c->interest = want;
				cc_loop_modify(c->srv->loop, c->fd, want, c);
			}
			return;
		}
		char why[256], reason[320];
		long verify = SSL_get_verify_result(c->ssl);
		if (verify != X509_V_OK)
			snprintf(reason, sizeof(reason), "client certificate refused: %s",
				 X509_verify_cert_error_string(verify));
		else
			snprintf(reason, sizeof(reason), "TLS handshake failed: %s",
				 cc_tls_last_error(why, sizeof(why)));
		server_refuse(c->srv, &c->peer, reason);
		conn_close(c);
		return;
	}
	server_handshake_done(c->srv, c);
	cc_tls_peer_identity(c->ssl, &c->peer);
	c->peer.tls = true;
	server_authenticated(c->srv, c);
	c->deadline_ms = 0;
	const unsigned char *proto = NULL;
	unsigned int len = 0;
	SSL_get0_alpn_selected(c->ssl, &proto, &len);
	if (len == 2 && memcmp(proto, "h2", 2) == 0) {
		c->state = CONN_H2;
		if (h2_conn_start(c) < 0)
			return;
	} else if (len == 8 && memcmp(proto, "http/1.1", 8) == 0) {
		c->state = CONN_HTTP1;
		http1_conn_start(c);
	} else {
		c->state = CONN_DETECT;
	}
	c->interest = 0; /* forces conn_update_interest to set it again */
	conn_update_interest(c);
}

/* Reads what is there (bounded per round); 0 at end of stream, -EAGAIN when nothing more. */
static ssize_t read_some(struct connection *c, char *buf, size_t len)
{
	if (!c->ssl) {
		ssize_t n = recv(c->fd, buf, len, 0);
		if (n >= 0)
			return n;
		if (errno == EAGAIN || errno == EINTR)
			return -EAGAIN;
		return errno == ECONNRESET ? 0 : -errno;
	}
	size_t got = 0;
	ERR_clear_error();
	if (SSL_read_ex(c->ssl, buf, len, &got) == 1)
		return (ssize_t)got;
	int e = SSL_get_error(c->ssl, 0);
	if (e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE)
		return -EAGAIN;
	/* A peer that closes without close_notify ends the stream like one that sends it. */
	ERR_clear_error();
	return 0;
}

/* Without ALPN: the HTTP/2 preface (prior knowledge, as gRPC clients use on unix sockets) or an
 * HTTP/1.1 request line. */
static void detect(struct connection *c)
{
	size_t n = c->in.len < H2_CLIENT_PREFACE_LEN ? c->in.len : H2_CLIENT_PREFACE_LEN;
	if (memcmp(c->in.data, H2_CLIENT_PREFACE, n) != 0) {
		c->state = CONN_HTTP1;
		http1_conn_start(c);
		return;
	}
	if (c->in.len < H2_CLIENT_PREFACE_LEN)
		return;
	c->state = CONN_H2;
	h2_conn_start(c);
}

static void process_input(struct connection *c)
{
	if (c->state == CONN_DETECT && c->in.len)
		detect(c);
	if (c->closed)
		return;
	if (c->state == CONN_HTTP1)
		http1_conn_process(c);
	else if (c->state == CONN_H2)
		h2_conn_process(c);
	else if (c->state == CONN_WEBSOCKET)
		ws_conn_process(c);
	if (!c->closed && c->in.len == 0)
		cc_buf_free(&c->in);
}

static void on_readable(struct connection *c)
{
	char chunk[READ_CHUNK];
	size_t total = 0;
	while (total < CONN_ROUND_MAX && !c->closed && !c->read_paused) {
		ssize_t n = read_some(c, chunk, sizeof(chunk));
		if (n == -EAGAIN)
			break;
		if (n <= 0) {
			/* The client is gone (or half-closed: nothing more will come either way). */
			conn_close(c);
			return;
		}
		total += (size_t)n;
		c->last_read_ms = cc_time_monotonic_ms();
		if (c->state == CONN_LINGER) {
			c->lingered += (size_t)n;
			if (c->lingered > LINGER_MAX)
				conn_close(c);
			continue;
		}
		if (cc_buf_append(&c->in, chunk, (size_t)n) < 0) {
			conn_close(c);
			return;
		}
		process_input(c);
	}
}

void conn_resume(struct connection *c)
{
	c->read_paused = false;
	if (c->in.len)
		process_input(c);
	if (!c->closed && !c->read_paused && c->ssl && SSL_pending(c->ssl) > 0)
		on_readable(c);
	if (!c->closed)
		conn_update_interest(c);
}

void conn_on_event(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct connection *c = data;
	if ((events & EPOLLERR) || ((events & EPOLLHUP) && (c->read_paused || c->state == CONN_HANDSHAKE))) {
		conn_close(c); /* reset, or gone while we were not reading: nobody to answer */
		return;
	}
	if (c->state == CONN_HANDSHAKE) {
		if (events & (EPOLLERR | EPOLLHUP)) {
			conn_close(c);
			return;
		}
		handshake(c);
		if (c->closed || c->state == CONN_HANDSHAKE)
			return;
		/* TLS 1.3 clients often send their first request with the handshake's last flight. */
		events |= EPOLLIN;
	}
	if ((events & EPOLLOUT) && c->out.len) {
		if (!conn_flush(c))
			return;
		if (c->out.len == 0) {
			if (c->state == CONN_HTTP1)
				http1_conn_drained(c);
			else if (c->state == CONN_H2)
				h2_conn_drained(c);
			else if (c->state == CONN_WEBSOCKET)
				ws_conn_drained(c);
			if (c->closed)
				return;
		}
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		on_readable(c);
	/* TLS may hold decrypted bytes that epoll cannot see; read them while reading is allowed. */
	while (!c->closed && !c->read_paused && c->ssl && c->state != CONN_HANDSHAKE && SSL_pending(c->ssl) > 0)
		on_readable(c);
}
