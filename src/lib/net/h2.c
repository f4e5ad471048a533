/* HTTP/2 server session on nghttp2. nghttp2 enforces the framing rules. Its HTTP messaging checks
 * are switched off because they reject an :authority holding a unix socket path, which Go gRPC
 * clients (kube-apiserver's KMS client among them) send; the request rules of RFC 9113 §8.2-8.3
 * are checked here instead (validate_header). This file collects each stream's request, applies the
 * limits of the route or gRPC method it is sent to as soon as the headers name it (a body for a
 * path nobody serves is never buffered), charges buffered bytes to the connection's and the server's
 * budgets, and turns handler results into HEADERS/DATA/trailers. gRPC responses follow PROTOCOL-HTTP2:
 * success is HEADERS + DATA + trailers (grpc-status 0); failure is Trailers-Only (one HEADERS
 * frame with grpc-status, END_STREAM). */
#include "lib/net/h2.h"

#include "lib/base/cleanup.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/response_stream.h"

#include <errno.h>
#include <nghttp2/nghttp2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define DISCARD_LIMIT (16u << 20)

struct h2_stream {
	int32_t id;
	struct h2_session *session;
	struct h2_stream *prev, *next; /* all streams of the session, freed with it */
	struct cc_http_request req;
	struct cc_mem_charge charge; /* the body's bytes */
	size_t body_limit;           /* set when the headers are complete */
	char *authority;
	char *raw_path; /* :path as sent */
	size_t header_bytes;
	int header_error;  /* HTTP status to answer once the request ends (431), or 0 */
	bool dispatched;   /* the request went to a handler */
	bool responded;    /* a response was submitted */
	bool discard;      /* answered early: ignore further request data */
	size_t discarded;  /* bytes ignored since */
	bool regular_seen; /* a regular header arrived: pseudo-headers must precede them */
	bool have_scheme;
	struct cc_buf out; /* response body being sent */
	size_t out_off;
	struct cc_response_stream *body_stream; /* a streamed body instead of out */
	enum cc_grpc_code deferred_grpc_status; /* a refusal to send when the request ends (0: none) */
	bool grpc_trailers;                     /* send grpc-status trailers after the body */
	enum cc_grpc_code grpc_status;
	char grpc_message[512];
};

struct h2_session {
	nghttp2_session *ng;
	struct h2_config cfg;
	size_t open_streams;
	/* nghttp2 does not call on_stream_close for a stream it refused after on_begin_headers,
	 * so the session keeps its own list to free every stream it allocated. */
	struct h2_stream *streams;
};

#define NV(n, v)                                                                                                       \
	{                                                                                                              \
		(uint8_t *)(n), (uint8_t *)(v), strlen(n), strlen(v), NGHTTP2_NV_FLAG_NONE                             \
	}

static void stream_free(struct h2_session *s, struct h2_stream *st)
{
	if (st->prev)
		st->prev->next = st->next;
	else
		s->streams = st->next;
	if (st->next)
		st->next->prev = st->prev;
	s->open_streams--;
	/* gRPC messages carry data keys (KMS Encrypt requests, Decrypt answers): the stream's copies
	 * are wiped, not just freed. */
	cc_buf_free_secure(&st->req.body);
	cc_mem_charge_release(&st->charge);
	cc_http_request_reset(&st->req);
	free(st->authority);
	free(st->raw_path);
	cc_buf_free_secure(&st->out);
	if (st->body_stream)
		cc_response_stream_abandon(st->body_stream);
	free(st);
}

static bool is_grpc(const struct cc_http_request *req)
{
	const char *type = cc_http_request_header(req, "content-type");
	return type && strncasecmp(type, "application/grpc", 16) == 0 &&
	       (type[16] == '\0' || type[16] == '+' || type[16] == ';');
}

static void submit_trailers(nghttp2_session *ng, struct h2_stream *st, uint32_t *flags)
{
	char code[8], message[3 * sizeof(st->grpc_message) + 1];
	snprintf(code, sizeof(code), "%d", st->grpc_status);
	cc_grpc_percent_encode(st->grpc_message, message, sizeof(message));
	nghttp2_nv trailers[] = { NV("grpc-status", code), NV("grpc-message", message) };
	size_t count = st->grpc_message[0] ? 2 : 1;
	if (nghttp2_submit_trailer(ng, st->id, trailers, count) == 0)
		*flags |= NGHTTP2_DATA_FLAG_NO_END_STREAM;
}

