/* cc_server: one event loop thread for every connection and a small pool of workers for handlers.
 *
 * Why this shape: the platform daemon holds thousands of long-lived connections (kubectl watches,
 * log follows, exec sessions, the console's live events) and the key broker faces clients nobody
 * vouches for. A thread per connection made 256 idle sockets enough to lock everyone out (issue 11);
 * here an idle connection is a few hundred bytes of state and a file descriptor. The loop does all
 * socket and TLS I/O and all protocol state (http-parser, nghttp2), so none of it needs locks;
 * handlers may block (SQLite, a TPM, a key broker round trip), so they run on the workers and hand
 * their response back to the loop. Long waits are not handlers: a handler that has nothing to say yet
 * returns a stream (lib/net/response_stream.h) that another thread feeds.
 *
 * Defences, each with a test in tests/unit/net/test_server.c and tests/integration/hostile.bats:
 *   - memory: request bodies are limited by the route they go to and charged to a per-connection
 *     budget (smaller for peers without a verified client certificate) and a server-wide budget;
 *   - sockets: handshakes in progress are limited per source address; at max_connections the oldest
 *     idle or handshaking connection of an unauthenticated peer makes room for the new one;
 *   - time: handshake, request, idle (shorter when unauthenticated) and write-stall deadlines,
 *     checked by a tick every 250 ms;
 *   - logs: refusals are logged and reported once per kind every 10 s, then counted. */
#include "lib/net/server.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/server_internal.h"
#include "lib/net/tls.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICK_MS 250

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
	if (!c->handshake_timeout_ms)
		c->handshake_timeout_ms = c->request_timeout_ms;
	if (!c->idle_timeout_ms)
		c->idle_timeout_ms = 60000;
	if (!c->unauthenticated_idle_timeout_ms)
		c->unauthenticated_idle_timeout_ms = 30000;
	if (!c->max_connections) {
		/* Each connection is a descriptor; keep some for files, the store and clients. */
		struct rlimit rl = { 0 };
		getrlimit(RLIMIT_NOFILE, &rl);
		long fit = rl.rlim_cur == RLIM_INFINITY ? 10000 : (long)rl.rlim_cur - 64;
		c->max_connections = fit < 10000 ? (fit > 16 ? (int)fit : 16) : 10000;
	}
	if (!c->max_handshakes_per_source)
		c->max_handshakes_per_source = 32;
	if (!c->connection_budget)
		c->connection_budget = 16u << 20;
	if (!c->unauthenticated_budget)
		c->unauthenticated_budget = 2u << 20;
	if (!c->server_budget)
		c->server_budget = 256u << 20;
	if (!c->workers)
		c->workers = 4;
	if (!c->max_streams)
		c->max_streams = 100;
}

/* ---- refusals: logged and reported once per kind and window ---- */

static void report_refusal(struct cc_server *srv, const struct cc_peer *peer, const char *reason)
{
	cc_info("connection from %s: %s", peer->address, reason);
	if (srv->cfg.on_authenticate)
		srv->cfg.on_authenticate(peer, reason, srv->cfg.userdata);
}

static void flush_refusal(struct cc_server *srv, struct refusal_kind *k)
{
	if (k->suppressed) {
		char reason[320];
		snprintf(reason, sizeof(reason), "%s (%u more like it in %d s, the last from %s)", k->reason,
			 k->suppressed, REFUSAL_WINDOW_MS / 1000, k->last_peer.address);
		report_refusal(srv, &k->last_peer, reason);
	}
	k->suppressed = 0;
}

void server_refuse(struct cc_server *srv, const struct cc_peer *peer, const char *reason)
{
	int64_t now = cc_time_monotonic_ms();
	struct refusal_kind *oldest = &srv->refusals[0];
	for (int i = 0; i < REFUSAL_KINDS; i++) {
		struct refusal_kind *k = &srv->refusals[i];
		if (k->reason[0] && strncmp(k->reason, reason, sizeof(k->reason) - 1) == 0) {
			k->suppressed++;
			k->last_peer = *peer;
			return;
		}
		if (k->window_start_ms < oldest->window_start_ms)
			oldest = k;
	}
	/* The first of its kind in this window: reported in full. */
	flush_refusal(srv, oldest);
	snprintf(oldest->reason, sizeof(oldest->reason), "%s", reason);
	oldest->window_start_ms = now;
	oldest->last_peer = *peer;
	report_refusal(srv, peer, reason);
}

