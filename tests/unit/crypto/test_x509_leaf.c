#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/attestation_ext.h"
#include "lib/crypto/x509_leaf.h"
#include "pki_fixture.h"
#include "unit.h"

#include <errno.h>
#include <openssl/x509v3.h>

#define SPIFFE_ID "spiffe://acme.example/ns/shop/sa/web/pod/0f9e6c2a-1b7d-4c1e-9a53-0b1f0f5e2c11"

struct fixture {
	X509 *ca;
	EVP_PKEY *ca_key;
	EVP_PKEY *key; /* the pod's */
	const char *dns[2];
	struct cc_leaf_profile profile;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fixture_ca("P-256", "tenant CA", 86400, "critical,keyCertSign,cRLSign", &f->ca, &f->ca_key);
	f->key = EVP_EC_gen("P-256");
	f->dns[0] = "web.shop.svc";
	f->dns[1] = "web.shop.svc.cluster.local";
	f->profile = (struct cc_leaf_profile){
		.common_name = "shop/web-0",
		.spiffe_id = SPIFFE_ID,
		.dns_names = f->dns,
		.n_dns_names = 2,
		.lifetime = 3600,
	};
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	EVP_PKEY_free(f->key);
	free(f);
	return 0;
}

static X509 *issue(struct fixture *f, time_t now)
{
	struct cc_error err = { 0 };
	X509 *leaf = NULL;
	int r = cc_x509_leaf_issue(&f->profile, f->key, f->ca, f->ca_key, now, &leaf, &err);
	if (r < 0)
		fail_msg("issue: %s", err.message);
	return leaf;
}

static time_t time_of(const ASN1_TIME *t)
{
	struct tm tm;
	assert_int_equal(ASN1_TIME_to_tm(t, &tm), 1);
	return timegm(&tm);
}

static void test_profile(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);
	X509 *leaf = issue(f, now);

	assert_int_equal(fixture_verify(f->ca, leaf, X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	assert_int_equal(fixture_verify(f->ca, leaf, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	assert_int_equal(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA256);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(leaf), f->key), 1);
	assert_int_equal(X509_check_ca(leaf), 0);
	assert_int_equal(X509_check_host(leaf, "web.shop.svc.cluster.local", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(leaf, "api.shop.svc", 0, 0, NULL), 0);

	assert_int_equal(time_of(X509_get0_notBefore(leaf)), now - CC_LEAF_SKEW);
	assert_int_equal(time_of(X509_get0_notAfter(leaf)), now + 3600);

	/* Critical basicConstraints CA:FALSE and keyUsage digitalSignature; EKU both roles. */
	int crit;
	BASIC_CONSTRAINTS *bc = X509_get_ext_d2i(leaf, NID_basic_constraints, &crit, NULL);
	assert_non_null(bc);
	assert_int_equal(crit, 1);
	assert_false(bc->ca);
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING *ku = X509_get_ext_d2i(leaf, NID_key_usage, &crit, NULL);
	assert_int_equal(crit, 1);
	assert_int_equal(X509_get_key_usage(leaf), KU_DIGITAL_SIGNATURE);
	ASN1_BIT_STRING_free(ku);
	assert_int_equal(X509_get_extended_key_usage(leaf), XKU_SSL_SERVER | XKU_SSL_CLIENT);
	assert_non_null(X509_get0_subject_key_id(leaf));
	assert_int_equal(ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(leaf), X509_get0_subject_key_id(f->ca)), 0);

	/* Exactly one URI and the two DNS names, in order. */
	GENERAL_NAMES *names = X509_get_ext_d2i(leaf, NID_subject_alt_name, &crit, NULL);
	assert_int_equal(crit, 0);
	assert_int_equal(sk_GENERAL_NAME_num(names), 3);
	int type;
	ASN1_IA5STRING *value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, 0), &type);
	assert_int_equal(type, GEN_URI);
	assert_string_equal((const char *)ASN1_STRING_get0_data(value), SPIFFE_ID);
	value = GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(names, 2), &type);
	assert_int_equal(type, GEN_DNS);
	assert_string_equal((const char *)ASN1_STRING_get0_data(value), "web.shop.svc.cluster.local");
	GENERAL_NAMES_free(names);

	/* A positive serial of at most 128 bits, different each time. */
	BIGNUM *serial = ASN1_INTEGER_to_BN(X509_get0_serialNumber(leaf), NULL);
	assert_false(BN_is_negative(serial));
	assert_false(BN_is_zero(serial));
	assert_true(BN_num_bits(serial) <= 128);
	X509 *second = issue(f, now);
	assert_int_not_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(leaf), X509_get0_serialNumber(second)), 0);
	BN_free(serial);
	X509_free(second);
	X509_free(leaf);
}

