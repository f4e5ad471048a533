/* Extending container measurements into a TPM PCR (tpm2-tss ESAPI), so a remote verifier can
 * check the measurement log against a quote. The TPM is the node's (tcti.h). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define CC_TPM_DEFAULT_PCR 15

/* Extends pcr in the SHA-384 bank with measurement and in the SHA-256 bank with its SHA-256.
 * A TPM that is configured but fails is an error: the caller fails closed. */
int cc_tpm_pcr_extend(const char *tcti, int pcr, const uint8_t measurement[48], struct cc_error *err);

/* The PCR to use: COCOON_TPM_PCR from the environment, else CC_TPM_DEFAULT_PCR. */
int cc_tpm_pcr(void);
