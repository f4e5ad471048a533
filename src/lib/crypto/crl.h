/* Certificate revocation lists (RFC 5280 §5) for pod certificates: the issuing CA signs one per
 * tenant, cocoond copies it into each pod, and peers check it (`X509_V_FLAG_CRL_CHECK`,
 * `openssl s_client -crl_check`). Short lifetimes do most of revocation; the CRL covers the rest. */
#pragma once

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

struct cc_error;

/* RFC 5280 §5.3.1 CRLReason; 7 is unassigned and removeFromCRL belongs to delta CRLs (not built). */
enum cc_crl_reason {
	CC_CRL_REASON_UNSPECIFIED = 0, /* written as no reasonCode, as §5.3.1 asks */
	CC_CRL_REASON_KEY_COMPROMISE = 1,
	CC_CRL_REASON_CA_COMPROMISE = 2,
	CC_CRL_REASON_AFFILIATION_CHANGED = 3,
	CC_CRL_REASON_SUPERSEDED = 4,
	CC_CRL_REASON_CESSATION_OF_OPERATION = 5,
	CC_CRL_REASON_CERTIFICATE_HOLD = 6,
	CC_CRL_REASON_PRIVILEGE_WITHDRAWN = 9,
	CC_CRL_REASON_AA_COMPROMISE = 10,
	CC_CRL_REASON_MAX, /* invalid */
};

/* RFC 5280's names ("keyCompromise", "cessationOfOperation", ...), as the revoke APIs take them. */
const char *cc_crl_reason_name(enum cc_crl_reason reason);
enum cc_crl_reason cc_crl_reason_from_string(const char *name);

struct cc_crl_entry {
	const char *serial_hex; /* as cc_x509_serial_hex writes it (upper case is accepted too) */
	time_t revoked_at;
	enum cc_crl_reason reason;
};

struct cc_crl_request {
	const struct cc_crl_entry *entries;
	size_t n_entries;
	uint64_t number; /* the cRLNumber, increasing with each CRL (§5.2.3) */
	time_t this_update;
	time_t next_update; /* after this_update */
};

/* Builds a v2 CRL signed by issuer_key (checked with cc_x509_ca_check at this_update) with the
 * issuer's name, cRLNumber and authorityKeyIdentifier, as PEM (*ret_pem malloc'ed). */
int cc_crl_build(const struct cc_crl_request *req, X509 *issuer_cert, EVP_PKEY *issuer_key, char **ret_pem,
		 struct cc_error *err);

/* The largest CRL accepted: some 40 bytes per entry, so over 20,000 revoked serials. */
#define CC_CRL_MAX (1024 * 1024)

/* Parses a CRL (PEM `X509 CRL` or DER, nothing after it) and verifies that issuer_cert signed it:
 * issuer name and signature. Does not judge its dates: the caller knows its clock. */
int cc_crl_parse(const void *data, size_t len, X509 *issuer_cert, X509_CRL **ret, struct cc_error *err);

/* 1 when serial_hex is listed (with its reason and time when asked for), 0 when not, -EINVAL for a
 * malformed serial. */
int cc_crl_lookup(X509_CRL *crl, const char *serial_hex, enum cc_crl_reason *ret_reason, time_t *ret_revoked_at,
		  struct cc_error *err);

/* The cRLNumber; -ENOENT when the CRL has none. */
int cc_crl_number(X509_CRL *crl, uint64_t *ret, struct cc_error *err);
