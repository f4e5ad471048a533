/* The key broker's protocol handlers (see kbs.h): challenge, attestation with an EAR token, and the
 * release of resources as JWE. */
#include "kbs/kbs.h"

#include "attest/policy.h"
#include "kbs/kbs_evidence.h"
#include "kbs/kbs_mtls_checks.h"
#include "kbs/kbs_mtls_crl.h"
#include "kbs/kbs_mtls_issue.h"
#include "kbs/kbs_mtls_revoke.h"
#include "kbs/kbs_private.h"
#include "kbs/kbs_reply.h"
#include "kbs/kbs_tenant.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define EAR_PROFILE     "tag:github.com,2023:veraison/ear"
#define COOKIE_NAME     "kbs-session-id"
#define RESOURCE_PREFIX "/kbs/v0/resource/"
/* EAR trustworthiness claims (draft-ietf-rats-ar4si): 2 affirming, 96 contraindicated. */
#define TIER_AFFIRMING       2
#define TIER_CONTRAINDICATED 96

/* The TEE names of the protocol (Trustee's and the older long ones) to our verifiers'. */
static const char *tee_of(const char *name)
{
	static const char *const names[][2] = {
		{ "snp", "snp" }, { "amd-sev-snp", "snp" }, { "tdx", "tdx" }, { "intel-tdx", "tdx" }, { "tpm", "tpm" },
	};
	for (size_t i = 0; name && i < sizeof(names) / sizeof(names[0]); i++)
		if (strcmp(name, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

/* The requester's address without its port ("[::1]:4321" -> "::1"): the unit of the per-source
 * limit on unattested sessions. */
static void source_of(const struct cc_peer *peer, char *out, size_t size)
{
	const char *a = peer ? peer->address : "";
	const char *end = strrchr(a, ':');
	if (a[0] == '[' && (end = strchr(a, ']')))
		a++;
	else if (!end || strchr(a, ':') != end)
		end = a + strlen(a); /* "unix", or an address without a port */
	snprintf(out, size, "%.*s", (int)(end - a), a);
}

static void handle_auth(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	_cleanup_json_ json_t *body = NULL;
	if (cc_http_request_json(req, resp, &body) < 0)
		return;
	const char *version = json_string_value(json_object_get(body, "version"));
	const char *tee = tee_of(json_string_value(json_object_get(body, "tee")));
	json_t *extra = json_object_get(body, "extra-params");
	const char *tenant = json_string_value(json_object_get(extra, "tenant"));
	struct cc_error err = { 0 };
	if (!version || strncmp(version, "0.", 2) != 0)
		return kbs_problem(resp, 400, "ProtocolVersion", "protocol version `%s` is not supported (0.x)",
				   version ? version : "");
	if (!tee)
		return kbs_problem(resp, 400, "InvalidRequest",
				   "tee must be one of snp, tdx, tpm (or amd-sev-snp, intel-tdx)");
	if (!tenant)
		tenant = "default";
	if (keyring_check_name("tenant", tenant, &err) < 0)
		return kbs_problem(resp, 400, "InvalidRequest", "%s", cc_error_message(&err));
	struct kbs_session session;
	char source[64];
	source_of(req->peer, source, sizeof(source));
	if (kbs_session_create(kbs->sessions, source, tenant, tee, &session, &err) < 0)
		return kbs_problem(resp, 503, "SessionLimit", "%s", cc_error_message(&err));
	char cookie[160];
	snprintf(cookie, sizeof(cookie), COOKIE_NAME "=%s; Max-Age=%d; Path=/kbs/v0; HttpOnly%s", session.id,
		 kbs->cfg.session_ttl, req->peer && req->peer->tls ? "; Secure" : "");
	cc_http_response_add_header(resp, "set-cookie", cookie);
	cc_http_response_json(resp, 200, json_pack("{s:s, s:{}}", "nonce", session.nonce, "extra-params"));
	kbs_record(req, "kbs.auth", tenant, tee, true, NULL);
}

bool kbs_session_cookie(const struct cc_http_request *req, char out[KBS_SESSION_ID_SIZE])
{
	const char *cookies = cc_http_request_header(req, "cookie");
	for (const char *p = cookies; p && *p;) {
		while (*p == ' ' || *p == ';')
			p++;
		size_t n = strcspn(p, ";");
		if (strncmp(p, COOKIE_NAME "=", sizeof(COOKIE_NAME)) == 0) {
			size_t len = n - sizeof(COOKIE_NAME);
			if (len == 0 || len >= KBS_SESSION_ID_SIZE)
				return false;
			memcpy(out, p + sizeof(COOKIE_NAME), len);
			out[len] = '\0';
			return true;
		}
		p += n;
	}
	return false;
}

/* The EAR: the verdict, the claims it rests on and the TEE key it is bound to. Its jti names it in
 * pod certificates (earId), which is why it is kept while they are valid (kbs_mtls_issue.h). */
static json_t *ear_claims(const struct kbs *kbs, const struct kbs_session *s, const char *jti, bool affirming,
			  json_t *claims, json_t *appraisal, const json_t *tee_key)
{
	int64_t now = cc_time_now_ns() / 1000000000;
	int tier = affirming ? TIER_AFFIRMING : TIER_CONTRAINDICATED;
	_cleanup_free_ char *policy_id = cc_xasprintf("policy:%s", s->tenant);
	json_t *submod =
	    json_pack("{s:s, s:{s:i, s:i, s:i}, s:s, s:O}", "ear.status", affirming ? "affirming" : "contraindicated",
		      "ear.trustworthiness-vector", "hardware", TIER_AFFIRMING, "executables", tier, "configuration",
		      tier, "ear.appraisal-policy-id", policy_id, "ear.veraison.annotated-evidence", claims);
	if (appraisal)
		json_object_set(submod, "ear.cocoon.appraisal", appraisal);
	return json_pack("{s:s, s:I, s:I, s:s, s:s, s:{s:s, s:s}, s:{s:o}, s:s, s:O}", "eat_profile", EAR_PROFILE,
			 "iat", (json_int_t)now, "exp", (json_int_t)(now + kbs->cfg.token_ttl), "iss", "cocoon-kbs",
			 "jti", jti, "ear.verifier-id", "developer", "cocoon", "build", COCOON_VERSION, "submods",
			 s->tee, submod, "tenant", s->tenant, "tee-pubkey", tee_key);
}

/* Appraises authentic claims against the tenant's policy; a tenant without a policy gets nothing.
 * policy_digest is SHA-384 of the canonical policy that judged (zero without one). *ret_judged is
 * true when a policy was read and evaluated: only then does a refusal say anything of the node (a
 * store that cannot be read says nothing, and must not revoke its certificates). */
static bool appraise(struct kbs *kbs, const char *tenant, const json_t *claims, json_t **ret_appraisal,
		     uint8_t policy_digest[48], bool *ret_judged, char *reason, size_t size)
{
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *policy = NULL;
	memset(policy_digest, 0, 48);
	*ret_judged = false;
	if (kbs_policy_get(kbs->cfg.store, tenant, &policy, &err) < 0) {
		snprintf(reason, size, "%s", cc_error_message(&err));
		return false;
	}
	_cleanup_free_ char *canonical = cc_json_canonical(policy);
	if (!canonical || cc_digest(CC_DIGEST_SHA384, canonical, strlen(canonical), policy_digest, &err) < 0) {
		snprintf(reason, size, "cannot digest the policy of tenant `%s`", tenant);
		return false;
	}
	bool met = attest_policy_evaluate(policy, claims, ret_appraisal);
	*ret_judged = true;
	if (met)
		return true;
	/* The first rule that failed says why (the appraisal in the EAR has them all). */
	const char *why = NULL;
	size_t i;
	const json_t *rule;
	json_array_foreach (json_object_get(*ret_appraisal, "rules"), i, rule) {
		if (!why && !json_is_true(json_object_get(rule, "ok")))
			why = json_string_value(json_object_get(rule, "reason"));
	}
	snprintf(reason, size, "the claims do not meet the policy of tenant `%s`%s%s", tenant, why ? ": " : "",
		 why ? why : "");
	return false;
}

static void handle_attest(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	char id[KBS_SESSION_ID_SIZE];
	struct kbs_session s;
	if (!kbs_session_cookie(req, id) || kbs_session_get(kbs->sessions, id, &s) < 0)
		return kbs_problem(resp, 401, "UnAuthenticated",
				   "no valid kbs-session-id cookie: POST /kbs/v0/auth first");
	_cleanup_json_ json_t *body = NULL;
	_cleanup_json_ json_t *claims = NULL;
	_cleanup_json_ json_t *appraisal = NULL;
	_cleanup_json_ json_t *ear = NULL;
	_cleanup_json_ json_t *facts = NULL;
	_cleanup_free_ char *canonical = NULL, *token = NULL;
	struct cc_error err = { 0 };
	char reason[512] = "";
	if (s.attested) {
		kbs_problem(resp, 401, "UnAuthenticated", "this session's challenge was already answered: start again");
		kbs_record(req, "kbs.attest", s.tenant, s.tee, false, "replayed attestation");
		goto out;
	}
	if (cc_http_request_json(req, resp, &body) < 0)
		goto burn;
	json_t *runtime = json_object_get(body, "runtime-data"), *evidence = json_object_get(body, "tee-evidence");
	json_t *tee_key = json_object_get(runtime, "tee-pubkey");
	const char *nonce = json_string_value(json_object_get(runtime, "nonce"));
	EVP_PKEY *key = NULL;
	const char *alg;
	if (!json_is_object(runtime) || !evidence || !nonce) {
		snprintf(reason, sizeof(reason), "the body needs runtime-data {nonce, tee-pubkey} and tee-evidence");
		kbs_problem(resp, 400, "InvalidRequest", "%s", reason);
		goto burn;
	}
	if (strcmp(nonce, s.nonce) != 0) {
		snprintf(reason, sizeof(reason), "runtime-data.nonce is not this session's challenge");
		kbs_problem(resp, 401, "UnAuthenticated", "%s", reason);
		goto burn;
	}
	if (cc_jose_jwk_public_key(tee_key, &key, &alg, &err) < 0) {
		snprintf(reason, sizeof(reason), "tee-pubkey: %s", cc_error_message(&err));
		kbs_problem(resp, 400, "InvalidRequest", "%s", reason);
		goto burn;
	}
	EVP_PKEY_free(key);
	/* The evidence must carry SHA-384 of the canonical runtime data: that binds it to this
	 * challenge and to the TEE key the secrets will be encrypted to. */
	uint8_t binding[48];
	canonical = cc_json_canonical(runtime);
	if (!canonical || cc_digest(CC_DIGEST_SHA384, canonical, strlen(canonical), binding, &err) < 0) {
		snprintf(reason, sizeof(reason), "cannot digest the runtime data");
		kbs_problem(resp, 500, "Internal", "%s", reason);
		goto burn;
	}
	if (kbs_evidence_verify(kbs, s.tenant, s.tee, evidence, binding, sizeof(binding), &claims, &err) < 0) {
		snprintf(reason, sizeof(reason), "%s", cc_error_message(&err));
		kbs_problem(resp, 401, "EvidenceRejected", "%s", reason);
		kbs_mtls_revoke_if_authentic(kbs, s.tenant, s.tee, evidence, binding, reason);
		goto burn;
	}
	if (kbs_pod_claims(runtime, claims, &err) < 0 || kbs_mtls_csr_list_check(runtime, &err) < 0) {
		snprintf(reason, sizeof(reason), "%s", cc_error_message(&err));
		kbs_problem(resp, 401, "EvidenceRejected", "%s", reason);
		goto burn;
	}
	uint8_t policy_digest[48];
	char jti[37];
	bool judged;
	bool affirming = appraise(kbs, s.tenant, claims, &appraisal, policy_digest, &judged, reason, sizeof(reason));
	if (!affirming && judged && strcmp(s.tee, "tpm") == 0)
		kbs_mtls_revoke_if_failed(kbs, s.tenant, runtime, evidence, appraisal, reason);
	if (cc_random_uuid(jti, &err) < 0 ||
	    kbs_mtls_facts(s.tee, runtime, evidence, policy_digest, &facts, &err) < 0 ||
	    !(ear = ear_claims(kbs, &s, jti, affirming, claims, appraisal, tee_key)) ||
	    cc_jose_jwt_sign_es256(kbs->cfg.token_key, kbs->token_kid, ear, &token, &err) < 0) {
		kbs_problem(resp, 500, "Internal", "%s", cc_error_message(&err));
		goto burn;
	}
	if (kbs_session_attested(kbs->sessions, id, affirming, tee_key, token, facts) < 0) {
		kbs_problem(resp, 401, "UnAuthenticated", "this session's challenge was already answered: start again");
		goto out;
	}
	cc_http_response_json(resp, 200, json_pack("{s:s}", "token", token));
	kbs_record(req, "kbs.attest", s.tenant, s.tee, affirming, affirming ? NULL : reason);
	goto out;
burn:
	/* A challenge is answered once, right or wrong: a second try needs a new nonce. */
	kbs_session_attested(kbs->sessions, id, false, NULL, NULL, NULL);
	kbs_record(req, "kbs.attest", s.tenant, s.tee, false, reason[0] ? reason : "malformed request");
out:
	kbs_session_release(&s);
}

/* Who is asking: an attested session (cookie) or an EAR token of ours (Authorization: Bearer). */
int kbs_requester(struct kbs *kbs, const struct cc_http_request *req, char *tenant, size_t tenant_size,
		  bool *ret_affirming, json_t **ret_key, struct cc_error *err)
{
	const char *auth = cc_http_request_header(req, "authorization");
	if (auth && strncasecmp(auth, "Bearer ", 7) == 0) {
		_cleanup_json_ json_t *claims = NULL;
		int r = cc_jose_jwt_verify_es256(kbs->cfg.token_key, auth + 7, &claims, err);
		if (r < 0)
			return r;
		const char *t = json_string_value(json_object_get(claims, "tenant"));
		json_t *submods = json_object_get(claims, "submods");
		const char *name;
		json_t *submod;
		bool affirming = json_object_size(submods) > 0;
		json_object_foreach (submods, name, submod) {
			const char *status = json_string_value(json_object_get(submod, "ear.status"));
			affirming = affirming && status && strcmp(status, "affirming") == 0;
		}
		if (!t || !json_object_get(claims, "tee-pubkey"))
			return cc_error_set(err, EINVAL, "the token lacks its tenant or TEE key");
		snprintf(tenant, tenant_size, "%s", t);
		*ret_affirming = affirming;
		*ret_key = json_incref(json_object_get(claims, "tee-pubkey"));
		return 0;
	}
	char id[KBS_SESSION_ID_SIZE];
	struct kbs_session s;
	if (!kbs_session_cookie(req, id) || kbs_session_get(kbs->sessions, id, &s) < 0)
		return cc_error_set(err, ENOENT, "no valid kbs-session-id cookie or bearer token: attest first");
	int r = s.attested && s.tee_key ? 0 : cc_error_set(err, ENOENT, "this session has not attested");
	if (r == 0) {
		snprintf(tenant, tenant_size, "%s", s.tenant);
		*ret_affirming = s.affirming;
		*ret_key = json_incref(s.tee_key);
	}
	kbs_session_release(&s);
	return r;
}

static void handle_resource(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	const char *path = req->path + strlen(RESOURCE_PREFIX);
	char tenant[64] = "";
	bool affirming = false;
	_cleanup_json_ json_t *tee_key = NULL;
	struct cc_error err = { 0 };
	if (strcmp(req->method, "GET") != 0)
		return kbs_problem(resp, 405, "InvalidRequest",
				   "resources are read with GET; write them through the admin API");
	if (kbs_requester(kbs, req, tenant, sizeof(tenant), &affirming, &tee_key, &err) < 0) {
		kbs_record(req, "kbs.resource", NULL, path, false, cc_error_message(&err));
		return kbs_problem(resp, 401, "UnAuthenticated", "%s", cc_error_message(&err));
	}
	if (kbs_check_resource_path(path, &err) < 0) {
		kbs_record(req, "kbs.resource", tenant, path, false, cc_error_message(&err));
		return kbs_problem(resp, 400, "InvalidRequest", "%s", cc_error_message(&err));
	}
	if (!affirming) {
		kbs_record(req, "kbs.resource", tenant, path, false, "the attestation did not meet the policy");
		return kbs_problem(resp, 403, "PolicyDeny",
				   "the attestation of this session did not meet tenant `%s`'s policy", tenant);
	}
	_cleanup_free_ uint8_t *secret = NULL;
	size_t len = 0;
	int r = kbs_resource_get(kbs->cfg.store, kbs->root, tenant, path, &secret, &len, &err);
	if (r < 0) {
		kbs_record(req, "kbs.resource", tenant, path, false, cc_error_message(&err));
		return kbs_problem(resp, r == -ENOENT ? 404 : 500, r == -ENOENT ? "ResourceNotFound" : "Internal", "%s",
				   cc_error_message(&err));
	}
	json_t *jwe = NULL;
	r = cc_jose_jwe_encrypt(tee_key, secret, len, &jwe, &err);
	cc_wipe(secret, len);
	if (r < 0) {
		kbs_record(req, "kbs.resource", tenant, path, false, cc_error_message(&err));
		return kbs_problem(resp, 500, "Internal", "%s", cc_error_message(&err));
	}
	cc_http_response_json(resp, 200, jwe);
	kbs_record(req, "kbs.resource", tenant, path, true, NULL);
}

int kbs_new(const struct kbs_config *cfg, struct kbs **ret, struct cc_error *err)
{
	if (!cfg->store || !cfg->root || !cfg->token_key || EVP_PKEY_get_base_id(cfg->token_key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_bits(cfg->token_key) != 256)
		return cc_error_set(err, EINVAL, "the key broker needs a store, a root key and a P-256 token key");
	struct kbs *kbs = cc_xcalloc(1, sizeof(*kbs));
	kbs->cfg = *cfg;
	if (!kbs->cfg.session_ttl)
		kbs->cfg.session_ttl = 300;
	if (!kbs->cfg.token_ttl)
		kbs->cfg.token_ttl = 300;
	if (!kbs->cfg.admin_group)
		kbs->cfg.admin_group = "system:masters";
	memcpy(kbs->root, cfg->root, sizeof(kbs->root));
	kbs->cfg.root = kbs->root;
	/* The key id is a short fingerprint of the token key, so relying parties can pick it. */
	json_t *jwk = cc_jose_jwk_from_key(cfg->token_key);
	_cleanup_free_ char *canonical = jwk ? cc_json_canonical(jwk) : NULL;
	json_decref(jwk);
	uint8_t digest[32];
	int r = canonical ? cc_digest(CC_DIGEST_SHA256, canonical, strlen(canonical), digest, err)
			  : cc_error_set(err, EINVAL, "the token key has no public JWK form");
	if (r < 0) {
		kbs_free(kbs);
		return cc_error_prefix(err, "the token key's id");
	}
	struct kbs_registrar_config registrar = { .store = cfg->store,
						  .ek_ca = cfg->ek_ca,
						  .ek_ca_len = cfg->ek_ca_len };
	kbs->sessions = kbs_sessions_new(&(struct kbs_session_limits){
	    .session_ttl = kbs->cfg.session_ttl,
	    .challenge_ttl = kbs->cfg.challenge_ttl,
	    .max_challenges_per_source = kbs->cfg.max_challenges_per_source,
	});
	kbs->registrations = kbs_registrations_new(&registrar);
	cc_hex_encode(digest, 8, kbs->token_kid);
	kbs->routes[0] = (struct cc_http_route){ "POST", "/kbs/v0/auth", false, handle_auth, kbs };
	kbs->routes[1] = (struct cc_http_route){ "POST", "/kbs/v0/attest", false, handle_attest, kbs };
	kbs->routes[2] = (struct cc_http_route){ NULL, RESOURCE_PREFIX, true, handle_resource, kbs };
	kbs->routes[3] = (struct cc_http_route){ NULL, "/kbs/v0/admin/", true, kbs_admin_handle, kbs };
	kbs->routes[4] =
	    (struct cc_http_route){ "POST", "/kbs/v0/node/register", false, kbs_handle_register, kbs->registrations };
	kbs->routes[5] =
	    (struct cc_http_route){ "POST", "/kbs/v0/node/activate", false, kbs_handle_activate, kbs->registrations };
	kbs->routes[6] =
	    (struct cc_http_route){ "POST", "/kbs/v0/mtls/certificate", false, kbs_mtls_handle_certificate, kbs };
	kbs->routes[7] = (struct cc_http_route){ "POST", "/kbs/v0/mtls/revoke", false, kbs_mtls_handle_revoke, kbs };
	kbs->routes[8] = (struct cc_http_route){ "GET", "/kbs/v0/mtls/crl", false, kbs_mtls_handle_crl, kbs };
	kbs->routes[9] = (struct cc_http_route){ "GET", "/kbs/v0/mtls/bundle", false, kbs_mtls_handle_bundle, kbs };
	*ret = kbs;
	return 0;
}

void kbs_free(struct kbs *kbs)
{
	if (!kbs)
		return;
	kbs_sessions_free(kbs->sessions);
	kbs_registrations_free(kbs->registrations);
	cc_wipe(kbs->root, sizeof(kbs->root));
	free(kbs);
}

const struct cc_http_route *kbs_routes(struct kbs *kbs, size_t *ret_count)
{
	*ret_count = sizeof(kbs->routes) / sizeof(kbs->routes[0]);
	return kbs->routes;
}
