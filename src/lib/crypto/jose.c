/* JWT (ES256), JWK and JWE (see jose.h). */
#include "lib/crypto/jose.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <string.h>

#define JWT_MAX        16384
#define JWE_HEADER_MAX 4096

static char *b64url_json(const json_t *value)
{
	_cleanup_free_ char *text = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS);
	return text ? cc_base64url_encode((const uint8_t *)text, strlen(text)) : NULL;
}

/* RFC 7518 §3.4: ES256 signatures are R || S, 32 bytes each, not DER. */
static int sign_raw_p256(EVP_PKEY *key, const char *input, uint8_t out[64], struct cc_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char der[80];
	size_t der_len = sizeof(der);
	int r = 0;
	if (!ctx || EVP_DigestSignInit(ctx, NULL, EVP_sha256(), NULL, key) != 1 ||
	    EVP_DigestSign(ctx, der, &der_len, (const unsigned char *)input, strlen(input)) != 1) {
		r = cc_error_set(err, EIO, "cannot sign the token");
		goto out;
	}
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)der_len);
	if (!sig || BN_bn2binpad(ECDSA_SIG_get0_r(sig), out, 32) != 32 ||
	    BN_bn2binpad(ECDSA_SIG_get0_s(sig), out + 32, 32) != 32)
		r = cc_error_set(err, EIO, "cannot encode the token signature");
	ECDSA_SIG_free(sig);
out:
	EVP_MD_CTX_free(ctx);
	return r;
}

int cc_jose_jwt_sign_es256(EVP_PKEY *key, const char *kid, const json_t *claims, char **ret_jwt, struct cc_error *err)
{
	_cleanup_json_ json_t *header = json_pack("{s:s, s:s, s:s}", "alg", "ES256", "typ", "JWT", "kid", kid);
	_cleanup_free_ char *h = b64url_json(header), *c = b64url_json(claims);
	if (!h || !c)
		return cc_error_set(err, EINVAL, "cannot encode the token's header or claims as JSON");
	_cleanup_free_ char *input = cc_xasprintf("%s.%s", h, c);
	uint8_t sig[64];
	int r = sign_raw_p256(key, input, sig, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *s = cc_base64url_encode(sig, sizeof(sig));
	*ret_jwt = cc_xasprintf("%s.%s", input, s);
	return 0;
}

int cc_jose_jwt_verify_es256(EVP_PKEY *key, const char *jwt, json_t **ret_claims, struct cc_error *err)
{
	size_t len = strnlen(jwt, JWT_MAX + 1);
	const char *dot1 = memchr(jwt, '.', len),
		   *dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - jwt)) : NULL;
	if (len > JWT_MAX || !dot1 || !dot2)
		return cc_error_set(err, EINVAL, "the token is not a JWT");
	_cleanup_free_ uint8_t *header = NULL, *payload = NULL, *sig = NULL;
	size_t header_len, payload_len, sig_len;
	if (cc_base64url_decode(jwt, (size_t)(dot1 - jwt), &header, &header_len) < 0 ||
	    cc_base64url_decode(dot1 + 1, (size_t)(dot2 - dot1 - 1), &payload, &payload_len) < 0 ||
	    cc_base64url_decode(dot2 + 1, len - (size_t)(dot2 + 1 - jwt), &sig, &sig_len) < 0 || sig_len != 64)
		return cc_error_set(err, EINVAL, "the token is not a JWT");
	_cleanup_json_ json_t *h = NULL;
	if (cc_json_parse((const char *)header, header_len, JWT_MAX, "the token's header", &h, err) < 0)
		return -EINVAL;
	const char *alg = json_string_value(json_object_get(h, "alg"));
	if (!alg || strcmp(alg, "ES256") != 0) /* never "none", never a key confusion */
		return cc_error_set(err, EINVAL, "the token's algorithm is not ES256");
	if (!cc_ecdsa_verify(key, EVP_sha256(), sig, sig + 32, 32, jwt, (size_t)(dot2 - jwt)))
		return cc_error_set(err, EBADMSG, "the token's signature does not verify");
	json_t *claims = NULL;
	if (cc_json_parse((const char *)payload, payload_len, JWT_MAX, "the token's claims", &claims, err) < 0)
		return -EINVAL;
	json_int_t exp = json_integer_value(json_object_get(claims, "exp"));
	if (!json_is_object(claims) || exp <= cc_time_now_ns() / 1000000000) {
		json_decref(claims);
		return cc_error_set(err, EACCES, "the token has expired");
	}
	*ret_claims = claims;
	return 0;
}

