/* libFuzzer target: AMD SEV-SNP attestation reports (untrusted evidence from a guest). The first
 * 1184 bytes are the report; the rest, if any, is taken as the VCEK certificate, so certificate
 * and extension parsing is reached too. */
#include "attest/snp.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>

static const char chain[] = "not a PEM chain";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct snp_report r;
	if (snp_report_parse(data, size, &r, NULL) == 0)
		json_decref(snp_report_claims(&r));
	if (size > SNP_REPORT_SIZE) {
		struct snp_verify_options opts = {
			.vcek_der = data + SNP_REPORT_SIZE,
			.vcek_len = size - SNP_REPORT_SIZE,
			.chain_pem = chain,
			.chain_len = sizeof(chain) - 1,
		};
		if (snp_report_verify(data, SNP_REPORT_SIZE, &opts, &r, NULL) == 0)
			abort(); /* nothing verifies without a chain */
	}
	return 0;
}
