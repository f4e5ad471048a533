/* A pod's mTLS certificate from the key broker, the node's side (docs/design/pod-mtls.md, "Issuance:
 * who proves what"): the pod's key and CSR are made here, on the node; the session's quote binds the
 * CSR's key (runtime data `cocoon-csr`) and names the pod (`cocoon-pod`), so the broker's policy
 * judges the pod's containers before it signs. The tenant's bundle and CRL come in the same session,
 * and revocation goes through one. */
#pragma once

#include <jansson.h>
#include <stddef.h>

struct agent_config;
struct cc_error;

struct agent_mtls_request {
	const char *common_name; /* NS/POD */
	const char *token;       /* the pod's service account token, audience cocoon-kbs:TENANT */
	const json_t *dns_names; /* array of strings, may be NULL */
};

/* What the tenant's peers trust: its issuing CAs and its CRL, PEM. */
struct agent_mtls_material {
	char *bundle, *crl;
};

struct agent_mtls_result {
	char *key_pem;  /* PKCS#8 PEM of the pod's new P-256 key; wiped when cleared */
	json_t *answer; /* the broker's: {certificate, ca, serial, notAfter, spiffeId} */
	struct agent_mtls_material material;
};

/* One attested session for cfg->pod (which must be set) in cfg->tenant: a new key, its CSR, the
 * certificate, then the bundle and CRL. */
int agent_mtls_issue(const struct agent_config *cfg, const struct agent_mtls_request *req,
		     struct agent_mtls_result *ret, struct cc_error *err);
void agent_mtls_result_clear(struct agent_mtls_result *res);

/* The bundle and CRL alone, in a session of their own. */
int agent_mtls_material_fetch(const struct agent_config *cfg, struct agent_mtls_material *ret, struct cc_error *err);
void agent_mtls_material_clear(struct agent_mtls_material *m);

/* Revokes certificates the broker issued to this node (serials: hex), reason an RFC 5280 name. */
int agent_mtls_revoke(const struct agent_config *cfg, const json_t *serials, const char *reason, struct cc_error *err);
