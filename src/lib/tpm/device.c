/* The node's TPM through ESAPI for cocoon's own use (see device.h). */
#include "lib/tpm/device.h"

#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <tss2/tss2_tctildr.h>
#include <unistd.h>

#define OBJECT_FILE_MAX 8192

/* A TPM without a resource manager (swtpm on a socket) has three object slots; another process using
 * them makes the TPM answer OBJECT_MEMORY, which clears as soon as that process flushes. */
#define RC_OBJECT_MEMORY (TPM2_RC_WARN | 0x002)

bool cc_tpm_device_out_of_slots(TSS2_RC rc)
{
	return (rc & 0xfff) == RC_OBJECT_MEMORY;
}

void cc_tpm_device_close(struct cc_tpm_device *t)
{
	if (t->esys && t->primary != ESYS_TR_NONE)
		Esys_FlushContext(t->esys, t->primary);
	Esys_Finalize(&t->esys);
	Tss2_TctiLdr_Finalize(&t->tcti);
}

int cc_tpm_device_connect(const char *tcti, struct cc_tpm_device *t, struct cc_error *err)
{
	*t = (struct cc_tpm_device){ .primary = ESYS_TR_NONE };
	if (!tcti)
		return cc_error_set(err, ENODEV, "no TPM: set COCOON_TPM_TCTI or provide /dev/tpmrm0");
	TSS2_RC rc = Tss2_TctiLdr_Initialize(tcti, &t->tcti);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_Initialize(&t->esys, t->tcti, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		cc_tpm_device_close(t);
		return cc_error_set(err, EIO, "TPM `%s`: cannot open: %s", tcti, Tss2_RC_Decode(rc));
	}
	return 0;
}

/* Opens the TPM and creates the owner's ECC P-256 storage primary key (the template of the TCG's
 * "SRK" profile: restricted decryption key, AES-128-CFB for its children). */
int cc_tpm_device_open(const char *tcti, struct cc_tpm_device *t, struct cc_error *err)
{
	setenv("TSS2_LOG", "all+NONE", 0); /* errors are reported through err, not tpm2-tss's own log */
	int r = cc_tpm_device_connect(tcti, t, err);
	if (r < 0)
		return r;
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
	if (cc_tpm_device_create_primary(t, ESYS_TR_RH_OWNER, &template, &t->primary, err) < 0) {
		t->primary = ESYS_TR_NONE;
		cc_tpm_device_close(t);
		return cc_error_prefix(err, "TPM `%s`: the storage key", tcti);
	}
	return 0;
}

int cc_tpm_device_create_primary(struct cc_tpm_device *t, ESYS_TR hierarchy, const TPM2B_PUBLIC *template, ESYS_TR *ret,
				 struct cc_error *err)
{
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TSS2_RC rc = TSS2_RC_SUCCESS;
	for (int i = 0; i < CC_TPM_SLOT_RETRIES; i++) {
		rc = Esys_CreatePrimary(t->esys, hierarchy, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive,
					template, &outside, &pcrs, ret, NULL, NULL, NULL, NULL);
		if (!cc_tpm_device_out_of_slots(rc))
			break;
		usleep(CC_TPM_SLOT_RETRY_US);
	}
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, EIO, "cannot create the primary key: %s", Tss2_RC_Decode(rc));
	return 0;
}

int cc_tpm_device_save_object(const char *path, const char *format, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv,
			      struct cc_error *err)
{
	uint8_t pub_buf[sizeof(*pub)], priv_buf[sizeof(*priv)];
	size_t pub_len = 0, priv_len = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, pub_buf, sizeof(pub_buf), &pub_len) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_PRIVATE_Marshal(priv, priv_buf, sizeof(priv_buf), &priv_len) != TSS2_RC_SUCCESS)
		return cc_error_set(err, EINVAL, "cannot marshal the TPM object");
	json_t *doc = json_pack("{s:s, s:o, s:o}", "format", format, "public", cc_json_base64(pub_buf, pub_len),
				"private", cc_json_base64(priv_buf, priv_len));
	char *text = doc ? json_dumps(doc, JSON_INDENT(2)) : NULL;
	json_decref(doc);
	if (!text)
		return cc_error_set(err, ENOMEM, "out of memory");
	int r = 0, fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		r = cc_error_set_errno(err, errno, "create `%s`", path);
	else if (write(fd, text, strlen(text)) != (ssize_t)strlen(text) || fsync(fd) < 0)
		r = cc_error_set_errno(err, errno, "write `%s`", path);
	if (fd >= 0)
		close(fd);
	free(text);
	return r;
}

static int field(const json_t *doc, const char *path, const char *name, uint8_t **ret, size_t *ret_len,
		 struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(doc, name));
	if (!text || cc_base64_decode(text, strlen(text), ret, ret_len) < 0)
		return cc_error_set(err, EINVAL, "`%s`: `%s` is missing or not base64", path, name);
	return 0;
}

int cc_tpm_device_load_object(const char *path, const char *format, TPM2B_PUBLIC *pub, TPM2B_PRIVATE *priv,
			      struct cc_error *err)
{
	json_t *doc = NULL;
	int r = cc_json_load_file(path, OBJECT_FILE_MAX, &doc, err);
	if (r < 0)
		return r;
	const char *found = json_string_value(json_object_get(doc, "format"));
	uint8_t *pub_bytes = NULL, *priv_bytes = NULL;
	size_t pub_len = 0, priv_len = 0, offset = 0;
	if (!found || strcmp(found, format) != 0)
		r = cc_error_set(err, EINVAL, "`%s` is not a %s file", path, format);
	if (r == 0 && (r = field(doc, path, "public", &pub_bytes, &pub_len, err)) == 0 &&
	    (r = field(doc, path, "private", &priv_bytes, &priv_len, err)) == 0 &&
	    (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub_bytes, pub_len, &offset, pub) != TSS2_RC_SUCCESS || offset != pub_len ||
	     (offset = 0, Tss2_MU_TPM2B_PRIVATE_Unmarshal(priv_bytes, priv_len, &offset, priv)) != TSS2_RC_SUCCESS ||
	     offset != priv_len))
		r = cc_error_set(err, EINVAL, "`%s` holds a malformed TPM object", path);
	free(pub_bytes);
	free(priv_bytes);
	json_decref(doc);
	return r;
}

int cc_tpm_device_load(struct cc_tpm_device *t, const TPM2B_PUBLIC *pub, const TPM2B_PRIVATE *priv, ESYS_TR *ret,
		       struct cc_error *err)
{
	TSS2_RC rc = TSS2_RC_SUCCESS;
	for (int i = 0; i < CC_TPM_SLOT_RETRIES; i++) {
		rc = Esys_Load(t->esys, t->primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, priv, pub, ret);
		if (!cc_tpm_device_out_of_slots(rc))
			break;
		usleep(CC_TPM_SLOT_RETRY_US);
	}
	if (rc != TSS2_RC_SUCCESS)
		return cc_error_set(err, EACCES, "the TPM does not load the object%s: %s",
				    cc_tpm_device_out_of_slots(rc) ? "" : " (made by another TPM?)",
				    Tss2_RC_Decode(rc));
	return 0;
}
