/* Connection handling for cc_server: an accept thread and one thread per connection.
 *
 * A thread per connection keeps every protocol loop a straight read-parse-answer sequence; the
 * expected load (API calls, KMS requests from one kube-apiserver, audit batches) is far below the
 * point where an event loop pays off, and max_connections bounds the threads. Each connection:
 *   TLS handshake (TCP with a certificate) -> protocol choice (ALPN h2, or the HTTP/2 preface on a
 *   plain socket) -> the HTTP/1.1 or HTTP/2 loop until the peer closes, a timeout, or shutdown. */
#include "lib/net/server.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/address.h"
#include "lib/net/h2.h"
#include "lib/net/http1.h"
#include "lib/net/stream.h"
#include "lib/net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

struct connection {
	struct cc_server *srv;
	struct cc_stream stream;
	struct cc_peer peer;
	struct connection *next;
};

struct cc_server {
	struct cc_server_config cfg;
	struct cc_address addr;
	SSL_CTX *tls;
	int listen_fd;
	int wake_pipe[2]; /* written to stop the accept loop */
	int port;
	pthread_t accept_thread;
	pthread_mutex_t lock;
	pthread_cond_t drained;
	struct connection *connections;
	int connection_count;
	bool stopping;
};

static void apply_defaults(struct cc_server_config *c)
{
	if (!c->socket_mode)
		c->socket_mode = 0600;
	if (!c->max_body)
		c->max_body = 1u << 20;
	if (!c->max_header_bytes)
		c->max_header_bytes = 16u << 10;
	if (!c->max_grpc_message)
		c->max_grpc_message = CC_GRPC_DEFAULT_MAX_MESSAGE;
	if (!c->request_timeout_ms)
		c->request_timeout_ms = 10000;
	if (!c->idle_timeout_ms)
		c->idle_timeout_ms = 60000;
	if (!c->max_connections)
		c->max_connections = 256;
}

static int send_buf(struct connection *conn, struct cc_buf *out)
{
	int r = out->len ? cc_stream_write(&conn->stream, out->data, out->len, conn->srv->cfg.request_timeout_ms) : 0;
	cc_buf_reset(out);
	return r;
}

static void answer_http1(struct connection *conn, struct cc_http_request *req, struct cc_buf *out, bool keep_alive)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_dispatch(conn->srv->cfg.routes, conn->srv->cfg.route_count, req, &resp);
	http1_write_response(out, &resp, strcmp(req->method, "HEAD") == 0, keep_alive);
	cc_debug("%s %s %s -> %d", conn->peer.address, req->method, req->path, resp.status);
	cc_http_response_free(&resp);
}

/* Lingering close (RFC 9112 §9.6): after an early error response the client may still be sending
 * its body; closing at once would make the kernel answer with RST and destroy the response before
 * the client reads it. Half-close, then discard input for a short while. */
static void linger_close(struct connection *conn)
{
	if (conn->stream.ssl) {
		SSL_shutdown(conn->stream.ssl);
	}
	shutdown(conn->stream.fd, SHUT_WR);
	char sink[16384];
	int64_t deadline = cc_time_monotonic_ms() + 2000;
	size_t drained = 0;
	while (drained < (8u << 20)) {
		int left = (int)(deadline - cc_time_monotonic_ms());
		if (left <= 0)
			break;
		ssize_t n = cc_stream_read(&conn->stream, sink, sizeof(sink), left);
		if (n <= 0)
			break;
		drained += (size_t)n;
	}
}

static void refuse_http1(struct connection *conn, int status, const char *why, struct cc_buf *out)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_response_error(&resp, status, "%s", why);
	http1_write_response(out, &resp, false, false);
	cc_http_response_free(&resp);
	if (send_buf(conn, out) == 0)
		linger_close(conn);
	cc_debug("%s refused with %d: %s", conn->peer.address, status, why);
}