static void expire_refusals(struct cc_server *srv, int64_t now)
{
	for (int i = 0; i < REFUSAL_KINDS; i++) {
		struct refusal_kind *k = &srv->refusals[i];
		if (k->reason[0] && now - k->window_start_ms >= REFUSAL_WINDOW_MS) {
			flush_refusal(srv, k);
			k->reason[0] = '\0';
		}
	}
}

/* ---- handshakes in progress per source ---- */

static struct source_count *source_slot(struct cc_server *srv, const char *source, bool create)
{
	if (!srv->source_cap) {
		srv->source_cap = 1024;
		srv->sources = cc_xcalloc(srv->source_cap, sizeof(*srv->sources));
	}
	size_t h = 5381;
	for (const char *p = source; *p; p++)
		h = h * 33 + (unsigned char)*p;
	struct source_count *free_slot = NULL;
	for (size_t i = 0; i < srv->source_cap; i++) {
		struct source_count *s = &srv->sources[(h + i) % srv->source_cap];
		if (s->source[0] && strcmp(s->source, source) == 0)
			return s;
		if (!s->source[0] && !free_slot)
			free_slot = s;
		if (!s->source[0] && s->handshakes == 0)
			break; /* never used: the probe sequence ends here */
	}
	if (!create || !free_slot)
		return NULL;
	snprintf(free_slot->source, sizeof(free_slot->source), "%s", source);
	return free_slot;
}

void server_handshake_done(struct cc_server *srv, struct connection *c)
{
	if (!c->counted_handshake)
		return;
	c->counted_handshake = false;
	struct source_count *s = source_slot(srv, c->source, false);
	if (s && --s->handshakes <= 0) {
		s->handshakes = -1; /* a tombstone keeps later probe sequences intact */
		s->source[0] = '\0';
	}
}

void server_authenticated(struct cc_server *srv, struct connection *c)
{
	c->authenticated = c->peer.is_unix || c->peer.cert_verified;
	c->budget.limit = c->authenticated ? srv->cfg.connection_budget : srv->cfg.unauthenticated_budget;
	if (srv->cfg.on_authenticate)
		srv->cfg.on_authenticate(&c->peer, NULL, srv->cfg.userdata);
}

/* ---- jobs: a request to a worker and its response back to the loop ---- */

struct job {
	struct connection *conn;
	int32_t stream_id;
	struct h2_request *h2req;
	struct h2_reply h2reply;
	struct cc_http_request *http1req; /* the parser's, paused until the reply */
	struct cc_http_response resp;
};

static void job_done(struct cc_loop *loop, void *arg)
{
	struct job *j = arg;
	struct connection *c = j->conn;
	c->jobs--;
	if (c->closed) {
		h2_reply_free(&j->h2reply);
		cc_http_response_free(&j->resp);
		h2_request_free(j->h2req);
		free(j);
		if (c->jobs == 0)
			conn_free(c);
		return;
	}
	if ((j->h2req ? j->h2reply.http.peer_authenticated : j->resp.peer_authenticated) && !c->authenticated) {
		c->authenticated = true;
		c->budget.limit = c->srv->cfg.connection_budget;
	}
	if (j->h2req) {
		h2_request_free(j->h2req);
		h2_session_reply(c->h2, j->stream_id, &j->h2reply);
		h2_conn_drained(c);
	} else {
		http1_conn_reply(c, j->http1req, &j->resp);
		cc_http_response_free(&j->resp);
	}
	free(j);
}

static void job_run(void *arg)
{
	struct job *j = arg;
	struct connection *c = j->conn;
	if (j->h2req) {
		h2_handle_request(&c->h2cfg, j->h2req, &j->h2reply);
	} else {
		cc_http_response_init(&j->resp);
		cc_http_dispatch(c->srv->cfg.routes, c->srv->cfg.route_count, j->http1req, &j->resp);
	}
	cc_loop_post(c->srv->loop, job_done, j);
}

