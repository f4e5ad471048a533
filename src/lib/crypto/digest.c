/* SHA-2, HMAC and HKDF through OpenSSL 3 (EVP_MD, EVP_MAC, EVP_KDF).
 *
 * Plain SHA-2 digests take OpenSSL's low-level functions where the host is not in FIPS mode: the first
 * EVP fetch of a process initialises the providers, their name map and the configuration (1.5 ms on
 * this machine), more than all the hashing a short-lived command such as cocoon-runtime does. The
 * low-level functions are the same SHA-2 code. On a FIPS host (/proc/sys/crypto/fips_enabled = 1)
 * every digest goes through EVP, so the configured FIPS provider computes it. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA256_Init and friends: see above */
#include "lib/crypto/digest.h"

#include "lib/base/error.h"
#include "lib/crypto/encode.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	const char *openssl_name;
	size_t size;
} digests[CC_DIGEST_MAX] = {
	[CC_DIGEST_SHA256] = { "sha256", "SHA2-256", 32 },
	[CC_DIGEST_SHA384] = { "sha384", "SHA2-384", 48 },
	[CC_DIGEST_SHA512] = { "sha512", "SHA2-512", 64 },
};

size_t cc_digest_size(enum cc_digest alg)
{
	return alg < CC_DIGEST_MAX ? digests[alg].size : 0;
}

const char *cc_digest_name(enum cc_digest alg)
{
	return alg < CC_DIGEST_MAX ? digests[alg].name : "invalid";
}

enum cc_digest cc_digest_from_string(const char *name)
{
	for (int i = 0; i < CC_DIGEST_MAX; i++)
		if (name && strcmp(name, digests[i].name) == 0)
			return (enum cc_digest)i;
	return CC_DIGEST_MAX;
}

static bool fips_host;
static pthread_once_t fips_once = PTHREAD_ONCE_INIT;

/* The kernel's FIPS mode, or OPENSSL_FORCE_FIPS_MODE in the environment (the variable FIPS builds of
 * OpenSSL honour) for a FIPS configuration on a kernel that is not in FIPS mode. */
static void read_fips_mode(void)
{
	if (getenv("OPENSSL_FORCE_FIPS_MODE")) {
		fips_host = true;
		return;
	}
	FILE *f = fopen("/proc/sys/crypto/fips_enabled", "re");
	int c = f ? fgetc(f) : EOF;
	fips_host = c == '1';
	if (f)
		fclose(f);
}

/* Whether digests may skip EVP (see the top of this file). */
static bool direct_digests(void)
{
	pthread_once(&fips_once, read_fips_mode);
	return !fips_host;
}

struct cc_digest_ctx {
	enum cc_digest alg;
	EVP_MD_CTX *md; /* NULL: the direct functions below */
	union {
		SHA256_CTX sha256;
		SHA512_CTX sha512; /* SHA-384 and SHA-512 */
	} direct;
};

int cc_digest_begin(enum cc_digest alg, struct cc_digest_ctx **ret, struct cc_error *err)
{
	if (alg >= CC_DIGEST_MAX)
		return cc_error_set(err, EINVAL, "unknown digest algorithm");
	struct cc_digest_ctx *ctx = OPENSSL_zalloc(sizeof(*ctx));
	if (!ctx)
		return cc_error_set(err, ENOMEM, "out of memory");
	ctx->alg = alg;
	if (direct_digests()) {
		int ok = alg == CC_DIGEST_SHA256   ? SHA256_Init(&ctx->direct.sha256)
			 : alg == CC_DIGEST_SHA384 ? SHA384_Init(&ctx->direct.sha512)
						   : SHA512_Init(&ctx->direct.sha512);
		if (ok == 1) {
			*ret = ctx;
			return 0;
		}
	} else {
		ctx->md = EVP_MD_CTX_new();
		if (ctx->md &&
		    EVP_DigestInit_ex2(ctx->md, EVP_get_digestbyname(digests[alg].openssl_name), NULL) == 1) {
			*ret = ctx;
			return 0;
		}
	}
	cc_digest_abort(ctx);
	return cc_error_set(err, EIO, "cannot initialise %s", digests[alg].name);
}

int cc_digest_update(struct cc_digest_ctx *ctx, const void *data, size_t len)
{
	int ok = ctx->md                        ? EVP_DigestUpdate(ctx->md, data, len)
		 : ctx->alg == CC_DIGEST_SHA256 ? SHA256_Update(&ctx->direct.sha256, data, len)
		 : ctx->alg == CC_DIGEST_SHA384 ? SHA384_Update(&ctx->direct.sha512, data, len)
						: SHA512_Update(&ctx->direct.sha512, data, len);
	return ok == 1 ? 0 : -EIO;
}

void cc_digest_abort(struct cc_digest_ctx *ctx)
{
	if (ctx) {
		EVP_MD_CTX_free(ctx->md);
		OPENSSL_clear_free(ctx, sizeof(*ctx)); /* the state of a digest over secrets */
	}
}