/* HTTP/1.1 loop. `in` may already hold bytes read during protocol detection. */
static void serve_http1(struct connection *conn, struct cc_buf *in)
{
	const struct cc_server_config *cfg = &conn->srv->cfg;
	struct http1_limits limits = { .max_header_bytes = cfg->max_header_bytes, .max_body = cfg->max_body };
	struct http1_parser *parser = http1_parser_new(&limits, &conn->peer);
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	char chunk[16384];
	bool in_request = in->len > 0;
	int64_t deadline = cc_time_monotonic_ms() + cfg->request_timeout_ms;

	for (;;) {
		size_t used = 0;
		enum http1_event ev = http1_parser_feed(parser, in->data ? in->data : "", in->len, &used);
		cc_buf_consume(in, used);
		if (used > 0 && !in_request) {
			in_request = true;
			deadline = cc_time_monotonic_ms() + cfg->request_timeout_ms;
		}
		if (ev == HTTP1_ERROR) {
			refuse_http1(conn, http1_parser_error_status(parser), http1_parser_error_text(parser), &out);
			break;
		}
		if (ev == HTTP1_HEADERS) {
			/* RFC 9110 §10.1.1: tell a waiting client to send the body. Over-limit bodies were
			 * already refused by the parser before this point. */
			if (http1_parser_expects_continue(parser)) {
				cc_buf_append_str(&out, "HTTP/1.1 100 Continue\r\n\r\n");
				if (send_buf(conn, &out) < 0)
					break;
			}
			continue;
		}
		if (ev == HTTP1_REQUEST) {
			bool keep_alive = http1_parser_keep_alive(parser) && !conn->srv->stopping;
			answer_http1(conn, http1_parser_request(parser), &out, keep_alive);
			if (send_buf(conn, &out) < 0 || !keep_alive)
				break;
			http1_parser_next(parser);
			in_request = in->len > 0;
			deadline = cc_time_monotonic_ms() + cfg->request_timeout_ms;
			continue;
		}
		/* Need more input: idle between requests, bounded within one. */
		int timeout = in_request ? (int)(deadline - cc_time_monotonic_ms()) : cfg->idle_timeout_ms;
		if (timeout <= 0) {
			refuse_http1(conn, 408, "request not received completely within the time limit", &out);
			break;
		}
		ssize_t n = cc_stream_read(&conn->stream, chunk, sizeof(chunk), timeout);
		if (n == -ETIMEDOUT && in_request) {
			refuse_http1(conn, 408, "request not received completely within the time limit", &out);
			break;
		}
		if (n <= 0)
			break;
		cc_buf_append(in, chunk, (size_t)n);
	}
	http1_parser_free(parser);
}

static void serve_h2(struct connection *conn, struct cc_buf *in)
{
	const struct cc_server_config *cfg = &conn->srv->cfg;
	struct h2_config h2cfg = {
		.routes = cfg->routes,
		.route_count = cfg->route_count,
		.grpc_methods = cfg->grpc_methods,
		.grpc_method_count = cfg->grpc_method_count,
		.max_body = cfg->max_body,
		.max_grpc_message = cfg->max_grpc_message,
		.max_header_bytes = cfg->max_header_bytes,
		.peer = &conn->peer,
	};
	struct h2_session *session;
	if (h2_session_new(&h2cfg, &session) < 0)
		return;
	_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
	uint8_t chunk[32768];
	/* gRPC clients keep connections open between calls; allow a longer idle period than HTTP/1.1. */
	int idle_timeout = cfg->idle_timeout_ms * 5;
	int r = in->len ? h2_session_recv(session, (const uint8_t *)in->data, in->len) : 0;
	cc_buf_reset(in);
	bool shutting_down = false;
	while (r >= 0) {
		if (h2_session_send(session, &out) < 0 || send_buf(conn, &out) < 0)
			break;
		if (!h2_session_alive(session))
			break;
		if (conn->srv->stopping && !shutting_down) {
			h2_session_shutdown(session);
			shutting_down = true;
			continue;
		}
		int timeout = h2_session_idle(session) ? idle_timeout : cfg->request_timeout_ms;
		ssize_t n = cc_stream_read(&conn->stream, chunk, sizeof(chunk), timeout);
		if (n == -ETIMEDOUT && h2_session_idle(session) && !shutting_down) {
			h2_session_shutdown(session); /* polite GOAWAY; the client reconnects when needed */
			shutting_down = true;
			continue;
		}
		if (n <= 0)
			break;
		r = h2_session_recv(session, chunk, (size_t)n);
	}
	/* Flush a final GOAWAY after a protocol error, best effort. */
	if (h2_session_send(session, &out) == 0)
		send_buf(conn, &out);
	h2_session_free(session);
}

