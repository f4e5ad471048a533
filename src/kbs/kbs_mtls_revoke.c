/* Revoking pod certificates: the bodies, the node's handler in phases (session, body, authority,
 * revocation), the administrator's, and the broker's own (see kbs_mtls_revoke.h). A refusal names
 * the serial or field at fault; nothing here logs a token or a key. */
#include "kbs/kbs_mtls_revoke.h"

#include "kbs/kbs_evidence.h"
#include "kbs/kbs_mtls_crl.h"
#include "kbs/kbs_mtls_records.h"
#include "kbs/kbs_private.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- the bodies ---- */

/* The body as JSON within its size limit, an object of the given fields only. */
static int parse_body(const char *data, size_t len, const char *const *fields, size_t n, json_t **ret,
		      struct cc_error *err)
{
	int r = cc_json_parse(data, len, KBS_MTLS_REVOKE_BODY_MAX, "revocation request", ret, err);
	if (r < 0)
		return r;
	if (!json_is_object(*ret))
		return cc_error_set(err, EINVAL, "the revocation request is a JSON object");
	const char *name;
	json_t *value;
	json_object_foreach (*ret, name, value) {
		size_t i = 0;
		while (i < n && strcmp(fields[i], name) != 0)
			i++;
		if (i == n)
			return cc_error_set(err, EINVAL, "unknown field `%.64s` in the revocation request", name);
	}
	return 0;
}

static int parse_reason(const json_t *body, enum cc_crl_reason fallback, enum cc_crl_reason *ret, struct cc_error *err)
{
	const json_t *reason = json_object_get(body, "reason");
	if (!reason) {
		*ret = fallback;
		return 0;
	}
	*ret = json_is_string(reason) ? cc_crl_reason_from_string(json_string_value(reason)) : CC_CRL_REASON_MAX;
	if (*ret == CC_CRL_REASON_MAX)
		return cc_error_set(err, EINVAL,
				    "reason must be an RFC 5280 §5.3.1 name (unspecified, keyCompromise, "
				    "affiliationChanged, superseded, cessationOfOperation, privilegeWithdrawn, ...)");
	return 0;
}

/* Appends serial unless it is there already. */
static int add_serial(struct kbs_mtls_revoke_request *req, const char *text, const char *field, struct cc_error *err)
{
	char serial[CC_X509_SERIAL_HEX_MAX];
	if (kbs_mtls_serial_normalize(text, serial, err) < 0)
		return cc_error_prefix(err, "%s", field);
	for (size_t i = 0; i < req->n_serials; i++)
		if (strcmp(req->serials[i], serial) == 0)
			return 0;
	memcpy(req->serials[req->n_serials++], serial, sizeof(serial));
	return 0;
}

int kbs_mtls_revoke_request_parse(const char *data, size_t len, struct kbs_mtls_revoke_request *ret,
				  struct cc_error *err)
{
	static const char *const fields[] = { "serials", "reason" };
	memset(ret, 0, sizeof(*ret));
	_cleanup_json_ json_t *body = NULL;
	int r = parse_body(data, len, fields, CC_ARRAY_SIZE(fields), &body, err);
	if (r < 0)
		return r;
	const json_t *serials = json_object_get(body, "serials");
	size_t n = json_array_size(serials), i;
	if (!json_is_array(serials) || n == 0 || n > KBS_MTLS_REVOKE_SERIALS_MAX)
		return cc_error_set(err, EINVAL, "serials must be a list of 1 to %d hex serial numbers",
				    KBS_MTLS_REVOKE_SERIALS_MAX);
	ret->serials = cc_xcalloc(n, sizeof(*ret->serials));
	const json_t *s;
	json_array_foreach (serials, i, s) {
		char field[32];
		snprintf(field, sizeof(field), "serials[%zu]", i);
		if ((r = add_serial(ret, json_string_value(s), field, err)) < 0)
			break;
	}
	if (r == 0)
		r = parse_reason(body, CC_CRL_REASON_CESSATION_OF_OPERATION, &ret->reason, err);
	if (r < 0)
		kbs_mtls_revoke_request_free(ret);
	return r;
}

