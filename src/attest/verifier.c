/* The registry of evidence verifiers (see verifier.h): one entry per TEE kind. */
#include "attest/verifier.h"

#include "attest/snp.h"
#include "attest/tdx.h"
#include "attest/tpm.h"

#include <stdio.h>
#include <string.h>

static const struct attest_verifier verifiers[] = {
	{ "snp", "AMD SEV-SNP attestation report", snp_verify },
	{ "tdx", "Intel TDX quote (version 4)", tdx_verify },
	{ "tpm", "TPM 2.0 quote", tpm_verify },
};

const struct attest_verifier *attest_verifier_find(const char *tee)
{
	for (size_t i = 0; tee && i < sizeof(verifiers) / sizeof(verifiers[0]); i++)
		if (strcmp(verifiers[i].tee, tee) == 0)
			return &verifiers[i];
	return NULL;
}

const char *attest_verifier_names(void)
{
	static char names[64];
	if (!names[0])
		for (size_t i = 0; i < sizeof(verifiers) / sizeof(verifiers[0]); i++)
			snprintf(names + strlen(names), sizeof(names) - strlen(names), "%s%s", i ? ", " : "",
				 verifiers[i].tee);
	return names;
}