static ssize_t read_body(nghttp2_session *ng, int32_t stream_id, uint8_t *buf, size_t length, uint32_t *flags,
			 nghttp2_data_source *source, void *user_data)
{
	struct h2_stream *st = source->ptr;
	if (st->body_stream) {
		bool done;
		size_t n = cc_response_stream_take(st->body_stream, buf, length, &done);
		if (done)
			*flags |= NGHTTP2_DATA_FLAG_EOF;
		else if (n == 0)
			return NGHTTP2_ERR_DEFERRED; /* resumed by stream_kick when the writer has more */
		return (ssize_t)n;
	}
	size_t left = st->out.len - st->out_off;
	size_t n = left < length ? left : length;
	if (n)
		memcpy(buf, st->out.data + st->out_off, n);
	st->out_off += n;
	if (st->out_off == st->out.len) {
		*flags |= NGHTTP2_DATA_FLAG_EOF;
		if (st->grpc_trailers)
			submit_trailers(ng, st, flags);
	}
	return (ssize_t)n;
}

/* Runs on the loop when a streamed body has more data or ended. */
static void stream_kick(void *target)
{
	struct h2_stream *st = target;
	struct h2_session *s = st->session;
	nghttp2_session_resume_data(s->ng, st->id);
	if (s->cfg.on_output)
		s->cfg.on_output(s->cfg.ctx);
}

static void submit_grpc_trailers_only(struct h2_session *s, struct h2_stream *st, enum cc_grpc_code code,
				      const char *why)
{
	char status[8], message[3 * 512 + 1];
	snprintf(status, sizeof(status), "%d", code);
	cc_grpc_percent_encode(why, message, sizeof(message));
	nghttp2_nv nva[] = { NV(":status", "200"), NV("content-type", "application/grpc"), NV("grpc-status", status),
			     NV("grpc-message", message) };
	nghttp2_submit_response(s->ng, st->id, nva, why[0] ? 4 : 3, NULL);
	st->responded = true;
	cc_debug("grpc %s -> %s: %s", st->raw_path ? st->raw_path : "?", cc_grpc_code_name(code), why);
}

/* A gRPC refusal decided before the request ended: the rest of the message is read and dropped,
 * and the status goes out when the client ends its stream (RFC 9113 §8.1 would allow answering at
 * once, but curl 7.88 then waits forever for a stream it still uploads on). */
static void refuse_grpc_at_end(struct h2_stream *st, enum cc_grpc_code code, const char *why)
{
	st->discard = true;
	st->deferred_grpc_status = code;
	snprintf(st->grpc_message, sizeof(st->grpc_message), "%s", why);
}

static void submit_http(struct h2_session *s, struct h2_stream *st, struct cc_http_response *resp)
{
	char status[8], length[24];
	snprintf(status, sizeof(status), "%d", resp->status);
	snprintf(length, sizeof(length), "%zu", resp->body.len);
	nghttp2_nv nva[4 + CC_ARRAY_SIZE(resp->headers)];
	size_t n = 0;
	nva[n++] = (nghttp2_nv)NV(":status", status);
	nva[n++] = (nghttp2_nv)NV("content-type", resp->content_type);
	if (!resp->stream)
		nva[n++] = (nghttp2_nv)NV("content-length", length);
	nva[n++] = (nghttp2_nv)NV("cache-control", "no-store");
	for (size_t i = 0; i < resp->header_count; i++)
		nva[n++] = (nghttp2_nv)NV(resp->headers[i].name, resp->headers[i].value);
	cc_buf_reset(&st->out);
	st->out_off = 0;
	bool head = st->req.method && strcmp(st->req.method, "HEAD") == 0;
	nghttp2_data_provider body = { .source.ptr = st, .read_callback = read_body };
	if (resp->stream && !head && s->cfg.loop) {
		st->body_stream = resp->stream; /* the server's reference moves to the stream */
		resp->stream = NULL;
		nghttp2_submit_response(s->ng, st->id, nva, n, &body);
		cc_response_stream_attach(st->body_stream, s->cfg.loop, stream_kick, st);
		st->responded = true;
		return;
	}
	if (!head)
		cc_buf_append(&st->out, resp->body.data, resp->body.len);
	nghttp2_submit_response(s->ng, st->id, nva, n, st->out.len ? &body : NULL);
	st->responded = true;
}

