/* TLS for the server side of lib/net: TLS 1.2 minimum (1.3 preferred), optional or required client
 * certificates verified against a CA bundle, ALPN for h2 and http/1.1, and the peer identity read
 * from the verified certificate. */
#pragma once

#include <openssl/ssl.h>
#include <stdbool.h>

struct cc_error;
struct cc_peer;

struct cc_tls_server_config {
	const char *cert_file;    /* PEM chain, leaf first */
	const char *key_file;     /* PEM private key */
	const char *client_ca;    /* PEM CA bundle for client certificates; NULL: none requested */
	bool require_client_cert; /* with client_ca: refuse handshakes without a valid certificate */
};

int cc_tls_server_context(const struct cc_tls_server_config *cfg, SSL_CTX **ret, struct cc_error *err);

/* Fills the TLS part of peer from a completed handshake. */
void cc_tls_peer_identity(SSL *ssl, struct cc_peer *peer);

/* The most recent OpenSSL error as text, for messages. */
const char *cc_tls_last_error(char *buf, size_t size);