static bool submit(struct connection *c, struct job *j)
{
	j->conn = c;
	c->jobs++;
	if (cc_workers_submit(c->srv->workers, job_run, j) == 0)
		return true;
	c->jobs--;
	free(j);
	return false;
}

bool server_submit_http1(struct connection *c, struct cc_http_request *req)
{
	struct job *j = cc_xcalloc(1, sizeof(*j));
	j->http1req = req;
	return submit(c, j);
}

bool server_submit_h2(struct connection *c, int32_t stream_id, struct h2_request *req)
{
	struct job *j = cc_xcalloc(1, sizeof(*j));
	j->stream_id = stream_id;
	j->h2req = req;
	return submit(c, j);
}

/* ---- accepting ---- */

static void describe_peer(int fd, const struct sockaddr_storage *ss, struct cc_peer *peer, char *source, size_t size)
{
	if (ss->ss_family == AF_UNIX) {
		peer->is_unix = true;
		snprintf(peer->address, sizeof(peer->address), "unix");
		snprintf(source, size, "unix");
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
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		inet_ntop(AF_INET, &in->sin_addr, host, sizeof(host));
		snprintf(peer->address, sizeof(peer->address), "%s:%d", host, ntohs(in->sin_port));
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
		snprintf(peer->address, sizeof(peer->address), "[%s]:%d", host, ntohs(in6->sin6_port));
	}
	snprintf(source, size, "%s", host);
}

/* An unauthenticated connection that holds a slot without using it: still in its handshake, or
 * between requests. */
static bool evictable(const struct connection *c)
{
	if (c->authenticated || c->closed || c->jobs || c->out.len)
		return false;
	switch (c->state) {
	case CONN_HANDSHAKE:
	case CONN_DETECT:
	case CONN_LINGER: return true;
	case CONN_HTTP1: return !c->http1_busy && !c->http1_in_request;
	case CONN_H2: return h2_session_idle(c->h2);
	case CONN_WEBSOCKET: return false; /* a session in use, however quiet */
	}
	return false;
}

static bool make_room(struct cc_server *srv)
{
	for (struct connection *c = srv->oldest; c; c = c->next) {
		if (evictable(c)) {
			cc_debug("connection limit of %d reached: closing the oldest idle connection (%s)",
				 srv->cfg.max_connections, c->peer.address);
			conn_close(c);
			return true;
		}
	}
	return false;
}

static void admit(struct cc_server *srv, int fd, const struct sockaddr_storage *ss)
{
	struct connection *c = cc_xcalloc(1, sizeof(*c));
	c->srv = srv;
	c->fd = fd;
	describe_peer(fd, ss, &c->peer, c->source, sizeof(c->source));
	if (srv->connection_count >= srv->cfg.max_connections && !make_room(srv)) {
		server_refuse(srv, &c->peer, "connection limit reached and every connection is in use");
		close(fd);
		free(c);
		return;
	}
	if (srv->tls) {
		struct source_count *s = source_slot(srv, c->source, true);
		if (s && s->handshakes < 0)
			s->handshakes = 0;
		if (s && s->handshakes >= srv->cfg.max_handshakes_per_source) {
			server_refuse(srv, &c->peer, "too many TLS handshakes in progress from this address");
			close(fd);
			free(c);
			return;
		}
		if (s) {
			s->handshakes++;
			c->counted_handshake = true;
		}
	}
	if (ss->ss_family != AF_UNIX) {
		/* Responses leave in several writes (TLS records, HTTP/2 frames); without this, Nagle
		 * holds the last one back until the peer's delayed ACK, 40 ms per request. */
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	}
	int64_t now = cc_time_monotonic_ms();
	c->last_read_ms = now;
	c->budget.limit = srv->cfg.unauthenticated_budget;
	c->http1_charge = (struct cc_mem_charge){ .conn = &c->budget, .server = &srv->budget };
	c->prev = srv->newest;
	if (srv->newest)
		srv->newest->next = c;
	else
		srv->oldest = c;
	srv->newest = c;
	srv->connection_count++;
	c->interest = EPOLLIN;
	if (srv->tls) {
		c->state = CONN_HANDSHAKE;
		c->deadline_ms = now + srv->cfg.handshake_timeout_ms;
		c->ssl = SSL_new(srv->tls);
		if (c->ssl)
			SSL_set_fd(c->ssl, fd);
	} else {
		c->state = CONN_DETECT;
		server_authenticated(srv, c);
	}
	if (cc_loop_add(srv->loop, fd, c->interest, conn_on_event, c) < 0 || (srv->tls && !c->ssl))
		conn_close(c);
}

