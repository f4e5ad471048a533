/* Service account tokens (see sa_tokens.h). */
#include "platform/sa_tokens.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/random.h"
#include "lib/crypto/x509.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/objects.h"
#include "platform/status.h"
#include "platform/target.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CLOCK_SKEW_SECONDS 60 /* kube-apiserver's leeway for nbf and iat */

struct platform_sa_tokens {
	struct platform_objects *objects;
	EVP_PKEY *key;
	char kid[44]; /* base64url SHA-256 of the public key's DER, as kube-apiserver makes it */
	const struct platform_resource *service_accounts, *pods;
};

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static int load_or_create_key(const char *path, EVP_PKEY **ret, struct cc_error *err)
{
	if (access(path, F_OK) == 0)
		return cc_x509_read_key(path, ret, err);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (!key)
		return cc_error_set(err, ENOMEM, "generate the service account key");
	int r = cc_x509_write_key(path, key, err);
	if (r < 0) {
		EVP_PKEY_free(key);
		return r;
	}
	*ret = key;
	return 0;
}

static int key_id(EVP_PKEY *key, char *out, size_t size, struct cc_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_PUBKEY(key, &der);
	if (len <= 0)
		return cc_error_set(err, EINVAL, "encode the service account public key");
	uint8_t digest[32];
	int r = cc_digest(CC_DIGEST_SHA256, der, (size_t)len, digest, err);
	OPENSSL_free(der);
	if (r < 0)
		return r;
	_cleanup_free_ char *text = cc_base64url_encode(digest, sizeof(digest));
	snprintf(out, size, "%s", text);
	return 0;
}

int platform_sa_tokens_new(struct platform_objects *objects, const char *key_path, struct platform_sa_tokens **ret,
			   struct cc_error *err)
{
	struct platform_sa_tokens *t = cc_xcalloc(1, sizeof(*t));
	t->objects = objects;
	t->service_accounts = platform_resource_find("", "v1", "serviceaccounts");
	t->pods = platform_resource_find("", "v1", "pods");
	int r = load_or_create_key(key_path, &t->key, err);
	if (r == 0 && (EVP_PKEY_get_base_id(t->key) != EVP_PKEY_EC || EVP_PKEY_get_bits(t->key) != 256))
		r = cc_error_set(err, EINVAL, "`%s` is not a P-256 key", key_path);
	if (r == 0)
		r = key_id(t->key, t->kid, sizeof(t->kid), err);
	if (r < 0) {
		platform_sa_tokens_free(t);
		return cc_error_prefix(err, "service account key `%s`", key_path);
	}
	*ret = t;
	return 0;
}

void platform_sa_tokens_free(struct platform_sa_tokens *t)
{
	if (!t)
		return;
	EVP_PKEY_free(t->key);
	free(t);
}

int platform_sa_token_issue(struct platform_sa_tokens *t, const json_t *sa, const json_t *audiences, int64_t seconds,
			    const json_t *pod, char **ret_token, int64_t *ret_expires_ns, struct cc_error *err)
{
	int64_t now = cc_time_now_ns() / 1000000000;
	char jti[37];
	cc_random_uuid(jti, NULL);
	const char *ns = meta(sa, "namespace") ?: "", *name = meta(sa, "name") ?: "";
	_cleanup_free_ char *subject = cc_xasprintf("system:serviceaccount:%s:%s", ns, name);
	json_t *k8s = json_pack("{s:s, s:{s:s, s:s}}", "namespace", ns, "serviceaccount", "name", name, "uid",
				meta(sa, "uid") ?: "");
	if (pod)
		json_object_set_new(
		    k8s, "pod",
		    json_pack("{s:s, s:s}", "name", meta(pod, "name") ?: "", "uid", meta(pod, "uid") ?: ""));
	json_t *aud =
	    json_array_size(audiences) ? json_incref((json_t *)audiences) : json_pack("[s]", PLATFORM_SA_ISSUER);
	_cleanup_json_ json_t *claims =
	    json_pack("{s:s, s:s, s:o, s:I, s:I, s:I, s:s, s:o}", "iss", PLATFORM_SA_ISSUER, "sub", subject, "aud", aud,
		      "iat", (json_int_t)now, "nbf", (json_int_t)now, "exp", (json_int_t)(now + seconds), "jti", jti,
		      "kubernetes.io", k8s);
	int r = cc_jose_jwt_sign_es256(t->key, t->kid, claims, ret_token, err);
	if (r == 0 && ret_expires_ns)
		*ret_expires_ns = (now + seconds) * 1000000000LL;
	return r;
}

