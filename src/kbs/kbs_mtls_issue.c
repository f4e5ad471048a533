/* Pod certificate issuance (see kbs_mtls_issue.h). The handler runs the checks of the design in
 * order, each a phase that either passes or records why not; the first refusal is answered as a
 * problem and recorded as a `kbs.mtls.issue` event, as is every certificate issued. Nothing here
 * ever logs or answers the token or a key. */
#include "kbs/kbs_mtls_issue.h"

#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_ca.h"
#include "kbs/kbs_mtls_checks.h"
#include "kbs/kbs_mtls_rate.h"
#include "kbs/kbs_private.h"
#include "kbs/kbs_sa_token.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_leaf.h"
#include "lib/crypto/x509_names.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <openssl/pem.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DIGEST_HEX (2 * CC_ATTESTATION_DIGEST_SIZE)

int kbs_mtls_facts(const char *tee, const json_t *runtime_data, const json_t *evidence,
		   const uint8_t policy_digest[CC_ATTESTATION_DIGEST_SIZE], json_t **ret, struct cc_error *err)
{
	*ret = NULL;
	const json_t *csr = json_object_get(runtime_data, "cocoon-csr");
	const char *node = json_string_value(json_object_get(evidence, "node"));
	if (strcmp(tee, "tpm") != 0 || !node)
		return 0; /* only TPM evidence replays a log that names pods, and names its node */
	_cleanup_free_ char *canonical = cc_json_canonical(evidence);
	uint8_t digest[CC_ATTESTATION_DIGEST_SIZE];
	if (!canonical || cc_digest(CC_DIGEST_SHA384, canonical, strlen(canonical), digest, err) < 0)
		return cc_error_set(err, EIO, "cannot digest the tee-evidence");
	json_t *seqs = json_array();
	size_t i;
	const json_t *record;
	json_array_foreach (json_object_get(evidence, "measurements"), i, record) {
		const json_t *seq = json_object_get(record, "seq");
		json_array_append_new(seqs, json_is_integer(seq) ? json_incref((json_t *)seq) : json_null());
	}
	*ret = json_pack("{s:s, s:o, s:o, s:o}", "node", node, "evidenceDigest", cc_json_hex(digest, sizeof(digest)),
			 "policyDigest", cc_json_hex(policy_digest, CC_ATTESTATION_DIGEST_SIZE), "logSeq", seqs);
	if (csr)
		json_object_set(*ret, "csr", (json_t *)csr);
	return 0;
}

/* One request's way through the checks. */
struct issuance {
	struct kbs *kbs;
	struct kbs_session s;
	bool have_session;
	json_t *ear; /* the session's EAR claims */
	json_t *cfg; /* the tenant's mTLS configuration */
	struct kbs_mtls_request body;
	struct cc_csr *csr;
	struct kbs_sa_identity pod;
	bool have_pod;
	struct cc_attested_container *containers;
	size_t n_containers;
	char *spiffe_id;
	char serial[CC_X509_SERIAL_HEX_MAX];
	char not_after[40];
	char *certificate, *ca; /* PEM */
	unsigned ca_generation; /* of the CA that signs (kbs_mtls_ca.h), kept in the record */
	/* the refusal */
	int status;
	const char *kind;
	char reason[768];
	int retry_after; /* seconds, with 429 */
};

