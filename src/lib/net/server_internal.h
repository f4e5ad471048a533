/* What the parts of cc_server share: the server, its connections, and the jobs that carry requests
 * to the worker threads and back. Everything here is touched on the loop thread only, except a
 * job while a worker runs it. lib/net only. */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/address.h"
#include "lib/net/budget.h"
#include "lib/net/h2.h"
#include "lib/net/http1.h"
#include "lib/net/loop.h"
#include "lib/net/peer.h"
#include "lib/net/server.h"
#include "lib/net/workers.h"

#include <openssl/ssl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum conn_state {
	CONN_HANDSHAKE, /* TLS handshake */
	CONN_DETECT,    /* reading enough to tell the HTTP/2 preface from an HTTP/1.1 request */
	CONN_HTTP1,
	CONN_H2,
	CONN_LINGER,    /* refused: output flushed and half-closed, input drained for a while */
	CONN_WEBSOCKET, /* upgraded (server_websocket.c) */
};

struct connection {
	struct cc_server *srv;
	int fd;
	SSL *ssl;
	struct cc_peer peer;
	char source[64]; /* address without the port: the unit of per-source budgets */
	enum conn_state state;
	bool authenticated; /* a verified client certificate, or a unix socket peer */
	bool counted_handshake;
	struct cc_buf in, out;
	uint32_t interest; /* epoll events asked for */
	bool read_paused;
	bool close_after_flush;
	bool linger_after_flush;
	bool closed; /* out of the loop; freed when jobs reach 0 */
	int jobs;    /* requests at the workers */
	int64_t last_read_ms;
	int64_t write_stalled_since; /* output waiting and no progress since (0: nothing waits) */
	int64_t deadline_ms;         /* of the current phase: handshake, request, linger (0: none) */
	size_t lingered;
	struct cc_mem_budget budget;
	struct cc_mem_charge http1_charge;
	/* HTTP/1.1 */
	struct http1_parser *http1;
	bool http1_busy;       /* a request is at a worker, or its response is streaming */
	bool http1_in_request; /* bytes of the next request have arrived */
	bool http1_keep_alive;
	struct cc_response_stream *http1_stream;
	/* WebSocket, after an upgrade */
	struct ws_conn *ws;
	/* HTTP/2 */
	struct h2_config h2cfg;
	struct h2_session *h2;
	struct connection *prev, *next; /* the server's list, oldest first */
};

/* Repeated refusals are logged and reported once per kind and window, then counted (issue 11). */
#define REFUSAL_KINDS     16
#define REFUSAL_WINDOW_MS 10000

struct refusal_kind {
	char reason[160];
	int64_t window_start_ms;
	unsigned suppressed;
	struct cc_peer last_peer;
};

struct source_count {
	char source[64];
	int handshakes;
};

struct cc_server {
	struct cc_server_config cfg;
	struct cc_address addr;
	SSL_CTX *tls;
	int listen_fd;
	int port;
	struct cc_loop *loop;
	struct cc_workers *workers;
	pthread_t loop_thread;
	bool stopping;
	struct connection *oldest, *newest;
	int connection_count;
	struct cc_mem_budget budget; /* request bytes held, all connections */
	struct refusal_kind refusals[REFUSAL_KINDS];
	struct source_count *sources; /* open addressing, source_cap slots */
	size_t source_cap;
};

/* server.c */
void server_refuse(struct cc_server *srv, const struct cc_peer *peer, const char *reason);
void server_authenticated(struct cc_server *srv, struct connection *c);
void server_handshake_done(struct cc_server *srv, struct connection *c);
/* Sends a request to the workers; false when they are saturated (answer 503). */
bool server_submit_http1(struct connection *c, struct cc_http_request *req);
bool server_submit_h2(struct connection *c, int32_t stream_id, struct h2_request *req);

/* server_conn.c: bytes on the wire */
void conn_on_event(struct cc_loop *loop, int fd, uint32_t events, void *data);
/* Writes what out holds; false once the connection is closed. */
bool conn_flush(struct connection *c);
/* One attempt to write what out holds, without closing on failure (a last word before closing). */
void conn_write_once(struct connection *c);
void conn_update_interest(struct connection *c);
/* Reading was paused (a request at a worker); take what is buffered, then read again. */
void conn_resume(struct connection *c);
void conn_close(struct connection *c);
void conn_free(struct connection *c);
/* After an error answer: flush, half-close, and drain the client's input for a while. */
void conn_linger(struct connection *c);
int64_t conn_idle_timeout(const struct connection *c);

/* server_http1.c */
void http1_conn_start(struct connection *c);
void http1_conn_process(struct connection *c);
void http1_conn_reply(struct connection *c, struct cc_http_request *req, struct cc_http_response *resp);
void http1_conn_drained(struct connection *c);
void http1_conn_refuse(struct connection *c, int status, const char *why);
void http1_conn_close(struct connection *c);
void http1_conn_free(struct connection *c);

/* server_websocket.c */
struct cc_websocket;
void ws_write_head(struct cc_buf *out, const struct cc_http_response *resp);
/* The 101 is in the output: the connection carries the session from now on. */
void ws_conn_start(struct connection *c, struct cc_websocket *session);
void ws_conn_process(struct connection *c);
void ws_conn_drained(struct connection *c);
void ws_conn_check_deadline(struct connection *c, int64_t now);
void ws_conn_close(struct connection *c);
void ws_conn_free(struct connection *c);

/* server_h2.c */
int h2_conn_start(struct connection *c);
void h2_conn_process(struct connection *c);
void h2_conn_drained(struct connection *c);
void h2_conn_free(struct connection *c);