static void refuse_http(struct h2_session *s, struct h2_stream *st, int status, const char *why)
{
	struct cc_http_response resp;
	cc_http_response_init(&resp);
	cc_http_response_error(&resp, status, "%s", why);
	submit_http(s, st, &resp);
	cc_http_response_free(&resp);
}

static void grpc_reply_fail(struct h2_reply *reply, enum cc_grpc_code code, const char *why)
{
	reply->grpc_status = code;
	snprintf(reply->grpc_message, sizeof(reply->grpc_message), "%s", why);
}

static void handle_grpc(const struct h2_config *cfg, struct h2_request *r, struct h2_reply *reply)
{
	struct cc_http_request *req = &r->req;
	struct cc_grpc_call call = { .method = req->path, .authority = r->authority, .peer = cfg->peer };
	reply->grpc = true;
	if (strcmp(req->method, "POST") != 0) {
		grpc_reply_fail(reply, CC_GRPC_UNIMPLEMENTED, "gRPC requires POST");
		return;
	}
	const char *timeout = cc_http_request_header(req, "grpc-timeout");
	if (timeout) {
		int64_t ms = cc_grpc_parse_timeout(timeout);
		if (ms < 0) {
			grpc_reply_fail(reply, CC_GRPC_INVALID_ARGUMENT, "malformed grpc-timeout header");
			return;
		}
		call.deadline_ms = cc_time_monotonic_ms() + ms;
	}
	const struct cc_grpc_method *method = cc_grpc_find_method(cfg->grpc_methods, cfg->grpc_method_count, req->path);
	if (!method) {
		char why[300];
		snprintf(why, sizeof(why), "unknown method %.256s", req->path);
		grpc_reply_fail(reply, CC_GRPC_UNIMPLEMENTED, why);
		return;
	}
	bool compressed_ok = false; /* only identity is implemented: refuse compressed messages by name */
	const uint8_t *message;
	size_t len;
	if (cc_grpc_decode_unary((const uint8_t *)req->body.data, req->body.len, cfg->max_grpc_message, compressed_ok,
				 &message, &len, &call) != CC_GRPC_OK) {
		grpc_reply_fail(reply, call.status, call.message);
		return;
	}
	_cleanup_buf_secure_ struct cc_buf resp = CC_BUF_INIT; /* may hold a data key */
	enum cc_grpc_code code = method->handler(&call, message, len, &resp, method->userdata);
	if (code == CC_GRPC_OK && call.deadline_ms && cc_time_monotonic_ms() > call.deadline_ms)
		code = cc_grpc_fail(&call, CC_GRPC_DEADLINE_EXCEEDED, "deadline exceeded while handling the call");
	if (code == CC_GRPC_OK && resp.len > cfg->max_grpc_message)
		code = cc_grpc_fail(&call, CC_GRPC_RESOURCE_EXHAUSTED, "response message larger than max (%zu vs. %zu)",
				    resp.len, cfg->max_grpc_message);
	if (code != CC_GRPC_OK) {
		grpc_reply_fail(reply, code, call.message[0] ? call.message : cc_grpc_code_name(code));
		return;
	}
	reply->grpc_status = CC_GRPC_OK;
	cc_grpc_frame_message(&reply->grpc_body, (const uint8_t *)resp.data, resp.len);
}

void h2_handle_request(const struct h2_config *cfg, struct h2_request *r, struct h2_reply *reply)
{
	*reply = (struct h2_reply){ 0 };
	cc_http_response_init(&reply->http);
	if (is_grpc(&r->req)) {
		handle_grpc(cfg, r, reply);
		return;
	}
	cc_http_dispatch(cfg->routes, cfg->route_count, &r->req, &reply->http);
}

void h2_reply_free(struct h2_reply *reply)
{
	cc_http_response_free(&reply->http);
	cc_buf_free_secure(&reply->grpc_body);
}