static bool handshake(struct connection *conn)
{
	struct cc_server *srv = conn->srv;
	SSL *ssl = SSL_new(srv->tls);
	if (!ssl)
		return false;
	SSL_set_fd(ssl, conn->stream.fd);
	conn->stream.ssl = ssl;
	int64_t deadline = cc_time_monotonic_ms() + srv->cfg.request_timeout_ms;
	for (;;) {
		ERR_clear_error();
		int rc = SSL_accept(ssl);
		if (rc == 1)
			break;
		int e = SSL_get_error(ssl, rc);
		int left = (int)(deadline - cc_time_monotonic_ms());
		if ((e == SSL_ERROR_WANT_READ || e == SSL_ERROR_WANT_WRITE) && left > 0) {
			struct pollfd pfd = { .fd = conn->stream.fd,
					      .events = e == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT };
			if (poll(&pfd, 1, left) > 0)
				continue;
		}
		char why[256], reason[320];
		long verify = SSL_get_verify_result(ssl);
		if (verify != X509_V_OK)
			snprintf(reason, sizeof(reason), "client certificate refused: %s",
				 X509_verify_cert_error_string(verify));
		else
			snprintf(reason, sizeof(reason), "TLS handshake failed: %s",
				 cc_tls_last_error(why, sizeof(why)));
		cc_info("connection from %s: %s", conn->peer.address, reason);
		if (srv->cfg.on_authenticate)
			srv->cfg.on_authenticate(&conn->peer, reason, srv->cfg.userdata);
		return false;
	}
	cc_tls_peer_identity(ssl, &conn->peer);
	return true;
}

static void *connection_main(void *arg)
{
	struct connection *conn = arg;
	struct cc_server *srv = conn->srv;
	_cleanup_buf_ struct cc_buf in = CC_BUF_INIT;
	bool ok = !srv->tls || handshake(conn);
	if (ok && srv->cfg.on_authenticate)
		srv->cfg.on_authenticate(&conn->peer, NULL, srv->cfg.userdata);
	if (ok) {
		bool h2 = false;
		if (conn->stream.ssl) {
			const unsigned char *proto = NULL;
			unsigned int len = 0;
			SSL_get0_alpn_selected(conn->stream.ssl, &proto, &len);
			h2 = len == 2 && memcmp(proto, "h2", 2) == 0;
		}
		if (!h2) {
			/* Without ALPN, read enough to tell the HTTP/2 preface (prior knowledge, as gRPC
			 * clients use on unix sockets) from an HTTP/1.1 request line. */
			char chunk[4096];
			while (in.len < H2_CLIENT_PREFACE_LEN &&
			       memcmp(in.data ? in.data : "", H2_CLIENT_PREFACE, in.len) == 0) {
				ssize_t n =
				    cc_stream_read(&conn->stream, chunk, sizeof(chunk),
						   in.len ? srv->cfg.request_timeout_ms : srv->cfg.idle_timeout_ms);
				if (n <= 0)
					break;
				cc_buf_append(&in, chunk, (size_t)n);
			}
			h2 = in.len >= H2_CLIENT_PREFACE_LEN &&
			     memcmp(in.data, H2_CLIENT_PREFACE, H2_CLIENT_PREFACE_LEN) == 0;
		}
		if (h2)
			serve_h2(conn, &in);
		else if (in.len > 0 || conn->stream.ssl)
			serve_http1(conn, &in);
	}
	/* Leave the list before closing, so cc_server_stop never shuts down a reused fd number. */
	pthread_mutex_lock(&srv->lock);
	for (struct connection **p = &srv->connections; *p; p = &(*p)->next)
		if (*p == conn) {
			*p = conn->next;
			break;
		}
	pthread_mutex_unlock(&srv->lock);
	cc_stream_close(&conn->stream);
	pthread_mutex_lock(&srv->lock);
	srv->connection_count--;
	pthread_cond_broadcast(&srv->drained);
	pthread_mutex_unlock(&srv->lock);
	free(conn);
	return NULL;
}

