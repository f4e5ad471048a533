/* TPM2_PCR_Extend through ESAPI (TCG TSS 2.0 ESAPI specification). swtpm serves it in tests. */
#include "runtime/tpm.h"

#include "lib/base/error.h"
#include "lib/crypto/digest.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

int runtime_tpm_pcr(void)
{
	const char *env = getenv("COCOON_TPM_PCR");
	int pcr = env ? atoi(env) : RUNTIME_TPM_DEFAULT_PCR;
	return pcr >= 0 && pcr <= 23 ? pcr : RUNTIME_TPM_DEFAULT_PCR;
}

int runtime_tpm_extend(const char *tcti_conf, int pcr, const uint8_t measurement[48], struct cc_error *err)
{
	TSS2_TCTI_CONTEXT *tcti = NULL;
	ESYS_CONTEXT *esys = NULL;
	TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti_conf, &tcti);
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, EIO, "TPM `%s`: cannot open: %s", tcti_conf, Tss2_RC_Decode(rc));
	rc = Esys_Initialize(&esys, tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		Tss2_TctiLdr_Finalize(&tcti);
		return cc_error_set(err, EIO, "TPM `%s`: cannot initialise: %s", tcti_conf, Tss2_RC_Decode(rc));
	}
	TPML_DIGEST_VALUES digests = { .count = 2 };
	digests.digests[0].hashAlg = TPM2_ALG_SHA384;
	memcpy(digests.digests[0].digest.sha384, measurement, 48);
	digests.digests[1].hashAlg = TPM2_ALG_SHA256;
	cc_digest(CC_DIGEST_SHA256, measurement, 48, digests.digests[1].digest.sha256, NULL);
	rc = Esys_PCR_Extend(esys, ESYS_TR_PCR0 + (ESYS_TR)pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &digests);
	Esys_Finalize(&esys);
	Tss2_TctiLdr_Finalize(&tcti);
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, EIO, "TPM `%s`: extending PCR %d failed: %s", tcti_conf, pcr,
				    Tss2_RC_Decode(rc));
	return 0;
}
