/* CRL building and checking (crl.h) with OpenSSL 3's X509_CRL. Serials travel as hex strings because
 * that is how the broker's records name issued certificates (`kbs/<tenant>/mtls/issued/<serial>`). */
#include "lib/crypto/crl.h"

#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_ca.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const char *const reason_names[CC_CRL_REASON_MAX] = {
	[CC_CRL_REASON_UNSPECIFIED] = "unspecified",
	[CC_CRL_REASON_KEY_COMPROMISE] = "keyCompromise",
	[CC_CRL_REASON_CA_COMPROMISE] = "cACompromise",
	[CC_CRL_REASON_AFFILIATION_CHANGED] = "affiliationChanged",
	[CC_CRL_REASON_SUPERSEDED] = "superseded",
	[CC_CRL_REASON_CESSATION_OF_OPERATION] = "cessationOfOperation",
	[CC_CRL_REASON_CERTIFICATE_HOLD] = "certificateHold",
	[CC_CRL_REASON_PRIVILEGE_WITHDRAWN] = "privilegeWithdrawn",
	[CC_CRL_REASON_AA_COMPROMISE] = "aACompromise",
};

const char *cc_crl_reason_name(enum cc_crl_reason reason)
{
	return (unsigned)reason < CC_CRL_REASON_MAX ? reason_names[reason] : NULL;
}

enum cc_crl_reason cc_crl_reason_from_string(const char *name)
{
	for (unsigned i = 0; name && i < CC_CRL_REASON_MAX; i++)
		if (reason_names[i] && strcmp(reason_names[i], name) == 0)
			return (enum cc_crl_reason)i;
	return CC_CRL_REASON_MAX;
}

static int serial_from_hex(const char *hex, ASN1_INTEGER **ret, struct cc_error *err)
{
	size_t len = hex ? strnlen(hex, CC_X509_SERIAL_HEX_MAX) : 0;
	if (len == 0 || len >= CC_X509_SERIAL_HEX_MAX || strspn(hex, "0123456789abcdefABCDEF") != len)
		return cc_error_set(err, EINVAL, "serial number must be 1-%d hex digits", CC_X509_SERIAL_HEX_MAX - 1);
	BIGNUM *bn = NULL;
	ASN1_INTEGER *serial = NULL;
	int r = 0;
	if (!BN_hex2bn(&bn, hex) || !(serial = BN_to_ASN1_INTEGER(bn, NULL)))
		r = cc_error_set(err, ENOMEM, "cannot convert serial number %s", hex);
	else if (BN_is_zero(bn))
		r = cc_error_set(err, EINVAL, "serial number 0 is not a certificate's (RFC 5280 §4.1.2.2: positive)");
	BN_free(bn);
	ERR_clear_error();
	if (r < 0) {
		ASN1_INTEGER_free(serial);
		return r;
	}
	*ret = serial;
	return 0;
}

static bool reason_valid(enum cc_crl_reason reason)
{
	return (unsigned)reason < CC_CRL_REASON_MAX && reason_names[reason];
}

static int add_entry(X509_CRL *crl, const struct cc_crl_entry *entry, struct cc_error *err)
{
	if (!reason_valid(entry->reason))
		return cc_error_set(err, EINVAL, "revocation reason %d of serial %s is not one of RFC 5280 §5.3.1's",
				    (int)entry->reason, entry->serial_hex ? entry->serial_hex : "(none)");
	ASN1_INTEGER *serial = NULL;
	int r = serial_from_hex(entry->serial_hex, &serial, err);
	if (r < 0)
		return r;
	X509_REVOKED *rev = X509_REVOKED_new();
	ASN1_TIME *when = ASN1_TIME_set(NULL, entry->revoked_at);
	ASN1_ENUMERATED *code = NULL;
	int ok =
	    rev && when && X509_REVOKED_set_serialNumber(rev, serial) && X509_REVOKED_set_revocationDate(rev, when);
	if (ok && entry->reason != CC_CRL_REASON_UNSPECIFIED)
		ok = (code = ASN1_ENUMERATED_new()) && ASN1_ENUMERATED_set(code, entry->reason) &&
		     X509_REVOKED_add1_ext_i2d(rev, NID_crl_reason, code, 0, X509V3_ADD_DEFAULT) == 1;
	if (ok && X509_CRL_add0_revoked(crl, rev))
		rev = NULL;
	else
		r = cc_error_set(err, EIO, "cannot add serial %s to the CRL", entry->serial_hex);
	X509_REVOKED_free(rev);
	ASN1_ENUMERATED_free(code);
	ASN1_TIME_free(when);
	ASN1_INTEGER_free(serial);
	return r;
}

