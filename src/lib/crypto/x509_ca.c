/* The issuing CA's key, its CSR, and the check of the certificate the offline root returns. The
 * check runs again before each issuance and CRL, so an expired or swapped CA fails with a reason
 * instead of producing certificates no peer accepts. */
#include "lib/crypto/x509_ca.h"

#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>

int cc_x509_ca_request(const char *common_name, EVP_PKEY **ret_key, char **ret_csr_pem, struct cc_error *err)
{
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (!key) {
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot make an EC P-256 key for the issuing CA");
	}
	char *pem;
	int r = cc_csr_make(key, common_name, true, &pem, err);
	if (r < 0) {
		EVP_PKEY_free(key);
		return cc_error_prefix(err, "issuing CA request");
	}
	*ret_key = key;
	*ret_csr_pem = pem;
	return 0;
}

static int check_validity(X509 *cert, time_t now, struct cc_error *err)
{
	time_t not_before, not_after;
	if (cc_x509_time(X509_get0_notBefore(cert), &not_before, err) < 0 ||
	    cc_x509_time(X509_get0_notAfter(cert), &not_after, err) < 0)
		return cc_error_prefix(err, "CA certificate validity");
	if (now < not_before)
		return cc_error_set(err, EINVAL, "CA certificate is not valid yet (notBefore is %lld s ahead)",
				    (long long)(not_before - now));
	if (now >= not_after)
		return cc_error_set(err, EINVAL, "CA certificate expired %lld s ago; have the root sign a new one",
				    (long long)(now - not_after));
	return 0;
}

int cc_x509_ca_check(X509 *cert, EVP_PKEY *key, time_t now, struct cc_error *err)
{
	if (!cert || !key)
		return cc_error_set(err, EINVAL, "no CA certificate or key given");
	if (!cc_x509_signing_md(key))
		return cc_error_set(err, EINVAL, "CA key is not EC P-256 or P-384");
	int match = X509_check_private_key(cert, key);
	ERR_clear_error();
	if (match != 1)
		return cc_error_set(err, EINVAL, "CA certificate is for another key than the CA's");
	uint32_t flags = X509_get_extension_flags(cert);
	if (flags & EXFLAG_INVALID)
		return cc_error_set(err, EINVAL, "CA certificate has invalid or duplicate extensions");
	/* RFC 5280 §4.2.1.9: only basicConstraints CA:TRUE makes an issuer; OpenSSL's legacy guesses (v1
	 * roots, keyUsage alone) are not accepted. */
	if (!(flags & EXFLAG_BCONS) || !(flags & EXFLAG_CA))
		return cc_error_set(err, EINVAL, "certificate is not a CA: basicConstraints CA:TRUE is missing");
	if (flags & EXFLAG_KUSAGE) {
		uint32_t usage = X509_get_key_usage(cert);
		if (!(usage & KU_KEY_CERT_SIGN) || !(usage & KU_CRL_SIGN))
			return cc_error_set(
			    err, EINVAL,
			    "CA certificate's keyUsage lacks keyCertSign or cRLSign; both are needed to "
			    "issue pod certificates and sign their CRL");
	}
	return check_validity(cert, now, err);
}
