/* Minting X.509 certificates: a local CA and the server and client certificates signed by it.
 * cocoond uses this to bootstrap mutual TLS on first start (like kubeadm's certificate phase), and
 * tests use it to build trust setups, including deliberately wrong ones. Keys are ECDSA P-256. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stdbool.h>

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
