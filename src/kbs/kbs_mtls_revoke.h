/* Revoking pod certificates (docs/design/pod-mtls.md, "Revocation"; build step 4). Three ways:
 *
 *   the node       POST /kbs/v0/mtls/revoke  with the kbs-session-id cookie of a session that attested
 *                  with authentic TPM evidence, whatever the verdict (revoking only removes access),
 *                  and {"serials": [hex, ...] (1-256), "reason": RFC 5280 name (cessationOfOperation)}
 *                  -> 200 {"revoked": [the serials, lower case]}. Only certificates whose record names
 *                  the session's node: another's is 403 NotYourCertificate naming the first such
 *                  serial, an unknown one 404 CertificateNotFound, and then nothing is revoked. A
 *                  serial revoked already is fine (its first time and reason stay).
 *   an admin       POST /kbs/v0/admin/<tenant>/mtls/revoke  {"serial": hex} or {"node": name}, and
 *                  an optional "reason" (unspecified) -> 200 {"revoked": [serials]}: for a serial
 *                  that serial (404 when unknown), for a node those it had unrevoked and unexpired
 *   the broker     when a node's evidence is authentic (its TPM's signature over this session's
 *                  nonce) but its log does not replay or its claims fail the tenant's policy
 *                  (kbs.c), with reason privilegeWithdrawn
 *
 * Each certificate revoked, and each refusal, is a `kbs.mtls.revoke` event (verdict, reason, serial,
 * node, who); the tenant's cached CRL is marked stale before the answer, so the next CRL lists it. */
#pragma once

#include "lib/crypto/crl.h"
#include "lib/crypto/x509.h"
#include "lib/net/http.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct kbs;

#define KBS_MTLS_REVOKE_SERIALS_MAX 256
#define KBS_MTLS_REVOKE_BODY_MAX    (24 * 1024) /* 256 serials of 40 digits with their quotes */

struct kbs_mtls_revoke_request {
	char (*serials)[CC_X509_SERIAL_HEX_MAX]; /* normalized (lower case), without repeats */
	size_t n_serials;
	char node[64]; /* admin: {"node"} instead of serials */
	enum cc_crl_reason reason;
};

/* The node's body {"serials": [...], "reason"}: 1 to KBS_MTLS_REVOKE_SERIALS_MAX serials of
 * kbs_mtls_serial_normalize's form, a reason named as RFC 5280 §5.3.1 does (cessationOfOperation
 * when absent), nothing else. -EINVAL naming the field otherwise. */
int kbs_mtls_revoke_request_parse(const char *data, size_t len, struct kbs_mtls_revoke_request *ret,
				  struct cc_error *err);
/* The administrator's body: exactly one of {"serial": hex} and {"node": name}, and "reason"
 * (unspecified when absent). */
int kbs_mtls_admin_revoke_parse(const char *data, size_t len, struct kbs_mtls_revoke_request *ret,
				struct cc_error *err);
void kbs_mtls_revoke_request_free(struct kbs_mtls_revoke_request *req);

/* The broker's own revocation: every unexpired certificate of node in tenant (only those of pod uid
 * when uid is not NULL), reason privilegeWithdrawn, each an event with `why` (the failed check). How
 * many were revoked; a store error is logged and recorded, never answered (the attestation's answer
 * stands). */
int kbs_mtls_revoke_failed_node(struct kbs *kbs, const char *tenant, const char *node, const char *uid,
				const char *why);

/* After evidence the verifier refused: when its quote still verifies on its own (the node's TPM
 * signed this session's binding; what failed is the log's replay), the node's certificates go. */
void kbs_mtls_revoke_if_authentic(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
				  const uint8_t binding[48], const char *reason);
/* After verified TPM evidence the tenant's policy refused (runtime: the session's runtime data): the
 * named pod's certificates (cocoon-pod), or the node's when a rule on its own claims failed. */
void kbs_mtls_revoke_if_failed(struct kbs *kbs, const char *tenant, const json_t *runtime, const json_t *evidence,
			       const json_t *appraisal, const char *reason);

/* POST /kbs/v0/mtls/revoke; userdata is the struct kbs. */
void kbs_mtls_handle_revoke(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);

/* POST /kbs/v0/admin/<tenant>/mtls/revoke, after the admin API admitted actor (kbs_admin.c). */
void kbs_mtls_admin_revoke(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
			   const char *tenant, const char *actor);
