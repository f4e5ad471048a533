/* AES-256-GCM through EVP. Inputs above INT_MAX are refused because EVP takes int lengths. */
#include "lib/crypto/aead.h"

#include "lib/base/error.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"

#include <errno.h>
#include <limits.h>
#include <openssl/evp.h>

static int check_lengths(size_t aad_len, size_t len, struct cc_error *err)
{
	if (aad_len > INT_MAX || len > INT_MAX - CC_AEAD_OVERHEAD)
		return cc_error_set(err, EMSGSIZE, "AEAD input too large (%zu bytes)", len);
	return 0;
}

int cc_aead_seal_nonce(const uint8_t key[CC_AEAD_KEY_SIZE], const uint8_t nonce[CC_AEAD_NONCE_SIZE], const void *aad,
		       size_t aad_len, const void *plain, size_t len, uint8_t *ret_cipher,
		       uint8_t ret_tag[CC_AEAD_TAG_SIZE], struct cc_error *err)
{
	int r = check_lengths(aad_len, len, err);
	if (r < 0)
		return r;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL;
	ok = ok && EVP_EncryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) == 1;
	ok = ok && (aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1);
	ok = ok && (len == 0 || EVP_EncryptUpdate(ctx, ret_cipher, &n, plain, (int)len) == 1);
	ok = ok && EVP_EncryptFinal_ex(ctx, ret_cipher + (len ? n : 0), &n) == 1;
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, CC_AEAD_TAG_SIZE, ret_tag) == 1;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : cc_error_set(err, EIO, "AES-256-GCM encryption failed");
}

int cc_aead_open_nonce(const uint8_t key[CC_AEAD_KEY_SIZE], const uint8_t nonce[CC_AEAD_NONCE_SIZE], const void *aad,
		       size_t aad_len, const uint8_t *cipher, size_t len, const uint8_t tag[CC_AEAD_TAG_SIZE],
		       uint8_t *out, struct cc_error *err)
{
	int r = check_lengths(aad_len, len, err);
	if (r < 0)
		return r;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	int n = 0, ok = ctx != NULL;
	ok = ok && EVP_DecryptInit_ex2(ctx, EVP_aes_256_gcm(), key, nonce, NULL) == 1;
	ok = ok && (aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1);
	ok = ok && (len == 0 || EVP_DecryptUpdate(ctx, out, &n, cipher, (int)len) == 1);
	ok = ok && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, CC_AEAD_TAG_SIZE, (void *)tag) == 1;
	ok = ok && EVP_DecryptFinal_ex(ctx, out + (len ? n : 0), &n) == 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		if (len)
			cc_wipe(out, len);
		return cc_error_set(err, EBADMSG,
				    "authentication failed: wrong key, or the data or its context was altered");
	}
	return 0;
}

int cc_aead_seal(const uint8_t key[CC_AEAD_KEY_SIZE], const void *aad, size_t aad_len, const void *plain, size_t len,
		 uint8_t *out, struct cc_error *err)
{
	int r = cc_random_bytes(out, CC_AEAD_NONCE_SIZE, err);
	if (r < 0)
		return r;
	return cc_aead_seal_nonce(key, out, aad, aad_len, plain, len, out + CC_AEAD_NONCE_SIZE,
				  out + CC_AEAD_NONCE_SIZE + len, err);
}

int cc_aead_open(const uint8_t key[CC_AEAD_KEY_SIZE], const void *aad, size_t aad_len, const uint8_t *sealed,
		 size_t sealed_len, uint8_t *out, struct cc_error *err)
{
	if (sealed_len < CC_AEAD_OVERHEAD)
		return cc_error_set(err, EBADMSG, "sealed data of %zu bytes is shorter than nonce and tag", sealed_len);
	size_t len = sealed_len - CC_AEAD_OVERHEAD;
	return cc_aead_open_nonce(key, sealed, aad, aad_len, sealed + CC_AEAD_NONCE_SIZE, len,
				  sealed + CC_AEAD_NONCE_SIZE + len, out, err);
}
