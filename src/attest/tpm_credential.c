/* TPM2_MakeCredential in software (see tpm_credential.h). */
#include "attest/tpm_credential.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"

#include <errno.h>
#include <openssl/rsa.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#define CREDENTIAL_MAGIC   0xBADCC0DEu
#define CREDENTIAL_VERSION 1u
#define SEED_SIZE          32 /* the EK's nameAlg, SHA-256 */
#define SYM_KEY_SIZE       16 /* the EK's symmetric algorithm, AES-128-CFB */

static void be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24), p[1] = (uint8_t)(v >> 16), p[2] = (uint8_t)(v >> 8), p[3] = (uint8_t)v;
}

static void be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8), p[1] = (uint8_t)v;
}

/* KDFa (Part 1 §11.4.10.2, SP 800-108 counter mode with HMAC-SHA-256): label includes its NUL. */
static int kdfa(const uint8_t *key, size_t key_len, const char *label, const uint8_t *context_u, size_t u_len,
		uint8_t *out, size_t out_len)
{
	uint8_t message[4 + 16 + TPM_NAME_MAX + 4], block[32];
	size_t label_len = strlen(label) + 1;
	if (label_len > 16 || u_len > TPM_NAME_MAX)
		return -EINVAL;
	size_t message_len = 4 + label_len + u_len + 4;
	memcpy(message + 4, label, label_len);
	if (u_len)
		memcpy(message + 4 + label_len, context_u, u_len);
	be32(message + 4 + label_len + u_len, (uint32_t)(out_len * 8));
	for (uint32_t i = 1, done = 0; done < out_len; i++) {
		be32(message, i);
		if (cc_hmac(CC_DIGEST_SHA256, key, key_len, message, message_len, block, NULL) < 0)
			return -EIO;
		size_t take = out_len - done < sizeof(block) ? out_len - done : sizeof(block);
		memcpy(out + done, block, take);
		done += (uint32_t)take;
	}
	cc_wipe(block, sizeof(block));
	return 0;
}

int tpm_object_name(const uint8_t *pub, size_t len, uint8_t *out, size_t *ret_len, struct cc_error *err)
{
	TPM2B_PUBLIC p = { 0 };
	size_t offset = 0;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, len, &offset, &p) != TSS2_RC_SUCCESS || offset != len)
		return cc_error_set(err, EINVAL, "not a TPM2B_PUBLIC structure");
	if (p.publicArea.nameAlg != TPM2_ALG_SHA256)
		return cc_error_set(err, EINVAL, "object name algorithm 0x%x is not SHA-256", p.publicArea.nameAlg);
	be16(out, TPM2_ALG_SHA256);
	/* The name hashes the marshalled TPMT_PUBLIC: the TPM2B_PUBLIC without its size. */
	unsigned n = 0;
	if (EVP_Digest(pub + 2, len - 2, out + 2, &n, EVP_sha256(), NULL) != 1)
		return cc_error_set(err, EIO, "cannot hash the object");
	*ret_len = 2 + n;
	return 0;
}

int tpm_check_ak(const uint8_t *pub, size_t len, struct cc_error *err)
{
	TPM2B_PUBLIC p = { 0 };
	size_t offset = 0;
	/* An AK signs only what the TPM generated (restricted), never leaves its TPM, and was made in it. */
	const TPMA_OBJECT required = TPMA_OBJECT_RESTRICTED | TPMA_OBJECT_SIGN_ENCRYPT | TPMA_OBJECT_FIXEDTPM |
				     TPMA_OBJECT_FIXEDPARENT | TPMA_OBJECT_SENSITIVEDATAORIGIN;
	if (Tss2_MU_TPM2B_PUBLIC_Unmarshal(pub, len, &offset, &p) != TSS2_RC_SUCCESS || offset != len)
		return cc_error_set(err, EINVAL,
				    "the attestation key is not a TPM2B_PUBLIC structure (tpm2_createak -u)");
	if ((p.publicArea.objectAttributes & required) != required ||
	    (p.publicArea.objectAttributes & TPMA_OBJECT_DECRYPT))
		return cc_error_set(
		    err, EPERM,
		    "the attestation key is not a restricted signing key fixed to its TPM (attributes 0x%x)",
		    p.publicArea.objectAttributes);
	return 0;
}