static void on_listen(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct cc_server *srv = data;
	/* A bounded batch per round, so a connection storm does not starve established clients. */
	for (int i = 0; i < 64 && !srv->stopping; i++) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int cfd = accept4(fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC | SOCK_NONBLOCK);
		if (cfd < 0) {
			if (errno == EMFILE || errno == ENFILE) {
				/* Out of descriptors: make room if an idle stranger holds one, else wait. */
				if (!make_room(srv))
					cc_warning("out of file descriptors with %d connections open",
						   srv->connection_count);
			}
			return;
		}
		admit(srv, cfd, &ss);
	}
}

/* ---- deadlines ---- */

static void check_deadlines(struct connection *c, int64_t now)
{
	const struct cc_server_config *cfg = &c->srv->cfg;
	if (c->out.len && c->write_stalled_since && now - c->write_stalled_since > cfg->request_timeout_ms) {
		cc_debug("%s: not reading our response; closing", c->peer.address);
		conn_close(c); /* a reader that stalls (slow-read attack, or gone without a FIN) */
		return;
	}
	switch (c->state) {
	case CONN_HANDSHAKE:
		if (now >= c->deadline_ms) {
			server_refuse(c->srv, &c->peer, "TLS handshake not completed within the time limit");
			conn_close(c);
		}
		return;
	case CONN_LINGER:
		if (now >= c->deadline_ms)
			conn_close(c);
		return;
	case CONN_DETECT:
		if (now - c->last_read_ms > (c->in.len ? cfg->request_timeout_ms : conn_idle_timeout(c)))
			conn_close(c);
		return;
	case CONN_HTTP1:
		if (c->http1_busy)
			return;
		if (c->http1_in_request && now >= c->deadline_ms)
			http1_conn_refuse(c, 408, "request not received completely within the time limit");
		else if (!c->http1_in_request && now - c->last_read_ms > conn_idle_timeout(c))
			conn_close(c);
		return;
	case CONN_H2:
		if (h2_session_idle(c->h2) && now - c->last_read_ms > conn_idle_timeout(c) && !c->close_after_flush) {
			h2_session_shutdown(c->h2); /* polite GOAWAY; the client reconnects when needed */
			c->close_after_flush = true;
			h2_conn_drained(c);
		}
		return;
	case CONN_WEBSOCKET:
		/* No idle timeout: an interactive session may be silent for an hour. */
		ws_conn_check_deadline(c, now);
		return;
	}
}

static void tick(struct cc_loop *loop, void *arg)
{
	struct cc_server *srv = arg;
	int64_t now = cc_time_monotonic_ms();
	for (struct connection *c = srv->oldest, *next; c; c = next) {
		next = c->next; /* c may be closed (unlinked) below */
		check_deadlines(c, now);
	}
	expire_refusals(srv, now);
}

/* ---- lifecycle ---- */

static int check_config(const struct cc_server_config *cfg, const struct cc_address *addr, struct cc_error *err)
{
	if (cfg->tls_cert && addr->is_unix)
		return cc_error_set(
		    err, EINVAL, "TLS is for TCP listeners; `%s` is a unix socket (protect it with file permissions)",
		    cfg->listen);
	if (!addr->is_unix && !cfg->tls_cert && strcmp(addr->host, "127.0.0.1") != 0 &&
	    strcmp(addr->host, "::1") != 0 && strcmp(addr->host, "localhost") != 0)
		return cc_error_set(err, EINVAL,
				    "refusing plain HTTP on `%s`: give a TLS certificate, or listen on loopback",
				    cfg->listen);
	if (cfg->require_client_cert && !cfg->client_ca)
		return cc_error_set(err, EINVAL, "client certificates are required but no client CA was given");
	return 0;
}

