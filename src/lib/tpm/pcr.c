/* TPM2_PCR_Extend through ESAPI (TCG TSS 2.0 ESAPI specification). swtpm serves it in tests. */
#include "lib/tpm/pcr.h"

#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/tpm/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_rc.h>

int cc_tpm_pcr(void)
{
	const char *env = getenv("COCOON_TPM_PCR");
	int pcr = env ? atoi(env) : CC_TPM_DEFAULT_PCR;
	return pcr >= 0 && pcr <= 23 ? pcr : CC_TPM_DEFAULT_PCR;
}

int cc_tpm_pcr_extend(const char *tcti, int pcr, const uint8_t measurement[48], struct cc_error *err)
{
	struct cc_tpm_device t;
	int r = cc_tpm_device_connect(tcti, &t, err);
	if (r < 0)
		return r;
	TPML_DIGEST_VALUES digests = { .count = 2 };
	digests.digests[0].hashAlg = TPM2_ALG_SHA384;
	memcpy(digests.digests[0].digest.sha384, measurement, 48);
	digests.digests[1].hashAlg = TPM2_ALG_SHA256;
	cc_digest(CC_DIGEST_SHA256, measurement, 48, digests.digests[1].digest.sha256, NULL);
	TSS2_RC rc = Esys_PCR_Extend(t.esys, ESYS_TR_PCR0 + (ESYS_TR)pcr, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
				     &digests);
	cc_tpm_device_close(&t);
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, EIO, "TPM `%s`: extending PCR %d failed: %s", tcti, pcr, Tss2_RC_Decode(rc));
	return 0;
}
