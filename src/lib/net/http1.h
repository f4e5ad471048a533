/* HTTP/1.1 request framing (RFC 9112) on top of the http-parser library, without I/O: bytes go in,
 * requests come out. The server's connection loop and the fuzz target drive the same code. */
#pragma once

#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>

struct http1_limits {
	size_t max_header_bytes; /* request line + headers */
	size_t max_body;         /* unless the route says otherwise */
	/* The routes requests go to, for per-route body limits; a request no route takes has its body
	 * discarded (it will be answered 404/405). Optional. */
	const struct cc_http_route *routes;
	size_t route_count;
};

enum http1_event {
	HTTP1_NEED_MORE, /* all input consumed, no complete request yet */
	HTTP1_HEADERS,   /* headers complete; the caller may answer 100-continue or refuse */
	HTTP1_REQUEST,   /* a complete request is in the parser's request */
	HTTP1_ERROR,     /* malformed or over a limit: answer error_status and close */
};

struct http1_parser;

struct http1_parser *http1_parser_new(const struct http1_limits *limits, const struct cc_peer *peer);
void http1_parser_free(struct http1_parser *p);

/* Parses from data; *consumed says how much was used. Call again with the rest after handling an
 * event. Pipelined requests are delivered one per HTTP1_REQUEST. */
enum http1_event http1_parser_feed(struct http1_parser *p, const char *data, size_t len, size_t *consumed);

/* The bytes of the current request's body are counted against this charge (optional). */
struct cc_mem_charge;
void http1_parser_set_charge(struct http1_parser *p, struct cc_mem_charge *charge);

/* The request being parsed / just completed. */
struct cc_http_request *http1_parser_request(struct http1_parser *p);
/* After HTTP1_ERROR: the status to answer (400, 413, 431, 501, 503, 505) and why. */
int http1_parser_error_status(const struct http1_parser *p);
const char *http1_parser_error_text(const struct http1_parser *p);
/* Whether the connection may carry another request after this one. */
bool http1_parser_keep_alive(const struct http1_parser *p);
/* True when the client sent "Expect: 100-continue" for the current request. */
bool http1_parser_expects_continue(const struct http1_parser *p);
/* Clears the completed request so the next one can be parsed. */
void http1_parser_next(struct http1_parser *p);

/* Serialises a response; HEAD requests get headers only. */
void http1_write_response(struct cc_buf *out, const struct cc_http_response *resp, bool head, bool keep_alive);