int kbs_mtls_admin_revoke_parse(const char *data, size_t len, struct kbs_mtls_revoke_request *ret, struct cc_error *err)
{
	static const char *const fields[] = { "serial", "node", "reason" };
	memset(ret, 0, sizeof(*ret));
	_cleanup_json_ json_t *body = NULL;
	int r = parse_body(data, len, fields, CC_ARRAY_SIZE(fields), &body, err);
	if (r < 0)
		return r;
	const json_t *serial = json_object_get(body, "serial"), *node = json_object_get(body, "node");
	if (!serial == !node || (serial && !json_is_string(serial)) || (node && !json_is_string(node)))
		return cc_error_set(err, EINVAL, "name exactly one of `serial` (hex) and `node` (a node's name)");
	if (node) {
		if (keyring_check_name("node", json_string_value(node), err) < 0)
			return -EINVAL;
		snprintf(ret->node, sizeof(ret->node), "%s", json_string_value(node));
	} else {
		ret->serials = cc_xcalloc(1, sizeof(*ret->serials));
		if ((r = add_serial(ret, json_string_value(serial), "serial", err)) < 0) {
			kbs_mtls_revoke_request_free(ret);
			return r;
		}
	}
	if ((r = parse_reason(body, CC_CRL_REASON_UNSPECIFIED, &ret->reason, err)) < 0)
		kbs_mtls_revoke_request_free(ret);
	return r;
}

void kbs_mtls_revoke_request_free(struct kbs_mtls_revoke_request *req)
{
	free(req->serials);
	req->serials = NULL;
	req->n_serials = 0;
}

/* ---- events ---- */

/* One `kbs.mtls.revoke` event: who, the serial (or what was asked), the node, the RFC 5280 reason
 * and, for a refusal or the broker's own revocation, why. */
static void emit(const char *who, const char *tenant, const char *serial, const char *node, enum cc_crl_reason reason,
		 bool allowed, const char *why)
{
	json_t *extra = json_pack("{s:s?, s:s?, s:s?}", "serial", serial, "node", node, "revocationReason",
				  cc_crl_reason_name(reason));
	kbs_record_extra(who, "kbs.mtls.revoke", tenant,
			 serial ? serial
			 : node ? node
				: "certificate",
			 allowed, why, extra);
}

static int revoke_all(struct kbs *kbs, const char *tenant, const struct kbs_mtls_revoke_request *body, const char *by,
		      const char *who, const char *node, struct cc_error *err)
{
	time_t now = time(NULL);
	int revoked = 0, r = 0;
	for (size_t i = 0; r >= 0 && i < body->n_serials; i++) {
		r = kbs_mtls_record_revoke(kbs->cfg.store, tenant, body->serials[i], body->reason, by, now, err);
		if (r == 1) {
			revoked++;
			emit(who, tenant, body->serials[i], node, body->reason, true, NULL);
		}
	}
	/* before the answer: the node's next CRL must list what it was told is revoked */
	if (revoked && kbs_mtls_crl_invalidate(kbs->cfg.store, tenant, r < 0 ? NULL : err) < 0 && r >= 0)
		r = -EIO;
	return r < 0 ? r : revoked;
}

/* ---- the node's request ---- */

struct revocation {
	struct kbs *kbs;
	struct kbs_session s;
	bool have_session;
	const char *node; /* the session's, from its attestation */
	struct kbs_mtls_revoke_request body;
	const char *who;
	/* the refusal */
	int status;
	const char *kind;
	const char *serial; /* the one at fault, if any */
	char reason[768];
};

static int refuse(struct revocation *rv, int status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct revocation *rv, int status, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(rv->reason, sizeof(rv->reason), fmt, ap);
	va_end(ap);
	rv->status = status;
	rv->kind = kind;
	return -1;
}

/* An attested session with authentic TPM evidence that named its node; the verdict does not matter. */
static int check_session(struct revocation *rv, const struct cc_http_request *req)
{
	char id[KBS_SESSION_ID_SIZE];
	if (!kbs_session_cookie(req, id) || kbs_session_get(rv->kbs->sessions, id, &rv->s) < 0)
		return refuse(rv, 401, "UnAuthenticated",
			      "no valid kbs-session-id cookie: attest first (POST /kbs/v0/auth, then /kbs/v0/attest)");
	rv->have_session = true;
	if (!rv->s.attested || !rv->s.tee_key)
		return refuse(rv, 401, "UnAuthenticated", "this session has not attested with authentic evidence");
	rv->node = json_string_value(json_object_get(rv->s.facts, "node"));
	if (!rv->node)
		return refuse(rv, 403, "NotYourCertificate",
			      "this session's attestation named no TPM node, and only a node revokes its own "
			      "certificates");
	return 0;
}

