/* The node agent's TPM operations (see agent_tpm.h) through ESAPI. */
#include "agent/agent_tpm.h"

#include "lib/base/bytes.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "lib/tpm/device.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>
#include <tss2/tss2_rc.h>
#include <unistd.h>

#define AK_FORMAT          "cocoon-tpm-ak/v1"
#define EK_CERT_NV_INDEX   0x01c00002 /* TCG EK Credential Profile: RSA 2048 EK certificate */
#define NV_CHUNK           512
#define CREDENTIAL_MAGIC   0xBADCC0DEu
#define CREDENTIAL_VERSION 1u

/* The TCG EK Credential Profile's default RSA template (L-1): the same EK every time, the one the
 * manufacturer's certificate is for. Its policy is PolicySecret(TPM_RH_ENDORSEMENT). */
static const uint8_t ek_policy[32] = { 0x83, 0x71, 0x97, 0x67, 0x44, 0x84, 0xB3, 0xF8, 0x1A, 0x90, 0xCC,
				       0x8D, 0x46, 0xA5, 0xD7, 0x24, 0xFD, 0x52, 0xD7, 0x6E, 0x06, 0x52,
				       0x0B, 0x64, 0xF2, 0xA1, 0xDA, 0x1B, 0x33, 0x14, 0x69, 0xAA };

static int create_ek(struct cc_tpm_device *t, ESYS_TR *ret, struct cc_error *err)
{
	TPM2B_PUBLIC template = {
		.publicArea = {
			.type = TPM2_ALG_RSA,
			.nameAlg = TPM2_ALG_SHA256,
			.objectAttributes = TPMA_OBJECT_FIXEDTPM | TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_ADMINWITHPOLICY | TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_DECRYPT,
			.authPolicy.size = sizeof(ek_policy),
			.parameters.rsaDetail = {
				.symmetric = { .algorithm = TPM2_ALG_AES, .keyBits.aes = 128, .mode.aes = TPM2_ALG_CFB },
				.scheme = { .scheme = TPM2_ALG_NULL },
				.keyBits = 2048,
				.exponent = 0,
			},
			.unique.rsa.size = 256,
		},
	};
	memcpy(template.publicArea.authPolicy.buffer, ek_policy, sizeof(ek_policy));
	if (cc_tpm_device_create_primary(t, ESYS_TR_RH_ENDORSEMENT, &template, ret, err) < 0)
		return cc_error_prefix(err, "the endorsement key");
	return 0;
}

int agent_tpm_ek_certificate(const char *tcti, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	struct cc_tpm_device t;
	int r = cc_tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	ESYS_TR index = ESYS_TR_NONE;
	TPM2B_NV_PUBLIC *pub = NULL;
	uint8_t *cert = NULL;
	TSS2_RC rc = Esys_TR_FromTPMPublic(t.esys, EK_CERT_NV_INDEX, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &index);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_NV_ReadPublic(t.esys, index, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &pub, NULL);
	if (rc != TSS2_RC_SUCCESS) {
		r = cc_error_set(err, ENOENT, "the TPM has no RSA EK certificate at NV 0x%x: %s", EK_CERT_NV_INDEX,
				 Tss2_RC_Decode(rc));
		goto out;
	}
	uint16_t size = pub->nvPublic.dataSize;
	cert = cc_xmalloc(size ? size : 1);
	for (uint16_t done = 0; done < size;) {
		TPM2B_MAX_NV_BUFFER *chunk = NULL;
		uint16_t want = size - done < NV_CHUNK ? size - done : NV_CHUNK;
		rc = Esys_NV_Read(t.esys, index, index, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, want, done,
				  &chunk);
		if (rc != TSS2_RC_SUCCESS) {
			r = cc_error_set(err, EIO, "cannot read the EK certificate: %s", Tss2_RC_Decode(rc));
			break;
		}
		memcpy(cert + done, chunk->buffer, chunk->size);
		done += chunk->size;
		Esys_Free(chunk);
	}
	if (r == 0) {
		*ret = cert;
		*ret_len = size; /* the index may be larger than the DER; parsers stop at its end */
		cert = NULL;
	}
out:
	free(cert);
	Esys_Free(pub);
	cc_tpm_device_close(&t);
	return r;
}

static int public_bytes(const TPM2B_PUBLIC *pub, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	uint8_t buf[sizeof(*pub)];
	size_t len = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Marshal(pub, buf, sizeof(buf), &len) != TSS2_RC_SUCCESS)
		return cc_error_set(err, EINVAL, "cannot marshal the attestation key");
	*ret = cc_xmalloc(len);
	memcpy(*ret, buf, len);
	*ret_len = len;
	return 0;
}