static int jwk_bytes(const json_t *jwk, const char *name, size_t max, uint8_t **ret, size_t *ret_len,
		     struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(jwk, name));
	if (!text || cc_base64url_decode(text, strlen(text), ret, ret_len) < 0 || *ret_len == 0 || *ret_len > max) {
		free(*ret);
		*ret = NULL;
		return cc_error_set(err, EINVAL, "the JWK's `%s` is missing or not base64url of a sensible size", name);
	}
	return 0;
}

int cc_jwk_public_key(const json_t *jwk, EVP_PKEY **ret, struct cc_error *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty")) ?: "";
	const char *crv = json_string_value(json_object_get(jwk, "crv")) ?: "";
	_cleanup_free_ uint8_t *a = NULL, *b = NULL;
	size_t a_len = 0, b_len = 0;
	EVP_PKEY *key = NULL;
	if (strcmp(kty, "RSA") == 0) {
		if (jwk_bytes(jwk, "n", 1024, &a, &a_len, err) < 0 || jwk_bytes(jwk, "e", 8, &b, &b_len, err) < 0)
			return -EINVAL;
		if (a_len < 256)
			return cc_error_set(err, EINVAL, "the JWK's RSA key is shorter than 2048 bits");
		key = cc_rsa_public_key(a, a_len, b, b_len);
	} else if (strcmp(kty, "EC") == 0) {
		bool p256 = strcmp(crv, "P-256") == 0, p384 = strcmp(crv, "P-384") == 0;
		if (!p256 && !p384)
			return cc_error_set(err, EINVAL, "JWK curve `%s` is not supported (P-256, P-384)", crv);
		size_t width = p256 ? 32 : 48;
		if (jwk_bytes(jwk, "x", width, &a, &a_len, err) < 0 || jwk_bytes(jwk, "y", width, &b, &b_len, err) < 0)
			return -EINVAL;
		uint8_t xy[96] = { 0 };
		memcpy(xy + width - a_len, a, a_len);
		memcpy(xy + 2 * width - b_len, b, b_len);
		key = cc_ec_public_key(p256 ? "prime256v1" : "secp384r1", xy, 2 * width);
	} else if (strcmp(kty, "OKP") == 0) {
		if (strcmp(crv, "Ed25519") != 0)
			return cc_error_set(err, EINVAL, "JWK curve `%s` is not supported (Ed25519)", crv);
		if (jwk_bytes(jwk, "x", 32, &a, &a_len, err) < 0 || a_len != 32)
			return cc_error_set(err, EINVAL, "the JWK's Ed25519 key is not 32 bytes");
		key = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, a, a_len);
	} else {
		return cc_error_set(err, EINVAL, "JWK key type `%s` is not supported (RSA, EC, OKP)", kty);
	}
	if (!key)
		return cc_error_set(err, EINVAL, "the JWK is not a valid public key");
	*ret = key;
	return 0;
}

