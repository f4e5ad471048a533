/* CSR parsing, verification and making with OpenSSL 3. The parser is the broker's first contact with
 * a requester's bytes, so it decodes strict DER (PEM is unwrapped to DER first, trailing bytes are
 * refused) and checks the key type before it spends a signature verification. */
#include "lib/crypto/csr.h"

#include "lib/base/error.h"
#include "lib/crypto/x509.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

void cc_csr_free(struct cc_csr *csr)
{
	if (!csr)
		return;
	X509_REQ_free(csr->req);
	EVP_PKEY_free(csr->key);
	free(csr);
}

static int der_sha384(const X509_PUBKEY *spki, EVP_PKEY *key, uint8_t out[CC_SPKI_DIGEST_SIZE], struct cc_error *err)
{
	unsigned char *der = NULL;
	int len = spki ? i2d_X509_PUBKEY(spki, &der) : i2d_PUBKEY(key, &der);
	if (len <= 0) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "cannot encode the public key as SubjectPublicKeyInfo");
	}
	SHA384(der, (size_t)len, out);
	OPENSSL_free(der);
	return 0;
}

int cc_spki_sha384(EVP_PKEY *key, uint8_t out[CC_SPKI_DIGEST_SIZE], struct cc_error *err)
{
	return der_sha384(NULL, key, out, err);
}

/* RFC 5480 §2.1.1: PKIX keys name their curve; explicit parameters are refused, and so is every
 * curve but P-256, which is what the runner makes and what the design promises peers. */
static int check_key(X509_REQ *req, struct cc_error *err)
{
	X509_PUBKEY *spki = X509_REQ_get_X509_PUBKEY(req);
	ASN1_OBJECT *alg = NULL;
	X509_ALGOR *algor = NULL;
	if (!spki || !X509_PUBKEY_get0_param(&alg, NULL, NULL, &algor, spki))
		return cc_error_set(err, EINVAL, "CSR has no public key");
	int nid = OBJ_obj2nid(alg);
	if (nid != NID_X9_62_id_ecPublicKey) {
		char name[80];
		OBJ_obj2txt(name, sizeof(name), alg, 0);
		return cc_error_set(err, EINVAL,
				    "CSR key is %s; only EC P-256 keys are accepted (openssl req -newkey ec -pkeyopt "
				    "ec_paramgen_curve:P-256)",
				    name);
	}
	int ptype;
	const void *pval;
	X509_ALGOR_get0(NULL, &ptype, &pval, algor);
	if (ptype != V_ASN1_OBJECT || OBJ_obj2nid(pval) != NID_X9_62_prime256v1)
		return cc_error_set(err, EINVAL,
				    "CSR key is EC on a curve other than P-256 (or with explicit parameters); only the "
				    "named curve P-256 is accepted");
	return 0;
}

/* ECDSA with SHA-1 would still verify; refuse it and anything that is not ECDSA. */
static int check_signature_algorithm(X509_REQ *req, struct cc_error *err)
{
	int nid = X509_REQ_get_signature_nid(req);
	if (nid == NID_ecdsa_with_SHA256 || nid == NID_ecdsa_with_SHA384 || nid == NID_ecdsa_with_SHA512)
		return 0;
	return cc_error_set(err, EINVAL, "CSR is signed with %s; ECDSA with SHA-256, SHA-384 or SHA-512 is required",
			    nid == NID_undef ? "an unknown algorithm" : OBJ_nid2ln(nid));
}

static int decode(const unsigned char *der, size_t len, X509_REQ **ret, struct cc_error *err)
{
	const unsigned char *p = der;
	X509_REQ *req = d2i_X509_REQ(NULL, &p, (long)len);
	if (!req)
		return cc_error_set(err, EINVAL, "CSR is not a valid DER PKCS#10 request");
	if (p != der + len) {
		X509_REQ_free(req);
		return cc_error_set(err, EINVAL, "CSR has %zu bytes after its end", (size_t)(der + len - p));
	}
	if (X509_REQ_get_version(req) != X509_REQ_VERSION_1) {
		X509_REQ_free(req);
		return cc_error_set(err, EINVAL, "CSR version is not 1 (RFC 2986 §4.1)");
	}
	*ret = req;
	return 0;
}

