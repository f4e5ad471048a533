/* HTTP/1.1 on a cc_server connection: one request at a time (pipelined requests wait in the input
 * buffer), handlers on the workers, responses with Content-Length or, when the handler streams,
 * chunked transfer coding (RFC 9112 §7.1). Reading pauses while a request is at a worker, so a
 * client cannot queue unbounded work on one connection. */
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/response_stream.h"
#include "lib/net/server_internal.h"

#include <stdio.h>
#include <string.h>

#define STREAM_OUT_HIGH (256u << 10) /* stop pulling a streamed body while this much is unsent */
#define STREAM_CHUNK    (64u << 10)

void http1_conn_start(struct connection *c)
{
	const struct cc_server_config *cfg = &c->srv->cfg;
	struct http1_limits limits = {
		.max_header_bytes = cfg->max_header_bytes,
		.max_body = cfg->max_body,
		.routes = cfg->routes,
		.route_count = cfg->route_count,
	};
	c->http1 = http1_parser_new(&limits, &c->peer);
	http1_parser_set_charge(c->http1, &c->http1_charge);
}

void http1_conn_close(struct connection *c)
{
	if (c->http1_stream) {
		cc_response_stream_abandon(c->http1_stream);
		c->http1_stream = NULL;
	}
}

void http1_conn_free(struct connection *c)
{
	/* Not at close: a worker may still be reading the parser's request (freed with the connection
	 * when its job comes back). */
	http1_parser_free(c->http1);
	c->http1 = NULL;
}

void http1_conn_refuse(struct connection *c, int status, const char *why)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_response_error(&resp, status, "%s", why);
	http1_write_response(&c->out, &resp, false, false);
	cc_http_response_free(&resp);
	cc_debug("%s refused with %d: %s", c->peer.address, status, why);
	c->http1_busy = true; /* nothing more is parsed on this connection */
	conn_linger(c);
}

/* The request is complete: hand it to a worker and stop reading until the reply. */
static void dispatch(struct connection *c)
{
	c->http1_busy = true;
	c->read_paused = true;
	c->http1_keep_alive = http1_parser_keep_alive(c->http1) && !c->srv->stopping;
	if (!server_submit_http1(c, http1_parser_request(c->http1))) {
		c->http1_busy = false;
		http1_conn_refuse(c, 503, "server busy: every worker is taken, retry later");
		return;
	}
	conn_update_interest(c);
}

void http1_conn_process(struct connection *c)
{
	if (c->http1_busy && c->in.len > c->srv->cfg.max_header_bytes) {
		/* Pipelined input while a response streams: enough is buffered; read again later. */
		c->read_paused = true;
		conn_update_interest(c);
		return;
	}
	while (!c->closed && !c->http1_busy) {
		size_t used = 0;
		enum http1_event ev = http1_parser_feed(c->http1, c->in.data ? c->in.data : "", c->in.len, &used);
		cc_buf_consume(&c->in, used);
		if (used > 0 && !c->http1_in_request) {
			c->http1_in_request = true;
			c->deadline_ms = cc_time_monotonic_ms() + c->srv->cfg.request_timeout_ms;
		}
		switch (ev) {
		case HTTP1_ERROR:
			http1_conn_refuse(c, http1_parser_error_status(c->http1), http1_parser_error_text(c->http1));
			return;
		case HTTP1_HEADERS:
			/* RFC 9110 §10.1.1: tell a waiting client to send the body. Over-limit bodies were
			 * already refused by the parser before this point. */
			if (http1_parser_expects_continue(c->http1)) {
				cc_buf_append_str(&c->out, "HTTP/1.1 100 Continue\r\n\r\n");
				if (!conn_flush(c))
					return;
			}
			continue;
		case HTTP1_REQUEST: dispatch(c); return;
		case HTTP1_NEED_MORE: return;
		}
	}
}

/* The request is answered completely: parse the next one (pipelined input may be waiting). */
static void request_finished(struct connection *c)
{
	c->http1_busy = false;
	http1_parser_next(c->http1);
	c->http1_in_request = false;
	c->deadline_ms = 0;
	if (!c->http1_keep_alive) {
		c->close_after_flush = true;
		conn_flush(c);
		return;
	}
	conn_resume(c);
}

