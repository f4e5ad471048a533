/* Hashes (SHA-256, SHA-384), HMAC and HKDF (RFC 5869) over OpenSSL 3's EVP interfaces. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;

enum cc_digest {
	CC_DIGEST_SHA256,
	CC_DIGEST_SHA384,
	CC_DIGEST_SHA512,
	CC_DIGEST_MAX, /* invalid */
};

#define CC_DIGEST_MAX_SIZE 64

size_t cc_digest_size(enum cc_digest alg);
const char *cc_digest_name(enum cc_digest alg);
/* "sha256", "sha384", "sha512"; CC_DIGEST_MAX for anything else. */
enum cc_digest cc_digest_from_string(const char *name);

int cc_digest(enum cc_digest alg, const void *data, size_t len, uint8_t *out, struct cc_error *err);
/* Readies what a digest needs (in the runtime: loads libcrypto), for a thread with time to spare
 * before others need it. */
void cc_digest_warm_up(void);

/* Incremental hashing for data that arrives in pieces (a rootfs tree, a stream). */
struct cc_digest_ctx;
int cc_digest_begin(enum cc_digest alg, struct cc_digest_ctx **ret, struct cc_error *err);
int cc_digest_update(struct cc_digest_ctx *ctx, const void *data, size_t len);
/* Writes the digest and frees ctx. */
int cc_digest_end(struct cc_digest_ctx *ctx, uint8_t *out, struct cc_error *err);
void cc_digest_abort(struct cc_digest_ctx *ctx);

/* The same as lower-case hex (out holds 2 * cc_digest_size(alg) + 1 bytes), for digests that name
 * things: a blob's "sha256:HEX", a feed file's checksum. */
#define CC_DIGEST_HEX_MAX (2 * CC_DIGEST_MAX_SIZE + 1)
int cc_digest_hex(enum cc_digest alg, const void *data, size_t len, char *out, struct cc_error *err);
int cc_digest_end_hex(struct cc_digest_ctx *ctx, char *out, struct cc_error *err);

int cc_hmac(enum cc_digest alg, const void *key, size_t key_len, const void *data, size_t len, uint8_t *out,
	    struct cc_error *err);

/* RFC 5869 extract-and-expand. salt may be NULL (a string of zeros is used, as the RFC says). */
int cc_hkdf(enum cc_digest alg, const void *ikm, size_t ikm_len, const void *salt, size_t salt_len, const void *info,
	    size_t info_len, uint8_t *out, size_t out_len, struct cc_error *err);
