#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509_ca.h"
#include "lib/crypto/x509_leaf.h"
#include "pki_fixture.h"
#include "unit.h"

#include <errno.h>

/* What the tenant's offline root does with the broker's CSR: a certificate for its key and subject
 * with the CA extensions the root chooses. */
static X509 *root_signs(struct cc_csr *csr, X509 *root, EVP_PKEY *root_key, const char *key_usage, long lifetime,
			const char *name_constraints)
{
	X509 *cert = X509_new();
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 2);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), lifetime);
	X509_set_pubkey(cert, csr->key);
	X509_set_subject_name(cert, X509_REQ_get_subject_name(csr->req));
	X509_set_issuer_name(cert, X509_get_subject_name(root));
	fixture_ext(cert, root, NID_basic_constraints, "critical,CA:TRUE,pathlen:0");
	fixture_ext(cert, root, NID_key_usage, key_usage);
	fixture_ext(cert, root, NID_subject_key_identifier, "hash");
	fixture_ext(cert, root, NID_authority_key_identifier, "keyid:always");
	if (name_constraints)
		fixture_ext(cert, root, NID_name_constraints, name_constraints);
	assert_true(X509_sign(cert, root_key, EVP_sha256()) > 0);
	return cert;
}

static void test_request_sign_check(void **state)
{
	struct cc_error err = { 0 };
	EVP_PKEY *key = NULL;
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(cc_x509_ca_request("acme issuing CA", &key, &pem, &err), 0);
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(pem, strlen(pem), &csr, &err), 0);
	assert_int_equal(EVP_PKEY_eq(csr->key, key), 1);

	X509 *root;
	EVP_PKEY *root_key;
	fixture_ca("P-256", "acme root", 10 * 86400, "critical,keyCertSign,cRLSign", &root, &root_key);
	X509 *ca = root_signs(csr, root, root_key, "critical,keyCertSign,cRLSign", 86400,
			      "critical,permitted;URI:acme.example,permitted;DNS:.svc.cluster.local");
	time_t now = time(NULL);
	assert_int_equal(cc_x509_ca_check(ca, key, now, &err), 0);

	/* The returned CA issues leaves that chain to the root within its name constraints. */
	const char *dns[] = { "web.shop.svc.cluster.local" };
	struct cc_leaf_profile profile = {
		.common_name = "shop/web-0",
		.spiffe_id = "spiffe://acme.example/ns/shop/sa/web/pod/1",
		.dns_names = dns,
		.n_dns_names = 1,
		.lifetime = 600,
	};
	EVP_PKEY *pod_key = EVP_EC_gen("P-256");
	X509 *leaf = NULL;
	assert_int_equal(cc_x509_leaf_issue(&profile, pod_key, ca, key, now, &leaf, &err), 0);
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, root);
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	sk_X509_push(untrusted, ca);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, untrusted);
	assert_int_equal(X509_verify_cert(ctx), 1);
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);

	/* Outside the constraints: another trust domain. */
	profile.spiffe_id = "spiffe://evil.example/ns/shop/sa/web/pod/1";
	assert_int_equal(cc_x509_leaf_issue(&profile, pod_key, ca, key, now, &leaf, &err), 0);
	ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, untrusted);
	assert_int_not_equal(X509_verify_cert(ctx), 1);
	assert_int_equal(X509_STORE_CTX_get_error(ctx), X509_V_ERR_PERMITTED_VIOLATION);
	X509_STORE_CTX_free(ctx);
	X509_free(leaf);
	sk_X509_free(untrusted);
	X509_STORE_free(store);

	/* The wrong key; expired; not valid yet. */
	assert_int_equal(cc_x509_ca_check(ca, pod_key, now, &err), -EINVAL);
	assert_non_null(strstr(err.message, "another key"));
	assert_int_equal(cc_x509_ca_check(ca, key, now + 2 * 86400, &err), -EINVAL);
	assert_non_null(strstr(err.message, "expired"));
	assert_int_equal(cc_x509_ca_check(ca, key, now - 3600, &err), -EINVAL);
	assert_non_null(strstr(err.message, "not valid yet"));
	assert_int_equal(cc_x509_ca_check(NULL, key, now, &err), -EINVAL);
	X509_free(ca);

	/* keyUsage without cRLSign: the CA could not sign its CRL. */
	ca = root_signs(csr, root, root_key, "critical,keyCertSign", 86400, NULL);
	assert_int_equal(cc_x509_ca_check(ca, key, now, &err), -EINVAL);
	assert_non_null(strstr(err.message, "cRLSign"));
	X509_free(ca);

	X509_free(root);
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(pod_key);
	EVP_PKEY_free(key);
}

static void test_request_refusals(void **state)
{
	struct cc_error err = { 0 };
	EVP_PKEY *key = NULL;
	char *pem = NULL;
	assert_int_equal(cc_x509_ca_request("", &key, &pem, &err), -EINVAL);
	assert_null(key);
	assert_null(pem);
	assert_non_null(strstr(err.message, "issuing CA request"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_sign_check),
		cmocka_unit_test(test_request_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
