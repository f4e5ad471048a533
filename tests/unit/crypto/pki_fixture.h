/* Test CAs for the certificate tests (x509_leaf, x509_ca, crl), built straight with OpenSSL so that
 * the code under test is not also the fixture: a self-signed CA on a chosen curve with a chosen
 * lifetime and keyUsage, and a verifier with optional CRL checking. */
#pragma once

#include "unit.h"

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <time.h>

static inline void fixture_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	assert_non_null(ext);
	assert_int_equal(X509_add_ext(cert, ext, -1), 1);
	X509_EXTENSION_free(ext);
}

/* A self-signed CA valid from now - 3600 to now + lifetime. key_usage NULL leaves keyUsage out. */
static inline void fixture_ca(const char *curve, const char *cn, long lifetime, const char *key_usage, X509 **ret_cert,
			      EVP_PKEY **ret_key)
{
	EVP_PKEY *key = EVP_EC_gen(curve);
	assert_non_null(key);
	X509 *cert = X509_new();
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), lifetime);
	X509_set_pubkey(cert, key);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8, (const unsigned char *)cn, -1, -1,
				   0);
	X509_set_issuer_name(cert, X509_get_subject_name(cert));
	fixture_ext(cert, cert, NID_basic_constraints, "critical,CA:TRUE");
	if (key_usage)
		fixture_ext(cert, cert, NID_key_usage, key_usage);
	fixture_ext(cert, cert, NID_subject_key_identifier, "hash");
	assert_true(X509_sign(cert, key, strcmp(curve, "P-384") == 0 ? EVP_sha384() : EVP_sha256()) > 0);
	*ret_cert = cert;
	*ret_key = key;
}

/* X509_verify_cert's result for leaf under the trust anchor ca, with purpose, and with crl when
 * given (then CRL checking is on). Returns X509_V_OK or the verifier's error. */
static inline int fixture_verify(X509 *ca, X509 *leaf, int purpose, X509_CRL *crl)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_add_cert(store, ca);
	if (crl) {
		X509_STORE_add_crl(store, crl);
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK);
	}
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	X509_STORE_CTX_init(ctx, store, leaf, NULL);
	X509_STORE_CTX_set_purpose(ctx, purpose);
	int ok = X509_verify_cert(ctx);
	int error = ok == 1 ? X509_V_OK : X509_STORE_CTX_get_error(ctx);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	return error;
}
