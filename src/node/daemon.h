/* cocoond: the single-machine platform daemon. Today it serves the node API over mutual TLS and
 * the local unix socket (HTTP and gRPC health) and records each connection's authentication as a
 * security event in <data_dir>/events.jsonl; later issues add workloads, keys and audit. */
#pragma once

struct cc_error;

struct node_daemon_config {
	const char *listen;      /* TCP API address, e.g. 127.0.0.1:7443 */
	const char *data_dir;    /* state; the PKI lives in <data_dir>/pki unless given */
	const char *socket_path; /* local API socket; default <data_dir>/cocoond.sock */
	const char *tls_cert;    /* all three given: use them instead of the node PKI */
	const char *tls_key;
	const char *client_ca;
	const char *hosts; /* extra names for the bootstrapped server certificate */
};

struct node_daemon;

/* Bootstraps the PKI and starts serving on background threads. */
int node_daemon_start(const struct node_daemon_config *cfg, struct node_daemon **ret, struct cc_error *err);
/* Stops serving (running requests finish) and frees. */
void node_daemon_stop(struct node_daemon *d);
