/* TPM-sealed root keys (see root_key_tpm.h), through ESAPI. The storage primary key is re-created
 * from the owner seed each time (same template, same key), so nothing has to be persisted in the
 * TPM's few NV slots; the sealed object is loaded under it, unsealed and flushed. */
#include "keys/root_key_tpm.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/tpm/device.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#define SEALED_FORMAT "cocoon-tpm-sealed-root-key/v1"
int keys_root_key_tpm_seal(const char *tcti, const char *path, struct cc_error *err)
{
	struct cc_tpm_device t;
	int r = cc_tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	TPM2B_SENSITIVE_CREATE sensitive = { .sensitive.data.size = KEYS_ROOT_KEY_SIZE };
	TPM2B_PUBLIC template = {
		.publicArea = {
			.type = TPM2_ALG_KEYEDHASH,
			.nameAlg = TPM2_ALG_SHA256,
			/* A sealed data object: no sign or decrypt, bound to this TPM and parent. */
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_USERWITHAUTH |
					    TPMA_OBJECT_NODA,
			.parameters.keyedHashDetail.scheme.scheme = TPM2_ALG_NULL,
		},
	};
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PRIVATE *priv = NULL;
	TPM2B_PUBLIC *pub = NULL;
	if ((r = cc_random_bytes(sensitive.sensitive.data.buffer, KEYS_ROOT_KEY_SIZE, err)) < 0)
		goto out;
	TSS2_RC rc = Esys_Create(t.esys, t.primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &template,
				 &outside, &pcrs, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = cc_error_set(err, EIO, "TPM `%s`: cannot seal the root key: %s", tcti, Tss2_RC_Decode(rc));
		goto out;
	}
	r = cc_tpm_device_save_object(path, SEALED_FORMAT, pub, priv, err);
out:
	cc_wipe(&sensitive, sizeof(sensitive));
	Esys_Free(priv);
	Esys_Free(pub);
	cc_tpm_device_close(&t);
	return r;
}

int keys_root_key_tpm_unseal(const char *tcti, const char *path, uint8_t key[KEYS_ROOT_KEY_SIZE], struct cc_error *err)
{
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	int r = cc_tpm_device_load_object(path, SEALED_FORMAT, &pub, &priv, err);
	if (r < 0)
		return r;
	struct cc_tpm_device t;
	if ((r = cc_tpm_device_open(tcti, &t, err)) < 0)
		return r;
	ESYS_TR object = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *data = NULL;
	TSS2_RC rc = TSS2_RC_SUCCESS;
	if ((r = cc_tpm_device_load(&t, &pub, &priv, &object, err)) == 0)
		rc = Esys_Unseal(t.esys, object, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (r < 0)
		cc_error_prefix(err, "root key `%s` on TPM `%s`", path, tcti);
	else if (rc != TSS2_RC_SUCCESS)
		r = cc_error_set(err, EACCES, "root key `%s` does not unseal on TPM `%s`: %s", path, tcti,
				 Tss2_RC_Decode(rc));
	else if (data->size != KEYS_ROOT_KEY_SIZE)

		r = cc_error_set(err, EINVAL, "root key `%s` unsealed to %u bytes, not %d", path, data->size,
				 KEYS_ROOT_KEY_SIZE);
	else
		memcpy(key, data->buffer, KEYS_ROOT_KEY_SIZE);
	if (data) {
		cc_wipe(data, sizeof(*data));
		Esys_Free(data);
	}
	if (object != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, object);
	cc_tpm_device_close(&t);
	return r;
}
