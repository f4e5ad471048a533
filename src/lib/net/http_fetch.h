/* Fetching one resource over HTTP(S) when a client needs more of the exchange than
 * cc_http_client_request (client.h) gives: the response's headers (an authentication challenge, a
 * content digest), redirects followed within limits, HTTP basic authentication, and a body streamed
 * to a file with a size limit and its SHA-256 computed on the way, so that a large download is
 * verified without a second read. An OCI registry client is the user this was written for. */
#pragma once

#include "lib/base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct cc_http_fetch_config {
	const char *ca_file; /* verify the server against this bundle; NULL: the system store */
	const char *ca_pem;  /* or against these PEM certificates, given inline (a config file's) */
	/* https without verifying the server's certificate: only when the user asked for it by name
	 * (podman's --tls-verify=false); never a fallback taken on our own. */
	bool insecure;
	const char *const *headers; /* "Name: value" lines, NULL-terminated; never logged */
	const char *basic_auth;     /* "user:password" for HTTP basic authentication, or NULL; never logged */
	const char *user_agent;     /* the User-Agent header, or NULL for none */
	int max_redirects;          /* 0: a redirect is the answer; > 0: followed, https never to http */
	int connect_timeout_ms;     /* 0: 30 s */
	int timeout_ms;             /* the whole exchange; 0: no limit (a layer may take long) */
	int stall_timeout_s;        /* ends a transfer slower than 1 KiB/s for this long; 0: 60 s */
	uint64_t max_size;          /* bytes of the body; 0: 16 MiB */
	/* >= 0: the body of a 2xx answer is written to this file as it arrives (the size limit and the
	 * digest apply); the body of any other answer is kept in memory (up to 64 KiB) for its error.
	 * -1: every body is kept in memory. */
	int out_fd;
	/* When *cancel becomes non-zero (read atomically; another thread sets it) the transfer ends
	 * within about a second with -ECANCELED. NULL: never. */
	const int *cancel;
	/* Called as the body arrives with the bytes so far (and the announced length, or 0). */
	void (*on_progress)(void *ctx, uint64_t received, uint64_t total);
	void *progress_ctx;
};

struct cc_http_fetch_result {
	long status;
	char content_type[128];
	uint64_t size;         /* bytes of the body received */
	uint8_t sha256[32];    /* of the body received (for a 2xx answer) */
	struct cc_buf body;    /* the body when it was not written to out_fd */
	struct cc_buf headers; /* the final answer's header lines as received, "Name: value\r\n"... */
	char *effective_url;   /* where the answer came from after redirects */
};

void cc_http_fetch_result_free(struct cc_http_fetch_result *res);

/* Sends method (GET or HEAD) to url. A transport failure is an error naming the URL: -ECONNREFUSED
 * when nothing answers (or the name does not resolve), -ETIMEDOUT, -EMSGSIZE for a body over the
 * limit, -ECANCELED when cancelled, -EPROTO for a failed TLS handshake or certificate (the reason in the message), -EIO
 * for a broken exchange, -EIO from a write to out_fd. An HTTP error status is no error: check res->status. */
int cc_http_fetch(const struct cc_http_fetch_config *cfg, const char *method, const char *url,
		  struct cc_http_fetch_result *res, struct cc_error *err);

/* The value of the first header name (case-insensitive) of the final answer, without surrounding
 * blanks, as a new string; NULL when absent. */
char *cc_http_fetch_header(const struct cc_http_fetch_result *res, const char *name);
