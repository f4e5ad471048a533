/* The one network server of cocoon: HTTP/1.1 and HTTP/2 (including unary gRPC) on a TCP port
 * with TLS (optionally mutual) or on a unix socket, on an event loop with a pool of handler threads,
 * with size limits per route, memory budgets, timeouts and per-source limits. Every component (node
 * API, key broker, KMS plugin, admission webhook, audit intake) is a set of routes and gRPC methods
 * given to cc_server_start; a route that must wait (a watch) streams its response
 * (lib/net/response_stream.h). Handlers run on worker threads, several at once. */
#pragma once

#include "lib/net/grpc.h"
#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct cc_server_config {
	const char *listen;   /* see cc_address_parse */
	bool freebind;        /* TCP: listen before the address exists on the host (IP_FREEBIND) */
	unsigned socket_mode; /* unix sockets; default 0600 */
	/* TLS (TCP only); without cert_file a TCP listener speaks plain HTTP (loopback tests, h2c). */
	const char *tls_cert;
	const char *tls_key;
	const char *client_ca;    /* verify client certificates against this bundle */
	bool require_client_cert; /* refuse peers without a valid client certificate */
	const struct cc_http_route *routes;
	size_t route_count;
	const struct cc_grpc_method *grpc_methods;
	size_t grpc_method_count;
	/* Called once per connection with the outcome of authentication (the TLS handshake with its
	 * client certificate, or the unix peer credentials), so the caller can record the decision as
	 * a security event. reason is NULL when authenticated. Optional. */
	void (*on_authenticate)(const struct cc_peer *peer, const char *reason, void *userdata);
	void *userdata;
	/* Limits; 0 selects the default in parentheses. "Unauthenticated" is a TCP peer without a
	 * verified client certificate (unix socket peers are identified by the kernel). */
	size_t max_body;                     /* (1 MiB) HTTP request body, unless the route sets its own */
	size_t max_header_bytes;             /* (16 KiB) request line and headers */
	size_t max_grpc_message;             /* (4 MiB) gRPC message of a registered method, each direction */
	int request_timeout_ms;              /* (10 s) to receive one request once it started; a stalled reader */
	int handshake_timeout_ms;            /* (request_timeout_ms) to complete the TLS handshake */
	int idle_timeout_ms;                 /* (60 s HTTP/1.1; 5 min HTTP/2) between requests */
	int unauthenticated_idle_timeout_ms; /* (30 s) the same for unauthenticated peers */
	int max_connections;                 /* (10,000, fewer if RLIMIT_NOFILE is lower) beyond it the oldest idle or
					      * handshaking unauthenticated connection is closed to make room */
	int max_handshakes_per_source;       /* (32) TLS handshakes in progress from one address */
	size_t connection_budget;            /* (16 MiB) request bytes one connection may make us hold */
	size_t unauthenticated_budget;       /* (2 MiB) the same for unauthenticated peers */
	size_t server_budget;                /* (256 MiB) all connections together; beyond it, 503 */
	int workers;                         /* (4) handler threads */
	uint32_t max_streams;                /* (100) concurrent HTTP/2 streams per connection */
};

struct cc_server;

/* Binds, then serves on background threads until cc_server_stop. Refused connections (TLS
 * handshake failures, limits) are reported through on_authenticate once per kind every 10 s,
 * then counted in one summary report. */
int cc_server_start(const struct cc_server_config *cfg, struct cc_server **ret, struct cc_error *err);
/* TCP port actually bound (after "127.0.0.1:0"), or -1 for unix sockets. */
int cc_server_port(const struct cc_server *srv);
/* Stops accepting, lets running handlers finish, closes every connection (streamed responses see
 * their client gone), and removes a unix socket file. */
void cc_server_stop(struct cc_server *srv);
