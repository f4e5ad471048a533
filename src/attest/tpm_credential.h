/* The verifier's half of TPM credential activation (TPM 2.0 Part 1 §24 "Credential Protection",
 * Part 3 §12.6 TPM2_MakeCredential): a secret is encrypted so that only the TPM holding the EK's
 * private key can recover it, and only for an object with the given name loaded in that TPM. Asking
 * a node to activate such a credential for its AK proves the AK lives in the TPM the EK certificate
 * names. RSA EKs (the TCG default template, RSA 2048 with SHA-256 and AES-128-CFB). */
#pragma once

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define TPM_NAME_MAX 66 /* nameAlg (2) + a SHA-512 digest */

/* The TPM object name of a TPM2B_PUBLIC: nameAlg || H_nameAlg(TPMT_PUBLIC). */
int tpm_object_name(const uint8_t *tpm2b_public, size_t len, uint8_t *out, size_t *ret_len, struct cc_error *err);

/* Checks a TPM2B_PUBLIC is a usable attestation key (restricted signing, fixed to its TPM). */
int tpm_check_ak(const uint8_t *tpm2b_public, size_t len, struct cc_error *err);

/* MakeCredential for secret (at most 32 bytes) to the EK's public key and the object name. The result
 * is the credential file tpm2_activatecredential reads: 0xBADCC0DE, version 1, TPM2B_ID_OBJECT,
 * TPM2B_ENCRYPTED_SECRET. */
int tpm_make_credential(EVP_PKEY *ek, const uint8_t *name, size_t name_len, const uint8_t *secret, size_t secret_len,
			uint8_t **ret, size_t *ret_len, struct cc_error *err);
