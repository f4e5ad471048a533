/* One interface for every kind of TEE evidence (SEV-SNP reports, TDX quotes, TPM quotes): a
 * verifier checks that the evidence is authentic against pinned trust anchors and returns its
 * normalized claims. The key broker and `cocoon attest verify` look verifiers up by name. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;

/* A byte string held by the caller. */
struct attest_blob {
	const uint8_t *data;
	size_t len;
};

#define ATTEST_CRLS_MAX 8

/* Everything a verifier may need; each kind documents which fields it reads. */
struct attest_input {
	const uint8_t *evidence; /* the report or quote, as the hardware produced it */
	size_t evidence_len;
	const uint8_t *endorsement; /* SNP: the VCEK certificate (DER); TPM: the AK (TPM2B_PUBLIC) */
	size_t endorsement_len;
	const char *roots_pem; /* pinned trust anchors (AMD ASK+ARK, Intel SGX Root CA, EK CA) */
	size_t roots_len;
	struct attest_blob crls[ATTEST_CRLS_MAX]; /* optional revocation lists (DER or PEM) */
	size_t n_crls;
	/* The freshness and key binding the evidence must carry: TPM extraData equals it; SNP and TDX
	 * report_data starts with it. NULL when the caller checks report_data itself. */
	const uint8_t *nonce;
	size_t nonce_len;
	time_t at; /* verification time for certificates, 0 for now */
	/* TDX: Intel's collateral for the TCB status (all three, or none). */
	struct attest_blob tcb_info, qe_identity, collateral_chain;
};

struct attest_verifier {
	const char *tee; /* "snp", "tdx", "tpm" */
	const char *description;
	/* Returns 0 with the claims when the evidence is authentic, a negative errno with the precise
	 * reason otherwise. */
	int (*verify)(const struct attest_input *in, json_t **ret_claims, struct cc_error *err);
};

/* NULL for an unknown kind. */
const struct attest_verifier *attest_verifier_find(const char *tee);
/* "snp, tdx, tpm" for messages. */
const char *attest_verifier_names(void);