static void server_free(struct cc_server *srv)
{
	if (srv->listen_fd >= 0)
		close(srv->listen_fd);
	cc_workers_free(srv->workers);
	cc_loop_free(srv->loop);
	SSL_CTX_free(srv->tls);
	free(srv->sources);
	free(srv);
}

int cc_server_start(const struct cc_server_config *cfg, struct cc_server **ret, struct cc_error *err)
{
	struct cc_server *srv = cc_xcalloc(1, sizeof(*srv));
	srv->cfg = *cfg;
	apply_defaults(&srv->cfg);
	srv->listen_fd = -1;
	srv->port = -1;
	srv->budget.limit = srv->cfg.server_budget;
	int r = cc_address_parse(cfg->listen, &srv->addr, err);
	srv->addr.freebind = cfg->freebind;
	if (r == 0)
		r = check_config(cfg, &srv->addr, err);
	if (r == 0 && cfg->tls_cert) {
		struct cc_tls_server_config tcfg = {
			.cert_file = cfg->tls_cert,
			.key_file = cfg->tls_key ? cfg->tls_key : cfg->tls_cert,
			.client_ca = cfg->client_ca,
			.require_client_cert = cfg->require_client_cert,
		};
		r = cc_tls_server_context(&tcfg, &srv->tls, err);
	}
	if (r == 0) {
		srv->listen_fd = cc_address_listen(&srv->addr, srv->cfg.socket_mode, 1024, err);
		r = srv->listen_fd < 0 ? srv->listen_fd : 0;
	}
	if (r == 0 && !srv->addr.is_unix)
		srv->port = cc_address_bound_port(srv->listen_fd);
	if (r == 0 && fcntl(srv->listen_fd, F_SETFL, fcntl(srv->listen_fd, F_GETFL) | O_NONBLOCK) < 0)
		r = cc_error_set_errno(err, errno, "make the listening socket non-blocking");
	if (r == 0)
		r = cc_loop_new(TICK_MS, tick, srv, &srv->loop, err);
	if (r == 0)
		r = cc_workers_new(srv->cfg.workers, (size_t)srv->cfg.workers * 256, &srv->workers, err);
	if (r == 0 && cc_loop_add(srv->loop, srv->listen_fd, EPOLLIN, on_listen, srv) < 0)
		r = cc_error_set(err, EIO, "cannot watch the listening socket");
	if (r == 0 && pthread_create(&srv->loop_thread, NULL, cc_loop_thread, srv->loop) != 0)
		r = cc_error_set(err, EAGAIN, "cannot start the server's event loop thread");
	if (r < 0) {
		if (srv->listen_fd >= 0 && srv->addr.is_unix)
			unlink(srv->addr.path);
		server_free(srv);
		return r;
	}
	*ret = srv;
	return 0;
}

int cc_server_port(const struct cc_server *srv)
{
	return srv->port;
}

static void stop_accepting(struct cc_loop *loop, void *arg)
{
	struct cc_server *srv = arg;
	srv->stopping = true;
	cc_loop_remove(loop, srv->listen_fd);
}

static void close_all(struct cc_loop *loop, void *arg)
{
	struct cc_server *srv = arg;
	while (srv->oldest)
		conn_close(srv->oldest);
	for (int i = 0; i < REFUSAL_KINDS; i++)
		flush_refusal(srv, &srv->refusals[i]);
	cc_loop_quit(loop);
}

void cc_server_stop(struct cc_server *srv)
{
	if (!srv)
		return;
	/* Stop accepting; let the workers finish what they hold (their replies are posted to the loop,
	 * which still runs); then close every connection and end the loop. */
	cc_loop_post(srv->loop, stop_accepting, srv);
	cc_workers_stop(srv->workers);
	cc_loop_post(srv->loop, close_all, srv);
	pthread_join(srv->loop_thread, NULL);
	if (srv->addr.is_unix)
		unlink(srv->addr.path);
	server_free(srv);
}
