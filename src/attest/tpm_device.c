/* The node's TPM through ESAPI for cocoon's own use (see tpm_device.h). */
#include "attest/tpm_device.h"

#include "base/error.h"
#include "crypto/encode.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

/* A TPM without a resource manager (swtpm on a socket) has three object slots; another process using
 * them makes the TPM answer OBJECT_MEMORY, which clears as soon as that process flushes. */
#define RC_OBJECT_MEMORY (TPM2_RC_WARN | 0x002)

bool tpm_device_out_of_slots(TSS2_RC rc)
{
	return (rc & 0xfff) == RC_OBJECT_MEMORY;
}

void tpm_device_close(struct tpm_device *t)
{
	if (t->esys && t->primary != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->primary);
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
}

/* Opens the TPM and creates the owner's ECC P-256 storage primary key (the template of the TCG's
 * "SRK" profile: restricted decryption key, AES-128-CFB for its children). */
int tpm_device_open(const char *tcti, struct tpm_device *t, struct cc_error *err)
{
	*t = (struct tpm_device){ .primary = ESYS_TR_NONE };
	setenv("TSS2_LOG", "all+NONE", 0); /* errors are reported through err, not tpm2-tss's own log */
	if (!tcti)
		return cc_error_set(err, ENODEV, "no TPM: set COCOON_TPM_TCTI or provide /dev/tpmrm0");
	TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		tpm_device_close(t);
		return cc_error_set(err, EIO, "TPM `%s`: cannot open: %s", tcti, Tss2_RC_Decode(rc));
	}
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_PUBLIC template = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT | TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH | TPMA_OBJECT_NODA,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme = { .scheme = TPM2_ALG_NULL },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	for (int i = 0; i < TPM_SLOT_RETRIES; i++) {
		rc = Esys_CreatePrimary(t->esys, ESYS_TR_RH_OWNER, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE,
					&sensitive, &template, &outside, &pcrs, &t->primary, NULL, NULL, NULL, NULL);
		if (!tpm_device_out_of_slots(rc))
			break;
		usleep(TPM_SLOT_RETRY_US);
	}
	if (rc != TSS2_RC_SUCCESS) {
		t->primary = ESYS_TR_NONE;
		tpm_device_close(t);
		return cc_error_set(err, EIO, "TPM `%s`: cannot create the storage key: %s", tcti, Tss2_RC_Decode(rc));
	}
	return 0;
}