static void test_attestation_extension(void **state)
{
	struct fixture *f = *state;
	struct cc_attested_container container = { .name = "uid-web-0", .instance = 0, .log_seq = 7 };
	struct cc_attestation a = {
		.version = CC_ATTESTATION_VERSION,
		.tenant = "acme",
		.node = "node-1",
		.tee = "tpm",
		.attested_at = 1767225600,
		.ear_id = "jti-1",
		.containers = &container,
		.n_containers = 1,
	};
	struct cc_error err = { 0 };
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), 0);
	f->profile.extension_oid = CC_ATTESTATION_EXT_OID;
	f->profile.extension_der = der;
	f->profile.extension_len = len;
	X509 *leaf = issue(f, time(NULL));

	ASN1_OBJECT *oid = OBJ_txt2obj(CC_ATTESTATION_EXT_OID, 1);
	int at = X509_get_ext_by_OBJ(leaf, oid, -1);
	assert_true(at >= 0);
	X509_EXTENSION *ext = X509_get_ext(leaf, at);
	assert_int_equal(X509_EXTENSION_get_critical(ext), 0);
	const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(data), (int)len);
	assert_memory_equal(ASN1_STRING_get0_data(data), der, len);
	ASN1_OBJECT_free(oid);
	/* An unknown non-critical extension does not disturb verification. */
	assert_int_equal(fixture_verify(f->ca, leaf, X509_PURPOSE_SSL_SERVER, NULL), X509_V_OK);
	X509_free(leaf);

	/* Refusals: a well-known OID, a value that is not one DER element, half an extension. */
	X509 *none = NULL;
	f->profile.extension_oid = "2.5.29.17";
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, f->ca, f->ca_key, time(NULL), &none, &err), -EINVAL);
	assert_non_null(strstr(err.message, "private OID"));
	f->profile.extension_oid = "not.an.oid";
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, f->ca, f->ca_key, time(NULL), &none, &err), -EINVAL);
	f->profile.extension_oid = CC_ATTESTATION_EXT_OID;
	f->profile.extension_len = len - 1;
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, f->ca, f->ca_key, time(NULL), &none, &err), -EINVAL);
	assert_non_null(strstr(err.message, "one complete DER value"));
	f->profile.extension_der = NULL;
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, f->ca, f->ca_key, time(NULL), &none, &err), -EINVAL);
	assert_null(none);
}

static void test_lifetime_capped_at_the_ca(void **state)
{
	struct fixture *f = *state;
	X509 *short_ca;
	EVP_PKEY *short_key;
	fixture_ca("P-256", "short CA", 1800, "critical,keyCertSign,cRLSign", &short_ca, &short_key);
	time_t now = time(NULL);
	struct cc_error err = { 0 };
	X509 *leaf = NULL;
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, short_ca, short_key, now, &leaf, &err), 0);
	assert_int_equal(time_of(X509_get0_notAfter(leaf)), time_of(X509_get0_notAfter(short_ca)));
	assert_true(time_of(X509_get0_notAfter(leaf)) < now + 3600);
	X509_free(leaf);

	/* Once the CA has expired nothing is issued. */
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, short_ca, short_key, now + 7200, &leaf, &err),
			 -EINVAL);
	assert_non_null(strstr(err.message, "expired"));
	X509_free(short_ca);
	EVP_PKEY_free(short_key);
}

