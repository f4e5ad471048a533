/* Verifies the "tee-evidence" of an attestation request for one tenant (see kbs_evidence.c). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct kbs;

/* tee is "snp", "tdx" or "tpm"; nonce is what the evidence must bind. */
int kbs_evidence_verify(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
			const uint8_t *nonce, size_t nonce_len, json_t **ret_claims, struct cc_error *err);

/* Whether TPM evidence the verifier refused has an authentic, fresh quote all the same: the quote,
 * checked without the measurement log (signature by the AK registered for its node in tenant, nonce,
 * PCR digest), verifies. Then what failed is the log's replay, and the node (*ret_node, pointing
 * into evidence) is the one that failed. 1 when so, 0 otherwise (any other TEE, a forged or stale
 * quote, an unknown node). Only for evidence kbs_evidence_verify refused: it verifies twice. */
int kbs_evidence_authentic_quote(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
				 const uint8_t *nonce, size_t nonce_len, const char **ret_node);

/* The runtime data's "cocoon-pod" (a pod uid, a cocoon extension of the protocol): the claims gain
 * pod {uid, containers}, the replayed log's containers of that pod (named UID-NAME-INSTANCE), so a
 * tenant's policy can judge the pod that asks (pod.containers.*.image), and `containers` is
 * narrowed to the same: the node's other pods are not this policy's to see. Without it, nothing
 * changes; a malformed one is -EINVAL. The runtime data is bound to the evidence, so the node
 * vouches for it. */
int kbs_pod_claims(const json_t *runtime_data, json_t *claims, struct cc_error *err);
