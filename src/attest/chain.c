/* Certificate chain checks for attestation evidence (see chain.h). */
#include "attest/chain.h"

#include "attest/verifier.h"
#include "lib/base/error.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdbool.h>

static bool self_signed(X509 *cert)
{
	return X509_check_issued(cert, cert) == X509_V_OK;
}

int attest_pem_certificates(const char *pem, size_t len, STACK_OF(X509) * *ret, struct cc_error *err)
{
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	STACK_OF(X509) *certs = sk_X509_new_null();
	if (!bio || !certs) {
		BIO_free(bio);
		sk_X509_free(certs);
		return cc_error_set(err, ENOMEM, "cannot read certificates");
	}
	X509 *cert;
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL)))
		if (!sk_X509_push(certs, cert))
			X509_free(cert);
	BIO_free(bio);
	if (sk_X509_num(certs) == 0) {
		sk_X509_free(certs);
		return cc_error_set(err, EINVAL, "no PEM certificate found");
	}
	*ret = certs;
	return 0;
}

static int add_anchors(X509_STORE *store, const struct attest_chain_options *o, struct cc_error *err)
{
	STACK_OF(X509) * certs;
	if (attest_pem_certificates(o->anchors_pem, o->anchors_len, &certs, err) < 0)
		return cc_error_prefix(err, "trust anchors");
	int anchors = 0;
	for (int i = 0; i < sk_X509_num(certs); i++)
		if (self_signed(sk_X509_value(certs, i)) && X509_STORE_add_cert(store, sk_X509_value(certs, i)) == 1)
			anchors++;
	sk_X509_pop_free(certs, X509_free);
	if (anchors == 0)
		return cc_error_set(err, EINVAL, "the trust anchors hold no self-signed root certificate");
	return 0;
}

/* One revocation list file: a DER CRL or any number of PEM CRLs. */
static int add_crls(X509_STORE *store, const struct attest_blob *blob, size_t index, struct cc_error *err)
{
	int added = 0;
	const unsigned char *p = blob->data;
	X509_CRL *crl = d2i_X509_CRL(NULL, &p, (long)blob->len);
	if (crl) {
		added += X509_STORE_add_crl(store, crl) == 1;
		X509_CRL_free(crl);
	} else {
		BIO *bio = BIO_new_mem_buf(blob->data, (int)blob->len);
		while (bio && (crl = PEM_read_bio_X509_CRL(bio, NULL, NULL, NULL))) {
			added += X509_STORE_add_crl(store, crl) == 1;
			X509_CRL_free(crl);
		}
		BIO_free(bio);
	}
	if (added == 0)
		return cc_error_set(err, EINVAL, "revocation list %zu holds no CRL (DER or PEM expected)", index + 1);
	return 0;
}

int attest_chain_verify(X509 *leaf, STACK_OF(X509) * intermediates, const struct attest_chain_options *o,
			const char *what, struct cc_error *err)
{
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = 0;
	if (!store || !untrusted || !ctx) {
		r = cc_error_set(err, ENOMEM, "cannot set up the certificate check");
		goto out;
	}
	if ((r = add_anchors(store, o, err)) < 0)
		goto out;
	for (int i = 0; intermediates && i < sk_X509_num(intermediates); i++)
		if (!self_signed(sk_X509_value(intermediates, i)))
			sk_X509_push(untrusted, sk_X509_value(intermediates, i));
	for (size_t i = 0; i < o->n_crls; i++)
		if ((r = add_crls(store, &o->crls[i], i, err)) < 0)
			goto out;
	if (o->n_crls > 0)
		X509_STORE_set_flags(store, X509_V_FLAG_CRL_CHECK | X509_V_FLAG_CRL_CHECK_ALL);
	X509_STORE_CTX_init(ctx, store, leaf, untrusted);
	if (o->at)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), o->at);
	if (X509_verify_cert(ctx) != 1)
		r = cc_error_set(err, EBADMSG, "the %s does not chain to the trusted root: %s", what,
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_free(untrusted); /* borrowed from intermediates */
	X509_STORE_free(store);
	return r;
}
