/* HTTP requests, responses and routing, shared by the HTTP/1.1 and HTTP/2 front ends: a handler
 * sees the same request whatever the wire protocol, and never touches a socket. */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/peer.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CC_HTTP_MAX_HEADERS 100

struct cc_http_header {
	char *name; /* lower case */
	char *value;
};

struct cc_http_request {
	char *method;
	char *target; /* as sent: path and query */
	char *path;   /* percent-decoded path, without the query */
	char *query;  /* raw query string without '?', or NULL */
	struct cc_http_header headers[CC_HTTP_MAX_HEADERS];
	size_t header_count;
	struct cc_buf body;
	const struct cc_peer *peer;
	int version; /* 11 or 20 */
	/* Who the application authenticated the request as (its own type), set by a route wrapper
	 * before the route's handler runs; NULL otherwise. */
	const void *principal;
};

struct cc_response_stream;
struct cc_websocket;

struct cc_http_response {
	int status;
	char content_type[96];
	struct cc_http_header headers[16];
	size_t header_count;
	struct cc_buf body;
	/* Set by cc_http_response_stream (lib/net/response_stream.h): the body follows over time. */
	struct cc_response_stream *stream;
	/* Set by cc_http_response_upgrade_websocket (lib/net/websocket_session.h): status 101, and the
	 * connection carries WebSocket messages once the handler returns. */
	struct cc_websocket *websocket;
	/* Set by a handler that authenticated the client itself (a bearer token): the connection gets
	 * an authenticated client's limits from then on, as a verified certificate gives them. */
	bool peer_authenticated;
};

typedef void (*cc_http_handler_fn)(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);

struct cc_http_route {
	const char *method; /* "GET", ...; NULL matches any method */
	const char *path;   /* exact path, or a prefix when it ends in '/' and prefix is set */
	bool prefix;
	cc_http_handler_fn handler;
	void *userdata;
	/* Largest request body this route takes; 0: the server's max_body. A body is refused (413) as
	 * soon as it passes the limit of the route it is sent to, so limits follow the route. */
	size_t max_body;
};

const char *cc_http_status_text(int status);
/* Case-insensitive lookup; NULL when absent. */
const char *cc_http_request_header(const struct cc_http_request *req, const char *name);
/* Value of one query parameter (percent-decoded, malloc'd), or NULL. */
char *cc_http_request_query(const struct cc_http_request *req, const char *name);
/* Every value of a repeated query parameter (?command=sh&command=-c), in order: a NULL-terminated
 * array of malloc'd strings (free with cc_http_query_values_free); the count, or -EINVAL on a bad
 * percent escape. */
int cc_http_request_query_all(const struct cc_http_request *req, const char *name, char ***ret_values);
void cc_http_query_values_free(char **values);
int cc_http_request_add_header(struct cc_http_request *req, const char *name, size_t name_len, const char *value,
			       size_t value_len);
/* Splits target into path and query and percent-decodes the path; -EINVAL on a malformed target. */
int cc_http_request_set_target(struct cc_http_request *req, const char *target, size_t len);
void cc_http_request_reset(struct cc_http_request *req);

void cc_http_response_init(struct cc_http_response *resp);
void cc_http_response_free(struct cc_http_response *resp);
void cc_http_response_add_header(struct cc_http_response *resp, const char *name, const char *value);
/* Sets status and a JSON body (steals value). */
void cc_http_response_json(struct cc_http_response *resp, int status, json_t *value);
/* Sets status and the JSON error body {"error":{"code":status,"message":"..."}}. */
void cc_http_response_error(struct cc_http_response *resp, int status, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Reads the request body as JSON with a size limit; on failure fills resp with 400/413/415 and
 * returns a negative errno. */
int cc_http_request_json(const struct cc_http_request *req, struct cc_http_response *resp, json_t **ret);

/* The route a request goes to (method and path as cc_http_dispatch matches them), or NULL. */
const struct cc_http_route *cc_http_find_route(const struct cc_http_route *routes, size_t count, const char *method,
					       const char *path);
/* Body limit for a request: its route's max_body, else fallback; 0 when no route takes it (the
 * request will be answered 404/405 whatever its body). */
size_t cc_http_body_limit(const struct cc_http_route *routes, size_t count, const char *method, const char *path,
			  size_t fallback);

/* Finds the route and calls it; 404 when no path matches, 405 (with Allow) when only the method differs. */
void cc_http_dispatch(const struct cc_http_route *routes, size_t count, const struct cc_http_request *req,
		      struct cc_http_response *resp);

/* RFC 9110 §5.6.2 tchar: a character of a token such as a field name. */
bool cc_http_tchar(unsigned char c);

/* Percent-decodes in place; -EINVAL on a bad escape or an encoded NUL. */
int cc_http_percent_decode(char *s);
