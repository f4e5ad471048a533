/* ECDSA signatures as TEEs store them: raw big-endian r and s of fixed width instead of DER, and
 * public keys as raw curve points. Shared by the SNP, TDX and TPM verifiers. */
#pragma once

#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True when the raw signature r||s (each width bytes, big-endian) over data verifies with key under
 * the digest md. */
bool cc_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *r, const uint8_t *s, size_t width,
		     const void *data, size_t len);

/* An EC public key from its uncompressed point x||y (without the 0x04 prefix) on group
 * ("prime256v1", "secp384r1"); NULL when the point is not on the curve. */
EVP_PKEY *cc_ec_public_key(const char *group, const uint8_t *xy, size_t len);

/* An RSA public key from its big-endian modulus and exponent; NULL when they are not a key. */
EVP_PKEY *cc_rsa_public_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len);
