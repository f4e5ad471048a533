/* Pod certificate issuance (x509_leaf.h). Extensions are built as OpenSSL structures, never through
 * OpenSSL's configuration syntax ("URI:...,DNS:..."), so no requested name can smuggle in a second
 * name with a comma. Every name is checked first (x509_names.h); the checks come before any
 * allocation so that a refusal costs nothing. */
#include "lib/crypto/x509_leaf.h"

#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_ca.h"
#include "lib/crypto/x509_names.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <string.h>

static int check_extension(const struct cc_leaf_profile *p, struct cc_error *err)
{
	if (!p->extension_oid && !p->extension_der)
		return 0;
	if (!p->extension_oid || !p->extension_der || p->extension_len == 0)
		return cc_error_set(err, EINVAL, "an extra extension needs both an OID and a DER value");
	if (p->extension_len > CC_LEAF_EXTENSION_MAX)
		return cc_error_set(err, EINVAL, "extension %s of %zu bytes is larger than the limit of %d bytes",
				    p->extension_oid, p->extension_len, CC_LEAF_EXTENSION_MAX);
	/* The value must be exactly one DER TLV, as an extnValue's contents (RFC 5280 §4.1). */
	const unsigned char *q = p->extension_der;
	long len;
	int tag, class;
	int rc = ASN1_get_object(&q, &len, &tag, &class, (long)p->extension_len);
	ERR_clear_error();
	if ((rc & 0x80) || rc == 0x21 || q + len != p->extension_der + p->extension_len)
		return cc_error_set(err, EINVAL, "extension %s is not one complete DER value", p->extension_oid);
	return 0;
}

static int check_profile(const struct cc_leaf_profile *p, struct cc_error *err)
{
	if (!p->common_name || !*p->common_name)
		return cc_error_set(err, EINVAL, "a pod certificate needs a common name");
	if (p->lifetime <= 0 || p->lifetime > CC_LEAF_LIFETIME_MAX)
		return cc_error_set(err, EINVAL, "certificate lifetime %lld s is outside 1..%d s",
				    (long long)p->lifetime, CC_LEAF_LIFETIME_MAX);
	if (cc_spiffe_id_check(p->spiffe_id, err) < 0)
		return cc_error_prefix(err, "URI SAN");
	if (p->n_dns_names > CC_LEAF_DNS_MAX)
		return cc_error_set(err, EINVAL, "%zu DNS names asked for; a pod certificate holds at most %d",
				    p->n_dns_names, CC_LEAF_DNS_MAX);
	for (size_t i = 0; i < p->n_dns_names; i++)
		if (cc_dns_name_check(p->dns_names[i], err) < 0)
			return cc_error_prefix(err, "DNS SAN %zu", i + 1);
	return check_extension(p, err);
}

/* notAfter never passes the issuer's: a leaf outliving its CA would fail path validation early
 * (RFC 5280 §6.1.3 checks each certificate's validity at the time of use). */
static int set_validity(X509 *cert, X509 *issuer, int64_t lifetime, time_t now, struct cc_error *err)
{
	time_t issuer_end;
	if (cc_x509_time(X509_get0_notAfter(issuer), &issuer_end, err) < 0)
		return cc_error_prefix(err, "issuing CA notAfter");
	time_t end = now + (time_t)lifetime;
	if (end > issuer_end)
		end = issuer_end;
	if (!ASN1_TIME_set(X509_getm_notBefore(cert), now - CC_LEAF_SKEW) ||
	    !ASN1_TIME_set(X509_getm_notAfter(cert), end))
		return cc_error_set(err, EIO, "cannot set the certificate's validity");
	return 0;
}

static int add_fixed_extensions(X509 *cert, X509 *issuer)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	EXTENDED_KEY_USAGE *eku = sk_ASN1_OBJECT_new_null();
	int ok = bc && ku && eku && ASN1_BIT_STRING_set_bit(ku, 0, 1) /* digitalSignature */ &&
		 sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth)) &&
		 sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth)) &&
		 X509_add1_ext_i2d(cert, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) == 1 &&
		 X509_add1_ext_i2d(cert, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) == 1 &&
		 X509_add1_ext_i2d(cert, NID_ext_key_usage, eku, 0, X509V3_ADD_DEFAULT) == 1;
	BASIC_CONSTRAINTS_free(bc);
	ASN1_BIT_STRING_free(ku);
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	if (!ok)
		return -EIO;
	/* Key identifiers (RFC 5280 §4.2.1.1-2): the subject's from its key, the authority's from the
	 * issuer's subjectKeyIdentifier, which chain builders match on when a CA is rotated. */
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	X509_EXTENSION *ski = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_EXTENSION *aki = X509V3_EXT_conf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
	ok = ski && aki && X509_add_ext(cert, ski, -1) && X509_add_ext(cert, aki, -1);
	X509_EXTENSION_free(ski);
	X509_EXTENSION_free(aki);
	return ok ? 0 : -EIO;
}