/* Moves the streamed body into the output as chunks while the socket keeps up. */
static void pump_stream(struct connection *c)
{
	char chunk[STREAM_CHUNK];
	for (;;) {
		size_t taken = 0;
		bool was_full = c->out.len >= STREAM_OUT_HIGH;
		while (c->http1_stream && c->out.len < STREAM_OUT_HIGH) {
			bool done;
			size_t n = cc_response_stream_take(c->http1_stream, chunk, sizeof(chunk), &done);
			if (n)
				cc_buf_appendf(&c->out, "%zx\r\n", n), cc_buf_append(&c->out, chunk, n),
				    cc_buf_append_str(&c->out, "\r\n");
			taken += n;
			if (done) {
				cc_buf_append_str(&c->out, "0\r\n\r\n"); /* last-chunk, no trailers */
				cc_response_stream_abandon(c->http1_stream);
				c->http1_stream = NULL;
				if (!conn_flush(c))
					return;
				request_finished(c);
				return;
			}
			if (n == 0)
				break;
		}
		if (!conn_flush(c))
			return;
		/* The socket took it all: take more now, since no EPOLLOUT will come to ask (a burst over
		 * STREAM_OUT_HIGH would otherwise wait for the writer's next write), also when the output
		 * was too full to take anything before this flush. */
		if ((!taken && !was_full) || c->out.len || !c->http1_stream)
			return;
	}
}

static void stream_kick(void *target)
{
	pump_stream(target);
}

static void write_stream_head(struct cc_buf *out, const struct cc_http_response *resp)
{
	/* Like http1_write_response, with chunked coding instead of a length. */
	cc_buf_appendf(out, "HTTP/1.1 %d %s\r\nServer: cocoon\r\nContent-Type: %s\r\nTransfer-Encoding: chunked\r\n",
		       resp->status, cc_http_status_text(resp->status), resp->content_type);
	cc_buf_append_str(out, "X-Content-Type-Options: nosniff\r\nCache-Control: no-store\r\n");
	for (size_t i = 0; i < resp->header_count; i++)
		cc_buf_appendf(out, "%s: %s\r\n", resp->headers[i].name, resp->headers[i].value);
	cc_buf_append_str(out, "\r\n");
}

void http1_conn_reply(struct connection *c, struct cc_http_request *req, struct cc_http_response *resp)
{
	bool head = strcmp(req->method, "HEAD") == 0;
	cc_debug("%s %s %s -> %d", c->peer.address, req->method, req->path, resp->status);
	if (resp->websocket && resp->status == 101) {
		ws_write_head(&c->out, resp);
		struct cc_websocket *session = resp->websocket; /* the server's reference moves to the connection */
		resp->websocket = NULL;
		ws_conn_start(c, session);
		return;
	}
	if (resp->stream && !head) {
		write_stream_head(&c->out, resp);
		c->http1_stream = resp->stream; /* the server's reference moves to the connection */
		resp->stream = NULL;
		cc_response_stream_attach(c->http1_stream, c->srv->loop, stream_kick, c);
		/* The client may close while waiting for data: watch for it (its input is not parsed
		 * until the stream ends). */
		c->read_paused = false;
		conn_flush(c);
		return;
	}
	http1_write_response(&c->out, resp, head, c->http1_keep_alive);
	if (!c->http1_keep_alive) {
		c->close_after_flush = true;
		conn_flush(c);
		return;
	}
	/* Drained before the next request is read, so a pipelining client cannot make the output grow. */
	if (!conn_flush(c))
		return;
	if (c->out.len == 0)
		request_finished(c);
}

void http1_conn_drained(struct connection *c)
{
	if (c->http1_stream) {
		pump_stream(c);
		return;
	}
	if (c->http1_busy && c->jobs == 0 && !c->close_after_flush && c->state == CONN_HTTP1)
		request_finished(c);
}
