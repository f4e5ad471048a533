/* What the node attestation agent asks of the node's TPM (ESAPI): the endorsement key of the TCG
 * default RSA template and its certificate, an attestation key under the owner's storage key (kept
 * as a file of its public and TPM-encrypted private parts), credential activation, and quotes of the
 * PCRs the runtime measures into. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* The RSA EK certificate the manufacturer (swtpm_setup in tests) stored at NV index 0x01c00002, DER. */
int agent_tpm_ek_certificate(const char *tcti, uint8_t **ret, size_t *ret_len, struct cc_error *err);

/* Creates an ECDSA P-256 AK under the storage key and writes it to path (JSON, 0600) unless the file
 * exists; *ret_public is its TPM2B_PUBLIC for registration. */
int agent_tpm_ak_ensure(const char *tcti, const char *path, uint8_t **ret_public, size_t *ret_len,
			struct cc_error *err);

/* TPM2_ActivateCredential for the AK in path with the EK, on a credential in tpm2-tools' file format
 * (magic, version, TPM2B_ID_OBJECT, TPM2B_ENCRYPTED_SECRET). */
int agent_tpm_activate(const char *tcti, const char *path, const uint8_t *credential, size_t len, uint8_t *ret_secret,
		       size_t *ret_secret_len, struct cc_error *err);

/* Quotes sha384:pcr and sha256:pcr with the AK, extraData = nonce, and returns the TPM evidence of
 * docs/attest.md without its node name and measurement log: {"quote", "signature", "pcrs"}. */
int agent_tpm_quote(const char *tcti, const char *path, int pcr, const uint8_t *nonce, size_t nonce_len,
		    json_t **ret_evidence, struct cc_error *err);