int cc_jose_jwk_public_key(const json_t *jwk, EVP_PKEY **ret, const char **ret_alg, struct cc_error *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty")) ?: "";
	const char *alg = json_string_value(json_object_get(jwk, "alg"));
	if (strcmp(kty, "RSA") == 0) {
		if (alg && strcmp(alg, "RSA-OAEP-256") != 0)
			return cc_error_set(err, EINVAL, "JWK algorithm `%s` is not supported for RSA (RSA-OAEP-256)",
					    alg);
		*ret_alg = "RSA-OAEP-256";
	} else if (strcmp(kty, "EC") == 0) {
		const char *crv = json_string_value(json_object_get(jwk, "crv")) ?: "";
		if (strcmp(crv, "P-256") != 0 && strcmp(crv, "P-384") != 0)
			return cc_error_set(err, EINVAL, "JWK curve `%s` is not supported (P-256, P-384)", crv);
		if (alg && strcmp(alg, "ECDH-ES+A256KW") != 0)
			return cc_error_set(err, EINVAL, "JWK algorithm `%s` is not supported for EC (ECDH-ES+A256KW)",
					    alg);
		*ret_alg = "ECDH-ES+A256KW";
	} else {
		return cc_error_set(err, EINVAL, "JWK key type `%s` is not supported (RSA, EC)", kty);
	}
	return cc_jwk_public_key(jwk, ret, err);
}

json_t *cc_jose_jwk_from_key(EVP_PKEY *key)
{
	uint8_t point[1 + 2 * 48];
	size_t len = 0;
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, point, sizeof(point), &len) != 1 || len < 3)
		return NULL;
	size_t width = (len - 1) / 2;
	return json_pack("{s:s, s:s, s:o, s:o}", "kty", "EC", "crv", width == 32 ? "P-256" : "P-384", "x",
			 cc_json_base64url(point + 1, width), "y", cc_json_base64url(point + 1 + width, width));
}

static int rsa_oaep_wrap(EVP_PKEY *key, const uint8_t cek[32], uint8_t *out, size_t *out_len, struct cc_error *err)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new(key, NULL);
	bool ok =
	    ctx && EVP_PKEY_encrypt_init(ctx) == 1 && EVP_PKEY_CTX_set_rsa_padding(ctx, RSA_PKCS1_OAEP_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_oaep_md(ctx, EVP_sha256()) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md(ctx, EVP_sha256()) == 1 && EVP_PKEY_encrypt(ctx, out, out_len, cek, 32) == 1;
	EVP_PKEY_CTX_free(ctx);
	return ok ? 0 : cc_error_set(err, EIO, "RSA-OAEP-256 encryption of the content key failed");
}

/* RFC 7518 §4.6.2: Concat KDF (NIST SP 800-56A) with SHA-256, one round for a 256-bit key,
 * AlgorithmID "ECDH-ES+A256KW", empty PartyUInfo and PartyVInfo. */
static void concat_kdf(const uint8_t *z, size_t z_len, uint8_t kek[32])
{
	static const char alg[] = "ECDH-ES+A256KW";
	uint8_t counter[4] = { 0, 0, 0, 1 }, alg_len[4] = { 0, 0, 0, sizeof(alg) - 1 }, empty[4] = { 0 },
		keydatalen[4] = { 0, 0, 1, 0 };
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
	EVP_DigestUpdate(ctx, counter, 4);
	EVP_DigestUpdate(ctx, z, z_len);
	EVP_DigestUpdate(ctx, alg_len, 4);
	EVP_DigestUpdate(ctx, alg, sizeof(alg) - 1);
	EVP_DigestUpdate(ctx, empty, 4);
	EVP_DigestUpdate(ctx, empty, 4);
	EVP_DigestUpdate(ctx, keydatalen, 4);
	EVP_DigestFinal_ex(ctx, kek, NULL);
	EVP_MD_CTX_free(ctx);
}

/* ECDH-ES+A256KW: an ephemeral key agrees a KEK with the TEE key; the KEK wraps the content key
 * (RFC 3394). The ephemeral public key goes into the header as "epk". */
