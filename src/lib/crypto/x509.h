/* Minting X.509 certificates: a local CA and the server and client certificates signed by it.
 * cocoond uses this to bootstrap mutual TLS on first start (like kubeadm's certificate phase), and
 * tests use it to build trust setups, including deliberately wrong ones. Keys are ECDSA P-256. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cc_error;

enum cc_cert_usage {
	CC_CERT_CA,
	CC_CERT_SERVER,
	CC_CERT_CLIENT,
	CC_CERT_USAGE_MAX, /* invalid */
};

struct cc_cert_request {
	enum cc_cert_usage usage;
	const char *common_name;
	const char *organization;      /* optional; RBAC maps O= to groups, as Kubernetes does */
	const char *subject_alt_names; /* optional, OpenSSL syntax: "DNS:localhost,IP:127.0.0.1" */
	int days;
};

/* Issues a certificate with a fresh key. issuer_cert/issuer_key NULL makes it self-signed. */
int cc_x509_issue(const struct cc_cert_request *req, X509 *issuer_cert, EVP_PKEY *issuer_key, X509 **ret_cert,
		  EVP_PKEY **ret_key, struct cc_error *err);

/* PEM files: certificates world-readable, keys 0600 (written atomically). */
int cc_x509_write_cert(const char *path, X509 *cert, struct cc_error *err);
int cc_x509_write_key(const char *path, EVP_PKEY *key, struct cc_error *err);
int cc_x509_read_cert(const char *path, X509 **ret, struct cc_error *err);
int cc_x509_read_key(const char *path, EVP_PKEY **ret, struct cc_error *err);

/* Helpers shared by the certificate and CRL builders (x509_leaf, x509_ca, crl). */

/* The digest a signature by key uses: SHA-256 for P-256 and SHA-384 for P-384 (RFC 5480 §4: the hash
 * sized to the curve). NULL for any other key: the mTLS issuer signs with ECDSA only. */
const EVP_MD *cc_x509_signing_md(EVP_PKEY *key);

/* A fresh serial number of 128 random bits, positive and never zero (RFC 5280 §4.1.2.2 allows 20
 * octets; brokers sharing one store pick serials independently, so they must not collide). */
int cc_x509_set_random_serial(X509 *cert, struct cc_error *err);

/* A serial number as lower-case hex, two digits per octet (at most 20 octets, RFC 5280 §4.1.2.2):
 * the form the broker's records and the CRL builder take, and openssl's `x509 -serial` in lower case. */
#define CC_X509_SERIAL_HEX_MAX 41
int cc_x509_serial_hex(const ASN1_INTEGER *serial, char out[CC_X509_SERIAL_HEX_MAX], struct cc_error *err);

/* An ASN1_TIME (UTCTime or GeneralizedTime) as seconds since the epoch. */
int cc_x509_time(const ASN1_TIME *t, time_t *ret, struct cc_error *err);

/* One certificate, PEM or DER, of at most CC_X509_CERT_MAX bytes, with nothing after it: what an
 * administrator hands the broker as its issuing CA. */
#define CC_X509_CERT_MAX (64 * 1024)
int cc_x509_parse_cert(const void *data, size_t len, X509 **ret, struct cc_error *err);

/* The DER bytes of input that is either DER or one PEM block labelled with one of labels (a NULL-ended
 * list), so that every parser below decodes the same bytes whichever form arrived. *ret_der is
 * allocated with OPENSSL_malloc (free with OPENSSL_free). what names the input in messages. */
int cc_x509_der_of(const void *data, size_t len, const char *const *labels, const char *what, unsigned char **ret_der,
		   size_t *ret_len, struct cc_error *err);