int cc_digest_end(struct cc_digest_ctx *ctx, uint8_t *out, struct cc_error *err)
{
	unsigned int n = 0;
	int ok = ctx->md                        ? EVP_DigestFinal_ex(ctx->md, out, &n)
		 : ctx->alg == CC_DIGEST_SHA256 ? SHA256_Final(out, &ctx->direct.sha256)
		 : ctx->alg == CC_DIGEST_SHA384 ? SHA384_Final(out, &ctx->direct.sha512)
						: SHA512_Final(out, &ctx->direct.sha512);
	cc_digest_abort(ctx);
	return ok == 1 ? 0 : cc_error_set(err, EIO, "digest computation failed");
}

int cc_digest_end_hex(struct cc_digest_ctx *ctx, char *out, struct cc_error *err)
{
	uint8_t md[CC_DIGEST_MAX_SIZE];
	size_t n = cc_digest_size(ctx->alg);
	int r = cc_digest_end(ctx, md, err);
	if (r == 0)
		cc_hex_encode(md, n, out);
	return r;
}

/* Algorithms fetched once: a fetch per call (as EVP_Q_digest does) cost more than hashing an
 * audit record. Fetched objects are kept for the life of the process. */
static EVP_MD *fetched[CC_DIGEST_MAX];
static pthread_once_t fetch_once = PTHREAD_ONCE_INIT;

static void fetch_digests(void)
{
	for (int i = 0; i < CC_DIGEST_MAX; i++)
		fetched[i] = EVP_MD_fetch(NULL, digests[i].openssl_name, NULL);
}

void cc_digest_warm_up(void)
{
	uint8_t md[32];
	(void)cc_digest(CC_DIGEST_SHA256, "", 0, md, NULL);
}

int cc_digest(enum cc_digest alg, const void *data, size_t len, uint8_t *out, struct cc_error *err)
{
	if (alg >= CC_DIGEST_MAX)
		return cc_error_set(err, EINVAL, "unknown digest algorithm");
	if (direct_digests()) {
		/* Not SHA256() and friends: in OpenSSL 3 those one-shots go through EVP_Q_digest. */
		struct cc_digest_ctx *ctx;
		int r = cc_digest_begin(alg, &ctx, err);
		if (r < 0)
			return r;
		cc_digest_update(ctx, data, len);
		return cc_digest_end(ctx, out, err);
	}
	pthread_once(&fetch_once, fetch_digests);
	unsigned int n = 0;
	if (!fetched[alg] || EVP_Digest(data, len, out, &n, fetched[alg], NULL) != 1)
		return cc_error_set(err, EIO, "%s computation failed", digests[alg].name);
	return 0;
}

int cc_digest_hex(enum cc_digest alg, const void *data, size_t len, char *out, struct cc_error *err)
{
	uint8_t md[CC_DIGEST_MAX_SIZE];
	int r = cc_digest(alg, data, len, md, err);
	if (r == 0)
		cc_hex_encode(md, cc_digest_size(alg), out);
	return r;
}

int cc_hmac(enum cc_digest alg, const void *key, size_t key_len, const void *data, size_t len, uint8_t *out,
	    struct cc_error *err)
{
	if (alg >= CC_DIGEST_MAX)
		return cc_error_set(err, EINVAL, "unknown digest algorithm");
	size_t n = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, digests[alg].openssl_name, NULL, key, key_len, data, len, out,
		       cc_digest_size(alg), &n))
		return cc_error_set(err, EIO, "HMAC-%s computation failed", digests[alg].name);
	return 0;
}

int cc_hkdf(enum cc_digest alg, const void *ikm, size_t ikm_len, const void *salt, size_t salt_len, const void *info,
	    size_t info_len, uint8_t *out, size_t out_len, struct cc_error *err)
{
	if (alg >= CC_DIGEST_MAX)
		return cc_error_set(err, EINVAL, "unknown digest algorithm");
	if (out_len == 0 || out_len > 255 * cc_digest_size(alg))
		return cc_error_set(err, EINVAL, "HKDF output length %zu is out of range (RFC 5869 §2.3)", out_len);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "HKDF", NULL);
	EVP_KDF_CTX *kctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
	EVP_KDF_free(kdf);
	if (!kctx)
		return cc_error_set(err, EIO, "HKDF is not available");
	static const uint8_t zero_salt[CC_DIGEST_MAX_SIZE];
	OSSL_PARAM params[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)digests[alg].openssl_name, 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_KEY, (void *)ikm, ikm_len),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SALT, salt ? (void *)salt : (void *)zero_salt,
						  salt ? salt_len : cc_digest_size(alg)),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_INFO, (void *)info, info_len),
		OSSL_PARAM_construct_end(),
	};
	int ok = EVP_KDF_derive(kctx, out, out_len, params) == 1;
	EVP_KDF_CTX_free(kctx);
	return ok ? 0 : cc_error_set(err, EIO, "HKDF derivation failed");
}
