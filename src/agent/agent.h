/* The node attestation agent (`cocoon attest agent`): owns the node's TPM, registers its attestation
 * key with the key broker by credential activation, and fetches resources (for example the fscrypt
 * key of a pod's encrypted volume) by attesting with a TPM quote over the runtime's measurements. */
#pragma once

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