int agent_tpm_ak_ensure(const char *tcti, const char *path, uint8_t **ret_public, size_t *ret_len, struct cc_error *err)
{
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	if (access(path, F_OK) == 0) {
		int r = cc_tpm_device_load_object(path, AK_FORMAT, &pub, &priv, err);
		return r < 0 ? r : public_bytes(&pub, ret_public, ret_len, err);
	}
	struct cc_tpm_device t;
	int r = cc_tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	TPM2B_PUBLIC template = {
		.publicArea = {
			.type = TPM2_ALG_ECC,
			.nameAlg = TPM2_ALG_SHA256,
			/* restricted signing: it signs only what the TPM generated (quotes) */
			.objectAttributes = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
					    TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN |
					    TPMA_OBJECT_USERWITHAUTH,
			.parameters.eccDetail = {
				.symmetric = { .algorithm = TPM2_ALG_NULL },
				.scheme = { .scheme = TPM2_ALG_ECDSA, .details.ecdsa.hashAlg = TPM2_ALG_SHA256 },
				.curveID = TPM2_ECC_NIST_P256,
				.kdf = { .scheme = TPM2_ALG_NULL },
			},
		},
	};
	TPM2B_SENSITIVE_CREATE sensitive = { 0 };
	TPM2B_DATA outside = { 0 };
	TPML_PCR_SELECTION pcrs = { 0 };
	TPM2B_PRIVATE *out_priv = NULL;
	TPM2B_PUBLIC *out_pub = NULL;
	TSS2_RC rc = Esys_Create(t.esys, t.primary, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &sensitive, &template,
				 &outside, &pcrs, &out_priv, &out_pub, NULL, NULL, NULL);
	if (rc != TSS2_RC_SUCCESS)
		r = cc_error_set(err, EIO, "cannot create the attestation key: %s", Tss2_RC_Decode(rc));
	else if ((r = cc_tpm_device_save_object(path, AK_FORMAT, out_pub, out_priv, err)) == 0)
		r = public_bytes(out_pub, ret_public, ret_len, err);
	Esys_Free(out_priv);
	Esys_Free(out_pub);
	cc_tpm_device_close(&t);
	return r;
}

static int load_ak(struct cc_tpm_device *t, const char *path, ESYS_TR *ret, struct cc_error *err)
{
	TPM2B_PUBLIC pub = { 0 };
	TPM2B_PRIVATE priv = { 0 };
	int r = cc_tpm_device_load_object(path, AK_FORMAT, &pub, &priv, err);
	return r < 0 ? r : cc_tpm_device_load(t, &pub, &priv, ret, err);
}

int agent_tpm_activate(const char *tcti, const char *path, const uint8_t *credential, size_t len, uint8_t *ret_secret,
		       size_t *ret_secret_len, struct cc_error *err)
{
	TPM2B_ID_OBJECT blob = { 0 };
	TPM2B_ENCRYPTED_SECRET secret = { 0 };
	size_t offset = 8;
	if (len < 8 || cc_be32(credential) != CREDENTIAL_MAGIC || cc_be32(credential + 4) != CREDENTIAL_VERSION ||
	    Tss2_MU_TPM2B_ID_OBJECT_Unmarshal(credential, len, &offset, &blob) != TSS2_RC_SUCCESS ||
	    Tss2_MU_TPM2B_ENCRYPTED_SECRET_Unmarshal(credential, len, &offset, &secret) != TSS2_RC_SUCCESS ||
	    offset != len)
		return cc_error_set(err, EINVAL, "the credential is not in tpm2-tools' credential format");
	struct cc_tpm_device t;
	int r = cc_tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	ESYS_TR ak = ESYS_TR_NONE, ek = ESYS_TR_NONE, session = ESYS_TR_NONE;
	TPM2B_DIGEST *info = NULL;
	TPMT_SYM_DEF symmetric = { .algorithm = TPM2_ALG_NULL };
	TSS2_RC rc = TSS2_RC_SUCCESS;
	if ((r = load_ak(&t, path, &ak, err)) < 0 || (r = create_ek(&t, &ek, err)) < 0)
		goto out;
	/* The EK is used only under its policy: a session that proved the endorsement hierarchy's auth. */
	rc = Esys_StartAuthSession(t.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, NULL,
				   TPM2_SE_POLICY, &symmetric, TPM2_ALG_SHA256, &session);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PolicySecret(t.esys, ESYS_TR_RH_ENDORSEMENT, session, ESYS_TR_PASSWORD, ESYS_TR_NONE,
				       ESYS_TR_NONE, NULL, NULL, NULL, 0, NULL, NULL);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_ActivateCredential(t.esys, ak, ek, ESYS_TR_PASSWORD, session, ESYS_TR_NONE, &blob, &secret,
					     &info);
	if (rc != TSS2_RC_SUCCESS) {
		r = cc_error_set(err, EACCES, "the TPM does not activate the credential: %s", Tss2_RC_Decode(rc));
		goto out;
	}
	memcpy(ret_secret, info->buffer, info->size);
	*ret_secret_len = info->size;
out:
	Esys_Free(info);
	if (session != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, session);
	if (ek != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, ek);
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, ak);
	cc_tpm_device_close(&t);
	return r;
}