static int check_body(struct revocation *rv, const struct cc_http_request *req)
{
	struct cc_error err = { 0 };
	if (kbs_mtls_revoke_request_parse(req->body.data ? req->body.data : "", req->body.len, &rv->body, &err) < 0)
		return refuse(rv, 400, "InvalidRequest", "%s", cc_error_message(&err));
	return 0;
}

/* All or nothing: every serial must be a certificate of this node before any is revoked. */
static int check_authority(struct revocation *rv)
{
	for (size_t i = 0; i < rv->body.n_serials; i++) {
		struct cc_error err = { 0 };
		_cleanup_json_ json_t *rec = NULL;
		rv->serial = rv->body.serials[i];
		int r = kbs_mtls_record_get(rv->kbs->cfg.store, rv->s.tenant, rv->serial, &rec, &err);
		if (r == -ENOENT)
			return refuse(rv, 404, "CertificateNotFound",
				      "tenant `%s` issued no certificate with serial %s", rv->s.tenant, rv->serial);
		if (r < 0)
			return refuse(rv, 500, "Internal", "%s", cc_error_message(&err));
		const char *owner = json_string_value(json_object_get(rec, "node"));
		if (!owner || strcmp(owner, rv->node) != 0)
			return refuse(rv, 403, "NotYourCertificate",
				      "serial %s was issued to a pod of another node, not `%s`: nothing was revoked",
				      rv->serial, rv->node);
	}
	rv->serial = NULL;
	return 0;
}

static int revoke_serials(struct revocation *rv)
{
	struct cc_error err = { 0 };
	char by[96];
	snprintf(by, sizeof(by), "node %s", rv->node);
	if (revoke_all(rv->kbs, rv->s.tenant, &rv->body, by, rv->who, rv->node, &err) < 0)
		return refuse(rv, 500, "Internal", "cannot revoke: %s (those revoked stay revoked; ask again)",
			      cc_error_message(&err));
	return 0;
}

void kbs_mtls_handle_revoke(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct revocation rv = { .kbs = userdata, .who = req->peer ? req->peer->address : NULL };
	bool ok = check_session(&rv, req) == 0 && check_body(&rv, req) == 0 && check_authority(&rv) == 0 &&
		  revoke_serials(&rv) == 0;
	if (ok) {
		json_t *list = json_array();
		for (size_t i = 0; i < rv.body.n_serials; i++)
			json_array_append_new(list, json_string(rv.body.serials[i]));
		cc_http_response_json(resp, 200, json_pack("{s:o}", "revoked", list));
	} else {
		emit(rv.who, rv.have_session ? rv.s.tenant : NULL, rv.serial, rv.node, rv.body.reason, false,
		     rv.reason);
		kbs_problem(resp, rv.status, rv.kind, "%s", rv.reason);
	}
	if (rv.have_session)
		kbs_session_release(&rv.s);
	kbs_mtls_revoke_request_free(&rv.body);
}

/* ---- the administrator's ---- */

void kbs_mtls_admin_revoke(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
			   const char *tenant, const char *actor)
{
	struct cc_error err = { 0 };
	struct kbs_mtls_revoke_request body;
	if (strcmp(req->method, "POST") != 0)
		return kbs_problem(resp, 405, "InvalidRequest", "mtls/revoke takes POST");
	if (kbs_mtls_admin_revoke_parse(req->body.data ? req->body.data : "", req->body.len, &body, &err) < 0) {
		emit(actor, tenant, NULL, NULL, CC_CRL_REASON_UNSPECIFIED, false, cc_error_message(&err));
		return kbs_problem(resp, 400, "InvalidRequest", "%s", cc_error_message(&err));
	}
	_cleanup_free_ char *by = cc_xasprintf("admin %s", actor);
	json_t *revoked = json_array();
	int r;
	if (body.node[0]) {
		r = kbs_mtls_revoke_node(kbs->cfg.store, tenant, body.node, NULL, body.reason, by, time(NULL), revoked,
					 &err);
		size_t i;
		const json_t *s;
		json_array_foreach (revoked, i, s)
			emit(actor, tenant, json_string_value(s), body.node, body.reason, true, NULL);
		if (r > 0 && kbs_mtls_crl_invalidate(kbs->cfg.store, tenant, &err) < 0)
			r = -EIO;
	} else {
		_cleanup_json_ json_t *rec = NULL;
		r = kbs_mtls_record_get(kbs->cfg.store, tenant, body.serials[0], &rec, &err);
		const char *node = json_string_value(json_object_get(rec, "node"));
		if (r == 0)
			r = revoke_all(kbs, tenant, &body, by, actor, node, &err);
		if (r >= 0)
			json_array_append_new(revoked, json_string(body.serials[0]));
	}
	if (r < 0) {
		emit(actor, tenant, body.serials ? body.serials[0] : NULL, body.node[0] ? body.node : NULL, body.reason,
		     false, cc_error_message(&err));
		kbs_problem(resp, r == -ENOENT ? 404 : 500, r == -ENOENT ? "CertificateNotFound" : "Internal", "%s",
			    cc_error_message(&err));
		json_decref(revoked);
	} else {
		cc_http_response_json(resp, 200, json_pack("{s:o}", "revoked", revoked));
	}
	kbs_mtls_revoke_request_free(&body);
}

