/* TPM-sealed root keys (see root_key_tpm.h), through ESAPI. The storage primary key is re-created
 * from the owner seed each time (same template, same key), so nothing has to be persisted in the
 * TPM's few NV slots; the sealed object is loaded under it, unsealed and flushed. */
#include "attest/root_key_tpm.h"

#include "attest/tpm_device.h"

#include "base/cleanup.h"
#include "base/error.h"
#include "base/file.h"
#include "crypto/encode.h"
#include "crypto/random.h"
#include "crypto/secure.h"
#include "json/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <tss2/tss2_esys.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>

#define SEALED_FILE_MAX 8192
static json_t *marshalled_public(const TPM2B_PUBLIC *pub)
{
	uint8_t buf[sizeof(*pub)];
	size_t len = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &len) != TSS2_RC_SUCCESS)
		return NULL;
	_cleanup_free_ char *text = cc_base64_encode(buf, len);
	return json_string(text);
}

static json_t *marshalled_private(const TPM2B_PRIVATE *priv)
{
	uint8_t buf[sizeof(*priv)];
	size_t len = 0;
	if (Tss2_MU_TPM2B_PRIVATE_Marshal(priv, buf, sizeof(buf), &len) != TSS2_RC_SUCCESS)
		return NULL;
	_cleanup_free_ char *text = cc_base64_encode(buf, len);
	return json_string(text);
}

int attest_root_key_tpm_seal(const char *tcti, const char *path, struct cc_error *err)
{
	struct tpm_device t;
	int r = tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	TPM2B_SENSITIVE_CREATE sensitive = { .sensitive.data.size = ATTEST_ROOT_KEY_SIZE };
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
	json_t *doc = NULL;
	_cleanup_free_ char *text = NULL;
	if ((r = cc_random_bytes(sensitive.sensitive.data.buffer, ATTEST_ROOT_KEY_SIZE, err)) < 0)
		goto out;
	TSS2_RC rc = Esys_Create(t.esys, t.primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &template,
				 &outside, &pcrs, &priv, &pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = cc_error_set(err, EIO, "TPM `%s`: cannot seal the root key: %s", tcti, Tss2_RC_Decode(rc));
		goto out;
	}
	doc = json_pack("{s:s, s:o, s:o}", "format", "cocoon-tpm-sealed-root-key/v1", "public", marshalled_public(pub),
			"private", marshalled_private(priv));
	text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	if (!text) {
		r = cc_error_set(err, ENOMEM, "cannot encode the sealed root key");
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		r = cc_error_set_errno(err, errno, "create sealed root key `%s`", path);
		goto out;
	}
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		r = cc_error_set_errno(err, errno, "write sealed root key `%s`", path);
	close(fd);
out:
	cc_wipe(&sensitive, sizeof(sensitive));
	Esys_Free(priv);
	Esys_Free(pub);
	json_decref(doc);
	tpm_device_close(&t);
	return r;
}

static int field(const json_t *doc, const char *name, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(doc, name));
	if (!text || cc_base64_decode(text, strlen(text), ret, ret_len) < 0)
		return cc_error_set(err, EINVAL, "sealed root key: `%s` is missing or not base64", name);
	return 0;
}

int attest_root_key_tpm_unseal(const char *tcti, const char *path, uint8_t key[ATTEST_ROOT_KEY_SIZE],
			       struct cc_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_load_file(path, SEALED_FILE_MAX, &doc, err);
	if (r < 0)
		return r;
	const char *format = json_string_value(json_object_get(doc, "format"));
	if (!format || strcmp(format, "cocoon-tpm-sealed-root-key/v1") != 0)
		return cc_error_set(err, EINVAL, "`%s` is not a TPM-sealed root key (cocoon key init-root --tpm)",
				    path);
	_cleanup_free_ uint8_t *pub_bytes = NULL, *priv_bytes = NULL;
	size_t pub_len, priv_len, offset = 0;
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	if ((r = field(doc, "public", &pub_bytes, &pub_len, err)) < 0 ||
	    (r = field(doc, "private", &priv_bytes, &priv_len, err)) < 0)
		return r;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub_bytes, pub_len, &offset, &pub) != TSS2_RC_SUCCESS || offset != pub_len ||
	    (offset = 0, Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv_bytes, priv_len, &offset, &priv)) != TSS2_RC_SUCCESS ||
	    offset != priv_len)
		return cc_error_set(err, EINVAL, "sealed root key `%s` is malformed", path);
	struct tpm_device t;
	if ((r = tpm_device_open(tcti, &t, err)) < 0)
		return r;
	ESYS_TR object = ESYS_TR_NONE;
	TPM2B_SENSITIVE_DATA *data = NULL;
	TSS2_RC rc;
	for (int i = 0; i < TPM_SLOT_RETRIES; i++) {
		rc = Esys_Load(t.esys, t.primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &priv, &pub, &object);
		if (!tpm_device_out_of_slots(rc))
			break;
		usleep(TPM_SLOT_RETRY_US);
	}
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Unseal(t.esys, object, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &data);
	if (rc != TSS2_RC_SUCCESS)
		r = cc_error_set(err, EACCES, "root key `%s` does not unseal on TPM `%s`%s: %s", path, tcti,
				 tpm_device_out_of_slots(rc) ? "" : " (sealed by another TPM?)", Tss2_RC_Decode(rc));
	else if (data->size != ATTEST_ROOT_KEY_SIZE)
		r = cc_error_set(err, EINVAL, "root key `%s` unsealed to %u bytes, not %d", path, data->size,
				 ATTEST_ROOT_KEY_SIZE);
	else
		memcpy(key, data->buffer, ATTEST_ROOT_KEY_SIZE);
	if (data) {
		cc_wipe(data, sizeof(*data));
		Esys_Free(data);
	}
	if (object != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, object);
	tpm_device_close(&t);
	return r;
}