int agent_tpm_quote(const char *tcti, const char *path, int pcr, const uint8_t *nonce, size_t nonce_len,
		    json_t **ret_evidence, struct cc_error *err)
{
	if (pcr < 0 || pcr > 23 || nonce_len > sizeof(((TPM2B_DATA *)0)->buffer))
		return cc_error_set(err, EINVAL, "PCR %d or a nonce of %zu bytes cannot be quoted", pcr, nonce_len);
	struct cc_tpm_device t;
	int r = cc_tpm_device_open(tcti, &t, err);
	if (r < 0)
		return r;
	ESYS_TR ak = ESYS_TR_NONE;
	TPM2B_ATTEST *quoted = NULL;
	TPMT_SIGNATURE *signature = NULL;
	TPML_DIGEST *values = NULL;
	TPML_PCR_SELECTION selection = { .count = 2 };
	TPMI_ALG_HASH banks[2] = { TPM2_ALG_SHA384, TPM2_ALG_SHA256 };
	for (int i = 0; i < 2; i++) {
		selection.pcrSelections[i].hash = banks[i];
		selection.pcrSelections[i].sizeofSelect = 3;
		selection.pcrSelections[i].pcrSelect[pcr / 8] = (uint8_t)(1u << (pcr % 8));
	}
	TPM2B_DATA qualifying = { .size = (uint16_t)nonce_len };
	memcpy(qualifying.buffer, nonce, nonce_len);
	TPMT_SIG_SCHEME scheme = { .scheme = TPM2_ALG_NULL };
	if ((r = load_ak(&t, path, &ak, err)) < 0)
		goto out;
	TSS2_RC rc = Esys_Quote(t.esys, ak, ESYS_TR_PASSWORD, ESYS_TR_NONE, ESYS_TR_NONE, &qualifying, &scheme,
				&selection, &quoted, &signature);
	if (rc == TSS2_RC_SUCCESS)
		rc = Esys_PCR_Read(t.esys, ESYS_TR_NONE, ESYS_TR_NONE, ESYS_TR_NONE, &selection, NULL, NULL, &values);
	if (rc != TSS2_RC_SUCCESS || values->count != 2) {
		r = cc_error_set(err, EIO, "the TPM does not quote PCR %d: %s", pcr, Tss2_RC_Decode(rc));
		goto out;
	}
	uint8_t sig[sizeof(*signature)];
	size_t sig_len = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Marshal(signature, sig, sizeof(sig), &sig_len) != TSS2_RC_SUCCESS) {
		r = cc_error_set(err, EIO, "cannot marshal the quote signature");
		goto out;
	}
	char index[4];
	snprintf(index, sizeof(index), "%d", pcr);
	/* Esys_PCR_Read answers in the selection's order: sha384 first. */
	*ret_evidence =
	    json_pack("{s:o, s:o, s:{s:{s:o}, s:{s:o}}}", "quote",
		      cc_json_base64(quoted->attestationData, quoted->size), "signature", cc_json_base64(sig, sig_len),
		      "pcrs", "sha384", index, cc_json_hex(values->digests[0].buffer, values->digests[0].size),
		      "sha256", index, cc_json_hex(values->digests[1].buffer, values->digests[1].size));
out:
	Esys_Free(quoted);
	Esys_Free(signature);
	Esys_Free(values);
	if (ak != ESYS_TR_NONE)
		Esys_FlushContext(t.esys, ak);
	cc_tpm_device_close(&t);
	return r;
}
