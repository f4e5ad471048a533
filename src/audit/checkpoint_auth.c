/* Checkpoint authenticators: HMAC-SHA256 or Ed25519 (see checkpoint_auth.h). */
#include "audit/checkpoint_auth.h"

#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define HMAC_PREFIX    "hmac-sha256:"
#define ED25519_PREFIX "ed25519:"
#define ED25519_SIG    64

static int checkpoint_message(uint64_t seq, const char *hash, char *out, size_t size)
{
	return snprintf(out, size, "cocoon.audit.checkpoint/v1\n%llu\n%s", (unsigned long long)seq, hash);
}

bool audit_checkpoint_key_is_pem(const uint8_t *key, size_t key_len)
{
	size_t i = 0;
	while (i < key_len && (key[i] == ' ' || key[i] == '\n' || key[i] == '\r' || key[i] == '\t'))
		i++;
	return key_len - i >= 10 && memcmp(key + i, "-----BEGIN", 10) == 0;
}

/* The Ed25519 key in PEM: the private key, or (when public_ok) a public key. */
static int load_ed25519(const uint8_t *key, size_t key_len, bool public_ok, EVP_PKEY **ret, struct cc_error *err)
{
	BIO *bio = BIO_new_mem_buf(key, (int)key_len);
	if (!bio)
		return cc_error_set(err, ENOMEM, "cannot read the checkpoint key");
	EVP_PKEY *pkey = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	if (!pkey && public_ok) {
		BIO_reset(bio);
		pkey = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	if (!pkey)
		return cc_error_set(err, EINVAL, "the checkpoint key is PEM but not a readable %s key",
				    public_ok ? "private or public" : "private");
	if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pkey);
		return cc_error_set(err, EINVAL, "the checkpoint key must be an Ed25519 key (or an HMAC secret)");
	}
	*ret = pkey;
	return 0;
}

static int ed25519_sign(const uint8_t *key, size_t key_len, const char *message, size_t len, char out[AUDIT_AUTH_MAX],
			struct cc_error *err)
{
	EVP_PKEY *pkey;
	int r = load_ed25519(key, key_len, false, &pkey, err);
	if (r < 0)
		return r;
	uint8_t sig[ED25519_SIG];
	size_t sig_len = sizeof(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		  EVP_DigestSign(ctx, sig, &sig_len, (const uint8_t *)message, len) == 1 && sig_len == ED25519_SIG;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	if (!ok)
		return cc_error_set(err, EIO, "Ed25519 signing of a checkpoint failed");
	memcpy(out, ED25519_PREFIX, strlen(ED25519_PREFIX));
	cc_hex_encode(sig, sizeof(sig), out + strlen(ED25519_PREFIX));
	return 0;
}

static void hmac_authenticator(const uint8_t *key, size_t key_len, const char *message, size_t len,
			       char out[AUDIT_AUTH_MAX])
{
	uint8_t mac[32];
	cc_hmac(CC_DIGEST_SHA256, key, key_len, message, len, mac, NULL);
	memcpy(out, HMAC_PREFIX, strlen(HMAC_PREFIX));
	cc_hex_encode(mac, sizeof(mac), out + strlen(HMAC_PREFIX));
}

int audit_checkpoint_authenticate(const uint8_t *key, size_t key_len, uint64_t seq, const char *hash,
				  char out[AUDIT_AUTH_MAX], struct cc_error *err)
{
	char message[128];
	int n = checkpoint_message(seq, hash, message, sizeof(message));
	if (n < 0 || (size_t)n >= sizeof(message))
		return cc_error_set(err, EINVAL, "checkpoint hash too long");
	if (audit_checkpoint_key_is_pem(key, key_len))
		return ed25519_sign(key, key_len, message, (size_t)n, out, err);
	hmac_authenticator(key, key_len, message, (size_t)n, out);
	return 0;
}

static int ed25519_check(const uint8_t *key, size_t key_len, const char *message, size_t len, const char *auth,
			 struct cc_error *err)
{
	uint8_t sig[ED25519_SIG];
	if (strncmp(auth, ED25519_PREFIX, strlen(ED25519_PREFIX)) != 0 ||
	    strlen(auth) != strlen(ED25519_PREFIX) + 2 * ED25519_SIG ||
	    cc_hex_decode(auth + strlen(ED25519_PREFIX), sig, sizeof(sig)) < 0)
		return -EBADMSG; /* an HMAC, or garbage, where a signature must be */
	EVP_PKEY *pkey;
	int r = load_ed25519(key, key_len, true, &pkey, err);
	if (r < 0)
		return r;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool valid = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, pkey) == 1 &&
		     EVP_DigestVerify(ctx, sig, sizeof(sig), (const uint8_t *)message, len) == 1;
	EVP_MD_CTX_free(ctx);
	EVP_PKEY_free(pkey);
	return valid ? 0 : -EBADMSG;
}

int audit_checkpoint_check(const uint8_t *key, size_t key_len, uint64_t seq, const char *hash, const char *auth,
			   struct cc_error *err)
{
	char message[128];
	int n = checkpoint_message(seq, hash, message, sizeof(message));
	if (n < 0 || (size_t)n >= sizeof(message))
		return -EBADMSG;
	if (audit_checkpoint_key_is_pem(key, key_len))
		return ed25519_check(key, key_len, message, (size_t)n, auth, err);
	char expected[AUDIT_AUTH_MAX];
	hmac_authenticator(key, key_len, message, (size_t)n, expected);
	size_t len = strlen(expected);
	return strlen(auth) == len && cc_equal_ct(auth, expected, len) ? 0 : -EBADMSG;
}