int cc_csr_parse(const void *data, size_t len, struct cc_csr **ret, struct cc_error *err)
{
	static const char *const labels[] = { "CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST", NULL };
	if (len > CC_CSR_MAX)
		return cc_error_set(err, EFBIG, "CSR of %zu bytes is larger than the limit of %d bytes", len,
				    CC_CSR_MAX);
	unsigned char *der = NULL;
	size_t der_len;
	int r = cc_x509_der_of(data, len, labels, "CSR", &der, &der_len, err);
	if (r < 0)
		return r;
	_cleanup_(cc_csr_freep) struct cc_csr *csr = calloc(1, sizeof(*csr));
	if (!csr) {
		OPENSSL_free(der);
		return cc_error_set(err, ENOMEM, "out of memory parsing a CSR");
	}
	r = decode(der, der_len, &csr->req, err);
	OPENSSL_free(der);
	if (r == 0)
		r = check_key(csr->req, err);
	if (r == 0)
		r = check_signature_algorithm(csr->req, err);
	if (r == 0 && !(csr->key = X509_REQ_get_pubkey(csr->req)))
		r = cc_error_set(err, EINVAL, "CSR public key is not a valid P-256 point");
	if (r == 0 && X509_REQ_verify(csr->req, csr->key) != 1)
		r = cc_error_set(err, EINVAL,
				 "CSR signature does not verify with its own key (no proof of possession)");
	if (r == 0)
		r = der_sha384(X509_REQ_get_X509_PUBKEY(csr->req), NULL, csr->spki_sha384, err);
	ERR_clear_error();
	if (r < 0)
		return r;
	*ret = CC_TAKE_PTR(csr);
	return 0;
}

/* RFC 2985 §5.4.2: the extensionRequest attribute carries the extensions the CA is asked for. */
static int add_ca_request(X509_REQ *req)
{
	static const struct {
		int nid;
		const char *value;
	} wanted[] = {
		{ NID_basic_constraints, "critical,CA:TRUE" },
		{ NID_key_usage, "critical,keyCertSign,cRLSign" },
	};
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	int r = exts ? 0 : -ENOMEM;
	for (size_t i = 0; r == 0 && i < CC_ARRAY_SIZE(wanted); i++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, NULL, wanted[i].nid, wanted[i].value);
		if (!ext || !sk_X509_EXTENSION_push(exts, ext)) {
			X509_EXTENSION_free(ext);
			r = -EIO;
		}
	}
	if (r == 0 && !X509_REQ_add_extensions(req, exts))
		r = -EIO;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	return r;
}

static char *to_pem(X509_REQ *req)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *pem = NULL, *data;
	if (bio && PEM_write_bio_X509_REQ(bio, req)) {
		long n = BIO_get_mem_data(bio, &data);
		pem = n > 0 ? strndup(data, (size_t)n) : NULL;
	}
	BIO_free(bio);
	return pem;
}

int cc_csr_make(EVP_PKEY *key, const char *common_name, bool ca, char **ret_pem, struct cc_error *err)
{
	const EVP_MD *md = cc_x509_signing_md(key);
	if (!md)
		return cc_error_set(err, EINVAL, "a CSR needs an EC P-256 or P-384 key");
	if (!common_name || !*common_name)
		return cc_error_set(err, EINVAL, "a CSR needs a common name");
	X509_REQ *req = X509_REQ_new();
	int r = 0;
	if (!req || !X509_REQ_set_version(req, X509_REQ_VERSION_1) || !X509_REQ_set_pubkey(req, key))
		r = cc_error_set(err, EIO, "cannot build a CSR");
	else if (!X509_NAME_add_entry_by_txt(X509_REQ_get_subject_name(req), "CN", MBSTRING_UTF8,
					     (const unsigned char *)common_name, -1, -1, 0))
		r = cc_error_set(err, EINVAL, "CSR common name `%s` is not valid UTF-8 of 1-64 characters",
				 common_name);
	else if (ca && add_ca_request(req) < 0)
		r = cc_error_set(err, EIO, "cannot add the CA extensions to a CSR");
	else if (!X509_REQ_sign(req, key, md))
		r = cc_error_set(err, EINVAL, "cannot sign a CSR (is the key private?)");
	char *pem = r == 0 ? to_pem(req) : NULL;
	if (r == 0 && !pem)
		r = cc_error_set(err, ENOMEM, "cannot encode a CSR as PEM");
	X509_REQ_free(req);
	ERR_clear_error();
	if (r < 0)
		return r;
	*ret_pem = pem;
	return 0;
}
