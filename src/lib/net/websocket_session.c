/* WebSocket sessions shared between a writer thread and the server's loop (see websocket_session.h),
 * and the opening handshake's checks (RFC 6455 §4.2.1).
 *
 * The session holds the frames queued for the client: the writer's messages, framed as they are
 * sent, and the loop's pongs and close frame, all in one byte queue so they leave in order and the
 * loop never has to cut into a frame. One mutex guards the queue and the flags; the loop learns about
 * new bytes from a task posted at most once until it runs (kick_posted), as response_stream.c does.
 * References: the writer's (until cc_websocket_close), the server's (from the upgrade until
 * abandoned) and one per posted task; the last one frees. on_close runs once, guarded by ended. */
#include "lib/net/websocket_session.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/net/http.h"
#include "lib/net/loop.h"
#include "lib/net/websocket.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DEFAULT_PENDING (1u << 20)

struct cc_websocket {
	pthread_mutex_t lock;
	atomic_int refs;
	struct cc_websocket_config cfg;
	char subprotocol[64];
	struct cc_buf pending; /* whole frames for the client */
	size_t close_end;      /* when close_queued: pending bytes up to the end of the close frame */
	bool close_queued;     /* a close frame is in pending (nothing may follow it) */
	bool writer_closed;
	bool ended;       /* on_close was called (or is being called): sends fail */
	bool want_drain;  /* a send failed with -ENOBUFS: on_drain when room is back */
	bool paused;      /* the writer asked to stop reading */
	bool kick_posted; /* a kick task is queued on the loop */
	struct cc_loop *loop;
	cc_websocket_kick_fn kick;
	void *target; /* the connection; loop thread only */
};

static void release(struct cc_websocket *ws)
{
	if (atomic_fetch_sub(&ws->refs, 1) != 1)
		return;
	cc_buf_free(&ws->pending);
	pthread_mutex_destroy(&ws->lock);
	free(ws);
}

/* ---- the opening handshake ---- */

/* Calls fn for each comma-separated token of every header named name, trimmed; stops when fn
 * returns true and returns true then. */
static bool each_token(const struct cc_http_request *req, const char *name,
		       bool (*fn)(const char *token, size_t len, void *arg), void *arg)
{
	for (size_t i = 0; i < req->header_count; i++) {
		if (strcasecmp(req->headers[i].name, name) != 0)
			continue;
		const char *p = req->headers[i].value;
		while (*p) {
			size_t len = strcspn(p, ",");
			const char *t = p;
			size_t n = len;
			while (n && (*t == ' ' || *t == '\t'))
				t++, n--;
			while (n && (t[n - 1] == ' ' || t[n - 1] == '\t'))
				n--;
			if (n && fn(t, n, arg))
				return true;
			p += len;
			if (*p == ',')
				p++;
		}
	}
	return false;
}

static bool token_is(const char *token, size_t len, void *arg)
{
	const char *want = arg;
	return strlen(want) == len && strncasecmp(token, want, len) == 0;
}

bool cc_http_request_is_websocket(const struct cc_http_request *req)
{
	return each_token(req, "upgrade", token_is, (void *)"websocket");
}

struct protocol_choice {
	const char *const *ours;
	const char *chosen;
	size_t offered;
};

/* The client lists its protocols in its order of preference (§4.1 item 10); the first we speak
 * wins. Names compare exactly (§4.2.2: they are tokens, and k8s compares them as strings). */
static bool choose_protocol(const char *token, size_t len, void *arg)
{
	struct protocol_choice *c = arg;
	c->offered++;
	for (const char *const *p = c->ours; p && *p; p++) {
		if (strlen(*p) == len && strncmp(token, *p, len) == 0) {
			c->chosen = *p;
			return true;
		}
	}
	return false;
}

/* An Origin (sent by browsers, and by some clients with the URL's own origin) must name the host the
 * request was sent to: a page elsewhere must not reach the API with the browser's client certificate
 * (cross-site WebSocket hijacking; there is no CORS preflight for WebSockets). */
static bool same_origin(const char *origin, const char *host)
{
	const char *authority = strstr(origin, "://");
	if (!authority || !host)
		return false;
	authority += 3;
	size_t len = strcspn(authority, "/");
	return strlen(host) == len && strncasecmp(authority, host, len) == 0;
}