void h2_request_free(struct h2_request *r)
{
	if (!r)
		return;
	cc_buf_free_secure(&r->req.body);
	cc_mem_charge_release(&r->charge);
	cc_http_request_reset(&r->req);
	free(r->authority);
	free(r);
}

static void reset_malformed(nghttp2_session *ng, struct h2_stream *st)
{
	st->discard = true;
	nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, st->id, NGHTTP2_PROTOCOL_ERROR);
}

static struct h2_stream *find_stream(struct h2_session *s, int32_t stream_id)
{
	struct h2_stream *st = nghttp2_session_get_stream_user_data(s->ng, stream_id);
	return st && st->id == stream_id ? st : NULL;
}

void h2_session_reply(struct h2_session *s, int32_t stream_id, struct h2_reply *reply)
{
	struct h2_stream *st = find_stream(s, stream_id);
	if (!st || st->responded) {
		h2_reply_free(reply);
		return; /* reset by the client meanwhile */
	}
	if (!reply->grpc) {
		submit_http(s, st, &reply->http);
		h2_reply_free(reply);
		return;
	}
	if (reply->grpc_status != CC_GRPC_OK) {
		submit_grpc_trailers_only(s, st, reply->grpc_status, reply->grpc_message);
		h2_reply_free(reply);
		return;
	}
	cc_buf_free_secure(&st->out);
	st->out = reply->grpc_body; /* moved: the reply's buffer becomes the stream's */
	reply->grpc_body = (struct cc_buf)CC_BUF_INIT;
	st->out_off = 0;
	st->grpc_trailers = true;
	st->grpc_status = CC_GRPC_OK;
	nghttp2_nv nva[] = { NV(":status", "200"), NV("content-type", "application/grpc"),
			     NV("grpc-accept-encoding", "identity") };
	nghttp2_data_provider body = { .source.ptr = st, .read_callback = read_body };
	nghttp2_submit_response(s->ng, st->id, nva, CC_ARRAY_SIZE(nva), &body);
	st->responded = true;
	h2_reply_free(reply);
}

/* Moves the complete request out of its stream to a handler. */
static void dispatch(struct h2_session *s, struct h2_stream *st)
{
	struct h2_request *r = cc_xcalloc(1, sizeof(*r));
	r->req = st->req;
	r->authority = st->authority;
	r->charge = st->charge;
	st->req = (struct cc_http_request){ .peer = s->cfg.peer, .version = 20 };
	st->authority = NULL;
	st->charge.bytes = 0;
	st->dispatched = true;
	if (s->cfg.on_request) {
		s->cfg.on_request(s->cfg.ctx, st->id, r);
		return;
	}
	struct h2_reply reply;
	h2_handle_request(&s->cfg, r, &reply);
	h2_request_free(r);
	h2_session_reply(s, st->id, &reply);
}

static void answer(struct h2_session *s, struct h2_stream *st)
{
	if (st->responded || st->dispatched || st->discard)
		return;
	dispatch(s, st);
}

/* Once the request headers are complete, before any body: check them, parse the target and choose
 * the body limit from the route or gRPC method. A request nobody will serve is answered now, so its
 * body is discarded instead of buffered (issue 11: the 4 MiB gRPC limit applied to a path of a server
 * without gRPC methods). */
