/* JSON Web Signatures in the compact form (RFC 7515) as identity providers sign ID tokens: the
 * signing algorithms RS256, ES256, ES384 and EdDSA (Ed25519, RFC 8037), keys from JWKs (RFC 7517),
 * and a token read before it is verified only to choose its key. "none" and an algorithm that does
 * not fit the key are refused; an RSA key below 2048 bits is too. */
#pragma once

#include <jansson.h>
#include <openssl/evp.h>

struct cc_error;

#define CC_JWS_MAX 16384 /* bytes of a token: far above any ID token */

/* The signature verification key of a JWK: kty RSA (n, e), EC (crv P-256 or P-384; x, y) or OKP
 * (crv Ed25519; x). *ret_alg is the JWS algorithm the key is for: the JWK's "alg" when it names
 * one that fits, else the one its type implies (RS256, ES256, ES384, EdDSA). */
int cc_jws_key_from_jwk(const json_t *jwk, EVP_PKEY **ret, const char **ret_alg, struct cc_error *err);

/* The header and payload of a compact JWS, not verified: to pick the issuer and key (kid) only. */
int cc_jws_peek(const char *jws, json_t **ret_header, json_t **ret_payload, struct cc_error *err);

/* Verifies jws with key for algorithm alg (the key's; the header must name the same one) and
 * returns its payload. -EINVAL for a malformed token or a mismatched algorithm, -EBADMSG when the
 * signature does not verify. */
int cc_jws_verify(const char *jws, EVP_PKEY *key, const char *alg, json_t **ret_payload, struct cc_error *err);
