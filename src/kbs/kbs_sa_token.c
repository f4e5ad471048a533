/* Service account tokens read by the key broker (see kbs_sa_token.h). */
#include "kbs/kbs_sa_token.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/jose.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ISSUER_KEY_MAX 16384

static bool has_audience(const json_t *aud, const char *want)
{
	if (json_is_string(aud))
		return strcmp(json_string_value(aud), want) == 0;
	size_t i;
	const json_t *v;
	json_array_foreach (aud, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), want) == 0)
			return true;
	return false;
}

/* A name the token gives, copied into out: a non-empty string that fits, else -EINVAL. */
static int name_of(const json_t *value, const char *what, char *out, size_t size, struct cc_error *err)
{
	const char *s = json_string_value(value);
	if (!s || !s[0] || strlen(s) >= size)
		return cc_error_set(err, EINVAL, "the service account token's %s is missing or too long", what);
	memcpy(out, s, strlen(s) + 1);
	return 0;
}

int kbs_sa_identity_from_claims(const json_t *claims, const char *tenant, time_t now, struct kbs_sa_identity *ret,
				struct cc_error *err)
{
	char audience[128];
	snprintf(audience, sizeof(audience), KBS_SA_AUDIENCE_PREFIX "%s", tenant);
	if (!json_is_object(claims))
		return cc_error_set(err, EINVAL, "the service account token's claims are not an object");
	if (!has_audience(json_object_get(claims, "aud"), audience))
		return cc_error_set(err, EACCES,
				    "the service account token is not for this broker's tenant: its audience must "
				    "include `%s` (kubectl create token --audience %s)",
				    audience, audience);
	const json_t *nbf = json_object_get(claims, "nbf");
	if (nbf && (!json_is_integer(nbf) || json_integer_value(nbf) > (json_int_t)now + KBS_SA_CLOCK_SKEW))
		return cc_error_set(err, EACCES, "the service account token is not valid yet (nbf)");
	const json_t *k8s = json_object_get(claims, "kubernetes.io");
	const json_t *pod = json_object_get(k8s, "pod");
	if (!json_is_object(pod))
		return cc_error_set(
		    err, EACCES,
		    "the service account token is bound to no pod, so it vouches for no pod's "
		    "identity (a pod's projected token, or kubectl create token --bound-object-kind Pod)");
	struct kbs_sa_identity id = { 0 };
	int r = name_of(json_object_get(k8s, "namespace"), "namespace", id.namespace, sizeof(id.namespace), err);
	if (r == 0)
		r = name_of(json_object_get(json_object_get(k8s, "serviceaccount"), "name"), "service account",
			    id.service_account, sizeof(id.service_account), err);
	if (r == 0)
		r = name_of(json_object_get(pod, "name"), "pod name", id.pod_name, sizeof(id.pod_name), err);
	if (r == 0)
		r = name_of(json_object_get(pod, "uid"), "pod uid", id.pod_uid, sizeof(id.pod_uid), err);
	if (r < 0)
		return r;
	*ret = id;
	return 0;
}

int kbs_sa_token_verify(EVP_PKEY *key, const char *token, const char *tenant, time_t now, struct kbs_sa_identity *ret,
			struct cc_error *err)
{
	if (!key)
		return cc_error_set(err, EACCES,
				    "this broker checks no service account tokens: it was started without "
				    "--sa-issuer-key");
	if (strnlen(token, KBS_SA_TOKEN_MAX + 1) > KBS_SA_TOKEN_MAX)
		return cc_error_set(err, EINVAL, "the service account token is longer than %d bytes", KBS_SA_TOKEN_MAX);
	_cleanup_json_ json_t *claims = NULL;
	int r = cc_jose_jwt_verify_es256(key, token, &claims, err);
	if (r < 0) {
		/* a bad signature or an expired token is a refusal; what is not a JWT at all, a bad request */
		cc_error_prefix(err, "service account token");
		return r == -EINVAL ? -EINVAL : -EACCES;
	}
	return kbs_sa_identity_from_claims(claims, tenant, now, ret, err);
}

int kbs_sa_issuer_key_load(const char *path, EVP_PKEY **ret, struct cc_error *err)
{
	_cleanup_free_ char *pem = NULL;
	size_t len;
	int r = cc_read_file(path, ISSUER_KEY_MAX, &pem, &len, err);
	if (r < 0)
		return cc_error_prefix(err, "--sa-issuer-key");
	if (strstr(pem, "PRIVATE KEY"))
		return cc_error_set(err, EINVAL,
				    "--sa-issuer-key `%s` holds a private key; give the broker only the public key "
				    "(openssl pkey -in service-account.key -pubout)",
				    path);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = bio ? PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	ERR_clear_error();
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256) {
		EVP_PKEY_free(key);
		return cc_error_set(err, EINVAL,
				    "--sa-issuer-key `%s` is not a PEM public key on P-256 (cocoond's service "
				    "account key is one)",
				    path);
	}
	*ret = key;
	return 0;
}