static void headers_complete(struct h2_session *s, struct h2_stream *st)
{
	/* §8.3.1: :method, :scheme and :path are mandatory. */
	if (!st->req.method || !st->raw_path || !st->have_scheme) {
		reset_malformed(s->ng, st);
		return;
	}
	st->discard = true; /* unless the request is found acceptable below */
	if (st->header_error) {
		refuse_http(s, st, st->header_error, "request headers exceed the size limit");
		return;
	}
	bool grpc = is_grpc(&st->req);
	if (cc_http_request_set_target(&st->req, st->raw_path, strlen(st->raw_path)) < 0) {
		if (grpc)
			submit_grpc_trailers_only(s, st, CC_GRPC_UNIMPLEMENTED, "malformed :path");
		else
			refuse_http(s, st, 400, "invalid request target (expected an absolute path such as /v1/x)");
		return;
	}
	if (grpc) {
		if (!cc_grpc_find_method(s->cfg.grpc_methods, s->cfg.grpc_method_count, st->req.path)) {
			char why[300];
			snprintf(why, sizeof(why), "unknown method %.256s", st->req.path);
			refuse_grpc_at_end(st, CC_GRPC_UNIMPLEMENTED, why);
			return;
		}
		st->body_limit = s->cfg.max_grpc_message + CC_GRPC_FRAME_HEADER;
		st->discard = false;
		return;
	}
	const struct cc_http_route *route =
	    cc_http_find_route(s->cfg.routes, s->cfg.route_count, st->req.method, st->req.path);
	if (!route) {
		struct cc_http_response resp; /* 404 or 405: no handler runs */
		cc_http_response_init(&resp);
		cc_http_dispatch(s->cfg.routes, s->cfg.route_count, &st->req, &resp);
		submit_http(s, st, &resp);
		cc_http_response_free(&resp);
		return;
	}
	st->body_limit = route->max_body ? route->max_body : s->cfg.max_body;
	st->discard = false;
}

/* RFC 9113 §8.2 and §8.3 for requests. Returns false for a malformed request (a stream error). */
static bool validate_header(struct h2_stream *st, const char *n, size_t namelen, const char *v, size_t valuelen)
{
	if (namelen == 0)
		return false;
	for (size_t i = 0; i < valuelen; i++) {
		unsigned char c = (unsigned char)v[i];
		if (c == 0 || c == '\r' || c == '\n')
			return false;
	}
	if (n[0] == ':') {
		if (st->regular_seen)
			return false;
		bool known = (namelen == 7 && memcmp(n, ":method", 7) == 0) ||
			     (namelen == 5 && memcmp(n, ":path", 5) == 0) ||
			     (namelen == 10 && memcmp(n, ":authority", 10) == 0) ||
			     (namelen == 7 && memcmp(n, ":scheme", 7) == 0);
		if (!known)
			return false;
		/* :authority: any visible ASCII, so a socket path such as /run/kms.sock is accepted. */
		for (size_t i = 0; i < valuelen; i++)
			if ((unsigned char)v[i] <= 0x20 || (unsigned char)v[i] >= 0x7f)
				return false;
		return true;
	}
	st->regular_seen = true;
	for (size_t i = 0; i < namelen; i++)
		if (!cc_http_tchar((unsigned char)n[i]) || (n[i] >= 'A' && n[i] <= 'Z'))
			return false; /* HTTP/2 forbids upper case in field names (RFC 9113 §8.2.1) */
	static const char *const connection_specific[] = { "connection", "keep-alive", "proxy-connection",
							   "transfer-encoding", "upgrade" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(connection_specific); i++)
		if (strlen(connection_specific[i]) == namelen && memcmp(n, connection_specific[i], namelen) == 0)
			return false;
	if (namelen == 2 && memcmp(n, "te", 2) == 0 && !(valuelen == 8 && memcmp(v, "trailers", 8) == 0))
		return false;
	return true;
}

static int on_begin_headers(nghttp2_session *ng, const nghttp2_frame *frame, void *user_data)
{
	struct h2_session *s = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS || frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0;
	struct h2_stream *st = cc_xcalloc(1, sizeof(*st));
	st->id = frame->hd.stream_id;
	st->session = s;
	st->req.peer = s->cfg.peer;
	st->req.version = 20;
	st->charge = (struct cc_mem_charge){ .conn = s->cfg.conn_budget, .server = s->cfg.server_budget };
	nghttp2_session_set_stream_user_data(ng, st->id, st);
	st->next = s->streams;
	if (s->streams)
		s->streams->prev = st;
	s->streams = st;
	s->open_streams++;
	return 0;
}

