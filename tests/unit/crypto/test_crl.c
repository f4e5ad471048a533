#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/crl.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_leaf.h"
#include "pki_fixture.h"
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>

struct fixture {
	X509 *ca;
	EVP_PKEY *ca_key;
	X509 *leaf[2];
	char serial[2][CC_X509_SERIAL_HEX_MAX];
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	fixture_ca("P-256", "tenant CA", 86400, "critical,keyCertSign,cRLSign", &f->ca, &f->ca_key);
	struct cc_leaf_profile profile = { .common_name = "shop/web-0",
					   .spiffe_id = "spiffe://acme.example/ns/shop/sa/web/pod/1",
					   .lifetime = 3600 };
	for (int i = 0; i < 2; i++) {
		struct cc_error err = { 0 };
		EVP_PKEY *key = EVP_EC_gen("P-256");
		assert_int_equal(cc_x509_leaf_issue(&profile, key, f->ca, f->ca_key, time(NULL), &f->leaf[i], &err), 0);
		assert_int_equal(cc_x509_serial_hex(X509_get0_serialNumber(f->leaf[i]), f->serial[i], &err), 0);
		EVP_PKEY_free(key);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	X509_free(f->leaf[0]);
	X509_free(f->leaf[1]);
	free(f);
	return 0;
}

static void test_round_trip(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);
	struct cc_crl_entry entries[] = {
		{ .serial_hex = f->serial[0], .revoked_at = now - 10, .reason = CC_CRL_REASON_KEY_COMPROMISE },
		{ .serial_hex = "1f", .revoked_at = now - 20, .reason = CC_CRL_REASON_UNSPECIFIED },
	};
	struct cc_crl_request req = {
		.entries = entries, .n_entries = 2, .number = 42, .this_update = now, .next_update = now + 3600
	};
	struct cc_error err = { 0 };
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(cc_crl_build(&req, f->ca, f->ca_key, &pem, &err), 0);
	assert_non_null(strstr(pem, "-----BEGIN X509 CRL-----"));

	X509_CRL *crl = NULL;
	assert_int_equal(cc_crl_parse(pem, strlen(pem), f->ca, &crl, &err), 0);
	assert_int_equal(X509_CRL_get_version(crl), X509_CRL_VERSION_2);
	uint64_t number;
	assert_int_equal(cc_crl_number(crl, &number, &err), 0);
	assert_int_equal(number, 42);
	int crit;
	AUTHORITY_KEYID *aki = X509_CRL_get_ext_d2i(crl, NID_authority_key_identifier, &crit, NULL);
	assert_non_null(aki);
	assert_int_equal(ASN1_OCTET_STRING_cmp(aki->keyid, X509_get0_subject_key_id(f->ca)), 0);
	AUTHORITY_KEYID_free(aki);

	enum cc_crl_reason reason;
	time_t when;
	assert_int_equal(cc_crl_lookup(crl, f->serial[0], &reason, &when, &err), 1);
	assert_int_equal(reason, CC_CRL_REASON_KEY_COMPROMISE);
	assert_int_equal(when, now - 10);
	assert_int_equal(cc_crl_lookup(crl, "1F", &reason, &when, &err), 1);
	assert_int_equal(reason, CC_CRL_REASON_UNSPECIFIED);
	assert_int_equal(cc_crl_lookup(crl, f->serial[1], NULL, NULL, &err), 0);
	assert_int_equal(cc_crl_lookup(crl, "not hex", NULL, NULL, &err), -EINVAL);

	/* OpenSSL's verifier with CRL checking: the revoked leaf fails, the other passes. */
	assert_int_equal(fixture_verify(f->ca, f->leaf[0], X509_PURPOSE_SSL_CLIENT, crl), X509_V_ERR_CERT_REVOKED);
	assert_int_equal(fixture_verify(f->ca, f->leaf[1], X509_PURPOSE_SSL_CLIENT, crl), X509_V_OK);
	X509_CRL_free(crl);

	/* An empty CRL is a CRL too. */
	struct cc_crl_request empty = { .number = 43, .this_update = now, .next_update = now + 60 };
	_cleanup_free_ char *empty_pem = NULL;
	assert_int_equal(cc_crl_build(&empty, f->ca, f->ca_key, &empty_pem, &err), 0);
	assert_int_equal(cc_crl_parse(empty_pem, strlen(empty_pem), f->ca, &crl, &err), 0);
	assert_int_equal(cc_crl_lookup(crl, f->serial[0], NULL, NULL, &err), 0);
	X509_CRL_free(crl);
}

