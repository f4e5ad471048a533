/* HTTP/2 server sessions (RFC 9113) on nghttp2, without I/O: bytes in, bytes out. A complete
 * request stream is handed to on_request (the server runs its handler on a worker and comes back
 * with h2_session_reply), or, without on_request, answered at once on the calling thread (fuzzing,
 * unit tests). Handlers are gRPC methods (content-type application/grpc) or HTTP routes, so REST
 * endpoints work over h2 too; a route may stream its body (lib/net/response_stream.h). */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/budget.h"
#include "lib/net/grpc.h"
#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 24-byte client connection preface (RFC 9113 §3.4). */
#define H2_CLIENT_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_CLIENT_PREFACE_LEN 24

/* A complete request taken from its stream, with its memory charge. */
struct h2_request {
	struct cc_http_request req;
	char *authority;
	struct cc_mem_charge charge;
};

/* What a handler produced, to be sent on the stream. */
struct h2_reply {
	bool grpc;
	struct cc_http_response http;
	enum cc_grpc_code grpc_status;
	char grpc_message[512];
	struct cc_buf grpc_body; /* the framed response message */
};

struct cc_loop;

struct h2_config {
	const struct cc_http_route *routes;
	size_t route_count;
	const struct cc_grpc_method *grpc_methods;
	size_t grpc_method_count;
	size_t max_body;         /* HTTP request bodies, unless the route says otherwise */
	size_t max_grpc_message; /* gRPC messages, both directions */
	size_t max_header_bytes;
	uint32_t max_streams; /* SETTINGS_MAX_CONCURRENT_STREAMS (0: 100) */
	const struct cc_peer *peer;
	struct cc_mem_budget *conn_budget;   /* optional */
	struct cc_mem_budget *server_budget; /* optional */
	/* Optional: takes ownership of a complete request (free it with h2_request_free). */
	void (*on_request)(void *ctx, int32_t stream_id, struct h2_request *req);
	/* Optional: a streamed body has more to send; call h2_session_send. */
	void (*on_output)(void *ctx);
	void *ctx;
	struct cc_loop *loop; /* where streamed bodies are pumped; needed for streaming */
};

struct h2_session;

int h2_session_new(const struct h2_config *cfg, struct h2_session **ret);
void h2_session_free(struct h2_session *s);
/* Feeds received bytes; a negative return is a connection error (the session sent GOAWAY if it could). */
int h2_session_recv(struct h2_session *s, const uint8_t *data, size_t len);
/* Appends what the session wants to send, stopping once out holds more than max_out bytes (0: no
 * bound), so a streamed body is pulled only as fast as the socket drains. */
int h2_session_send(struct h2_session *s, struct cc_buf *out, size_t max_out);
/* True while the session has frames to send. */
bool h2_session_want_write(struct h2_session *s);
/* False once both sides are done (GOAWAY exchanged or fatal error). */
bool h2_session_alive(struct h2_session *s);
/* True when no stream is open (the connection may be closed for idleness). */
bool h2_session_idle(struct h2_session *s);
/* Starts a graceful close: GOAWAY, finish open streams. */
void h2_session_shutdown(struct h2_session *s);

/* Runs the handler for a request (any thread; touches only its arguments and cfg's tables). */
void h2_handle_request(const struct h2_config *cfg, struct h2_request *r, struct h2_reply *reply);
/* Sends a reply on a stream (the session's thread); takes the reply's contents. A stream the
 * client has reset meanwhile is skipped. */
void h2_session_reply(struct h2_session *s, int32_t stream_id, struct h2_reply *reply);
void h2_request_free(struct h2_request *r);
void h2_reply_free(struct h2_reply *reply);
