/* Certificate minting with OpenSSL 3. Extensions follow RFC 5280 §4.2: CAs get basicConstraints
 * CA:TRUE and keyCertSign; leaves get CA:FALSE, digitalSignature and the matching extendedKeyUsage,
 * because OpenSSL's verifier (and Go's) check EKU for TLS server and client roles. The helpers at the
 * end (signing digest, serials, times, strict PEM/DER input) are shared with the pod-certificate
 * builders in x509_leaf.c, x509_ca.c, csr.c and crl.c. */
#include "lib/crypto/x509.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>
#include <string.h>

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
	if (cc_x509_set_random_serial(cert, err) < 0)
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

const EVP_MD *cc_x509_signing_md(EVP_PKEY *key)
{
	char group[32];
	if (!key || !EVP_PKEY_is_a(key, "EC") || !EVP_PKEY_get_group_name(key, group, sizeof(group), NULL))
		return NULL;
	if (strcmp(group, "prime256v1") == 0)
		return EVP_sha256();
	if (strcmp(group, "secp384r1") == 0)
		return EVP_sha384();
	return NULL;
}

int cc_x509_set_random_serial(X509 *cert, struct cc_error *err)
{
	unsigned char bytes[16];
	BIGNUM *bn = NULL;
	int ok;
	do {
		if (RAND_bytes(bytes, sizeof(bytes)) != 1) {
			ok = 0;
			break;
		}
		BN_free(bn);
		bn = BN_bin2bn(bytes, sizeof(bytes), NULL);
		ok = bn != NULL;
	} while (ok && BN_is_zero(bn)); /* a serial must be positive: draw again (chance 2^-128) */
	ok = ok && BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(cert));
	BN_free(bn);
	if (!ok) {
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot draw a random serial number");
	}
	return 0;
}

int cc_x509_serial_hex(const ASN1_INTEGER *serial, char out[CC_X509_SERIAL_HEX_MAX], struct cc_error *err)
{
	BIGNUM *bn = ASN1_INTEGER_to_BN(serial, NULL);
	char *hex = bn ? BN_bn2hex(bn) : NULL;
	int r = 0;
	if (!hex)
		r = cc_error_set(err, EIO, "cannot convert a serial number");
	else if (BN_is_negative(bn) || BN_num_bytes(bn) > 20)
		r = cc_error_set(err, EINVAL,
				 "serial number %s is negative or longer than 20 octets (RFC 5280 §4.1.2.2)", hex);
	else {
		/* BN_bn2hex writes upper case and "0" for zero; the store keys are lower case. */
		size_t i;
		for (i = 0; hex[i] && i + 1 < CC_X509_SERIAL_HEX_MAX; i++)
			out[i] = (char)(hex[i] >= 'A' && hex[i] <= 'F' ? hex[i] - 'A' + 'a' : hex[i]);
		out[i] = '\0';
	}
	OPENSSL_free(hex);
	BN_free(bn);
	ERR_clear_error();
	return r;
}

int cc_x509_time(const ASN1_TIME *t, time_t *ret, struct cc_error *err)
{
	struct tm tm;
	if (!t || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "invalid ASN.1 time");
	}
	*ret = timegm(&tm);
	return 0;
}

static bool is_pem(const unsigned char *data, size_t len)
{
	static const char begin[] = "-----BEGIN ";
	while (len > 0 && (*data == ' ' || *data == '\t' || *data == '\r' || *data == '\n'))
		data++, len--;
	return len >= sizeof(begin) - 1 && memcmp(data, begin, sizeof(begin) - 1) == 0;
}

static bool label_allowed(const char *name, const char *const *labels)
{
	for (; *labels; labels++)
		if (strcmp(name, *labels) == 0)
			return true;
	return false;
}

/* What follows the first PEM block is white space at most: one object is given, and a second (or
 * anything else) would be silently ignored otherwise. */
static bool only_space_left(BIO *bio)
{
	char buf[256];
	int n;
	while ((n = BIO_read(bio, buf, sizeof(buf))) > 0)
		for (int i = 0; i < n; i++)
			if (!isspace((unsigned char)buf[i]))
				return false;
	return true;
}

int cc_x509_der_of(const void *data, size_t len, const char *const *labels, const char *what, unsigned char **ret_der,
		   size_t *ret_len, struct cc_error *err)
{
	if (len == 0 || len > INT_MAX)
		return cc_error_set(err, EINVAL, "%s is empty or too large", what);
	if (!is_pem(data, len)) {
		unsigned char *copy = OPENSSL_memdup(data, len);
		if (!copy)
			return cc_error_set(err, ENOMEM, "cannot copy %s", what);
		*ret_der = copy;
		*ret_len = len;
		return 0;
	}
	BIO *bio = BIO_new_mem_buf(data, (int)len);
	char *name = NULL, *header = NULL;
	unsigned char *der = NULL;
	long der_len = 0;
	int r = 0;
	if (!bio || !PEM_read_bio(bio, &name, &header, &der, &der_len))
		r = cc_error_set(err, EINVAL, "%s is not valid PEM (bad base64 or no END line)", what);
	else if (!label_allowed(name, labels))
		r = cc_error_set(err, EINVAL, "%s is a PEM `%s`, expected `%s`", what, name, labels[0]);
	else if (header && *header)
		r = cc_error_set(err, EINVAL, "%s has PEM headers (an encrypted or legacy block)", what);
	else if (der_len <= 0)
		r = cc_error_set(err, EINVAL, "%s is an empty PEM block", what);
	else if (!only_space_left(bio))
		r = cc_error_set(err, EINVAL, "%s has bytes after its PEM block", what);
	if (r == 0) {
		*ret_der = CC_TAKE_PTR(der);
		*ret_len = (size_t)der_len;
	}
	OPENSSL_free(der);
	OPENSSL_free(name);
	OPENSSL_free(header);
	BIO_free(bio);
	ERR_clear_error();
	return r;
}

int cc_x509_parse_cert(const void *data, size_t len, X509 **ret, struct cc_error *err)
{
	static const char *const labels[] = { "CERTIFICATE", NULL };
	if (len > CC_X509_CERT_MAX)
		return cc_error_set(err, EFBIG, "certificate of %zu bytes is larger than the limit of %d bytes", len,
				    CC_X509_CERT_MAX);
	unsigned char *der;
	size_t der_len;
	int r = cc_x509_der_of(data, len, labels, "certificate", &der, &der_len, err);
	if (r < 0)
		return r;
	const unsigned char *p = der;
	X509 *cert = d2i_X509(NULL, &p, (long)der_len);
	if (!cert)
		r = cc_error_set(err, EINVAL, "certificate is not valid DER X.509");
	else if (p != der + der_len)
		r = cc_error_set(err, EINVAL, "certificate has %zu bytes after its end", (size_t)(der + der_len - p));
	OPENSSL_free(der);
	ERR_clear_error();
	if (r < 0) {
		X509_free(cert);
		return r;
	}
	*ret = cert;
	return 0;
}