static int check_subprotocol(const struct cc_http_request *req, const struct cc_websocket_config *cfg,
			     const char **ret_chosen, struct cc_error *err)
{
	struct protocol_choice choice = { .ours = cfg->subprotocols };
	each_token(req, "sec-websocket-protocol", choose_protocol, &choice);
	*ret_chosen = choice.chosen;
	if (choice.chosen || (!cfg->subprotocols && choice.offered == 0))
		return 0;
	char ours[256] = "";
	size_t used = 0;
	for (const char *const *p = cfg->subprotocols; p && *p && used < sizeof(ours); p++) {
		int n = snprintf(ours + used, sizeof(ours) - used, "%s%s", used ? ", " : "", *p);
		used += n > 0 ? (size_t)n : 0;
	}
	if (!cfg->subprotocols)
		return cc_error_set(err, 400, "this endpoint speaks no WebSocket subprotocol; send none");
	const char *offered = cc_http_request_header(req, "sec-websocket-protocol");
	if (!offered)
		return cc_error_set(
		    err, 400, "no WebSocket subprotocol offered (Sec-WebSocket-Protocol); this endpoint speaks %s",
		    ours);
	return cc_error_set(err, 400,
			    "none of the offered WebSocket subprotocols (%s) is spoken here; this endpoint speaks %s",
			    offered, ours);
}

/* 0, or minus the HTTP status that refuses the handshake (the status stands in err's code, where
 * an errno would: these refusals are answers, not system errors). */
static int check(const struct cc_http_request *req, const struct cc_websocket_config *cfg, const char **ret_protocol,
		 char accept[CC_WS_ACCEPT_LEN + 1], struct cc_error *err)
{
	if (req->version != 11)
		return cc_error_set(err, 400,
				    req->version == 20
					? "WebSocket over HTTP/2 (RFC 8441) is not served here: connect with HTTP/1.1"
					: "a WebSocket needs HTTP/1.1");
	if (strcmp(req->method, "GET") != 0)
		return cc_error_set(err, 400, "a WebSocket opening handshake is a GET request, not %s", req->method);
	if (!cc_http_request_is_websocket(req))
		return cc_error_set(err, 400, "not a WebSocket request: the Upgrade header must name websocket");
	if (!each_token(req, "connection", token_is, (void *)"upgrade"))
		return cc_error_set(err, 400, "not a WebSocket request: the Connection header must include upgrade");
	const char *version = cc_http_request_header(req, "sec-websocket-version");
	if (!version || strcmp(version, "13") != 0)
		return cc_error_set(err, 426, "WebSocket version %s is not supported: only version 13 (RFC 6455)",
				    version ? version : "(none given)");
	const char *key = cc_http_request_header(req, "sec-websocket-key");
	if (!key || cc_ws_accept_key(key, accept) < 0)
		return cc_error_set(err, 400, "missing or malformed Sec-WebSocket-Key (base64 of 16 bytes)");
	const char *origin = cc_http_request_header(req, "origin");
	if (origin && !same_origin(origin, cc_http_request_header(req, "host")))
		return cc_error_set(err, 403, "cross-origin WebSocket refused: Origin `%s` is not this host", origin);
	return check_subprotocol(req, cfg, ret_protocol, err);
}

int cc_websocket_check_handshake(const struct cc_http_request *req, const struct cc_websocket_config *cfg,
				 struct cc_error *err)
{
	const char *protocol;
	char accept[CC_WS_ACCEPT_LEN + 1];
	return -check(req, cfg, &protocol, accept, err);
}

struct cc_websocket *cc_http_response_upgrade_websocket(const struct cc_http_request *req,
							struct cc_http_response *resp,
							const struct cc_websocket_config *cfg)
{
	const char *protocol = NULL;
	char accept[CC_WS_ACCEPT_LEN + 1];
	struct cc_error err = { 0 };
	int r = check(req, cfg, &protocol, accept, &err);
	if (r < 0) {
		cc_http_response_error(resp, -r, "%s", cc_error_message(&err));
		if (-r == 426)
			cc_http_response_add_header(resp, "Sec-WebSocket-Version", "13"); /* §4.4 */
		return NULL;
	}
	struct cc_websocket *ws = cc_xcalloc(1, sizeof(*ws));
	pthread_mutex_init(&ws->lock, NULL);
	atomic_init(&ws->refs, 2); /* the writer's and the server's */
	ws->cfg = *cfg;
	if (!ws->cfg.max_pending)
		ws->cfg.max_pending = DEFAULT_PENDING;
	snprintf(ws->subprotocol, sizeof(ws->subprotocol), "%s", protocol ? protocol : "");
	if (resp->websocket)
		cc_websocket_abandon(resp->websocket, CC_WS_CLOSE_ABNORMAL);
	resp->websocket = ws;
	resp->status = 101;
	cc_http_response_add_header(resp, "Upgrade", "websocket");
	cc_http_response_add_header(resp, "Connection", "Upgrade");
	cc_http_response_add_header(resp, "Sec-WebSocket-Accept", accept);
	if (protocol)
		cc_http_response_add_header(resp, "Sec-WebSocket-Protocol", protocol);
	return ws;
}