/* Sorted by serial (as OpenSSL looks entries up); a serial listed twice is the caller's bug. */
static int sort_entries(X509_CRL *crl, struct cc_error *err)
{
	if (!X509_CRL_sort(crl))
		return cc_error_set(err, EIO, "cannot sort the CRL");
	STACK_OF(X509_REVOKED) *revoked = X509_CRL_get_REVOKED(crl);
	for (int i = 1; i < sk_X509_REVOKED_num(revoked); i++) {
		const ASN1_INTEGER *a = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i - 1));
		const ASN1_INTEGER *b = X509_REVOKED_get0_serialNumber(sk_X509_REVOKED_value(revoked, i));
		if (ASN1_INTEGER_cmp(a, b) == 0) {
			char hex[CC_X509_SERIAL_HEX_MAX] = "?";
			cc_x509_serial_hex(a, hex, NULL);
			return cc_error_set(err, EINVAL, "serial %s is listed twice", hex);
		}
	}
	return 0;
}

static int add_crl_extensions(X509_CRL *crl, X509 *issuer, uint64_t number)
{
	ASN1_INTEGER *n = ASN1_INTEGER_new();
	int ok = n && ASN1_INTEGER_set_uint64(n, number) &&
		 X509_CRL_add1_ext_i2d(crl, NID_crl_number, n, 0, X509V3_ADD_DEFAULT) == 1;
	ASN1_INTEGER_free(n);
	if (!ok)
		return -EIO;
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, NULL, NULL, crl, 0);
	X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = aki && X509_CRL_add_ext(crl, aki, -1);
	X509_EXTENSION_free(aki);
	return ok ? 0 : -EIO;
}

static int set_header(X509_CRL *crl, const struct cc_crl_request *req, X509 *issuer, struct cc_error *err)
{
	ASN1_TIME *this_update = ASN1_TIME_set(NULL, req->this_update);
	ASN1_TIME *next_update = ASN1_TIME_set(NULL, req->next_update);
	int ok = this_update && next_update && X509_CRL_set_version(crl, X509_CRL_VERSION_2) &&
		 X509_CRL_set_issuer_name(crl, X509_get_subject_name(issuer)) &&
		 X509_CRL_set1_lastUpdate(crl, this_update) && X509_CRL_set1_nextUpdate(crl, next_update);
	ASN1_TIME_free(this_update);
	ASN1_TIME_free(next_update);
	return ok ? 0 : cc_error_set(err, EIO, "cannot set up a CRL");
}

static char *crl_pem(X509_CRL *crl)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *data;
	if (bio && PEM_write_bio_X509_CRL(bio, crl)) {
		long n = BIO_get_mem_data(bio, &data);
		pem = n > 0 ? strndup(data, (size_t)n) : NULL;
	}
	BIO_free(bio);
	return pem;
}

int cc_crl_build(const struct cc_crl_request *req, X509 *issuer_cert, EVP_PKEY *issuer_key, char **ret_pem,
		 struct cc_error *err)
{
	if (req->next_update <= req->this_update)
		return cc_error_set(err, EINVAL, "CRL nextUpdate must come after thisUpdate");
	if (req->n_entries > 0 && !req->entries)
		return cc_error_set(err, EINVAL, "CRL entries missing");
	int r = cc_x509_ca_check(issuer_cert, issuer_key, req->this_update, err);
	if (r < 0)
		return cc_error_prefix(err, "CRL issuer");
	X509_CRL *crl = X509_CRL_new();
	if (!crl)
		return cc_error_set(err, ENOMEM, "out of memory building a CRL");
	r = set_header(crl, req, issuer_cert, err);
	for (size_t i = 0; r == 0 && i < req->n_entries; i++)
		r = add_entry(crl, &req->entries[i], err);
	if (r == 0)
		r = sort_entries(crl, err);
	if (r == 0 && add_crl_extensions(crl, issuer_cert, req->number) < 0)
		r = cc_error_set(err, EIO, "cannot add the CRL's number and authority key identifier");
	if (r == 0 && !X509_CRL_sign(crl, issuer_key, cc_x509_signing_md(issuer_key)))
		r = cc_error_set(err, EIO, "cannot sign the CRL");
	char *pem = r == 0 ? crl_pem(crl) : NULL;
	if (r == 0 && !pem)
		r = cc_error_set(err, ENOMEM, "cannot encode the CRL as PEM");
	X509_CRL_free(crl);
	ERR_clear_error();
	if (r < 0)
		return r;
	*ret_pem = pem;
	return 0;
}

