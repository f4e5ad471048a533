/* The one network server of cocoon: HTTP/1.1 and HTTP/2 (including unary gRPC) on a TCP port
 * with TLS (optionally mutual) or on a unix socket, with request size limits and timeouts.
 * Every component (node API, key broker, KMS plugin, admission webhook, audit intake) is a set of
 * routes and gRPC methods given to cc_server_start. */
#pragma once

#include "lib/net/grpc.h"
#include "lib/net/http.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_error;

struct cc_server_config {
	const char *listen;   /* see cc_address_parse */
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
	/* Limits; 0 selects the default in parentheses. */
	size_t max_body;         /* (1 MiB) HTTP request body */
	size_t max_header_bytes; /* (16 KiB) request line and headers */
	size_t max_grpc_message; /* (4 MiB) gRPC message, each direction */
	int request_timeout_ms;  /* (10 s) to receive one request once it started, and each write */
	int idle_timeout_ms;     /* (60 s HTTP/1.1; 5 min HTTP/2) between requests */
	int max_connections;     /* (256) more are accepted and closed at once */
};

struct cc_server;

/* Binds, then serves on background threads until cc_server_stop. */
int cc_server_start(const struct cc_server_config *cfg, struct cc_server **ret, struct cc_error *err);
/* TCP port actually bound (after "127.0.0.1:0"), or -1 for unix sockets. */
int cc_server_port(const struct cc_server *srv);
/* Stops accepting, closes connections, waits for their threads, and removes a unix socket file. */
void cc_server_stop(struct cc_server *srv);