/* ---- checking ---- */

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

/* The object named in the claims still exists with the uid the token names. */
static bool still_there(struct platform_sa_tokens *t, const struct platform_resource *r, const char *ns,
			const json_t *ref, json_t **ret)
{
	const char *name = json_string_value(json_object_get(ref, "name"));
	const char *uid = json_string_value(json_object_get(ref, "uid"));
	json_t *obj = NULL;
	struct cc_error err = { 0 };
	if (!name || !uid || platform_objects_get(t->objects, r, ns, name, &obj, &err) < 0)
		return false;
	bool same = strcmp(meta(obj, "uid") ?: "", uid) == 0;
	if (same && ret)
		*ret = obj;
	else
		json_decref(obj);
	return same;
}

static int authenticate(void *ctx, const char *token, struct platform_user *user, char *why, size_t size)
{
	struct platform_sa_tokens *t = ctx;
	/* Not ours unless it names our issuer; read unverified only to route it, then verified. */
	_cleanup_json_ json_t *claims = NULL;
	struct cc_error err = { 0 };
	if (cc_jose_jwt_verify_es256(t->key, token, &claims, &err) < 0) {
		if (err.code == EACCES) { /* signed by us, and expired */
			snprintf(why, size, "service account token: %s", cc_error_message(&err));
			return -EACCES;
		}
		return 1;
	}
	int64_t now = cc_time_now_ns() / 1000000000;
	const json_t *k8s = json_object_get(claims, "kubernetes.io");
	const char *ns = json_string_value(json_object_get(k8s, "namespace"));
	const json_t *sa_ref = json_object_get(k8s, "serviceaccount"), *pod_ref = json_object_get(k8s, "pod");
	const char *iss = json_string_value(json_object_get(claims, "iss"));
	json_int_t nbf = json_integer_value(json_object_get(claims, "nbf"));
	_cleanup_json_ json_t *pod = NULL;
	const char *reason = NULL;
	if (!iss || strcmp(iss, PLATFORM_SA_ISSUER) != 0)
		reason = "the issuer is not this cluster's";
	else if (!has_audience(json_object_get(claims, "aud"), PLATFORM_SA_ISSUER))
		reason = "the token is not for this API server (audience)";
	else if (nbf > now + CLOCK_SKEW_SECONDS)
		reason = "the token is not valid yet";
	else if (!ns || !json_is_object(sa_ref))
		reason = "the token names no service account";
	else if (!still_there(t, t->service_accounts, ns, sa_ref, NULL))
		reason = "the service account has been deleted";
	else if (pod_ref && !still_there(t, t->pods, ns, pod_ref, &pod))
		reason = "the pod it was bound to has been deleted";
	if (reason) {
		snprintf(why, size, "service account token: %s", reason);
		return -EACCES;
	}
	const char *name = json_string_value(json_object_get(sa_ref, "name"));
	char subject[600];
	snprintf(subject, sizeof(subject), "system:serviceaccount:%s:%s", ns, name);
	platform_user_init(user, subject, "serviceaccount");
	snprintf(user->uid, sizeof(user->uid), "%s", json_string_value(json_object_get(sa_ref, "uid")) ?: "");
	platform_user_add_group(user, "system:serviceaccounts");
	char group[300];
	snprintf(group, sizeof(group), "system:serviceaccounts:%s", ns);
	platform_user_add_group(user, group);
	user->extra = json_object();
	if (pod) {
		json_object_set_new(user->extra, "authentication.kubernetes.io/pod-name",
				    json_pack("[s]", meta(pod, "name")));
		json_object_set_new(user->extra, "authentication.kubernetes.io/pod-uid",
				    json_pack("[s]", meta(pod, "uid")));
	}
	const char *jti = json_string_value(json_object_get(claims, "jti"));
	if (jti) {
		_cleanup_free_ char *credential = cc_xasprintf("JTI=%s", jti);
		json_object_set_new(user->extra, "authentication.kubernetes.io/credential-id",
				    json_pack("[s]", credential));
	}
	return 0;
}

