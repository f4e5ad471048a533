/* WebSocket sessions on cc_server (RFC 6455 over HTTP/1.1, plain, TLS or unix socket): what kubectl
 * exec and attach run on. A route handler accepts the upgrade and returns at once, freeing its
 * worker as a streamed response does (response_stream.h); from then on the connection carries
 * messages both ways:
 *
 *     static const char *const protocols[] = { "v5.channel.k8s.io", "v4.channel.k8s.io", NULL };
 *     struct cc_websocket_config cfg = { .subprotocols = protocols, .on_message = got, .on_close = gone,
 *                                        .arg = session };
 *     struct cc_websocket *ws = cc_http_response_upgrade_websocket(req, resp, &cfg);
 *     if (!ws)
 *             return;                       // resp holds the refusal (400, 403 or 426)
 *     give ws to another thread: cc_websocket_send(ws, ...) as it likes, cc_websocket_close(ws, 1000, NULL) once
 *
 * The client's messages arrive through on_message on the server's loop thread (it must not block:
 * copy what you keep, pause reading when you cannot keep up). Sends are thread-safe and bounded:
 * past max_pending unsent bytes they fail with -ENOBUFS and on_drain says when to try again. The
 * server answers pings, reassembles fragments, enforces masking and the size limit (closing with
 * 1002 or 1009), runs the close handshake, and closes the session when the server stops (1001).
 * A session is not subject to the HTTP idle timeout (an interactive shell may be quiet for an
 * hour), but it counts against max_connections and the memory budgets like any connection.
 *
 * The handle returned is the writer's reference: it must be closed exactly once
 * (cc_websocket_close), whatever happened to the client. HTTP/2 (RFC 8441) is not served. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct cc_loop;
struct cc_websocket;

struct cc_websocket_config {
	/* Subprotocols we speak, NULL-terminated; the first one the client offers (in its order) is
	 * chosen, and a client offering none of them is refused. NULL: no subprotocol (a client that
	 * asks for one is refused). */
	const char *const *subprotocols;
	size_t max_message; /* a client's message, reassembled (0: 1 MiB); larger closes with 1009 */
	size_t max_pending; /* bytes queued for the client before sends fail with -ENOBUFS (0: 1 MiB) */
	/* A whole message from the client (text or binary). On the loop thread: must not block; data is
	 * valid during the call. Not called after on_close, nor once the writer closed. */
	void (*on_message)(void *arg, const void *data, size_t len, bool text);
	/* After a send failed with -ENOBUFS: room is back (half of max_pending). Loop thread. Optional. */
	void (*on_drain)(void *arg);
	/* Exactly once, on the loop thread, when the session ends for the server: the client's close
	 * (its code, or 1005 when it gave none), a protocol violation (the code we closed with: 1002,
	 * 1007, 1009, 1013), the connection lost or the close handshake left unanswered (1006), or the
	 * server stopping (1001). Sends fail with -EPIPE from then on; the writer still closes its handle. */
	void (*on_close)(void *arg, uint16_t code);
	void *arg;
};

/* True when the request asks for a WebSocket (an Upgrade header naming websocket), valid or not. */
bool cc_http_request_is_websocket(const struct cc_http_request *req);
/* 0 when req is an opening handshake this configuration accepts (RFC 6455 §4.2.1: GET over
 * HTTP/1.1, Upgrade: websocket, Connection: upgrade, a 16-byte Sec-WebSocket-Key,
 * Sec-WebSocket-Version 13, an Origin, if any, naming this host, an agreeable subprotocol); else the
 * HTTP status to refuse with (400; 403 for a cross-origin request; 426 for another version) and why. */
int cc_websocket_check_handshake(const struct cc_http_request *req, const struct cc_websocket_config *cfg,
				 struct cc_error *err);
/* In a handler: accepts the upgrade (101 with Sec-WebSocket-Accept and Sec-WebSocket-Protocol goes
 * out when the handler returns). NULL when the handshake is refused: resp then holds the error
 * (see cc_websocket_check_handshake). cfg is copied; the subprotocol strings must outlive the session. */
struct cc_websocket *cc_http_response_upgrade_websocket(const struct cc_http_request *req,
							struct cc_http_response *resp,
							const struct cc_websocket_config *cfg);
/* The subprotocol chosen ("" when none). */
const char *cc_websocket_subprotocol(const struct cc_websocket *ws);

/* Any thread: one binary message (sendv: made of the parts, e.g. a channel byte and the data) or a
 * text message. 0; -EPIPE once the session ended (or the writer closed); -ENOBUFS while
 * max_pending bytes wait for a slow client (nothing is queued: retry after on_drain). */
int cc_websocket_send(struct cc_websocket *ws, const void *data, size_t len);
int cc_websocket_sendv(struct cc_websocket *ws, const struct iovec *parts, int count);
int cc_websocket_send_text(struct cc_websocket *ws, const char *text, size_t len);
/* Any thread: stop (true) or resume (false) reading the client's messages, to push back when the
 * receiver cannot keep up. The client's own TCP window then fills. */
void cc_websocket_pause(struct cc_websocket *ws, bool paused);
/* True once the session ended (on_close was or is about to be called). */
bool cc_websocket_closed(struct cc_websocket *ws);
/* Any thread: sends a close frame after what is queued (code: 1000, or 1011 for an internal error;
 * reason optional, cut to 123 bytes), waits a while for the client's close, then closes the
 * connection; drops the writer's reference. Exactly once per session. */
void cc_websocket_close(struct cc_websocket *ws, uint16_t code, const char *reason);

/* ---- the server's side (lib/net only) ---- */

typedef void (*cc_websocket_kick_fn)(void *target);
/* The 101 was sent: kick(target) runs on the loop whenever there are bytes to send or reading is
 * paused or resumed. */
void cc_websocket_attach(struct cc_websocket *ws, struct cc_loop *loop, cc_websocket_kick_fn kick, void *target);
/* Takes up to len queued bytes (whole frames, in order). *ret_close_out is set once a close frame
 * was queued and every byte up to its end was taken. */
size_t cc_websocket_take(struct cc_websocket *ws, void *buf, size_t len, bool *ret_close_out);
/* Whether the writer asked to stop reading. */
bool cc_websocket_paused(struct cc_websocket *ws);
/* Whether the writer closed (its close frame is queued). */
bool cc_websocket_writer_closed(struct cc_websocket *ws);
/* Loop thread: a message for on_message (dropped after the end or the writer's close). */
void cc_websocket_deliver(struct cc_websocket *ws, const void *data, size_t len, bool text);
/* Loop thread: queues a pong (payload echoed) after what is queued. */
void cc_websocket_queue_pong(struct cc_websocket *ws, const void *payload, size_t len);
/* Loop thread: ends the session from the server's side: queues a close frame with code and reason
 * unless one is queued already (with_frame false: none, the connection is gone), refuses further
 * sends and calls on_close(code) if it was not called yet. */
void cc_websocket_end(struct cc_websocket *ws, uint16_t code, const char *reason, bool with_frame);
/* Ends the session (on_close(code) if not yet called) and drops the server's reference. */
void cc_websocket_abandon(struct cc_websocket *ws, uint16_t code);
/* The limit on a client's message. */
size_t cc_websocket_max_message(const struct cc_websocket *ws);
