/* The node's probe of a pod's declared mTLS ports (docs/design/pod-mtls.md, "The namespace
 * annotation and what "required" enforces", build step 8): a TLS client from cocoond, from the host
 * (the gateway's address, which the guard lets in), that shows no certificate. A port passes when
 * the server refuses the handshake for that (TLS 1.3: alert 116 certificate_required on the first
 * read after the client's Finished; TLS 1.2: a fatal alert during the handshake) and presented the
 * pod's current leaf on the way. The half "with a node prober certificate the handshake succeeds"
 * needs a prober identity from the key broker that does not exist yet: not done.
 *
 * The pod is the peer, so nothing it sends is trusted: its certificate is only compared byte for
 * byte with the pod's own tls.crt (never verified, never parsed for names), and its serial is
 * only reported in hex. The classification of what was seen is separate from the sockets, so that
 * unit tests can check it. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum platform_mtls_probe_result {
	MTLS_PROBE_OK,                /* refused without a client certificate; the pod's current leaf */
	MTLS_PROBE_PLAINTEXT,         /* the port does not answer as TLS */
	MTLS_PROBE_NO_CLIENT_AUTH,    /* the handshake completed without our certificate */
	MTLS_PROBE_STALE_CERTIFICATE, /* another leaf than the pod's current one */
	MTLS_PROBE_UNREACHABLE,       /* no connection, or a refusal before any certificate */
	MTLS_PROBE_RESULT_MAX,
};

/* "ok", "plaintext", "no-client-auth", "stale-certificate", "unreachable". */
const char *platform_mtls_probe_result_name(enum platform_mtls_probe_result result);

/* What one probe saw. */
struct platform_mtls_probe_observation {
	bool connected;            /* the TCP connection was made */
	bool tls_seen;             /* a TLS handshake message or alert came back */
	bool handshake_done;       /* the client's side of the handshake completed */
	int alert;                 /* the first fatal alert the server sent (TLS AlertDescription), -1: none */
	bool leaf_seen;            /* the server presented a certificate */
	bool leaf_matches;         /* ... and it is the pod's current tls.crt, byte for byte */
	char presented_serial[48]; /* the presented leaf's serial in hex ("" when none or too long) */
	char detail[256];          /* why the connection or handshake ended, for the event's reason */
};

/* The result of an observation. The order of the checks: no connection, then not TLS, then a
 * handshake that completed without a server alert (no client authentication), then the leaf. */
enum platform_mtls_probe_result platform_mtls_probe_classify(const struct platform_mtls_probe_observation *o);

/* Probes IPV4:PORT with at most timeout_ms for the connection, the handshake and the read after
 * it; expected_der is the pod's leaf (DER). Never fails: what happened is in *ret. */
void platform_mtls_probe_run(const char *ipv4, uint16_t port, const unsigned char *expected_der, size_t expected_len,
			     int timeout_ms, struct platform_mtls_probe_observation *ret);

/* A sentence for the event and the condition: the port, the result and why (malloc'ed). */
char *platform_mtls_probe_describe(uint16_t port, enum platform_mtls_probe_result result,
				   const struct platform_mtls_probe_observation *o);
