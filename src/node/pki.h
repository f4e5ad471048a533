/* The node's own PKI: a CA, a server certificate for the API, and an admin client certificate.
 * Created once on first start (or by `cocoon certs init`) so mutual TLS is on from the first
 * request, without the user running openssl by hand. */
#pragma once

struct cc_error;

struct node_pki_paths {
	char ca_cert[4096];
	char ca_key[4096];
	char server_cert[4096];
	char server_key[4096];
	char admin_cert[4096];
	char admin_key[4096];
};

void node_pki_paths(const char *dir, struct node_pki_paths *ret);

/* Creates whatever is missing under dir. hosts is a comma-separated list of extra server names or
 * IP addresses (localhost and 127.0.0.1 are always included). Existing files are kept.
 * Returns 1 when something was created, 0 when all existed. */
int node_pki_ensure(const char *dir, const char *hosts, struct cc_error *err);
