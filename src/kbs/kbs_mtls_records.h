/* The records of pod certificates in the state store (docs/design/pod-mtls.md, "Revocation"), shared
 * by every broker on one store:
 *
 *   kbs/<tenant>/mtls/issued/<serial>  one per certificate, written at issuance (kbs_mtls_issue.c):
 *                                      {uid, namespace, pod, serviceAccount, node, jti, notAfter,
 *                                      spiffeId, ca (the issuing CA's generation, kbs_mtls_ca.h; 1
 *                                      when absent: records from before rotation)}; a revocation adds
 *                                      {revokedAt, reason, revokedBy}
 *   kbs/<tenant>/mtls/ear/<jti>        the signed EAR a certificate's attestation extension cites
 *
 * A revocation rewrites the record with a compare-and-swap on its revision, so two brokers revoking
 * the same serial agree on the first time and reason. The sweep removes records, and EARs no record
 * cites any more, once their certificates expired more than the audit retention ago. */
#pragma once

#include "lib/crypto/crl.h"
#include "lib/crypto/x509.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <time.h>

struct cc_error;
struct cc_store;

/* How long records and kept EARs outlive their certificates: an auditor can still check an
 * extension against its EAR for a day after the certificate expired. */
#define KBS_MTLS_RETENTION_DEFAULT (24 * 3600)

/* A serial as the node or an administrator writes it: 2 to 40 hex digits, an even number of them;
 * *out (CC_X509_SERIAL_HEX_MAX bytes) is the lower-case form the records are named by. -EINVAL
 * otherwise. */
int kbs_mtls_serial_normalize(const char *text, char out[CC_X509_SERIAL_HEX_MAX], struct cc_error *err);

/* The record of a serial (normalized); -ENOENT when the tenant issued no such certificate. */
int kbs_mtls_record_get(struct cc_store *store, const char *tenant, const char *serial, json_t **ret,
			struct cc_error *err);

/* Marks the serial's record revoked at now, for reason, by `by` (who, for the record: "node n1",
 * "broker", "admin alice"). Returns 1 when revoked now, 0 when it already was (the first
 * revocation's time and reason stay), -ENOENT for an unknown serial. */
int kbs_mtls_record_revoke(struct cc_store *store, const char *tenant, const char *serial, enum cc_crl_reason reason,
			   const char *by, time_t now, struct cc_error *err);

/* Revokes every unexpired, unrevoked certificate of node in tenant (only those of pod uid when it is
 * not NULL). Appends each serial revoked now to revoked (a JSON array). Returns how many were
 * revoked; on an error midway those revoked so far stay revoked (revocation is idempotent: ask
 * again). */
int kbs_mtls_revoke_node(struct cc_store *store, const char *tenant, const char *node, const char *uid,
			 enum cc_crl_reason reason, const char *by, time_t now, json_t *revoked, struct cc_error *err);

/* What a pass over the tenant's records found for its CRL: the revoked certificates that have not
 * expired yet, serials ascending. */
struct kbs_mtls_revoked {
	char serial[CC_X509_SERIAL_HEX_MAX];
	time_t revoked_at;
	enum cc_crl_reason reason;
	unsigned issuer; /* the generation of the CA that issued it: its CRL lists it */
};

struct kbs_mtls_scan {
	struct kbs_mtls_revoked *revoked;
	size_t n_revoked;
	unsigned oldest_live_issuer;          /* the oldest CA generation with an unexpired, unrevoked
					       * certificate; 0 when there is none */
	size_t removed_records, removed_ears; /* by the sweep */
};

/* Lists the tenant's records for a CRL at now; with sweep, also removes records whose notAfter is
 * more than retention seconds before now, and the EARs no remaining record cites that were kept
 * before that as well. Free with kbs_mtls_scan_free. */
int kbs_mtls_records_scan(struct cc_store *store, const char *tenant, time_t now, bool sweep, time_t retention,
			  struct kbs_mtls_scan *ret, struct cc_error *err);
void kbs_mtls_scan_free(struct kbs_mtls_scan *scan);