static int refuse(struct issuance *is, int status, const char *kind, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int refuse(struct issuance *is, int status, const char *kind, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(is->reason, sizeof(is->reason), fmt, ap);
	va_end(ap);
	is->status = status;
	is->kind = kind;
	return -1;
}

static const json_t *fact(const struct issuance *is, const char *name)
{
	return json_object_get(is->s.facts, name);
}

/* The session: attested with authentic evidence, affirming, and holding CSR keys its quote binds. */
static int check_session(struct issuance *is, const struct cc_http_request *req)
{
	char id[KBS_SESSION_ID_SIZE];
	if (!kbs_session_cookie(req, id) || kbs_session_get(is->kbs->sessions, id, &is->s) < 0)
		return refuse(is, 401, "UnAuthenticated",
			      "no valid kbs-session-id cookie: attest first (POST /kbs/v0/auth, then /kbs/v0/attest)");
	is->have_session = true;
	if (!is->s.attested || !is->s.tee_key || !is->s.token)
		return refuse(is, 401, "UnAuthenticated", "this session has not attested with authentic evidence");
	if (!is->s.affirming)
		return refuse(is, 403, "PolicyDeny",
			      "the attestation of this session did not meet tenant `%s`'s policy (contraindicated), "
			      "so it vouches for no pod",
			      is->s.tenant);
	if (!fact(is, "csr"))
		return refuse(is, 403, "CsrNotBound",
			      "this session's attestation bound no CSR keys: pod certificates need TPM evidence whose "
			      "runtime data lists the CSRs' SPKI digests (cocoon-csr)");
	struct cc_error err = { 0 };
	if (cc_jose_jwt_verify_es256(is->kbs->cfg.token_key, is->s.token, &is->ear, &err) < 0)
		return refuse(is, 401, "UnAuthenticated", "this session's EAR: %s; attest again",
			      cc_error_message(&err));
	return 0;
}

static int check_config(struct issuance *is)
{
	struct cc_error err = { 0 };
	int r = kbs_mtls_config_get(is->kbs->cfg.store, is->s.tenant, &is->cfg, &err);
	if (r == -ENOENT)
		return refuse(is, 403, "MtlsNotConfigured", "%s", cc_error_message(&err));
	if (r < 0)
		return refuse(is, 500, "Internal", "%s", cc_error_message(&err));
	if (!json_is_true(json_object_get(is->cfg, "enabled")))
		return refuse(is, 403, "MtlsNotConfigured",
			      "tenant `%s`'s mTLS configuration is disabled (enabled: false)", is->s.tenant);
	return 0;
}

/* The body and its CSR: proof of possession, P-256, and a key the quote binds. */
static int check_request(struct issuance *is, const struct cc_http_request *req)
{
	struct cc_error err = { 0 };
	if (kbs_mtls_request_parse(req->body.data ? req->body.data : "", req->body.len, &is->body, &err) < 0)
		return refuse(is, 400, "InvalidRequest", "%s", cc_error_message(&err));
	if (cc_csr_parse(is->body.csr, strlen(is->body.csr), &is->csr, &err) < 0)
		return refuse(is, 400, "InvalidRequest", "csr: %s", cc_error_message(&err));
	if (!kbs_mtls_csr_bound(fact(is, "csr"), is->csr->spki_sha384)) {
		char hex[DIGEST_HEX + 1];
		cc_hex_encode(is->csr->spki_sha384, CC_SPKI_DIGEST_SIZE, hex);
		return refuse(is, 403, "CsrNotBound",
			      "the CSR's key (SPKI SHA-384 %s) is not among those this session's quote binds "
			      "(runtime-data.cocoon-csr)",
			      hex);
	}
	return 0;
}

/* The token names the pod; the replayed log must hold its containers. When the runtime data named a
 * pod (cocoon-pod), the tenant's policy judged that pod's containers (pod.containers.*), so only that
 * pod's token is taken: a certificate for another pod would rest on containers no pod rule saw. */
static int check_pod(struct issuance *is)
{
	struct cc_error err = { 0 };
	int r =
	    kbs_sa_token_verify(is->kbs->cfg.sa_issuer_key, is->body.token, is->s.tenant, time(NULL), &is->pod, &err);
	if (r == -EINVAL)
		return refuse(is, 400, "InvalidRequest", "%s", cc_error_message(&err));
	if (r < 0)
		return refuse(is, 403, "TokenRejected", "%s", cc_error_message(&err));
	is->have_pod = true;
	const json_t *claims = json_object_get(json_object_get(json_object_get(is->ear, "submods"), is->s.tee),
					       "ear.veraison.annotated-evidence");
	const char *named = json_string_value(json_object_get(json_object_get(claims, "pod"), "uid"));
	if (named && strcmp(named, is->pod.pod_uid) != 0)
		return refuse(is, 403, "PodMismatch",
			      "this session's attestation named pod `%s` (cocoon-pod), whose containers the policy "
			      "judged; the token is for pod `%s` (%s/%s)",
			      named, is->pod.pod_uid, is->pod.namespace, is->pod.pod_name);
	r = kbs_mtls_pod_containers(json_object_get(claims, "containers"), fact(is, "logSeq"), is->pod.pod_uid,
				    &is->containers, &is->n_containers, &err);
	if (r < 0)
		return refuse(is, 403, "PodNotAttested", "pod %s/%s: %s", is->pod.namespace, is->pod.pod_name,
			      cc_error_message(&err));
	return 0;
}

/* The limit on issuances per node per minute (kbs_mtls_rate.h), taken last before signing, so
 * refused requests do not count. */
static int check_rate(struct issuance *is)
{
	struct cc_error err = { 0 };
	int retry_after = 0;
	int r = kbs_mtls_rate_take(is->kbs->cfg.store, is->s.tenant, json_string_value(fact(is, "node")),
				   (int)json_integer_value(json_object_get(is->cfg, "issuancesPerMinute")),
				   cc_time_now_ns() / 1000000, &retry_after, &err);
	if (r == -EAGAIN) {
		is->retry_after = retry_after;
		return refuse(is, 429, "TooManyCertificates", "%s", cc_error_message(&err));
	}
	if (r < 0)
		return refuse(is, 500, "Internal", "%s", cc_error_message(&err));
	return 0;
}

static int check_names(struct issuance *is)
{
	struct cc_error err = { 0 };
	const char *td = json_string_value(json_object_get(is->cfg, "trustDomain"));
	const char *cluster = json_string_value(json_object_get(is->cfg, "clusterDomain"));
	int r = kbs_mtls_dns_names_check(is->body.dns_names, is->body.n_dns_names, is->pod.namespace,
					 cluster ? cluster : "cluster.local", &err);
	if (r < 0)
		return refuse(is, r == -EACCES ? 403 : 400, r == -EACCES ? "ForeignName" : "InvalidRequest", "%s",
			      cc_error_message(&err));
	is->spiffe_id = cc_xasprintf("spiffe://%s/ns/%s/sa/%s/pod/%s", td ? td : "", is->pod.namespace,
				     is->pod.service_account, is->pod.pod_uid);
	if (cc_spiffe_id_check(is->spiffe_id, &err) < 0)
		return refuse(is, 400, "InvalidRequest", "the pod's SPIFFE ID: %s", cc_error_message(&err));
	return 0;
}

/* The CocoonAttestation extension from the session: what the broker saw when it issued. */
static int extension(struct issuance *is, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	struct cc_attestation a = {
		.version = CC_ATTESTATION_VERSION,
		.tenant = is->s.tenant,
		.node = (char *)json_string_value(fact(is, "node")),
		.tee = is->s.tee,
		.attested_at = (time_t)json_integer_value(json_object_get(is->ear, "iat")),
		.ear_id = (char *)json_string_value(json_object_get(is->ear, "jti")),
		.containers = is->containers,
		.n_containers = is->n_containers,
	};
	const char *evidence = json_string_value(fact(is, "evidenceDigest"));
	const char *policy = json_string_value(fact(is, "policyDigest"));
	if (!a.node || !a.ear_id || !evidence || !policy ||
	    cc_hex_decode(evidence, a.evidence_digest, sizeof(a.evidence_digest)) < 0 ||
	    cc_hex_decode(policy, a.policy_digest, sizeof(a.policy_digest)) < 0)
		return cc_error_set(err, EINVAL, "the session lacks what the attestation extension needs");
	return cc_attestation_ext_encode(&a, ret, ret_len, err);
}

static char *pem_of(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data, *pem = NULL;
	if (bio && PEM_write_bio_X509(bio, cert)) {
		long n = BIO_get_mem_data(bio, &data);
		pem = cc_xstrndup(data, (size_t)n);
	}
	BIO_free(bio);
	return pem;
}

/* The record of an issuance (for revocation by node or serial) and the EAR it rests on. A
 * certificate that cannot be recorded is not answered: it could not be revoked by its node. */
static int record(struct issuance *is, time_t not_after, struct cc_error *err)
{
	const char *jti = json_string_value(json_object_get(is->ear, "jti"));
	_cleanup_json_ json_t *entry =
	    json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:I, s:s, s:I}", "uid", is->pod.pod_uid, "namespace",
		      is->pod.namespace, "pod", is->pod.pod_name, "serviceAccount", is->pod.service_account, "node",
		      json_string_value(fact(is, "node")), "jti", jti, "notAfter", (json_int_t)not_after, "spiffeId",
		      is->spiffe_id, "ca", (json_int_t)is->ca_generation);
	_cleanup_free_ char *text = cc_json_canonical(entry);
	_cleanup_free_ char *key = cc_xasprintf("kbs/%s/mtls/issued/%s", is->s.tenant, is->serial);
	int r = cc_store_put(is->kbs->cfg.store, key, text, strlen(text), CC_STORE_ABSENT, NULL, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *ear_key = cc_xasprintf("kbs/%s/mtls/ear/%s", is->s.tenant, jti);
	r = cc_store_put(is->kbs->cfg.store, ear_key, is->s.token, strlen(is->s.token), CC_STORE_ABSENT, NULL, err);
	return r == -ESTALE ? 0 : r; /* an earlier certificate of this session kept it already */
}

