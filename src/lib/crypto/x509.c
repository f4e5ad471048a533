/* Certificate minting with OpenSSL 3. Extensions follow RFC 5280 §4.2: CAs get basicConstraints
 * CA:TRUE and keyCertSign; leaves get CA:FALSE, digitalSignature and the matching extendedKeyUsage,
 * because OpenSSL's verifier (and Go's) check EKU for TLS server and client roles. */
#include "lib/crypto/x509.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

static int add_extension(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ext)
		return -EINVAL;
	int ok = X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	return ok ? 0 : -EINVAL;
}

static int set_random_serial(X509 *cert)
{
	BIGNUM *bn = BN_new();
	int ok = bn && BN_rand(bn, 127, BN_RAND_TOP_ANY, BN_RAND_BOTTOM_ANY) &&
		 BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	return ok ? 0 : -EIO;
}

int cc_x509_issue(const struct cc_cert_request *req, X509 *issuer_cert, EVP_PKEY *issuer_key, X509 **ret_cert,
		  EVP_PKEY **ret_key, struct cc_error *err)
{
	if (req->usage >= CC_CERT_USAGE_MAX || !req->common_name || req->days <= 0)
		return cc_error_set(err, EINVAL,
				    "certificate request needs a usage, a common name and a positive lifetime");
	EVP_PKEY *key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	int r = -EIO;
	if (!key || !cert)
		goto fail;
	X509_set_version(cert, X509_VERSION_3);
	if (set_random_serial(cert) < 0)
		goto fail;
	X509_gmtime_adj(X509_getm_notBefore(cert), -300); /* tolerate small clock skew between hosts */
	X509_gmtime_adj(X509_getm_notAfter(cert), (long)req->days * 86400);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_get_subject_name(cert);
	if (req->organization &&
	    !X509_NAME_add_entry_by_txt(name, "O", MBSTRING_UTF8, (const unsigned char *)req->organization, -1, -1, 0))
		goto fail;
	if (!X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)req->common_name, -1, -1, 0))
		goto fail;
	X509 *signer = issuer_cert ? issuer_cert : cert;
	X509_set_issuer_name(cert, X509_get_subject_name(signer));

	bool ca = req->usage == CC_CERT_CA;
	if (add_extension(cert, signer, NID_basic_constraints, ca ? "critical,CA:TRUE" : "critical,CA:FALSE") < 0 ||
	    add_extension(cert, signer, NID_key_usage,
			  ca ? "critical,keyCertSign,cRLSign,digitalSignature" : "critical,digitalSignature") < 0 ||
	    add_extension(cert, signer, NID_subject_key_identifier, "hash") < 0)
		goto fail;
	if (issuer_cert && add_extension(cert, signer, NID_authority_key_identifier, "keyid:always") < 0)
		goto fail;
	if (!ca && add_extension(cert, signer, NID_ext_key_usage,
				 req->usage == CC_CERT_SERVER ? "serverAuth" : "clientAuth") < 0)
		goto fail;
	if (req->subject_alt_names && *req->subject_alt_names &&
	    add_extension(cert, signer, NID_subject_alt_name, req->subject_alt_names) < 0) {
		r = cc_error_set(err, EINVAL, "invalid subjectAltName `%s` (expected e.g. DNS:host,IP:127.0.0.1)",
				 req->subject_alt_names);
		goto fail_quiet;
	}
	if (!X509_sign(cert, issuer_key ? issuer_key : key, EVP_sha256()))
		goto fail;
	*ret_cert = cert;
	*ret_key = key;
	return 0;
fail:
	r = cc_error_set(err, EIO, "cannot issue certificate for `%s`", req->common_name);
fail_quiet:
	ERR_clear_error();
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

static int write_bio(const char *path, BIO *bio, unsigned mode, struct cc_error *err)
{
	char *data;
	long len = BIO_get_mem_data(bio, &data);
	return cc_write_file_atomic(path, data, (size_t)len, mode, err);
}

int cc_x509_write_cert(const char *path, X509 *cert, struct cc_error *err)
{
	BIO *bio = BIO_new(BIO_s_mem());
	int r = bio && PEM_write_bio_X509(bio, cert)
		    ? write_bio(path, bio, 0644, err)
		    : cc_error_set(err, EIO, "cannot encode certificate for `%s`", path);
	BIO_free(bio);
	return r;
}

int cc_x509_write_key(const char *path, EVP_PKEY *key, struct cc_error *err)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	int r = bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)
		    ? write_bio(path, bio, 0600, err)
		    : cc_error_set(err, EIO, "cannot encode private key for `%s`", path);
	BIO_free(bio);
	return r;
}

int cc_x509_read_cert(const char *path, X509 **ret, struct cc_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return cc_error_set_errno(err, errno, "open certificate `%s`", path);
	X509 *cert = PEM_read_X509(f, NULL, NULL, NULL);
	if (!cert) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "`%s` does not hold a PEM certificate", path);
	}
	*ret = cert;
	return 0;
}

int cc_x509_read_key(const char *path, EVP_PKEY **ret, struct cc_error *err)
{
	_cleanup_fclose_ FILE *f = fopen(path, "re");
	if (!f)
		return cc_error_set_errno(err, errno, "open private key `%s`", path);
	EVP_PKEY *key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	if (!key) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "`%s` does not hold an unencrypted PEM private key", path);
	}
	*ret = key;
	return 0;
}