static int on_header(nghttp2_session *ng, const nghttp2_frame *frame, const uint8_t *name, size_t namelen,
		     const uint8_t *value, size_t valuelen, uint8_t flags, void *user_data)
{
	struct h2_session *s = user_data;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!st || frame->hd.type != NGHTTP2_HEADERS || st->header_error || st->discard)
		return 0;
	if (frame->headers.cat != NGHTTP2_HCAT_REQUEST)
		return 0; /* request trailers carry nothing we use */
	const char *n = (const char *)name, *v = (const char *)value;
	if (!validate_header(st, n, namelen, v, valuelen)) {
		reset_malformed(ng, st);
		return 0;
	}
	st->header_bytes += namelen + valuelen + 32; /* RFC 9113 §6.5.2 accounting */
	if (st->header_bytes > s->cfg.max_header_bytes) {
		st->header_error = 431;
		return 0;
	}
	char **pseudo = NULL;
	if (namelen == 7 && memcmp(n, ":method", 7) == 0)
		pseudo = &st->req.method;
	else if (namelen == 5 && memcmp(n, ":path", 5) == 0)
		pseudo = &st->raw_path;
	else if (namelen == 10 && memcmp(n, ":authority", 10) == 0)
		pseudo = &st->authority;
	else if (namelen == 7 && memcmp(n, ":scheme", 7) == 0) {
		if (st->have_scheme)
			reset_malformed(ng, st);
		st->have_scheme = true;
		return 0;
	}
	if (pseudo) {
		if (*pseudo) /* each pseudo-header at most once */
			reset_malformed(ng, st);
		else
			*pseudo = cc_xstrndup(v, valuelen);
		return 0;
	}
	if (namelen > 0 && n[0] != ':' && cc_http_request_add_header(&st->req, n, namelen, v, valuelen) < 0)
		st->header_error = 431;
	return 0;
}

static void refuse_body(struct h2_session *s, struct h2_stream *st, bool over_budget)
{
	/* Answer now instead of buffering the rest: RFC 9113 §8.1 lets a server respond before the
	 * request ends. */
	st->discard = true;
	cc_buf_free_secure(&st->req.body);
	cc_mem_charge_release(&st->charge);
	if (is_grpc(&st->req)) {
		char why[160];
		if (over_budget)
			snprintf(why, sizeof(why), "server busy: request memory budget exhausted, retry later");
		else
			snprintf(why, sizeof(why), "received message larger than max (more than %zu bytes)",
				 s->cfg.max_grpc_message);
		refuse_grpc_at_end(st, CC_GRPC_RESOURCE_EXHAUSTED, why);
	} else if (over_budget) {
		refuse_http(s, st, 503, "server busy: request memory budget exhausted, retry later");
	} else {
		refuse_http(s, st, 413, "request body exceeds the size limit");
	}
}

static int on_data_chunk(nghttp2_session *ng, uint8_t flags, int32_t stream_id, const uint8_t *data, size_t len,
			 void *user_data)
{
	struct h2_session *s = user_data;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (!st)
		return 0;
	if (st->discard || st->responded) {
		/* RFC 9113 §8.1 allows RST_STREAM(NO_ERROR) to stop the upload once the response is
		 * complete, but common clients (curl 7.88) report that as a failure; read and drop the
		 * rest instead, up to a bound. */
		st->discarded += len;
		if (st->discarded > DISCARD_LIMIT)
			nghttp2_submit_rst_stream(ng, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_NO_ERROR);
		return 0;
	}
	if (st->req.body.len + len > st->body_limit) {
		refuse_body(s, st, false);
		return 0;
	}
	if (!cc_mem_charge_add(&st->charge, len)) {
		refuse_body(s, st, true);
		return 0;
	}
	cc_buf_append(&st->req.body, data, len);
	return 0;
}

static int on_frame_recv(nghttp2_session *ng, const nghttp2_frame *frame, void *user_data)
{
	struct h2_session *s = user_data;
	if (frame->hd.type != NGHTTP2_HEADERS && frame->hd.type != NGHTTP2_DATA)
		return 0;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, frame->hd.stream_id);
	if (!st)
		return 0;
	if (frame->hd.type == NGHTTP2_HEADERS && frame->headers.cat == NGHTTP2_HCAT_REQUEST && !st->discard)
		headers_complete(s, st);
	if (!(frame->hd.flags & NGHTTP2_FLAG_END_STREAM))
		return 0;
	if (st->discard) {
		if (st->deferred_grpc_status && !st->responded)
			submit_grpc_trailers_only(s, st, st->deferred_grpc_status, st->grpc_message);
		return 0;
	}
	/* §8.1.1: content-length must match. */
	const char *length = cc_http_request_header(&st->req, "content-length");
	if (length && strtoull(length, NULL, 10) != st->req.body.len) {
		reset_malformed(ng, st);
		return 0;
	}
	answer(s, st);
	return 0;
}

