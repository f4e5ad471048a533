/* The JOSE pieces the key broker speaks (RFC 7515-7518): ES256 JSON Web Tokens for attestation
 * results (EAR), public keys as JWK, and JWE in the flattened JSON serialization to send a secret to
 * a TEE's key: RSA-OAEP-256 or ECDH-ES+A256KW (P-256, P-384) for the content key, A256GCM for the
 * content. */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* header.payload.signature with {"alg":"ES256","typ":"JWT","kid":kid}; key is a P-256 private key. */
int cc_jose_jwt_sign_es256(EVP_PKEY *key, const char *kid, const json_t *claims, char **ret_jwt, struct cc_error *err);

/* Checks an ES256 JWT's signature with key (P-256) and its exp against now; returns the claims. */
int cc_jose_jwt_verify_es256(EVP_PKEY *key, const char *jwt, json_t **ret_claims, struct cc_error *err);

/* The public key a JWK holds, whatever it is for: kty RSA (n, e; 2048 bits at least), EC (crv
 * P-256 or P-384; x, y) or OKP (crv Ed25519; x). Encryption (below) and signature verification
 * (jws.h) each add which algorithms the key may serve. */
int cc_jwk_public_key(const json_t *jwk, EVP_PKEY **ret, struct cc_error *err);

/* A public key from a JWK: {"kty":"RSA","n","e"} or {"kty":"EC","crv":"P-256"|"P-384","x","y"}.
 * *ret_alg is the key management algorithm to use with it: the JWK's "alg" if it names one we
 * support, else RSA-OAEP-256 or ECDH-ES+A256KW. */
int cc_jose_jwk_public_key(const json_t *jwk, EVP_PKEY **ret, const char **ret_alg, struct cc_error *err);

/* The public JWK of a key (for publishing the token key). */
json_t *cc_jose_jwk_from_key(EVP_PKEY *key);

/* Encrypts plain to the JWK: {"protected","encrypted_key","iv","ciphertext","tag"}. */
int cc_jose_jwe_encrypt(const json_t *jwk, const uint8_t *plain, size_t len, json_t **ret_jwe, struct cc_error *err);

/* Decrypts a flattened JWE made with ECDH-ES+A256KW and A256GCM for the EC private key (what the
 * node agent receives from the broker). *ret is malloc'd; wipe it after use. */
int cc_jose_jwe_decrypt_ecdh(EVP_PKEY *key, const json_t *jwe, uint8_t **ret, size_t *ret_len, struct cc_error *err);