static int push_name(GENERAL_NAMES *names, int type, const char *value)
{
	GENERAL_NAME *name = GENERAL_NAME_new();
	ASN1_IA5STRING *ia5 = ASN1_IA5STRING_new();
	if (!name || !ia5 || !ASN1_STRING_set(ia5, value, (int)strlen(value))) {
		GENERAL_NAME_free(name);
		ASN1_IA5STRING_free(ia5);
		return -ENOMEM;
	}
	GENERAL_NAME_set0_value(name, type, ia5);
	if (!sk_GENERAL_NAME_push(names, name)) {
		GENERAL_NAME_free(name);
		return -ENOMEM;
	}
	return 0;
}

/* Non-critical: the subject is not empty (RFC 5280 §4.2.1.6). */
static int add_subject_alt_names(X509 *cert, const struct cc_leaf_profile *p)
{
	GENERAL_NAMES *names = sk_GENERAL_NAME_new_null();
	int r = names ? push_name(names, GEN_URI, p->spiffe_id) : -ENOMEM;
	for (size_t i = 0; r == 0 && i < p->n_dns_names; i++)
		r = push_name(names, GEN_DNS, p->dns_names[i]);
	if (r == 0 && X509_add1_ext_i2d(cert, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		r = -EIO;
	GENERAL_NAMES_free(names);
	return r;
}

static int add_extra_extension(X509 *cert, const struct cc_leaf_profile *p, struct cc_error *err)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(p->extension_oid, 1);
	if (!oid)
		return cc_error_set(err, EINVAL, "`%s` is not a dotted OID", p->extension_oid);
	if (OBJ_obj2nid(oid) != NID_undef) {
		ASN1_OBJECT_free(oid);
		return cc_error_set(err, EINVAL,
				    "OID %s names an extension the profile sets or OpenSSL knows; use a private OID",
				    p->extension_oid);
	}
	ASN1_OCTET_STRING *value = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	int ok = value && ASN1_OCTET_STRING_set(value, p->extension_der, (int)p->extension_len) &&
		 (ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, value)) && X509_add_ext(cert, ext, -1);
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(value);
	ASN1_OBJECT_free(oid);
	return ok ? 0 : cc_error_set(err, EIO, "cannot add extension %s", p->extension_oid);
}

static int build(X509 *cert, const struct cc_leaf_profile *p, EVP_PKEY *subject_key, X509 *issuer, time_t now,
		 struct cc_error *err)
{
	if (!X509_set_version(cert, X509_VERSION_3) || !X509_set_pubkey(cert, subject_key) ||
	    !X509_set_issuer_name(cert, X509_get_subject_name(issuer)))
		return cc_error_set(err, EIO, "cannot set up a certificate");
	if (!X509_NAME_add_entry_by_txt(X509_get_subject_name(cert), "CN", MBSTRING_UTF8,
					(const unsigned char *)p->common_name, -1, -1, 0))
		return cc_error_set(err, EINVAL, "common name `%s` is not valid UTF-8 of 1-64 characters",
				    p->common_name);
	int r = cc_x509_set_random_serial(cert, err);
	if (r == 0)
		r = set_validity(cert, issuer, p->lifetime, now, err);
	if (r == 0 && add_fixed_extensions(cert, issuer) < 0)
		r = cc_error_set(
		    err, EIO, "cannot add the profile's extensions (does the issuing CA have a subjectKeyIdentifier?)");
	if (r == 0 && add_subject_alt_names(cert, p) < 0)
		r = cc_error_set(err, EIO, "cannot add the subjectAltName extension");
	if (r == 0 && p->extension_oid)
		r = add_extra_extension(cert, p, err);
	return r;
}

int cc_x509_leaf_issue(const struct cc_leaf_profile *profile, EVP_PKEY *subject_key, X509 *issuer_cert,
		       EVP_PKEY *issuer_key, time_t now, X509 **ret, struct cc_error *err)
{
	int r = check_profile(profile, err);
	if (r < 0)
		return r;
	if (!cc_x509_signing_md(subject_key))
		return cc_error_set(err, EINVAL, "the subject key is not EC P-256 or P-384");
	r = cc_x509_ca_check(issuer_cert, issuer_key, now, err);
	if (r < 0)
		return cc_error_prefix(err, "issuing CA");
	X509 *cert = X509_new();
	if (!cert)
		return cc_error_set(err, ENOMEM, "out of memory issuing a certificate");
	r = build(cert, profile, subject_key, issuer_cert, now, err);
	if (r == 0 && !X509_sign(cert, issuer_key, cc_x509_signing_md(issuer_key)))
		r = cc_error_set(err, EIO, "cannot sign the certificate for `%s`", profile->spiffe_id);
	ERR_clear_error();
	if (r < 0) {
		X509_free(cert);
		return r;
	}
	*ret = cert;
	return 0;
}