static int decode(const unsigned char *der, size_t len, X509_CRL **ret, struct cc_error *err)
{
	const unsigned char *p = der;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)len);
	if (!crl)
		return cc_error_set(err, EINVAL, "CRL is not valid DER");
	if (p != der + len) {
		X509_CRL_free(crl);
		return cc_error_set(err, EINVAL, "CRL has %zu bytes after its end", (size_t)(der + len - p));
	}
	*ret = crl;
	return 0;
}

int cc_crl_parse(const void *data, size_t len, X509 *issuer_cert, X509_CRL **ret, struct cc_error *err)
{
	static const char *const labels[] = { "X509 CRL", NULL };
	if (len > CC_CRL_MAX)
		return cc_error_set(err, EFBIG, "CRL of %zu bytes is larger than the limit of %d bytes", len,
				    CC_CRL_MAX);
	unsigned char *der;
	size_t der_len;
	int r = cc_x509_der_of(data, len, labels, "CRL", &der, &der_len, err);
	if (r < 0)
		return r;
	X509_CRL *crl = NULL;
	r = decode(der, der_len, &crl, err);
	OPENSSL_free(der);
	if (r == 0 && X509_NAME_cmp(X509_CRL_get_issuer(crl), X509_get_subject_name(issuer_cert)) != 0)
		r = cc_error_set(err, EINVAL, "CRL is issued by another name than the CA's subject");
	if (r == 0 && X509_CRL_verify(crl, X509_get0_pubkey(issuer_cert)) != 1)
		r = cc_error_set(err, EINVAL, "CRL signature does not verify with the CA's key");
	ERR_clear_error();
	if (r < 0) {
		X509_CRL_free(crl);
		return r;
	}
	*ret = crl;
	return 0;
}

static enum cc_crl_reason reason_of(X509_REVOKED *rev)
{
	int crit;
	ASN1_ENUMERATED *code = X509_REVOKED_get_ext_d2i(rev, NID_crl_reason, &crit, NULL);
	if (!code)
		return crit == -1 ? CC_CRL_REASON_UNSPECIFIED : CC_CRL_REASON_MAX; /* -1: absent */
	long value = ASN1_ENUMERATED_get(code);
	ASN1_ENUMERATED_free(code);
	return value >= 0 && value < CC_CRL_REASON_MAX && reason_valid((enum cc_crl_reason)value)
		   ? (enum cc_crl_reason)value
		   : CC_CRL_REASON_MAX;
}

int cc_crl_lookup(X509_CRL *crl, const char *serial_hex, enum cc_crl_reason *ret_reason, time_t *ret_revoked_at,
		  struct cc_error *err)
{
	ASN1_INTEGER *serial;
	int r = serial_from_hex(serial_hex, &serial, err);
	if (r < 0)
		return r;
	X509_REVOKED *rev = NULL;
	int found = X509_CRL_get0_by_serial(crl, &rev, serial) == 1;
	ASN1_INTEGER_free(serial);
	if (found && ret_revoked_at && cc_x509_time(X509_REVOKED_get0_revocationDate(rev), ret_revoked_at, err) < 0)
		r = cc_error_prefix(err, "CRL entry %s", serial_hex);
	if (found && ret_reason)
		*ret_reason = reason_of(rev);
	ERR_clear_error();
	return r < 0 ? r : found;
}

int cc_crl_number(X509_CRL *crl, uint64_t *ret, struct cc_error *err)
{
	int crit;
	ASN1_INTEGER *n = X509_CRL_get_ext_d2i(crl, NID_crl_number, &crit, NULL);
	if (!n) {
		ERR_clear_error();
		return crit == -1 ? cc_error_set(err, ENOENT, "CRL has no cRLNumber")
				  : cc_error_set(err, EINVAL, "CRL's cRLNumber is invalid or repeated");
	}
	uint64_t value;
	int ok = ASN1_INTEGER_get_uint64(&value, n);
	ASN1_INTEGER_free(n);
	ERR_clear_error();
	if (!ok)
		return cc_error_set(err, EINVAL, "CRL's cRLNumber does not fit 64 bits");
	*ret = value;
	return 0;
}
