/* HTTP/2 on a cc_server connection: the session (lib/net/h2.c) parses and frames; this file feeds
 * it what was read, sends requests to the workers and their replies back into the session, and
 * writes what the session produces, pulling streamed bodies only as fast as the socket drains. */
#include "lib/base/log.h"
#include "lib/net/server_internal.h"

#include <stdio.h>
#include <string.h>

#define H2_OUT_HIGH (256u << 10) /* stop asking the session for frames while this much is unsent */

static void on_request(void *ctx, int32_t stream_id, struct h2_request *req)
{
	struct connection *c = ctx;
	if (server_submit_h2(c, stream_id, req))
		return;
	struct h2_reply reply = { 0 };
	cc_http_response_init(&reply.http);
	reply.grpc = cc_http_request_header(&req->req, "content-type") &&
		     strncmp(cc_http_request_header(&req->req, "content-type"), "application/grpc", 16) == 0;
	if (reply.grpc) {
		reply.grpc_status = CC_GRPC_UNAVAILABLE;
		snprintf(reply.grpc_message, sizeof(reply.grpc_message), "server busy: every worker is taken");
	} else {
		cc_http_response_error(&reply.http, 503, "server busy: every worker is taken, retry later");
	}
	h2_request_free(req);
	h2_session_reply(c->h2, stream_id, &reply);
}

/* Writes what the session has to send; closes when the session is over. */
static void pump(struct connection *c)
{
	while (!c->closed) {
		if (h2_session_send(c->h2, &c->out, H2_OUT_HIGH) < 0) {
			conn_close(c);
			return;
		}
		if (!conn_flush(c))
			return;
		if (c->out.len) /* the socket is full: EPOLLOUT calls h2_conn_drained */
			return;
		if (!h2_session_alive(c->h2)) {
			conn_close(c);
			return;
		}
		/* Nothing left to write: wait for input, a reply, or a streamed body's data. */
		if (!h2_session_want_write(c->h2))
			return;
	}
}

static void on_output(void *ctx)
{
	pump(ctx);
}

int h2_conn_start(struct connection *c)
{
	const struct cc_server_config *cfg = &c->srv->cfg;
	c->h2cfg = (struct h2_config){
		.routes = cfg->routes,
		.route_count = cfg->route_count,
		.grpc_methods = cfg->grpc_methods,
		.grpc_method_count = cfg->grpc_method_count,
		.max_body = cfg->max_body,
		.max_grpc_message = cfg->max_grpc_message,
		.max_header_bytes = cfg->max_header_bytes,
		.max_streams = cfg->max_streams,
		.peer = &c->peer,
		.conn_budget = &c->budget,
		.server_budget = &c->srv->budget,
		.on_request = on_request,
		.on_output = on_output,
		.ctx = c,
		.loop = c->srv->loop,
	};
	if (h2_session_new(&c->h2cfg, &c->h2) < 0) {
		conn_close(c);
		return -1;
	}
	pump(c); /* our SETTINGS */
	return 0;
}

void h2_conn_free(struct connection *c)
{
	h2_session_free(c->h2); /* abandons streamed bodies: their writers see the client gone */
	c->h2 = NULL;
}

void h2_conn_process(struct connection *c)
{
	int r = h2_session_recv(c->h2, (const uint8_t *)c->in.data, c->in.len);
	cc_buf_reset(&c->in);
	if (r < 0) {
		/* Flush a final GOAWAY after a protocol error, best effort. */
		h2_session_send(c->h2, &c->out, 0);
		c->close_after_flush = true;
		conn_flush(c);
		return;
	}
	pump(c);
}

void h2_conn_drained(struct connection *c)
{
	pump(c);
}