static void describe_peer(int fd, const struct sockaddr_storage *ss, struct cc_peer *peer)
{
	if (ss->ss_family == AF_UNIX) {
		peer->is_unix = true;
		snprintf(peer->address, sizeof(peer->address), "unix");
		struct ucred cred;
		socklen_t len = sizeof(cred);
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == 0) {
			peer->have_credentials = true;
			peer->pid = cred.pid;
			peer->uid = cred.uid;
			peer->gid = cred.gid;
		}
		return;
	}
	char host[INET6_ADDRSTRLEN] = "?";
	int port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		port = ntohs(in->sin_port);
		snprintf(peer->address, sizeof(peer->address), "%s:%d", host, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		port = ntohs(in6->sin6_port);
		snprintf(peer->address, sizeof(peer->address), "[%s]:%d", host, port);
	}
}

static void *accept_main(void *arg)
{
	struct cc_server *srv = arg;
	for (;;) {
		struct pollfd pfds[2] = { { .fd = srv->listen_fd, .events = POLLIN },
					  { .fd = srv->wake_pipe[0], .events = POLLIN } };
		if (poll(pfds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pfds[1].revents)
			break;
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(srv->listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (fd < 0) {
			if (errno == EMFILE || errno == ENFILE)
				usleep(100000); /* out of descriptors: back off instead of spinning */
			continue;
		}
		pthread_mutex_lock(&srv->lock);
		bool full = srv->connection_count >= srv->cfg.max_connections || srv->stopping;
		pthread_mutex_unlock(&srv->lock);
		if (full) {
			cc_warning("connection limit of %d reached; refusing a connection", srv->cfg.max_connections);
			close(fd);
			continue;
		}
		if (ss.ss_family != AF_UNIX) {
			/* Responses leave in several writes (TLS records, HTTP/2 frames); without this, Nagle
			 * holds the last one back until the peer's delayed ACK, 40 ms per request. */
			int one = 1;
			setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
		}
		struct connection *conn = cc_xcalloc(1, sizeof(*conn));
		conn->srv = srv;
		conn->stream.fd = fd;
		describe_peer(fd, &ss, &conn->peer);
		pthread_mutex_lock(&srv->lock);
		conn->next = srv->connections;
		srv->connections = conn;
		srv->connection_count++;
		pthread_mutex_unlock(&srv->lock);
		pthread_attr_t attr;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		pthread_attr_setstacksize(&attr, 512u << 10);
		pthread_t thread;
		if (pthread_create(&thread, &attr, connection_main, conn) != 0) {
			pthread_mutex_lock(&srv->lock);
			srv->connections = conn->next;
			srv->connection_count--;
			pthread_mutex_unlock(&srv->lock);
			close(fd);
			free(conn);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int cc_server_start(const struct cc_server_config *cfg, struct cc_server **ret, struct cc_error *err)
{
	/* A peer that disappears mid-write must not kill the process. */
	signal(SIGPIPE, SIG_IGN);
	_cleanup_free_ struct cc_server *srv = cc_xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	apply_defaults(&srv->cfg);
	srv->listen_fd = -1;
	srv->port = -1;
	int r = cc_address_parse(cfg->listen, &srv->addr, err);
	if (r < 0)
		return r;
	if (cfg->tls_cert && srv->addr.is_unix)
		return cc_error_set(
		    err, EINVAL, "TLS is for TCP listeners; `%s` is a unix socket (protect it with file permissions)",
		    cfg->listen);
	if (!srv->addr.is_unix && !cfg->tls_cert && strcmp(srv->addr.host, "127.0.0.1") != 0 &&
	    strcmp(srv->addr.host, "::1") != 0 && strcmp(srv->addr.host, "localhost") != 0)
		return cc_error_set(err, EINVAL,
				    "refusing plain HTTP on `%s`: give a TLS certificate, or listen on loopback",
				    cfg->listen);
	if (cfg->require_client_cert && !cfg->client_ca)
		return cc_error_set(err, EINVAL, "client certificates are required but no client CA was given");
	if (cfg->tls_cert) {
		struct cc_tls_server_config tcfg = {
			.cert_file = cfg->tls_cert,
			.key_file = cfg->tls_key ? cfg->tls_key : cfg->tls_cert,
			.client_ca = cfg->client_ca,
			.require_client_cert = cfg->require_client_cert,
		};
		r = cc_tls_server_context(&tcfg, &srv->tls, err);
		if (r < 0)
			return r;
	}
	srv->listen_fd = cc_address_listen(&srv->addr, srv->cfg.socket_mode, 128, err);
	if (srv->listen_fd < 0) {
		r = srv->listen_fd;
		SSL_CTX_free(srv->tls);
		return r;
	}
	if (!srv->addr.is_unix)
		srv->port = cc_address_bound_port(srv->listen_fd);
	if (pipe2(srv->wake_pipe, O_CLOEXEC) < 0) {
		r = cc_error_set_errno(err, errno, "create pipe");
		goto fail;
	}
	pthread_mutex_init(&srv->lock, NULL);
	pthread_cond_init(&srv->drained, NULL);
	if (pthread_create(&srv->accept_thread, NULL, accept_main, srv) != 0) {
		r = cc_error_set(err, EAGAIN, "cannot start the accept thread");
		close(srv->wake_pipe[0]);
		close(srv->wake_pipe[1]);
		goto fail;
	}
	*ret = CC_TAKE_PTR(srv);
	return 0;
fail:
	close(srv->listen_fd);
	SSL_CTX_free(srv->tls);
	return r;
}

int cc_server_port(const struct cc_server *srv)
{
	return srv->port;
}

void cc_server_stop(struct cc_server *srv)
{
	if (!srv)
		return;
	pthread_mutex_lock(&srv->lock);
	srv->stopping = true;
	pthread_mutex_unlock(&srv->lock);
	(void)!write(srv->wake_pipe[1], "x", 1);
	pthread_join(srv->accept_thread, NULL);
	close(srv->listen_fd);
	if (srv->addr.is_unix)
		unlink(srv->addr.path);
	/* Wake connection threads blocked in poll(); they see EOF and finish their loop. */
	pthread_mutex_lock(&srv->lock);
	for (struct connection *c = srv->connections; c; c = c->next)
		shutdown(c->stream.fd, SHUT_RDWR);
	while (srv->connection_count > 0)
		pthread_cond_wait(&srv->drained, &srv->lock);
	pthread_mutex_unlock(&srv->lock);
	close(srv->wake_pipe[0]);
	close(srv->wake_pipe[1]);
	SSL_CTX_free(srv->tls);
	pthread_mutex_destroy(&srv->lock);
	pthread_cond_destroy(&srv->drained);
	free(srv);
}