static int ecdh_wrap(EVP_PKEY *peer, const uint8_t cek[32], uint8_t *out, size_t *out_len, json_t **ret_epk,
		     struct cc_error *err)
{
	char group[32];
	size_t group_len;
	EVP_PKEY *eph = NULL;
	EVP_PKEY_CTX *derive = NULL;
	EVP_CIPHER_CTX *wrap = NULL;
	uint8_t z[48], kek[32];
	size_t z_len = sizeof(z);
	int r = cc_error_set(err, EIO, "ECDH-ES+A256KW wrapping of the content key failed"), n1 = 0, n2 = 0;
	if (EVP_PKEY_get_utf8_string_param(peer, OSSL_PKEY_PARAM_GROUP_NAME, group, sizeof(group), &group_len) != 1 ||
	    !(eph = EVP_EC_gen(group)) || !(derive = EVP_PKEY_CTX_new(eph, NULL)) ||
	    EVP_PKEY_derive_init(derive) != 1 || EVP_PKEY_derive_set_peer(derive, peer) != 1 ||
	    EVP_PKEY_derive(derive, z, &z_len) != 1)
		goto out;
	concat_kdf(z, z_len, kek);
	if (!(wrap = EVP_CIPHER_CTX_new()) || EVP_EncryptInit_ex(wrap, EVP_aes_256_wrap(), NULL, kek, NULL) != 1 ||
	    EVP_EncryptUpdate(wrap, out, &n1, cek, 32) != 1 || EVP_EncryptFinal_ex(wrap, out + n1, &n2) != 1)
		goto out;
	*out_len = (size_t)(n1 + n2);
	*ret_epk = cc_jose_jwk_from_key(eph);
	r = *ret_epk ? 0 : -EIO;
out:
	cc_wipe(z, sizeof(z));
	cc_wipe(kek, sizeof(kek));
	EVP_CIPHER_CTX_free(wrap);
	EVP_PKEY_CTX_free(derive);
	EVP_PKEY_free(eph);
	return r;
}

int cc_jose_jwe_encrypt(const json_t *jwk, const uint8_t *plain, size_t len, json_t **ret_jwe, struct cc_error *err)
{
	EVP_PKEY *key;
	const char *alg;
	int r = cc_jose_jwk_public_key(jwk, &key, &alg, err);
	if (r < 0)
		return r;
	uint8_t cek[32], iv[CC_AEAD_NONCE_SIZE], tag[CC_AEAD_TAG_SIZE], wrapped[1024];
	size_t wrapped_len = sizeof(wrapped);
	json_t *epk = NULL;
	if ((r = cc_random_bytes(cek, sizeof(cek), err)) == 0 && (r = cc_random_bytes(iv, sizeof(iv), err)) == 0)
		r = strcmp(alg, "RSA-OAEP-256") == 0 ? rsa_oaep_wrap(key, cek, wrapped, &wrapped_len, err)
						     : ecdh_wrap(key, cek, wrapped, &wrapped_len, &epk, err);
	EVP_PKEY_free(key);
	_cleanup_free_ uint8_t *cipher = cc_xmalloc(len ? len : 1);
	_cleanup_json_ json_t *header = json_pack("{s:s, s:s}", "alg", alg, "enc", "A256GCM");
	if (epk)
		json_object_set_new(header, "epk", epk);
	_cleanup_free_ char *protected = b64url_json(header);
	if (r == 0 && !protected)
		r = cc_error_set(err, EINVAL, "cannot encode the JWE header");
	/* RFC 7516 §5.1: the AAD is the ASCII of the encoded protected header. */
	if (r == 0)
		r = cc_aead_seal_nonce(cek, iv, protected, strlen(protected), plain, len, cipher, tag, err);
	cc_wipe(cek, sizeof(cek));
	if (r < 0)
		return r;
	*ret_jwe = json_pack("{s:s, s:o, s:o, s:o, s:o}", "protected", protected, "encrypted_key",
			     cc_json_base64url(wrapped, wrapped_len), "iv", cc_json_base64url(iv, sizeof(iv)),
			     "ciphertext", cc_json_base64url(cipher, len), "tag", cc_json_base64url(tag, sizeof(tag)));
	return 0;
}

static int b64url_member(const json_t *obj, const char *name, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(obj, name));
	if (!text || cc_base64url_decode(text, strlen(text), ret, ret_len) < 0)
		return cc_error_set(err, EINVAL, "JWE `%s` is missing or not base64url", name);
	return 0;
}

