/* The node attestation agent (`cocoon attest agent`): owns the node's TPM, registers its attestation
 * key with the key broker by credential activation, and fetches resources (for example the fscrypt
 * key of a pod's encrypted volume) by attesting with a TPM quote over the runtime's measurements. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

struct agent_config {
	const char *kbs_url; /* https://host:port */
	const char *ca_file; /* the broker's CA */
	const char *tenant, *node;
	const char *state_dir;       /* holds ak.json */
	const char *tcti;            /* the node's TPM */
	const char *measurement_log; /* the runtime's measurements.jsonl, or NULL */
	int pcr;                     /* the PCR the runtime extends (15) */
	const char *pod;             /* the pod uid a fetch is for (runtime data "cocoon-pod"), or NULL */
};

/* Creates the AK if needed and registers it: register, activate in the TPM, activate. */
int agent_register(const struct agent_config *cfg, struct cc_error *err);

/* auth -> quote -> attest -> resource; writes the secret to out_path (mode 0600, atomically). */
int agent_fetch(const struct agent_config *cfg, const char *resource, const char *out_path, struct cc_error *err);

/* An attested session with the broker: auth, then a quote over the runtime data {nonce, tee-pubkey,
 * cocoon-pod (cfg->pod), and the fields of extra}, then attest. Later requests carry its cookie.
 * cfg must outlive the session. */
struct agent_session;
int agent_session_open(const struct agent_config *cfg, const json_t *extra, struct agent_session **ret,
		       struct cc_error *err);
/* One JSON exchange within the session; a status other than want is an error with the problem's
 * detail (EACCES for 401 and 403, ENOENT for 404). */
int agent_session_call(struct agent_session *s, const char *method, const char *path, const json_t *body, long want,
		       json_t **ret, struct cc_error *err);
/* A GET answering text (PEM), *ret malloc'ed. */
int agent_session_get_text(struct agent_session *s, const char *path, char **ret, struct cc_error *err);
void agent_session_free(struct agent_session *s);
