/* The HTTP client of cocoon, on libcurl: HTTPS with a CA bundle and optional client certificate
 * (mutual TLS), unix sockets, timeouts and a response size limit; JSON helpers on top. */
#pragma once

#include "lib/base/buf.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

struct cc_http_client_config {
	const char *ca_file;        /* verify the server against this bundle; NULL: system store */
	const char *cert_file;      /* client certificate for mutual TLS, or NULL */
	const char *key_file;       /* its key (defaults to cert_file) */
	const char *unix_socket;    /* connect here instead of the URL's host */
	int timeout_ms;             /* whole request; 0: 30 s */
	size_t max_response;        /* 0: 16 MiB */
	const char *bearer_token;   /* Authorization: Bearer ..., never logged */
	const char *cookie;         /* Cookie: header value (name=value), or NULL */
	const char *const *headers; /* further "Name: value" lines, NULL-terminated; never logged */
	/* When set, the connection is kept open for the next request through the same slot (one
	 * thread at a time): no TLS handshake per request. Release with cc_http_connection_close. */
	struct cc_http_connection **connection;
	/* A stream (kubectl logs -f, a watch): when set, the body of a 2xx response goes to on_body as
	 * it arrives instead of into res->body (an error's body is still kept there, for its Status);
	 * on_body returns false to end the transfer, which is then no error. timeout_ms < 0: no limit
	 * on the whole request (connecting still times out after 30 s). */
	bool (*on_body)(void *ctx, const void *data, size_t len);
	void *on_body_ctx;
};

struct cc_http_connection;
void cc_http_connection_close(struct cc_http_connection *c);

struct cc_http_result {
	long status;
	char content_type[128];
	char set_cookie[256]; /* name=value of the first Set-Cookie header, without its attributes */
	struct cc_buf body;
};

void cc_http_result_free(struct cc_http_result *res);

/* Any transport failure is an error naming the URL: -ECONNREFUSED when nothing listens there (or the
 * host name does not resolve), -ETIMEDOUT, -EMSGSIZE for an oversized response, -EPROTO for the rest
 * (TLS verification, a broken exchange). An HTTP error status is not an error: check res->status. */
int cc_http_client_request(const struct cc_http_client_config *cfg, const char *method, const char *url,
			   const char *content_type, const void *body, size_t body_len, struct cc_http_result *res,
			   struct cc_error *err);

/* Sends body (may be NULL) as JSON and parses a JSON response (NULL when the body is empty). */
int cc_http_client_json(const struct cc_http_client_config *cfg, const char *method, const char *url,
			const json_t *body, long *ret_status, json_t **ret_json, struct cc_error *err);
