/* libFuzzer target: TPM evidence (the JSON document of docs/attest.md with a TPMS_ATTEST quote, a
 * TPMT_SIGNATURE, PCR values and the measurement log), as a node agent would send it. The AK is a
 * real swtpm attestation key, so mutated quotes get through to the PCR and log checks when the
 * fuzzer keeps the signed part intact. */
#include "attest/tpm.h"
#include "attest/verifier.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

/* TPM2B_PUBLIC of an ECDSA P-256 AK made by swtpm with tpm2_createak (seed corpus: its quotes). */
static const uint8_t ak[] = {
#include "tpm_ak.inc"
};

static const uint8_t nonce[] = { 0x00, 0x11, 0x22, 0x33, 0x44 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct attest_input in = {
		.evidence = data,
		.evidence_len = size,
		.endorsement = ak,
		.endorsement_len = sizeof(ak),
		.nonce = nonce,
		.nonce_len = sizeof(nonce),
	};
	json_t *claims = NULL;
	if (tpm_verify(&in, &claims, NULL) == 0)
		json_decref(claims);
	return 0;
}
