#include "kbs/kbs_sa_token.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/x509.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdio.h>

#define NOW 1800000000

/* Claims as cocoond's platform_sa_token_issue() writes them for a pod-bound token. */
static json_t *claims(const char *aud, json_int_t nbf, bool pod)
{
	json_t *c = json_pack("{s:s, s:s, s:[s], s:I, s:I, s:I, s:{s:s, s:{s:s, s:s}}}", "iss",
			      "https://kubernetes.default.svc.cluster.local", "sub", "system:serviceaccount:shop:app",
			      "aud", aud, "iat", (json_int_t)NOW, "nbf", nbf, "exp", (json_int_t)NOW + 3600,
			      "kubernetes.io", "namespace", "shop", "serviceaccount", "name", "app", "uid", "sa-uid");
	if (pod)
		json_object_set_new(json_object_get(c, "kubernetes.io"), "pod",
				    json_pack("{s:s, s:s}", "name", "web", "uid", "pod-uid-1"));
	return c;
}

static void test_identity(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	struct kbs_sa_identity id;
	_cleanup_json_ json_t *good = claims("cocoon-kbs:acme", NOW, true);
	assert_int_equal(kbs_sa_identity_from_claims(good, "acme", NOW, &id, &err), 0);
	assert_string_equal(id.namespace, "shop");
	assert_string_equal(id.service_account, "app");
	assert_string_equal(id.pod_name, "web");
	assert_string_equal(id.pod_uid, "pod-uid-1");
	/* the audience of one tenant is not another's */
	assert_int_equal(kbs_sa_identity_from_claims(good, "bank", NOW, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "`cocoon-kbs:bank`"));
	_cleanup_json_ json_t *api = claims("https://kubernetes.default.svc.cluster.local", NOW, true);
	assert_int_equal(kbs_sa_identity_from_claims(api, "acme", NOW, &id, &err), -EACCES);
	/* not yet valid beyond the skew; within it, fine */
	_cleanup_json_ json_t *later = claims("cocoon-kbs:acme", NOW + 61, true);
	assert_int_equal(kbs_sa_identity_from_claims(later, "acme", NOW, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "not valid yet"));
	_cleanup_json_ json_t *skewed = claims("cocoon-kbs:acme", NOW + 60, true);
	assert_int_equal(kbs_sa_identity_from_claims(skewed, "acme", NOW, &id, &err), 0);
	/* bound to no pod: vouches for no pod */
	_cleanup_json_ json_t *unbound = claims("cocoon-kbs:acme", NOW, false);
	assert_int_equal(kbs_sa_identity_from_claims(unbound, "acme", NOW, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "bound to no pod"));
	/* malformed names */
	json_object_set_new(json_object_get(json_object_get(good, "kubernetes.io"), "pod"), "uid", json_integer(1));
	assert_int_equal(kbs_sa_identity_from_claims(good, "acme", NOW, &id, &err), -EINVAL);
	assert_non_null(strstr(err.message, "pod uid"));
	assert_int_equal(kbs_sa_identity_from_claims(json_null(), "acme", NOW, &id, &err), -EINVAL);
}

static void test_verify(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	struct kbs_sa_identity id;
	EVP_PKEY *key = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	time_t now = time(NULL);
	_cleanup_json_ json_t *c = claims("cocoon-kbs:acme", now, true);
	json_object_set_new(c, "exp", json_integer(now + 600));
	_cleanup_free_ char *token = NULL, *forged = NULL, *expired = NULL;
	assert_int_equal(cc_jose_jwt_sign_es256(key, "kid", c, &token, &err), 0);
	assert_int_equal(kbs_sa_token_verify(key, token, "acme", now, &id, &err), 0);
	assert_string_equal(id.pod_uid, "pod-uid-1");
	/* another key (not the platform's) */
	assert_int_equal(cc_jose_jwt_sign_es256(other, "kid", c, &forged, &err), 0);
	assert_int_equal(kbs_sa_token_verify(key, forged, "acme", now, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "signature does not verify"));
	/* expired */
	json_object_set_new(c, "exp", json_integer(now - 1));
	assert_int_equal(cc_jose_jwt_sign_es256(key, "kid", c, &expired, &err), 0);
	assert_int_equal(kbs_sa_token_verify(key, expired, "acme", now, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "expired"));
	/* not a JWT; no key configured */
	assert_int_equal(kbs_sa_token_verify(key, "not-a-token", "acme", now, &id, &err), -EINVAL);
	assert_int_equal(kbs_sa_token_verify(NULL, token, "acme", now, &id, &err), -EACCES);
	assert_non_null(strstr(err.message, "--sa-issuer-key"));
	EVP_PKEY_free(key);
	EVP_PKEY_free(other);
}

static void test_issuer_key(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	char *dir = unit_tmpdir();
	_cleanup_free_ char *priv = cc_xasprintf("%s/sa.key", dir), *pub = cc_xasprintf("%s/sa.pub", dir);
	EVP_PKEY *key = EVP_EC_gen("P-256"), *loaded = NULL;
	assert_int_equal(cc_x509_write_key(priv, key, &err), 0);
	FILE *f = fopen(pub, "w");
	PEM_write_PUBKEY(f, key);
	fclose(f);
	assert_int_equal(kbs_sa_issuer_key_load(pub, &loaded, &err), 0);
	assert_int_equal(EVP_PKEY_eq(loaded, key), 1);
	EVP_PKEY_free(loaded);
	/* the private key is refused: the broker needs only what verifies */
	assert_int_equal(kbs_sa_issuer_key_load(priv, &loaded, &err), -EINVAL);
	assert_non_null(strstr(err.message, "-pubout"));
	f = fopen(pub, "w");
	fputs("junk", f);
	fclose(f);
	assert_int_equal(kbs_sa_issuer_key_load(pub, &loaded, &err), -EINVAL);
	EVP_PKEY_free(key);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity),
		cmocka_unit_test(test_verify),
		cmocka_unit_test(test_issuer_key),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
