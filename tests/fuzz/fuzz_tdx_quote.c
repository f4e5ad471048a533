/* libFuzzer target: Intel TDX quotes (untrusted evidence from a guest). Every input goes through
 * the parser and, with the Intel SGX Root CA compiled in as the anchor, through the full verifier, so
 * the PEM chain, QE report and signature checks are reached with mutated data. */
#include "attest/tdx.h"
#include "attest/verifier.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

/* tests/fixtures/attestation/tdx/intel-sgx-root-ca.pem */
static const char root[] = "-----BEGIN CERTIFICATE-----\n"
#include "intel_sgx_root_ca.inc"
			   "-----END CERTIFICATE-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct tdx_quote q;
	if (tdx_quote_parse(data, size, &q, NULL) == 0)
		json_decref(tdx_quote_claims(&q));
	struct attest_input in = {
		.evidence = data,
		.evidence_len = size,
		.roots_pem = root,
		.roots_len = sizeof(root) - 1,
	};
	json_t *claims = NULL;
	if (tdx_verify(&in, &claims, NULL) == 0)
		json_decref(claims);
	return 0;
}