const char *cc_websocket_subprotocol(const struct cc_websocket *ws)
{
	return ws->subprotocol;
}

/* ---- the writer's side ---- */

static void run_kick(struct cc_loop *loop, void *arg)
{
	struct cc_websocket *ws = arg;
	pthread_mutex_lock(&ws->lock);
	ws->kick_posted = false;
	void *target = ws->target;
	pthread_mutex_unlock(&ws->lock);
	if (target)
		ws->kick(target);
	release(ws);
}

/* With the lock held. */
static void post_kick(struct cc_websocket *ws)
{
	if (ws->kick_posted || !ws->loop || !ws->target)
		return;
	ws->kick_posted = true;
	atomic_fetch_add(&ws->refs, 1);
	cc_loop_post(ws->loop, run_kick, ws);
}

static int send_message(struct cc_websocket *ws, enum cc_ws_opcode opcode, const struct iovec *parts, int count)
{
	uint64_t len = 0;
	for (int i = 0; i < count; i++)
		len += parts[i].iov_len;
	uint8_t head[CC_WS_MAX_FRAME_HEADER];
	size_t head_len = cc_ws_frame_header(head, opcode, true, len, NULL);
	pthread_mutex_lock(&ws->lock);
	int r = 0;
	if (ws->ended || ws->writer_closed || ws->close_queued) {
		r = -EPIPE;
	} else if (ws->pending.len + head_len + len > ws->cfg.max_pending) {
		ws->want_drain = true;
		r = -ENOBUFS;
	} else {
		size_t start = ws->pending.len;
		r = cc_buf_append(&ws->pending, head, head_len);
		for (int i = 0; r == 0 && i < count; i++)
			r = cc_buf_append(&ws->pending, parts[i].iov_base, parts[i].iov_len);
		if (r < 0) {
			ws->pending.len = start;
			r = -ENOMEM;
		} else {
			post_kick(ws);
		}
	}
	pthread_mutex_unlock(&ws->lock);
	return r;
}

int cc_websocket_send(struct cc_websocket *ws, const void *data, size_t len)
{
	struct iovec part = { .iov_base = (void *)data, .iov_len = len };
	return send_message(ws, CC_WS_OP_BINARY, &part, 1);
}

int cc_websocket_sendv(struct cc_websocket *ws, const struct iovec *parts, int count)
{
	return send_message(ws, CC_WS_OP_BINARY, parts, count);
}

int cc_websocket_send_text(struct cc_websocket *ws, const char *text, size_t len)
{
	struct iovec part = { .iov_base = (void *)text, .iov_len = len };
	return send_message(ws, CC_WS_OP_TEXT, &part, 1);
}

void cc_websocket_pause(struct cc_websocket *ws, bool paused)
{
	pthread_mutex_lock(&ws->lock);
	if (ws->paused != paused) {
		ws->paused = paused;
		post_kick(ws);
	}
	pthread_mutex_unlock(&ws->lock);
}

bool cc_websocket_closed(struct cc_websocket *ws)
{
	pthread_mutex_lock(&ws->lock);
	bool ended = ws->ended;
	pthread_mutex_unlock(&ws->lock);
	return ended;
}

/* With the lock held: a close frame after everything queued; nothing may follow it. */
static void queue_close(struct cc_websocket *ws, uint16_t code, const char *reason)
{
	if (ws->close_queued)
		return;
	struct cc_buf payload = CC_BUF_INIT;
	/* 1005 and 1006 are never sent (§7.4.1): answer a close without a code with an empty one. */
	if (code != CC_WS_CLOSE_NO_STATUS && code != CC_WS_CLOSE_ABNORMAL)
		cc_ws_close_payload(&payload, code, reason);
	cc_ws_frame_append(&ws->pending, CC_WS_OP_CLOSE, true, payload.data, payload.len, NULL);
	cc_buf_free(&payload);
	ws->close_queued = true;
	ws->close_end = ws->pending.len;
}