/* The leaf for the CSR's key with the design's profile, recorded before it is answered. */
static int sign(struct issuance *is, X509 *ca, EVP_PKEY *ca_key, struct cc_error *err)
{
	_cleanup_free_ uint8_t *ext = NULL;
	size_t ext_len = 0;
	int r = extension(is, &ext, &ext_len, err);
	if (r < 0)
		return r;
	char cn[64 + 254];
	snprintf(cn, sizeof(cn), "%s/%s", is->pod.namespace, is->pod.pod_name);
	struct cc_leaf_profile profile = {
		.common_name = cn,
		.spiffe_id = is->spiffe_id,
		.dns_names = is->body.dns_names,
		.n_dns_names = is->body.n_dns_names,
		.lifetime = json_integer_value(json_object_get(is->cfg, "lifetime")),
		.extension_oid = CC_ATTESTATION_EXT_OID,
		.extension_der = ext,
		.extension_len = ext_len,
	};
	X509 *leaf = NULL;
	time_t not_after = 0;
	r = cc_x509_leaf_issue(&profile, is->csr->key, ca, ca_key, time(NULL), &leaf, err);
	if (r == 0)
		r = cc_x509_serial_hex(X509_get0_serialNumber(leaf), is->serial, err);
	if (r == 0)
		r = cc_x509_time(X509_get0_notAfter(leaf), &not_after, err);
	if (r == 0)
		r = record(is, not_after, err);
	if (r == 0) {
		cc_time_format_rfc3339_seconds((int64_t)not_after * 1000000000, is->not_after, sizeof(is->not_after));
		is->certificate = pem_of(leaf);
		is->ca = pem_of(ca);
		if (!is->certificate || !is->ca)
			r = cc_error_set(err, ENOMEM, "cannot encode the certificate");
	}
	X509_free(leaf);
	return r;
}