static void test_parse_refusals(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);
	struct cc_crl_entry entry = { .serial_hex = f->serial[0],
				      .revoked_at = now,
				      .reason = CC_CRL_REASON_SUPERSEDED };
	struct cc_crl_request req = { .entries = &entry, .n_entries = 1, .this_update = now, .next_update = now + 60 };
	struct cc_error err = { 0 };
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(cc_crl_build(&req, f->ca, f->ca_key, &pem, &err), 0);

	/* Another CA with the same name: the signature does not verify. */
	X509 *other;
	EVP_PKEY *other_key;
	fixture_ca("P-256", "tenant CA", 86400, NULL, &other, &other_key);
	X509_CRL *crl = NULL;
	assert_int_equal(cc_crl_parse(pem, strlen(pem), other, &crl, &err), -EINVAL);
	assert_non_null(strstr(err.message, "signature"));
	X509_free(other);
	EVP_PKEY_free(other_key);
	/* Another name. */
	fixture_ca("P-256", "someone else", 86400, NULL, &other, &other_key);
	assert_int_equal(cc_crl_parse(pem, strlen(pem), other, &crl, &err), -EINVAL);
	assert_non_null(strstr(err.message, "another name"));
	X509_free(other);
	EVP_PKEY_free(other_key);

	/* A changed byte in the DER, trailing bytes, garbage, oversize. */
	BIO *bio = BIO_new_mem_buf(pem, -1);
	X509_CRL *good = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL);
	BIO_free(bio);
	unsigned char *der = NULL;
	int len = i2d_X509_CRL(good, &der);
	X509_CRL_free(good);
	unsigned char *copy = malloc((size_t)len + 1);
	memcpy(copy, der, (size_t)len);
	copy[len] = 0;
	assert_int_equal(cc_crl_parse(copy, (size_t)len + 1, f->ca, &crl, &err), -EINVAL);
	assert_non_null(strstr(err.message, "after its end"));
	copy[len - 2] ^= 1;
	assert_int_equal(cc_crl_parse(copy, (size_t)len, f->ca, &crl, &err), -EINVAL);
	assert_non_null(strstr(err.message, "signature"));
	assert_int_equal(cc_crl_parse("junk", 4, f->ca, &crl, &err), -EINVAL);
	assert_int_equal(cc_crl_parse(copy, CC_CRL_MAX + 1, f->ca, &crl, &err), -EFBIG);
	assert_null(crl);
	free(copy);
	OPENSSL_free(der);
}

static void expect_build_refused(struct fixture *f, const struct cc_crl_request *req, const char *why)
{
	struct cc_error err = { 0 };
	char *pem = NULL;
	assert_int_equal(cc_crl_build(req, f->ca, f->ca_key, &pem, &err), -EINVAL);
	assert_null(pem);
	if (!strstr(err.message, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void test_build_refusals(void **state)
{
	struct fixture *f = *state;
	time_t now = time(NULL);
	struct cc_crl_entry twice[] = {
		{ .serial_hex = "0a1b", .revoked_at = now },
		{ .serial_hex = "0A1B", .revoked_at = now },
	};
	struct cc_crl_request req = { .entries = twice, .n_entries = 2, .this_update = now, .next_update = now + 60 };
	expect_build_refused(f, &req, "listed twice");

	struct cc_crl_entry bad = { .serial_hex = "xyz", .revoked_at = now };
	req.entries = &bad;
	req.n_entries = 1;
	expect_build_refused(f, &req, "hex digits");
	bad.serial_hex = "0";
	expect_build_refused(f, &req, "positive");
	bad.serial_hex = "123456789012345678901234567890123456789012"; /* 21 octets */
	expect_build_refused(f, &req, "hex digits");
	bad.serial_hex = "01";
	bad.reason = (enum cc_crl_reason)7;
	expect_build_refused(f, &req, "reason 7");

	struct cc_crl_request backwards = { .this_update = now, .next_update = now };
	expect_build_refused(f, &backwards, "nextUpdate");

	/* A CA that may not sign CRLs. */
	X509 *ca = f->ca;
	EVP_PKEY *key = f->ca_key;
	fixture_ca("P-256", "no CRLs", 86400, "critical,keyCertSign", &f->ca, &f->ca_key);
	struct cc_crl_request plain = { .this_update = now, .next_update = now + 60 };
	expect_build_refused(f, &plain, "cRLSign");
	X509_free(f->ca);
	EVP_PKEY_free(f->ca_key);
	f->ca = ca;
	f->ca_key = key;
}

static void test_reason_names(void **state)
{
	for (int i = 0; i < CC_CRL_REASON_MAX; i++) {
		const char *name = cc_crl_reason_name((enum cc_crl_reason)i);
		if (name)
			assert_int_equal(cc_crl_reason_from_string(name), i);
	}
	assert_string_equal(cc_crl_reason_name(CC_CRL_REASON_CESSATION_OF_OPERATION), "cessationOfOperation");
	assert_null(cc_crl_reason_name((enum cc_crl_reason)7));
	assert_null(cc_crl_reason_name(CC_CRL_REASON_MAX));
	assert_int_equal(cc_crl_reason_from_string("removeFromCRL"), CC_CRL_REASON_MAX);
	assert_int_equal(cc_crl_reason_from_string(NULL), CC_CRL_REASON_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, setup, teardown),
		cmocka_unit_test_setup_teardown(test_parse_refusals, setup, teardown),
		cmocka_unit_test_setup_teardown(test_build_refusals, setup, teardown),
		cmocka_unit_test(test_reason_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
