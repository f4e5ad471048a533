/* TPM 2.0 quotes (TPM 2.0 Library, Part 2 §10.12 TPMS_ATTEST, Part 3 §18.4 TPM2_Quote) with the
 * node's measurement log. The evidence is one JSON document (docs/attest.md):
 *
 *   {"quote": base64 TPMS_ATTEST, "signature": base64 TPMT_SIGNATURE,
 *    "pcrs": {"sha384": {"15": hex, ...}, "sha256": {...}},
 *    "measurements": [records of the runtime's measurement log, oldest first]}
 *
 * Verified: the quote is TPM-generated (magic, type), signed by the attestation key (ECDSA or
 * RSASSA/RSAPSS; the AK must be a restricted signing key fixed to its TPM, given as the TPM2B_PUBLIC
 * recorded at registration), extraData equals the expected nonce, the PCR digest equals the hash of
 * the supplied PCR values of the selection, and the measurement log replays to its PCR, so every
 * container measurement becomes a claim. */
#pragma once

#include <jansson.h>

struct cc_error;
struct attest_input;

/* in->evidence: the JSON above; in->endorsement: the AK's TPM2B_PUBLIC; in->nonce: the expected
 * extraData (required). */
int tpm_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err);