static int oaep_identity(EVP_PKEY *ek, const uint8_t seed[SEED_SIZE], uint8_t *out, size_t *out_len,
			 struct cc_error *err)
{
	static const char label[] = "IDENTITY"; /* with its NUL, as the TPM computes it */
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(ek, NULL);
	void *label_copy = OPENSSL_memdup(label, sizeof(label));
	bool ok = ctx && label_copy && EVP_PKEY_encrypt_init(ctx) == 1 &&
		  EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
		  EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
		  EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 &&
		  EVP_PKEY_CTX_set0_rsa_oaep_label(ctx, label_copy, sizeof(label)) == 1;
	if (ok)
		label_copy = NULL; /* owned by ctx now */
	ok = ok && EVP_PKEY_encrypt(ctx, out, out_len, seed, SEED_SIZE) == 1;
	OPENSSL_free(label_copy);
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : cc_error_set(err, EIO, "cannot encrypt the credential seed to the EK");
}

int tpm_make_credential(EVP_PKEY *ek, const uint8_t *name, size_t name_len, const uint8_t *secret, size_t secret_len,
			uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	if (EVP_PKEY_get_base_id(ek) != EVP_PKEY_RSA || EVP_PKEY_get_bits(ek) != 2048)
		return cc_error_set(err, ENOTSUP, "the EK is not an RSA 2048 key (the TCG default EK template)");
	if (secret_len == 0 || secret_len > 32)
		return cc_error_set(err, EINVAL, "a credential secret is 1 to 32 bytes");
	uint8_t seed[SEED_SIZE], sym[SYM_KEY_SIZE], hmac_key[32], encrypted_seed[256];
	size_t encrypted_len = sizeof(encrypted_seed);
	int r = cc_random_bytes(seed, sizeof(seed), err);
	if (r == 0)
		r = oaep_identity(ek, seed, encrypted_seed, &encrypted_len, err);
	if (r == 0 && (kdfa(seed, sizeof(seed), "STORAGE", name, name_len, sym, sizeof(sym)) < 0 ||
		       kdfa(seed, sizeof(seed), "INTEGRITY", NULL, 0, hmac_key, sizeof(hmac_key)) < 0))
		r = cc_error_set(err, EIO, "cannot derive the credential keys");
	/* encIdentity: the TPM2B_DIGEST of the secret, AES-128-CFB with a zero IV. */
	uint8_t plain[2 + 32], enc_identity[2 + 32];
	size_t identity_len = 2 + secret_len;
	be16(plain, (uint16_t)secret_len);
	memcpy(plain + 2, secret, secret_len);
	uint8_t iv[16] = { 0 };
	EVP_CIPHER_CTX *cipher = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	if (r == 0 && (!cipher || EVP_EncryptInit_ex(cipher, EVP_aes_128_cfb(), NULL, sym, iv) != 1 ||
		       EVP_EncryptUpdate(cipher, enc_identity, &n1, plain, (int)identity_len) != 1 ||
		       EVP_EncryptFinal_ex(cipher, enc_identity + n1, &n2) != 1))
		r = cc_error_set(err, EIO, "cannot encrypt the credential");
	EVP_CIPHER_CTX_free(cipher);
	/* outerHMAC over encIdentity || name. */
	uint8_t outer[32], hmac_input[2 + 32 + TPM_NAME_MAX];
	size_t outer_len = sizeof(outer);
	if (name_len > TPM_NAME_MAX)
		r = cc_error_set(err, EINVAL, "object name of %zu bytes is too long", name_len);
	if (r == 0) {
		memcpy(hmac_input, enc_identity, identity_len);
		memcpy(hmac_input + identity_len, name, name_len);
		if (cc_hmac(CC_DIGEST_SHA256, hmac_key, sizeof(hmac_key), hmac_input, identity_len + name_len, outer,
			    err) < 0)
			r = -EIO;
	}
	if (r == 0) {
		size_t id_object = 2 + outer_len + identity_len;
		size_t total = 8 + 2 + id_object + 2 + encrypted_len;
		uint8_t *out = cc_xmalloc(total), *p = out;
		be32(p, CREDENTIAL_MAGIC), be32(p + 4, CREDENTIAL_VERSION), p += 8;
		be16(p, (uint16_t)id_object), p += 2;
		be16(p, (uint16_t)outer_len), p += 2;
		memcpy(p, outer, outer_len), p += outer_len;
		memcpy(p, enc_identity, identity_len), p += identity_len;
		be16(p, (uint16_t)encrypted_len), p += 2;
		memcpy(p, encrypted_seed, encrypted_len);
		*ret = out;
		*ret_len = total;
	}
	cc_wipe(seed, sizeof(seed));
	cc_wipe(sym, sizeof(sym));
	cc_wipe(hmac_key, sizeof(hmac_key));
	cc_wipe(plain, sizeof(plain));
	return r;
}