static int issue(struct issuance *is)
{
	struct cc_error err = { 0 };
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	int r =
	    kbs_mtls_ca_load(is->kbs->cfg.store, is->kbs->root, is->s.tenant, &ca, &ca_key, &is->ca_generation, &err);
	if (r < 0)
		return refuse(is, r == -ENOENT ? 403 : 500, r == -ENOENT ? "MtlsNotConfigured" : "Internal", "%s",
			      cc_error_message(&err));
	/* checked at activation too; again here, since --client-ca may have changed since */
	if ((r = kbs_mtls_ca_not_client_ca(ca, is->kbs->cfg.client_ca, is->kbs->cfg.client_ca_len, &err)) < 0)
		refuse(is, 403, "MtlsNotConfigured", "tenant `%s`'s active mTLS CA: %s", is->s.tenant,
		       cc_error_message(&err));
	else if ((r = sign(is, ca, ca_key, &err)) < 0)
		refuse(is, 500, "Internal", "cannot issue the certificate: %s", cc_error_message(&err));
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	return r < 0 ? -1 : 0;
}

/* The kbs.mtls.issue event: the pod, the serial, the SPIFFE ID, the node, the EAR and the evidence,
 * never the token or a key. */
static void emit(const struct issuance *is, const struct cc_http_request *req, bool allowed)
{
	json_t *extra = json_object();
	if (is->have_session && is->s.facts) {
		json_object_set(extra, "node", (json_t *)fact(is, "node"));
		json_object_set(extra, "evidenceDigest", (json_t *)fact(is, "evidenceDigest"));
	}
	if (is->ear)
		json_object_set(extra, "jti", json_object_get(is->ear, "jti"));
	if (is->have_pod)
		json_object_set_new(extra, "pod",
				    json_pack("{s:s, s:s, s:s, s:s}", "namespace", is->pod.namespace, "name",
					      is->pod.pod_name, "uid", is->pod.pod_uid, "serviceAccount",
					      is->pod.service_account));
	if (allowed)
		json_object_set_new(extra, "certificate",
				    json_pack("{s:s, s:s, s:s}", "serial", is->serial, "spiffeId", is->spiffe_id,
					      "notAfter", is->not_after));
	const char *object = is->spiffe_id ? is->spiffe_id : is->have_pod ? is->pod.pod_uid : "certificate";
	kbs_record_extra(req->peer ? req->peer->address : NULL, "kbs.mtls.issue",
			 is->have_session ? is->s.tenant : NULL, object, allowed, allowed ? NULL : is->reason, extra);
}

void kbs_mtls_handle_certificate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct issuance is = { .kbs = userdata };
	bool ok = check_session(&is, req) == 0 && check_config(&is) == 0 && check_request(&is, req) == 0 &&
		  check_pod(&is) == 0 && check_names(&is) == 0 && check_rate(&is) == 0 && issue(&is) == 0;
	emit(&is, req, ok);
	if (ok)
		cc_http_response_json(resp, 201,
				      json_pack("{s:s, s:s, s:s, s:s, s:s}", "certificate", is.certificate, "ca", is.ca,
						"serial", is.serial, "notAfter", is.not_after, "spiffeId",
						is.spiffe_id));
	else
		kbs_problem(resp, is.status, is.kind, "%s", is.reason);
	if (is.retry_after > 0) {
		char seconds[16];
		snprintf(seconds, sizeof(seconds), "%d", is.retry_after);
		cc_http_response_add_header(resp, "retry-after", seconds);
	}
	if (is.have_session)
		kbs_session_release(&is.s);
	json_decref(is.ear);
	json_decref(is.cfg);
	kbs_mtls_request_free(&is.body);
	cc_csr_free(is.csr);
	kbs_mtls_containers_free(is.containers, is.n_containers);
	free(is.spiffe_id);
	free(is.certificate);
	free(is.ca);
}
