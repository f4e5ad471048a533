/* A cc_server connection after a 101 Switching Protocols to WebSocket (RFC 6455): frames read from
 * the client go through the reader (websocket.c) to the session's on_message; the session's queue
 * (websocket_session.c) is moved into the connection's output while the socket keeps up.
 *
 * The close handshake (§7.1): whoever closes first sends a close frame; the other answers with one;
 * then the server closes TCP first (§7.1.1). A client's close is answered at once and the connection
 * closed once the answer is out. When the writer closes, we wait CLOSE_WAIT_MS for the client's
 * answer. A violation is answered with its close code and a lingering close (the client may still
 * be sending: closing at once could turn our close frame into a reset). The HTTP idle timeout does not
 * apply here; the write-stall deadline of every connection does. */
#include "lib/base/cleanup.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/server_internal.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_session.h"

#include <stdlib.h>
#include <string.h>

#define WS_OUT_HIGH   (256u << 10) /* stop taking from the session while this much is unsent */
#define WS_CHUNK      (64u << 10)
#define CLOSE_WAIT_MS 5000 /* for the client's answer to our close frame */

struct ws_conn {
	struct cc_websocket *session; /* the server's reference */
	struct cc_ws_reader *reader;
	struct cc_mem_charge charge; /* the message being reassembled */
	bool closing;                /* the session ended, or our close frame is queued: read no more data */
	bool close_out;              /* our close frame went to the output */
	bool close_in;               /* the client's close frame arrived (or reading is over) */
	bool linger;                 /* close lingering (after a violation) */
};

static void pump(struct connection *c);

/* Reading stops while the writer asks, and once the client's close came or we failed it. */
static void update_reading(struct connection *c)
{
	struct ws_conn *w = c->ws;
	bool paused = w->close_in || cc_websocket_paused(w->session);
	if (paused == c->read_paused)
		return;
	if (paused) {
		c->read_paused = true;
		conn_update_interest(c);
	} else {
		conn_resume(c);
	}
}

static void kick(void *target)
{
	struct connection *c = target;
	if (c->closed || c->state != CONN_WEBSOCKET)
		return;
	pump(c);
	if (!c->closed)
		update_reading(c);
}

void ws_conn_start(struct connection *c, struct cc_websocket *session)
{
	struct ws_conn *w = cc_xcalloc(1, sizeof(*w));
	c->ws = w;
	c->state = CONN_WEBSOCKET;
	c->deadline_ms = 0;
	w->session = session;
	w->reader = cc_ws_reader_new(cc_websocket_max_message(session));
	w->charge = (struct cc_mem_charge){ .conn = &c->budget, .server = &c->srv->budget };
	cc_ws_reader_set_charge(w->reader, &w->charge);
	/* The request that asked for the upgrade is done with; its bytes are given back. */
	http1_parser_next(c->http1);
	c->http1_in_request = false;
	cc_websocket_attach(session, c->srv->loop, kick, c);
	c->read_paused = false;
	if (!conn_flush(c))
		return;
	/* The client may have sent frames right behind its handshake. */
	conn_resume(c);
}

/* The session ended from our side (a violation, or the server stopping): close frame, no more reading. */
static void fail(struct connection *c, uint16_t code, const char *why)
{
	struct ws_conn *w = c->ws;
	cc_debug("%s: WebSocket closed with %u: %s", c->peer.address, code, why);
	w->closing = true;
	w->close_in = true;
	w->linger = true;
	cc_websocket_end(w->session, code, why, true);
}

/* The client's close frame: answer it (echoing its code) and end the session. */
static void client_closed(struct connection *c)
{
	struct ws_conn *w = c->ws;
	uint16_t code = cc_ws_reader_close_code(w->reader);
	w->close_in = true;
	w->closing = true;
	cc_websocket_end(w->session, code, NULL, true);
}