void cc_websocket_close(struct cc_websocket *ws, uint16_t code, const char *reason)
{
	if (!ws)
		return;
	pthread_mutex_lock(&ws->lock);
	ws->writer_closed = true;
	if (!ws->ended) {
		queue_close(ws, code ? code : CC_WS_CLOSE_NORMAL, reason);
		post_kick(ws);
	}
	pthread_mutex_unlock(&ws->lock);
	release(ws);
}

/* ---- the server's side ---- */

void cc_websocket_attach(struct cc_websocket *ws, struct cc_loop *loop, cc_websocket_kick_fn kick, void *target)
{
	pthread_mutex_lock(&ws->lock);
	ws->loop = loop;
	ws->kick = kick;
	ws->target = target;
	/* What was sent while the 101 was on its way goes out now. */
	if (ws->pending.len || ws->paused)
		post_kick(ws);
	pthread_mutex_unlock(&ws->lock);
}

size_t cc_websocket_take(struct cc_websocket *ws, void *buf, size_t len, bool *ret_close_out)
{
	pthread_mutex_lock(&ws->lock);
	size_t n = ws->pending.len < len ? ws->pending.len : len;
	if (n) {
		memcpy(buf, ws->pending.data, n);
		cc_buf_consume(&ws->pending, n);
		if (ws->close_queued)
			ws->close_end -= n < ws->close_end ? n : ws->close_end;
		if (ws->pending.len == 0)
			cc_buf_free(&ws->pending); /* an idle session keeps no buffer */
	}
	*ret_close_out = ws->close_queued && ws->close_end == 0;
	bool drained = ws->want_drain && !ws->ended && ws->pending.len <= ws->cfg.max_pending / 2;
	if (drained)
		ws->want_drain = false;
	pthread_mutex_unlock(&ws->lock);
	if (drained && ws->cfg.on_drain)
		ws->cfg.on_drain(ws->cfg.arg);
	return n;
}

bool cc_websocket_paused(struct cc_websocket *ws)
{
	pthread_mutex_lock(&ws->lock);
	bool paused = ws->paused;
	pthread_mutex_unlock(&ws->lock);
	return paused;
}

bool cc_websocket_writer_closed(struct cc_websocket *ws)
{
	pthread_mutex_lock(&ws->lock);
	bool closed = ws->writer_closed;
	pthread_mutex_unlock(&ws->lock);
	return closed;
}

void cc_websocket_deliver(struct cc_websocket *ws, const void *data, size_t len, bool text)
{
	pthread_mutex_lock(&ws->lock);
	bool wanted = !ws->ended && !ws->writer_closed && ws->cfg.on_message;
	pthread_mutex_unlock(&ws->lock);
	if (wanted)
		ws->cfg.on_message(ws->cfg.arg, data, len, text);
}

void cc_websocket_queue_pong(struct cc_websocket *ws, const void *payload, size_t len)
{
	pthread_mutex_lock(&ws->lock);
	if (!ws->close_queued) /* nothing may follow a close frame (§5.5.1) */
		cc_ws_frame_append(&ws->pending, CC_WS_OP_PONG, true, payload, len, NULL);
	pthread_mutex_unlock(&ws->lock);
}

void cc_websocket_end(struct cc_websocket *ws, uint16_t code, const char *reason, bool with_frame)
{
	pthread_mutex_lock(&ws->lock);
	bool first = !ws->ended;
	ws->ended = true;
	if (with_frame)
		queue_close(ws, code, reason);
	pthread_mutex_unlock(&ws->lock);
	if (first && ws->cfg.on_close)
		ws->cfg.on_close(ws->cfg.arg, code);
}

void cc_websocket_abandon(struct cc_websocket *ws, uint16_t code)
{
	pthread_mutex_lock(&ws->lock);
	ws->target = NULL;
	pthread_mutex_unlock(&ws->lock);
	cc_websocket_end(ws, code, NULL, false);
	release(ws);
}

size_t cc_websocket_max_message(const struct cc_websocket *ws)
{
	return ws->cfg.max_message;
}
