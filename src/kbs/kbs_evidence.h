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