/* Takes what is buffered in c->in, one event at a time; stops when reading pauses. */
void ws_conn_process(struct connection *c)
{
	struct ws_conn *w = c->ws;
	while (!c->closed && c->in.len && !w->close_in) {
		size_t used = 0;
		enum cc_ws_event ev = cc_ws_reader_feed(w->reader, c->in.data, c->in.len, &used);
		cc_buf_consume(&c->in, used);
		size_t len;
		const uint8_t *data = cc_ws_reader_data(w->reader, &len);
		switch (ev) {
		case CC_WS_NEED_MORE: break;
		case CC_WS_MESSAGE:
			if (!w->closing)
				cc_websocket_deliver(w->session, data, len, cc_ws_reader_text(w->reader));
			break;
		case CC_WS_PING: cc_websocket_queue_pong(w->session, data, len); break;
		case CC_WS_PONG: break; /* we send no pings: an unsolicited pong is allowed (§5.5.3) */
		case CC_WS_CLOSED: client_closed(c); break;
		case CC_WS_ERROR:
			fail(c, cc_ws_reader_close_code(w->reader), cc_ws_reader_close_reason(w->reader));
			break;
		}
		if (c->closed)
			return;
		if (ev == CC_WS_NEED_MORE)
			break;
		/* on_message may have asked to pause: leave the rest where it is. */
		if (cc_websocket_paused(w->session) && !w->close_in)
			break;
	}
	if (w->close_in)
		cc_buf_free(&c->in);
	pump(c);
	if (!c->closed)
		update_reading(c);
}

/* Moves queued frames into the output while the socket keeps up; closes once both close frames
 * have been exchanged. */
static void pump(struct connection *c)
{
	struct ws_conn *w = c->ws;
	char chunk[WS_CHUNK];
	bool more = true;
	while (more) {
		size_t taken = 0;
		bool was_full = c->out.len >= WS_OUT_HIGH;
		while (!w->close_out && c->out.len < WS_OUT_HIGH) {
			bool close_out = false;
			size_t n = cc_websocket_take(w->session, chunk, sizeof(chunk), &close_out);
			if (n && cc_buf_append(&c->out, chunk, n) < 0) {
				conn_close(c);
				return;
			}
			taken += n;
			if (close_out) {
				w->close_out = true;
				w->closing = true;
				if (!w->close_in) /* we closed first: the client has a while to answer */
					c->deadline_ms = cc_time_monotonic_ms() + CLOSE_WAIT_MS;
			}
			if (n == 0)
				break;
		}
		if (w->close_out && w->close_in) {
			c->close_after_flush = true;
			c->linger_after_flush = w->linger;
		}
		if (!conn_flush(c))
			return;
		/* The socket took everything: take more now, as no EPOLLOUT will come to ask for it (also
		 * when the output was too full to take anything before this flush). */
		more = (taken > 0 || was_full) && c->out.len == 0 && !w->close_out;
	}
}

void ws_conn_drained(struct connection *c)
{
	pump(c);
}

void ws_conn_check_deadline(struct connection *c, int64_t now)
{
	struct ws_conn *w = c->ws;
	if (w->close_out && !w->close_in && c->deadline_ms && now >= c->deadline_ms) {
		cc_debug("%s: WebSocket close not answered in time", c->peer.address);
		cc_websocket_end(w->session, CC_WS_CLOSE_ABNORMAL, NULL, false);
		conn_close(c);
	}
}

void ws_conn_close(struct connection *c)
{
	struct ws_conn *w = c->ws;
	if (!w || !w->session)
		return;
	if (c->srv->stopping && !w->close_out) {
		/* A last word before the descriptor closes: what is queued and a close frame (1001), in
		 * one write attempt; a client that does not read it sees the connection end anyway. */
		cc_websocket_end(w->session, CC_WS_CLOSE_GOING_AWAY, "server shutting down", true);
		char chunk[WS_CHUNK];
		bool close_out = false;
		size_t n;
		while (!close_out && (n = cc_websocket_take(w->session, chunk, sizeof(chunk), &close_out)) > 0)
			cc_buf_append(&c->out, chunk, n);
		conn_write_once(c);
	}
	cc_websocket_abandon(w->session, CC_WS_CLOSE_ABNORMAL);
	w->session = NULL;
}

void ws_conn_free(struct connection *c)
{
	struct ws_conn *w = c->ws;
	if (!w)
		return;
	if (w->session)
		cc_websocket_abandon(w->session, CC_WS_CLOSE_ABNORMAL);
	cc_ws_reader_free(w->reader);
	cc_mem_charge_release(&w->charge);
	free(w);
	c->ws = NULL;
}

void ws_write_head(struct cc_buf *out, const struct cc_http_response *resp)
{
	cc_buf_append_str(out, "HTTP/1.1 101 Switching Protocols\r\nServer: cocoon\r\n");
	for (size_t i = 0; i < resp->header_count; i++)
		cc_buf_appendf(out, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	cc_buf_append_str(out, "\r\n");
}