static void test_p384_issuer(void **state)
{
	struct fixture *f = *state;
	X509 *ca;
	EVP_PKEY *ca_key;
	fixture_ca("P-384", "P-384 CA", 86400, NULL, &ca, &ca_key);
	struct cc_error err = { 0 };
	X509 *leaf = NULL;
	assert_int_equal(cc_x509_leaf_issue(&f->profile, f->key, ca, ca_key, time(NULL), &leaf, &err), 0);
	assert_int_equal(X509_get_signature_nid(leaf), NID_ecdsa_with_SHA384);
	assert_int_equal(fixture_verify(ca, leaf, X509_PURPOSE_SSL_CLIENT, NULL), X509_V_OK);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

static void expect_refused(struct fixture *f, EVP_PKEY *key, X509 *ca, EVP_PKEY *ca_key, const char *why)
{
	struct cc_error err = { 0 };
	X509 *leaf = NULL;
	assert_int_equal(cc_x509_leaf_issue(&f->profile, key, ca, ca_key, time(NULL), &leaf, &err), -EINVAL);
	assert_null(leaf);
	if (!strstr(err.message, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void test_bad_profiles(void **state)
{
	struct fixture *f = *state;
	struct cc_leaf_profile good = f->profile;

	const char *many[CC_LEAF_DNS_MAX + 1];
	for (size_t i = 0; i < CC_ARRAY_SIZE(many); i++)
		many[i] = "web.shop.svc";
	f->profile.dns_names = many;
	f->profile.n_dns_names = CC_LEAF_DNS_MAX + 1;
	expect_refused(f, f->key, f->ca, f->ca_key, "at most 32");
	f->profile.n_dns_names = CC_LEAF_DNS_MAX;
	X509 *leaf = issue(f, time(NULL)); /* 32 is fine */
	X509_free(leaf);

	f->profile = good;
	f->profile.spiffe_id = "spiffe://acme.example";
	expect_refused(f, f->key, f->ca, f->ca_key, "URI SAN: SPIFFE ID `spiffe://acme.example` has no path");
	f->profile.spiffe_id = "https://acme.example/x";
	expect_refused(f, f->key, f->ca, f->ca_key, "spiffe://");
	f->profile.spiffe_id = NULL;
	expect_refused(f, f->key, f->ca, f->ca_key, "no SPIFFE ID");

	f->profile = good;
	const char *bad_dns[] = { "web.shop.svc", "*.shop.svc" };
	f->profile.dns_names = bad_dns;
	expect_refused(f, f->key, f->ca, f->ca_key, "DNS SAN 2");

	f->profile = good;
	f->profile.lifetime = 0;
	expect_refused(f, f->key, f->ca, f->ca_key, "lifetime");
	f->profile.lifetime = CC_LEAF_LIFETIME_MAX + 1;
	expect_refused(f, f->key, f->ca, f->ca_key, "lifetime");

	f->profile = good;
	f->profile.common_name = "";
	expect_refused(f, f->key, f->ca, f->ca_key, "common name");
	char long_cn[80];
	memset(long_cn, 'c', 79);
	long_cn[79] = '\0';
	f->profile.common_name = long_cn;
	expect_refused(f, f->key, f->ca, f->ca_key, "1-64 characters");
	f->profile = good;

	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	expect_refused(f, rsa, f->ca, f->ca_key, "subject key");
	EVP_PKEY_free(rsa);
}

static void test_bad_issuers(void **state)
{
	struct fixture *f = *state;
	/* The CA certificate with another key. */
	EVP_PKEY *other = EVP_EC_gen("P-256");
	expect_refused(f, f->key, f->ca, other, "another key");
	EVP_PKEY_free(other);
	/* A leaf as issuer. */
	X509 *leaf = issue(f, time(NULL));
	expect_refused(f, f->key, leaf, f->key, "not a CA");
	X509_free(leaf);
	/* A CA whose keyUsage cannot sign certificates. */
	X509 *ca;
	EVP_PKEY *ca_key;
	fixture_ca("P-256", "bad CA", 86400, "critical,digitalSignature", &ca, &ca_key);
	expect_refused(f, f->key, ca, ca_key, "keyCertSign");
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_profile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attestation_extension, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lifetime_capped_at_the_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_p384_issuer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_profiles, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_issuers, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