int cc_jose_jwe_decrypt_ecdh(EVP_PKEY *key, const json_t *jwe, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	const char *protected = json_string_value(json_object_get(jwe, "protected"));
	_cleanup_free_ uint8_t *header_text = NULL, *wrapped = NULL, *iv = NULL, *cipher = NULL, *tag = NULL;
	size_t header_len, wrapped_len, iv_len, cipher_len, tag_len;
	if (!protected || cc_base64url_decode(protected, strlen(protected), &header_text, &header_len) < 0)
		return cc_error_set(err, EINVAL, "JWE `protected` is missing or not base64url");
	int r;
	if ((r = b64url_member(jwe, "encrypted_key", &wrapped, &wrapped_len, err)) < 0 ||
	    (r = b64url_member(jwe, "iv", &iv, &iv_len, err)) < 0 ||
	    (r = b64url_member(jwe, "ciphertext", &cipher, &cipher_len, err)) < 0 ||
	    (r = b64url_member(jwe, "tag", &tag, &tag_len, err)) < 0)
		return r;
	_cleanup_json_ json_t *header = NULL;
	if (cc_json_parse((const char *)header_text, header_len, JWE_HEADER_MAX, "the JWE header", &header, err) < 0)
		return -EINVAL;
	const char *alg = json_string_value(json_object_get(header, "alg"));
	const char *enc = json_string_value(json_object_get(header, "enc"));
	if (!alg || strcmp(alg, "ECDH-ES+A256KW") != 0 || !enc || strcmp(enc, "A256GCM") != 0 ||
	    iv_len != CC_AEAD_NONCE_SIZE || tag_len != CC_AEAD_TAG_SIZE || wrapped_len != 40)
		return cc_error_set(err, EINVAL, "the JWE is not ECDH-ES+A256KW with A256GCM");
	EVP_PKEY *epk = NULL;
	const char *epk_alg;
	if ((r = cc_jose_jwk_public_key(json_object_get(header, "epk"), &epk, &epk_alg, err)) < 0)
		return cc_error_prefix(err, "JWE epk");
	uint8_t z[48], kek[32], cek[32];
	size_t z_len = sizeof(z);
	EVP_PKEY_CTX *derive = EVP_PKEY_CTX_new(key, NULL);
	EVP_CIPHER_CTX *unwrap = EVP_CIPHER_CTX_new();
	int n1 = 0, n2 = 0;
	bool ok = derive && unwrap && EVP_PKEY_derive_init(derive) == 1 && EVP_PKEY_derive_set_peer(derive, epk) == 1 &&
		  EVP_PKEY_derive(derive, z, &z_len) == 1;
	if (ok) {
		concat_kdf(z, z_len, kek);
		ok = EVP_DecryptInit_ex(unwrap, EVP_aes_256_wrap(), NULL, kek, NULL) == 1 &&
		     EVP_DecryptUpdate(unwrap, cek, &n1, wrapped, (int)wrapped_len) == 1 &&
		     EVP_DecryptFinal_ex(unwrap, cek + n1, &n2) == 1 && n1 + n2 == 32;
	}
	EVP_CIPHER_CTX_free(unwrap);
	EVP_PKEY_CTX_free(derive);
	EVP_PKEY_free(epk);
	cc_wipe(z, sizeof(z));
	cc_wipe(kek, sizeof(kek));
	if (!ok) {
		cc_wipe(cek, sizeof(cek));
		return cc_error_set(err, EBADMSG, "the JWE content key does not unwrap with this key");
	}
	uint8_t *plain = cc_xmalloc(cipher_len ? cipher_len : 1);
	r = cc_aead_open_nonce(cek, iv, protected, strlen(protected), cipher, cipher_len, tag, plain, NULL);
	cc_wipe(cek, sizeof(cek));
	if (r < 0) {
		free(plain);
		return cc_error_set(err, EBADMSG, "the JWE content was altered");
	}
	*ret = plain;
	*ret_len = cipher_len;
	return 0;
}