static int on_stream_close(nghttp2_session *ng, int32_t stream_id, uint32_t error_code, void *user_data)
{
	struct h2_session *s = user_data;
	struct h2_stream *st = nghttp2_session_get_stream_user_data(ng, stream_id);
	if (st) {
		nghttp2_session_set_stream_user_data(ng, stream_id, NULL);
		stream_free(s, st);
	}
	return 0;
}

int h2_session_new(const struct h2_config *cfg, struct h2_session **ret)
{
	struct h2_session *s = cc_xcalloc(1, sizeof(*s));
	s->cfg = *cfg;
	nghttp2_session_callbacks *cb;
	if (nghttp2_session_callbacks_new(&cb) != 0) {
		free(s);
		return -ENOMEM;
	}
	nghttp2_session_callbacks_set_on_begin_headers_callback(cb, on_begin_headers);
	nghttp2_session_callbacks_set_on_header_callback(cb, on_header);
	nghttp2_session_callbacks_set_on_data_chunk_recv_callback(cb, on_data_chunk);
	nghttp2_session_callbacks_set_on_frame_recv_callback(cb, on_frame_recv);
	nghttp2_session_callbacks_set_on_stream_close_callback(cb, on_stream_close);
	nghttp2_option *opt;
	nghttp2_option_new(&opt);
	nghttp2_option_set_max_settings(opt, 32);
	nghttp2_option_set_no_http_messaging(opt, 1);
	int r = nghttp2_session_server_new2(&s->ng, cb, s, opt);
	nghttp2_option_del(opt);
	nghttp2_session_callbacks_del(cb);
	if (r != 0) {
		free(s);
		return -ENOMEM;
	}
	/* Windows sized so a 4 MiB gRPC message needs few WINDOW_UPDATE round trips; what a client may
	 * actually make the server hold is bounded by the budgets, not by the windows. */
	nghttp2_settings_entry settings[] = {
		{ NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, cfg->max_streams ? cfg->max_streams : 100 },
		{ NGHTTP2_SETTINGS_INITIAL_WINDOW_SIZE, 1u << 20 },
		{ NGHTTP2_SETTINGS_MAX_HEADER_LIST_SIZE, (uint32_t)cfg->max_header_bytes },
	};
	nghttp2_submit_settings(s->ng, NGHTTP2_FLAG_NONE, settings, CC_ARRAY_SIZE(settings));
	nghttp2_session_set_local_window_size(s->ng, NGHTTP2_FLAG_NONE, 0, 8u << 20);
	*ret = s;
	return 0;
}

void h2_session_free(struct h2_session *s)
{
	if (!s)
		return;
	nghttp2_session_del(s->ng); /* calls on_stream_close for the streams it knows */
	while (s->streams)
		stream_free(s, s->streams);
	free(s);
}

int h2_session_recv(struct h2_session *s, const uint8_t *data, size_t len)
{
	ssize_t n = nghttp2_session_mem_recv(s->ng, data, len);
	if (n < 0) {
		cc_debug("http2: closing connection: %s", nghttp2_strerror((int)n));
		return -EPROTO;
	}
	return 0;
}

int h2_session_send(struct h2_session *s, struct cc_buf *out, size_t max_out)
{
	while (!max_out || out->len < max_out) {
		const uint8_t *data;
		ssize_t n = nghttp2_session_mem_send(s->ng, &data);
		if (n < 0)
			return -EPROTO;
		if (n == 0)
			return 0;
		int r = cc_buf_append(out, data, (size_t)n);
		if (r < 0)
			return r;
	}
	return 0;
}

bool h2_session_want_write(struct h2_session *s)
{
	return nghttp2_session_want_write(s->ng);
}

bool h2_session_alive(struct h2_session *s)
{
	return nghttp2_session_want_read(s->ng) || nghttp2_session_want_write(s->ng);
}

bool h2_session_idle(struct h2_session *s)
{
	return s->open_streams == 0;
}

void h2_session_shutdown(struct h2_session *s)
{
	nghttp2_session_terminate_session(s->ng, NGHTTP2_NO_ERROR);
}
