/* HTTP/2 server sessions (RFC 9113) on nghttp2, without I/O: bytes in, bytes out. Each completed
 * request stream is answered synchronously, either by a gRPC method (content-type application/grpc)
 * or by the HTTP router, so REST endpoints work over h2 too. */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/grpc.h"
#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The 24-byte client connection preface (RFC 9113 §3.4). */
#define H2_CLIENT_PREFACE     "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
#define H2_CLIENT_PREFACE_LEN 24

struct h2_config {
	const struct cc_http_route *routes;
	size_t route_count;
	const struct cc_grpc_method *grpc_methods;
	size_t grpc_method_count;
	size_t max_body;         /* HTTP request bodies */
	size_t max_grpc_message; /* gRPC messages, both directions */
	size_t max_header_bytes;
	const struct cc_peer *peer;
};

struct h2_session;

int h2_session_new(const struct h2_config *cfg, struct h2_session **ret);
void h2_session_free(struct h2_session *s);
/* Feeds received bytes; a negative return is a connection error (the session sent GOAWAY if it could). */
int h2_session_recv(struct h2_session *s, const uint8_t *data, size_t len);
/* Appends whatever the session wants to send. */
int h2_session_send(struct h2_session *s, struct cc_buf *out);
/* False once both sides are done (GOAWAY exchanged or fatal error). */
bool h2_session_alive(struct h2_session *s);
/* True when no stream is open (the connection may be closed for idleness). */
bool h2_session_idle(struct h2_session *s);
/* Starts a graceful close: GOAWAY, finish open streams. */
void h2_session_shutdown(struct h2_session *s);