struct platform_token_authenticator platform_sa_tokens_authenticator(struct platform_sa_tokens *t)
{
	return (
	    struct platform_token_authenticator){ .name = "serviceaccount", .authenticate = authenticate, .ctx = t };
}

/* ---- TokenRequest ---- */

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

void platform_sa_token_request(struct platform_sa_tokens *t, const struct platform_target *target, json_t *request,
			       struct cc_http_response *resp)
{
	const struct platform_resource *tr = target->resource;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *sa = NULL;
	if (platform_objects_get(t->objects, t->service_accounts, target->namespace, target->name, &sa, &err) < 0) {
		platform_status_error(resp, 404, NULL, tr, target->name, "serviceaccounts \"%s\" not found",
				      target->name);
		return;
	}
	json_t *spec = json_object_get(request, "spec");
	if (!json_is_object(spec)) {
		spec = json_object();
		json_object_set_new(request, "spec", spec);
	}
	const json_t *seconds_json = json_object_get(spec, "expirationSeconds");
	json_int_t seconds =
	    json_is_integer(seconds_json) ? json_integer_value(seconds_json) : PLATFORM_SA_DEFAULT_SECONDS;
	json_t *causes = json_array();
	if (seconds < PLATFORM_SA_MIN_SECONDS)
		platform_cause(causes, "FieldValueInvalid", "spec.expirationSeconds",
			       "Invalid value: %lld: may not specify a duration less than 10 minutes",
			       (long long)seconds);
	if (seconds > PLATFORM_SA_MAX_SECONDS)
		seconds =
		    PLATFORM_SA_MAX_SECONDS; /* as kube-apiserver caps at --service-account-max-token-expiration */
	const json_t *bound = json_object_get(spec, "boundObjectRef");
	_cleanup_json_ json_t *pod = NULL;
	if (json_is_object(bound)) {
		const char *kind = str(bound, "kind") ?: "";
		if (strcmp(kind, "Pod") != 0)
			platform_cause(causes, "FieldValueNotSupported", "spec.boundObjectRef.kind",
				       "Unsupported value: \"%s\": supported values: \"Pod\"", kind);
		else if (platform_objects_get(t->objects, t->pods, target->namespace, str(bound, "name") ?: "", &pod,
					      &err) < 0)
			platform_cause(causes, "FieldValueNotFound", "spec.boundObjectRef.name",
				       "pods \"%s\" not found", str(bound, "name") ?: "");
		else if (str(bound, "uid") && strcmp(str(bound, "uid"), meta(pod, "uid") ?: "") != 0)
			platform_cause(causes, "FieldValueInvalid", "spec.boundObjectRef.uid",
				       "the uid in the bound object reference does not match the pod's");
	}
	if (json_array_size(causes)) {
		platform_status_invalid(resp, tr, target->name, causes);
		return;
	}
	json_decref(causes);
	_cleanup_free_ char *token = NULL;
	int64_t expires = 0;
	if (platform_sa_token_issue(t, sa, json_object_get(spec, "audiences"), seconds, pod, &token, &expires, &err) <
	    0) {
		platform_status_error(resp, 500, NULL, tr, target->name, "%s", cc_error_message(&err));
		return;
	}
	char when[CC_TIME_RFC3339_MAX], now[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds(expires, when, sizeof(when));
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	if (!json_array_size(json_object_get(spec, "audiences")))
		json_object_set_new(spec, "audiences", json_pack("[s]", PLATFORM_SA_ISSUER));
	json_object_set_new(spec, "expirationSeconds", json_integer(seconds));
	if (pod)
		json_object_set_new(json_object_get(spec, "boundObjectRef"), "uid", json_string(meta(pod, "uid")));
	json_object_set_new(request, "kind", json_string("TokenRequest"));
	json_object_set_new(request, "apiVersion", json_string("authentication.k8s.io/v1"));
	json_object_set_new(request, "metadata",
			    json_pack("{s:s, s:s, s:s}", "name", target->name, "namespace", target->namespace,
				      "creationTimestamp", now));
	json_object_set_new(request, "status", json_pack("{s:s, s:s}", "token", token, "expirationTimestamp", when));
	explicit_bzero(token, strlen(token));
	platform_respond(resp, 201, json_incref(request));
}
