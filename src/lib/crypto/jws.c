/* Compact JWS verification (see jws.h). */
#include "lib/crypto/jws.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/rsa.h>
#include <string.h>

static bool alg_fits(const char *given, const char *implied)
{
	return !given || strcmp(given, implied) == 0;
}

int cc_jws_key_from_jwk(const json_t *jwk, EVP_PKEY **ret, const char **ret_alg, struct cc_error *err)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty")) ?: "";
	const char *alg = json_string_value(json_object_get(jwk, "alg"));
	const char *crv = json_string_value(json_object_get(jwk, "crv")) ?: "";
	EVP_PKEY *key = NULL;
	int r = cc_jwk_public_key(jwk, &key, err);
	if (r < 0)
		return r;
	const char *implied = strcmp(kty, "RSA") == 0     ? "RS256"
			      : strcmp(kty, "OKP") == 0   ? "EdDSA"
			      : strcmp(crv, "P-256") == 0 ? "ES256"
							  : "ES384";
	if (!alg_fits(alg, implied)) {
		EVP_PKEY_free(key);
		return cc_error_set(err, EINVAL, "JWK algorithm `%s` does not fit its %s key (%s)", alg, kty, implied);
	}
	*ret = key;
	*ret_alg = implied;
	return 0;
}

/* The three parts; the signing input is everything before the second dot. */
struct parts {
	const char *dot1, *dot2;
	size_t len;
};

static int split(const char *jws, struct parts *p, struct cc_error *err)
{
	p->len = strnlen(jws, CC_JWS_MAX + 1);
	p->dot1 = memchr(jws, '.', p->len);
	p->dot2 = p->dot1 ? memchr(p->dot1 + 1, '.', p->len - (size_t)(p->dot1 + 1 - jws)) : NULL;
	if (p->len > CC_JWS_MAX || !p->dot1 || !p->dot2 ||
	    memchr(p->dot2 + 1, '.', p->len - (size_t)(p->dot2 + 1 - jws)))
		return cc_error_set(err, EINVAL, "the token is not a compact JWS");
	return 0;
}

static int decode_json(const char *text, size_t len, const char *what, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ uint8_t *raw = NULL;
	size_t raw_len;
	if (cc_base64url_decode(text, len, &raw, &raw_len) < 0)
		return cc_error_set(err, EINVAL, "the token's %s is not base64url", what);
	if (cc_json_parse((const char *)raw, raw_len, CC_JWS_MAX, what, ret, err) < 0)
		return -EINVAL;
	if (!json_is_object(*ret)) {
		json_decref(*ret);
		*ret = NULL;
		return cc_error_set(err, EINVAL, "the token's %s is not a JSON object", what);
	}
	return 0;
}

int cc_jws_peek(const char *jws, json_t **ret_header, json_t **ret_payload, struct cc_error *err)
{
	struct parts p;
	json_t *header = NULL, *payload = NULL;
	if (split(jws, &p, err) < 0 || decode_json(jws, (size_t)(p.dot1 - jws), "header", &header, err) < 0 ||
	    decode_json(p.dot1 + 1, (size_t)(p.dot2 - p.dot1 - 1), "payload", &payload, err) < 0) {
		json_decref(header);
		return -EINVAL;
	}
	*ret_header = header;
	*ret_payload = payload;
	return 0;
}

static bool verify_digest(EVP_PKEY *key, const EVP_MD *md, const uint8_t *sig, size_t sig_len, const void *data,
			  size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		  EVP_DigestVerify(ctx, sig, sig_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	return ok;
}

int cc_jws_verify(const char *jws, EVP_PKEY *key, const char *alg, json_t **ret_payload, struct cc_error *err)
{
	struct parts p;
	_cleanup_json_ json_t *header = NULL, *payload = NULL;
	if (cc_jws_peek(jws, &header, &payload, err) < 0 || split(jws, &p, err) < 0)
		return -EINVAL;
	const char *named = json_string_value(json_object_get(header, "alg"));
	/* The key decides the algorithm; a header naming another one (or "none") is refused outright. */
	if (!named || strcmp(named, alg) != 0)
		return cc_error_set(err, EINVAL, "the token's algorithm `%s` is not its key's (%s)", named ? named : "",
				    alg);
	_cleanup_free_ uint8_t *sig = NULL;
	size_t sig_len;
	if (cc_base64url_decode(p.dot2 + 1, p.len - (size_t)(p.dot2 + 1 - jws), &sig, &sig_len) < 0)
		return cc_error_set(err, EINVAL, "the token's signature is not base64url");
	size_t signed_len = (size_t)(p.dot2 - jws);
	bool ok;
	if (strcmp(alg, "RS256") == 0)
		ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
		     verify_digest(key, EVP_sha256(), sig, sig_len, jws, signed_len);
	else if (strcmp(alg, "ES256") == 0 || strcmp(alg, "ES384") == 0) {
		size_t width = alg[2] == '2' ? 32 : 48;
		ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && sig_len == 2 * width &&
		     cc_ecdsa_verify(key, width == 32 ? EVP_sha256() : EVP_sha384(), sig, sig + width, width, jws,
				     signed_len);
	} else if (strcmp(alg, "EdDSA") == 0)
		ok = EVP_PKEY_get_base_id(key) == EVP_PKEY_ED25519 &&
		     verify_digest(key, NULL, sig, sig_len, jws, signed_len);
	else
		return cc_error_set(err, EINVAL, "signature algorithm `%s` is not supported", alg);
	if (!ok)
		return cc_error_set(err, EBADMSG, "the token's signature does not verify");
	*ret_payload = json_incref(payload);
	return 0;
}
