#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

/* A CSR made straight with OpenSSL, for keys and digests cc_csr_make would not use. */
static X509_REQ *openssl_csr(EVP_PKEY *key, const EVP_MD *md)
{
	X509_REQ *req = X509_REQ_new();
	X509_REQ_set_version(req, X509_REQ_VERSION_1);
	X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8, (const unsigned char *)"x", -1,
				   -1, 0);
	X509_REQ_set_pubkey(req, key);
	assert_true(X509_REQ_sign(req, key, md) > 0);
	return req;
}

static size_t to_der(X509_REQ *req, unsigned char **ret)
{
	*ret = NULL;
	int len = i2d_X509_REQ(req, ret);
	assert_true(len > 0);
	return (size_t)len;
}

static char *to_pem(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509_REQ(bio, req);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)n);
	BIO_free(bio);
	return pem;
}

static void test_make_and_parse(void **state)
{
	struct cc_error err = { 0 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(cc_csr_make(key, "shop/web-0", false, &pem, &err), 0);
	assert_non_null(strstr(pem, "-----BEGIN CERTIFICATE REQUEST-----"));

	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(pem, strlen(pem), &csr, &err), 0);
	assert_int_equal(EVP_PKEY_eq(csr->key, key), 1);
	uint8_t digest[CC_SPKI_DIGEST_SIZE];
	assert_int_equal(cc_spki_sha384(key, digest, &err), 0);
	assert_memory_equal(digest, csr->spki_sha384, sizeof(digest));

	/* The same request as DER parses to the same key and digest. */
	unsigned char *der;
	size_t der_len = to_der(csr->req, &der);
	_cleanup_(cc_csr_freep) struct cc_csr *again = NULL;
	assert_int_equal(cc_csr_parse(der, der_len, &again, &err), 0);
	assert_memory_equal(again->spki_sha384, csr->spki_sha384, sizeof(digest));

	/* Another key, another digest. */
	EVP_PKEY *other = EVP_EC_gen("P-256");
	uint8_t other_digest[CC_SPKI_DIGEST_SIZE];
	assert_int_equal(cc_spki_sha384(other, other_digest, &err), 0);
	assert_memory_not_equal(other_digest, digest, sizeof(digest));
	EVP_PKEY_free(other);
	OPENSSL_free(der);
	EVP_PKEY_free(key);
}

static void test_ca_request_extensions(void **state)
{
	struct cc_error err = { 0 };
	EVP_PKEY *key = EVP_EC_gen("P-256");
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(cc_csr_make(key, "tenant CA", true, &pem, &err), 0);
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(pem, strlen(pem), &csr, &err), 0);
	STACK_OF(X509_EXTENSION) *exts = X509_REQ_get_extensions(csr->req);
	assert_int_equal(sk_X509_EXTENSION_num(exts), 2);
	X509_EXTENSION *bc = sk_X509_EXTENSION_value(exts, 0);
	assert_int_equal(OBJ_obj2nid(X509_EXTENSION_get_object(bc)), NID_basic_constraints);
	assert_int_equal(X509_EXTENSION_get_critical(bc), 1);
	BASIC_CONSTRAINTS *value = X509V3_EXT_d2i(bc);
	assert_true(value->ca);
	BASIC_CONSTRAINTS_free(value);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	EVP_PKEY_free(key);
}

static void expect_refused(const void *data, size_t len, int code, const char *why)
{
	struct cc_error err = { 0 };
	struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(data, len, &csr, &err), -code);
	assert_null(csr);
	if (!strstr(err.message, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void test_other_keys_refused(void **state)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	X509_REQ *req = openssl_csr(rsa, EVP_sha256());
	_cleanup_free_ char *pem = to_pem(req);
	expect_refused(pem, strlen(pem), EINVAL, "only EC P-256 keys are accepted");
	expect_refused(pem, strlen(pem), EINVAL, "rsaEncryption");
	X509_REQ_free(req);
	EVP_PKEY_free(rsa);

	EVP_PKEY *p384 = EVP_EC_gen("P-384");
	req = openssl_csr(p384, EVP_sha384());
	unsigned char *der;
	size_t len = to_der(req, &der);
	expect_refused(der, len, EINVAL, "other than P-256");
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(p384);

	/* P-256, but signed with SHA-1. */
	EVP_PKEY *key = EVP_EC_gen("P-256");
	req = openssl_csr(key, EVP_sha1());
	len = to_der(req, &der);
	expect_refused(der, len, EINVAL, "SHA-256");
	OPENSSL_free(der);
	X509_REQ_free(req);

	struct cc_error err = { 0 };
	char *out = NULL;
	EVP_PKEY *rsa_again = EVP_RSA_gen(2048);
	assert_int_equal(cc_csr_make(rsa_again, "x", false, &out, &err), -EINVAL);
	assert_int_equal(cc_csr_make(key, "", false, &out, &err), -EINVAL);
	assert_null(out);
	EVP_PKEY_free(rsa_again);
	EVP_PKEY_free(key);
}

static void test_tampered_and_malformed(void **state)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509_REQ *req = openssl_csr(key, EVP_sha256());
	unsigned char *der;
	size_t len = to_der(req, &der);

	/* The last bytes are the signature's s; changing one breaks proof of possession. */
	der[len - 3] ^= 0x01;
	expect_refused(der, len, EINVAL, "proof of possession");
	der[len - 3] ^= 0x01;
	/* Changing the signed subject (the CN "x") does too. */
	unsigned char *cn = memmem(der, len, "\x0c\x01x", 3); /* UTF8String "x" */
	assert_non_null(cn);
	cn += 2;
	*cn = 'y';
	expect_refused(der, len, EINVAL, "proof of possession");
	*cn = 'x';

	unsigned char *longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0;
	expect_refused(longer, len + 1, EINVAL, "1 bytes after its end");
	expect_refused(der, len - 1, EINVAL, "not a valid DER");
	free(longer);

	expect_refused("", 0, EINVAL, "empty");
	expect_refused("garbage, not a CSR", 18, EINVAL, "not a valid DER");
	expect_refused("-----BEGIN CERTIFICATE REQUEST-----\n!!!!\n-----END CERTIFICATE REQUEST-----\n", 76, EINVAL,
		       "not valid PEM");
	const char *cert_label = "-----BEGIN CERTIFICATE-----\nMAA=\n-----END CERTIFICATE-----\n";
	expect_refused(cert_label, strlen(cert_label), EINVAL, "expected `CERTIFICATE REQUEST`");

	char *big = calloc(1, CC_CSR_MAX + 1);
	memcpy(big, der, len);
	expect_refused(big, CC_CSR_MAX + 1, EFBIG, "limit of 8192 bytes");
	free(big);
	OPENSSL_free(der);
	X509_REQ_free(req);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_make_and_parse),
		cmocka_unit_test(test_ca_request_extensions),
		cmocka_unit_test(test_other_keys_refused),
		cmocka_unit_test(test_tampered_and_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