/* ---- the broker's ---- */

int kbs_mtls_revoke_failed_node(struct kbs *kbs, const char *tenant, const char *node, const char *uid, const char *why)
{
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *revoked = json_array();
	int r = kbs_mtls_revoke_node(kbs->cfg.store, tenant, node, uid, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, "broker",
				     time(NULL), revoked, &err);
	size_t i;
	const json_t *s;
	json_array_foreach (revoked, i, s)
		emit("cocoon-kbs", tenant, json_string_value(s), node, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, true, why);
	if (json_array_size(revoked) && kbs_mtls_crl_invalidate(kbs->cfg.store, tenant, r < 0 ? NULL : &err) < 0 &&
	    r >= 0)
		r = -EIO;
	if (r < 0) {
		cc_log(CC_LOG_ERROR,
		       "kbs: revoking the certificates of node `%s` of tenant `%s` after it failed "
		       "attestation: %s",
		       node, tenant, cc_error_message(&err));
		emit("cocoon-kbs", tenant, NULL, node, CC_CRL_REASON_PRIVILEGE_WITHDRAWN, false,
		     cc_error_message(&err));
	}
	return r;
}

/* ---- after a refused attestation (kbs.c) ---- */

/* Evidence the verifier refused may still be authentic: its node's TPM signed this session's
 * binding, and what failed is the log's replay. Then the node is the one that failed, and its
 * certificates are revoked. Evidence whose quote does not verify on its own (a forged or replayed
 * quote, an unknown node) revokes nothing: anyone could send it. */
void kbs_mtls_revoke_if_authentic(struct kbs *kbs, const char *tenant, const char *tee, const json_t *evidence,
				  const uint8_t binding[48], const char *reason)
{
	const char *node = NULL;
	if (kbs_evidence_authentic_quote(kbs, tenant, tee, evidence, binding, 48, &node) == 1)
		kbs_mtls_revoke_failed_node(kbs, tenant, node, NULL, reason);
}

/* Whether claim (a rule's) judges workloads rather than the node: `pod.*` judges a pod the runtime
 * data names, `containers.*` every container the node's log holds. */
static bool workload_claim(const char *claim)
{
	return strcmp(claim, "pod") == 0 || strncmp(claim, "pod.", 4) == 0 || strcmp(claim, "containers") == 0 ||
	       strncmp(claim, "containers.", 11) == 0;
}

/* Whether a refused appraisal speaks of the node itself: a rule on a claim of its own failed (its
 * TEE, its PCRs, its clock). A session that names no pod (cocoond's own, for the CRL) fails rules on
 * workloads without saying anything of the node: any pod with an unlisted image would otherwise make
 * it revoke every certificate of the node, again each minute. */
static bool node_failed(const json_t *appraisal)
{
	size_t i;
	const json_t *rule;
	json_array_foreach (json_object_get(appraisal, "rules"), i, rule) {
		const char *claim = json_string_value(json_object_get(rule, "claim"));
		if (!json_is_true(json_object_get(rule, "ok")) && claim && !workload_claim(claim))
			return true;
	}
	return false;
}

/* Verified evidence whose claims the tenant's policy refused: its node (or the pod it named) is the
 * one that failed, and loses its certificates. A policy that judged one named pod (cocoon-pod) failed
 * that pod, not the node's others: revoking those would let anyone allowed to start a pod with an
 * unapproved image revoke every pod on the node. */
void kbs_mtls_revoke_if_failed(struct kbs *kbs, const char *tenant, const json_t *runtime, const json_t *evidence,
			       const json_t *appraisal, const char *reason)
{
	const char *node = json_string_value(json_object_get(evidence, "node"));
	const char *pod = json_string_value(json_object_get(runtime, "cocoon-pod"));
	if (node && (pod || node_failed(appraisal)))
		kbs_mtls_revoke_failed_node(kbs, tenant, node, pod, reason);
}
