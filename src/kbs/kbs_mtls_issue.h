/* Pod certificates from the key broker (docs/design/pod-mtls.md, "Issuance: who proves what";
 * build step 3):
 *
 *   POST /kbs/v0/mtls/certificate   with the kbs-session-id cookie of an attested session and
 *                                   {"csr": PEM, "token": the pod's service account token,
 *                                    "dnsNames": [...]} -> 201 {"certificate", "ca", "serial",
 *                                   "notAfter", "spiffeId"}
 *
 * The broker issues only if the session is attested and affirming; the CSR verifies, is P-256, and
 * its SPKI digest is in the session's runtime-data `cocoon-csr` (so the quote binds it); the token
 * verifies with --sa-issuer-key, is unexpired, is for `cocoon-kbs:TENANT` and names a pod with a
 * container UID-* in the replayed log (the pod the runtime data named, when it named one); the
 * tenant has an enabled mTLS configuration and an active CA; every DNS name lies under the token's
 * namespace; and the node is within its limit of issuances per minute (kbs_mtls_rate.h: 429
 * TooManyCertificates with Retry-After beyond it). The certificate carries the CocoonAttestation extension, is recorded
 * at kbs/<tenant>/mtls/issued/<serial>, and the EAR it rests on is kept at kbs/<tenant>/mtls/ear/<jti>. Every decision
 * is a `kbs.mtls.issue` event. */
#pragma once

#include "lib/crypto/attestation_ext.h"
#include "lib/net/http.h"

#include <jansson.h>
#include <stdint.h>

struct cc_error;

/* What an attestation established that pod certificates need and the EAR does not carry, kept with
 * the session: {node, evidenceDigest (hex SHA-384 of the canonical tee-evidence), policyDigest (hex
 * SHA-384 of the canonical policy that appraised it), csr (the runtime data's cocoon-csr, absent when
 * it bound no CSR keys: then nothing is issued), logSeq (each log record's seq, in the log's order,
 * null where a record has none)}. The node is also what a revocation by the session may touch
 * (kbs_mtls_revoke.h). *ret is NULL, and nothing is kept, unless the evidence is TPM evidence. */
int kbs_mtls_facts(const char *tee, const json_t *runtime_data, const json_t *evidence,
		   const uint8_t policy_digest[CC_ATTESTATION_DIGEST_SIZE], json_t **ret, struct cc_error *err);

/* The route's handler; userdata is the struct kbs. */
void kbs_mtls_handle_certificate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
