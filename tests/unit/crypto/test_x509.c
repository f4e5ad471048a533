#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>

static int verify(X509 *ca, X509 *leaf, int purpose)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, ca);
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	int ok = X509_verify_cert(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return ok;
}

static void test_issue_chain_and_purposes(void **state)
{
	struct cc_error err = { 0 };
	X509 *ca, *server, *client;
	EVP_PKEY *ca_key, *server_key, *client_key;
	struct cc_cert_request ca_req = { .usage = CC_CERT_CA, .common_name = "test CA", .days = 1 };
	assert_int_equal(cc_x509_issue(&ca_req, NULL, NULL, &ca, &ca_key, &err), 0);
	struct cc_cert_request s = { .usage = CC_CERT_SERVER,
				     .common_name = "srv",
				     .subject_alt_names = "DNS:localhost,IP:127.0.0.1",
				     .days = 1 };
	assert_int_equal(cc_x509_issue(&s, ca, ca_key, &server, &server_key, &err), 0);
	struct cc_cert_request c = {
		.usage = CC_CERT_CLIENT, .common_name = "alice", .organization = "devs", .days = 1
	};
	assert_int_equal(cc_x509_issue(&c, ca, ca_key, &client, &client_key, &err), 0);
	assert_int_equal(verify(ca, server, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_equal(verify(ca, client, X509_PURPOSE_SSL_CLIENT), 1);
	/* Extended key usage keeps roles apart. */
	assert_int_not_equal(verify(ca, client, X509_PURPOSE_SSL_SERVER), 1);
	assert_int_not_equal(verify(ca, server, X509_PURPOSE_SSL_CLIENT), 1);
	assert_int_equal(X509_check_host(server, "localhost", 0, 0, NULL), 1);
	assert_int_equal(X509_check_ip_asc(server, "127.0.0.1", 0), 1);

	char *dir = unit_tmpdir();
	_cleanup_free_ char *cert_path = cc_xasprintf("%s/c.crt", dir);
	_cleanup_free_ char *key_path = cc_xasprintf("%s/c.key", dir);
	assert_int_equal(cc_x509_write_cert(cert_path, client, &err), 0);
	assert_int_equal(cc_x509_write_key(key_path, client_key, &err), 0);
	struct stat st;
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	X509 *read_back;
	EVP_PKEY *key_back;
	assert_int_equal(cc_x509_read_cert(cert_path, &read_back, &err), 0);
	assert_int_equal(cc_x509_read_key(key_path, &key_back, &err), 0);
	assert_int_equal(X509_cmp(read_back, client), 0);
	X509 *not_a_cert = NULL;
	assert_int_equal(cc_x509_read_cert(key_path, &not_a_cert, &err), -EINVAL);
	assert_null(not_a_cert);
	X509_free(read_back);
	EVP_PKEY_free(key_back);
	unit_rmdir(dir);

	X509_free(ca), X509_free(server), X509_free(client);
	EVP_PKEY_free(ca_key), EVP_PKEY_free(server_key), EVP_PKEY_free(client_key);
}

static void test_bad_requests(void **state)
{
	struct cc_error err = { 0 };
	X509 *cert;
	EVP_PKEY *key;
	struct cc_cert_request no_name = { .usage = CC_CERT_CA, .days = 1 };
	assert_int_equal(cc_x509_issue(&no_name, NULL, NULL, &cert, &key, &err), -EINVAL);
	struct cc_cert_request bad_san = {
		.usage = CC_CERT_SERVER, .common_name = "x", .subject_alt_names = "BOGUS:thing", .days = 1
	};
	assert_int_equal(cc_x509_issue(&bad_san, NULL, NULL, &cert, &key, &err), -EINVAL);
	assert_non_null(strstr(err.message, "subjectAltName"));
}

static void test_signing_md_and_serials(void **state)
{
	EVP_PKEY *p256 = EVP_EC_gen("P-256"), *p384 = EVP_EC_gen("P-384"), *p521 = EVP_EC_gen("P-521");
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	assert_ptr_equal(cc_x509_signing_md(p256), EVP_sha256());
	assert_ptr_equal(cc_x509_signing_md(p384), EVP_sha384());
	assert_null(cc_x509_signing_md(p521));
	assert_null(cc_x509_signing_md(rsa));
	assert_null(cc_x509_signing_md(NULL));
	EVP_PKEY_free(p256), EVP_PKEY_free(p384), EVP_PKEY_free(p521), EVP_PKEY_free(rsa);

	struct cc_error err = { 0 };
	X509 *cert = X509_new();
	char a[CC_X509_SERIAL_HEX_MAX], b[CC_X509_SERIAL_HEX_MAX];
	assert_int_equal(cc_x509_set_random_serial(cert, &err), 0);
	assert_int_equal(cc_x509_serial_hex(X509_get0_serialNumber(cert), a, &err), 0);
	assert_int_equal(cc_x509_set_random_serial(cert, &err), 0);
	assert_int_equal(cc_x509_serial_hex(X509_get0_serialNumber(cert), b, &err), 0);
	assert_string_not_equal(a, b);
	assert_true(strlen(a) <= 32 && strlen(a) > 0);
	assert_int_equal(strspn(a, "0123456789abcdef"), strlen(a));

	ASN1_INTEGER_set(X509_get_serialNumber(cert), 0xABCDEF);
	assert_int_equal(cc_x509_serial_hex(X509_get0_serialNumber(cert), a, &err), 0);
	assert_string_equal(a, "abcdef");
	ASN1_INTEGER_set(X509_get_serialNumber(cert), -5);
	assert_int_equal(cc_x509_serial_hex(X509_get0_serialNumber(cert), a, &err), -EINVAL);
	assert_non_null(strstr(err.message, "negative"));
	X509_free(cert);
}

static void test_parse_cert(void **state)
{
	struct cc_error err = { 0 };
	X509 *ca;
	EVP_PKEY *ca_key;
	struct cc_cert_request req = { .usage = CC_CERT_CA, .common_name = "CA", .days = 1 };
	assert_int_equal(cc_x509_issue(&req, NULL, NULL, &ca, &ca_key, &err), 0);
	unsigned char *der = NULL;
	int len = i2d_X509(ca, &der);
	X509 *back = NULL;
	assert_int_equal(cc_x509_parse_cert(der, (size_t)len, &back, &err), 0);
	assert_int_equal(X509_cmp(back, ca), 0);
	X509_free(back);

	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, ca);
	char *pem;
	long pem_len = BIO_get_mem_data(bio, &pem);
	assert_int_equal(cc_x509_parse_cert(pem, (size_t)pem_len, &back, &err), 0);
	assert_int_equal(X509_cmp(back, ca), 0);
	X509_free(back);
	back = NULL;
	BIO_free(bio);

	unsigned char *longer = malloc((size_t)len + 2);
	memcpy(longer, der, (size_t)len);
	longer[len] = longer[len + 1] = 0;
	assert_int_equal(cc_x509_parse_cert(longer, (size_t)len + 2, &back, &err), -EINVAL);
	assert_non_null(strstr(err.message, "2 bytes after its end"));
	assert_int_equal(cc_x509_parse_cert(der, (size_t)len - 1, &back, &err), -EINVAL);
	assert_int_equal(cc_x509_parse_cert(der, CC_X509_CERT_MAX + 1, &back, &err), -EFBIG);
	const char *csr_pem = "-----BEGIN CERTIFICATE REQUEST-----\nMAA=\n-----END CERTIFICATE REQUEST-----\n";
	assert_int_equal(cc_x509_parse_cert(csr_pem, strlen(csr_pem), &back, &err), -EINVAL);
	assert_non_null(strstr(err.message, "expected `CERTIFICATE`"));
	const char *headers = "-----BEGIN CERTIFICATE-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nMAA=\n"
			      "-----END CERTIFICATE-----\n";
	assert_int_equal(cc_x509_parse_cert(headers, strlen(headers), &back, &err), -EINVAL);
	assert_non_null(strstr(err.message, "headers"));
	assert_null(back);
	free(longer);
	OPENSSL_free(der);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_issue_chain_and_purposes),
		cmocka_unit_test(test_bad_requests),
		cmocka_unit_test(test_signing_md_and_serials),
		cmocka_unit_test(test_parse_cert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
