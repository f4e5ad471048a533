/* Pods' mTLS certificates (see pod_mtls.h). */
#include "platform/pod_mtls.h"

#include "agent/agent.h"
#include "agent/agent_mtls.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/secure.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "platform/atomic_dir.h"
#include "platform/endpoints.h"
#include "platform/mtls_policy.h"
#include "platform/objects.h"
#include "platform/pods_internal.h"
#include "platform/resources.h"
#include "platform/sa_tokens.h"
#include "platform/tenancy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define TOKEN_SECONDS    600 /* the token only has to reach the broker */
#define MATERIAL_MAX_AGE 60  /* seconds: the bundle and CRL are fetched again after this */
#define DNS_NAMES_MAX    32
#define PEM_MAX          (1u << 20)

/* What the runner remembers of a pod's certificate (memory_dir/mtls.json): tenant, serial, spiffeId,
 * issuedAt and notAfter (Unix seconds), the issuing CA (PEM, public), materialAt (when the bundle and
 * CRL in the files were fetched). */
static char *state_path(const struct platform_pods *p, const char *uid)
{
	return cc_xasprintf("%s/%s/mtls.json", p->memory_root, uid);
}

int pod_mtls_state_load(const struct platform_pods *p, const char *uid, json_t **ret)
{
	_cleanup_free_ char *path = state_path(p, uid);
	struct cc_error ignored = { 0 };
	return cc_json_load_file(path, 1u << 20, ret, &ignored);
}

static int save_state(const struct platform_pods *p, const struct pod_state *ps, const json_t *state,
		      struct cc_error *err)
{
	_cleanup_free_ char *path = state_path(p, ps->uid);
	_cleanup_free_ char *text = json_dumps(state, JSON_COMPACT | JSON_SORT_KEYS);
	return cc_write_file_atomic(path, text, strlen(text), 0600, err);
}

/* The tenant's bundle and CRL as fetched at `at` (Unix seconds), for its other pods. */
static void cache_material(struct platform_pods *p, const char *tenant, const struct agent_mtls_material *m, int64_t at)
{
	json_object_set_new(p->mtls_material, tenant,
			    json_pack("{s:s, s:s, s:I}", "bundle", m->bundle, "crl", m->crl, "at", (json_int_t)at));
}

bool pod_mtls_has_volume(const json_t *volumes)
{
	size_t i;
	const json_t *v;
	json_array_foreach (volumes, i, v) {
		const char *driver = json_string_value(json_object_get(json_object_get(v, "csi"), "driver"));
		if (driver && strcmp(driver, POD_MTLS_DRIVER) == 0)
			return true;
	}
	return false;
}

char *pod_mtls_dir(const char *memory_dir)
{
	return cc_xasprintf("%s/%s", memory_dir, POD_MTLS_DRIVER);
}

static char *volume_dir(const struct platform_pods *p, const struct pod_state *ps)
{
	_cleanup_free_ char *memory = cc_xasprintf("%s/%s", p->memory_root, ps->uid);
	return pod_mtls_dir(memory);
}

/* The Service names the pod answers to: SVC.NS.svc and SVC.NS.svc.cluster.local for each Service of
 * its namespace whose selector matches it, and HOSTNAME.SUBDOMAIN.NS.svc.cluster.local under the
 * headless Service its subdomain names; at most DNS_NAMES_MAX. */
static json_t *dns_names(struct platform_pods *p, const struct pod_state *ps, const json_t *pod)
{
	json_t *names = json_array();
	const json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	const json_t *spec = json_object_get(pod, "spec");
	const char *hostname = json_string_value(json_object_get(spec, "hostname"));
	const char *subdomain = json_string_value(json_object_get(spec, "subdomain"));
	struct cc_error ignored = { 0 };
	_cleanup_json_ json_t *services = platform_objects_list_all(
	    p->cfg.objects, platform_resource_find("", "v1", "services"), ps->namespace, &ignored);
	size_t i;
	const json_t *svc;
	json_array_foreach (services, i, svc) {
		const char *name = json_string_value(json_object_get(json_object_get(svc, "metadata"), "name"));
		const json_t *selector = json_object_get(json_object_get(svc, "spec"), "selector");
		if (!name || !platform_service_selects(selector, labels) || json_array_size(names) + 3 > DNS_NAMES_MAX)
			continue;
		json_array_append_new(names, json_sprintf("%s.%s.svc", name, ps->namespace));
		json_array_append_new(names, json_sprintf("%s.%s.svc.cluster.local", name, ps->namespace));
		const char *cluster_ip = json_string_value(json_object_get(json_object_get(svc, "spec"), "clusterIP"));
		if (hostname && subdomain && strcmp(subdomain, name) == 0 && cluster_ip &&
		    strcmp(cluster_ip, "None") == 0)
			json_array_append_new(
			    names, json_sprintf("%s.%s.%s.svc.cluster.local", hostname, name, ps->namespace));
	}
	return names;
}

/* The pod's own service account token for the broker tenant, bound to the pod. */
static int pod_token(struct platform_pods *p, const struct pod_state *ps, const json_t *pod, const char *tenant,
		     char **ret, struct cc_error *err)
{
	if (!p->cfg.sa_tokens)
		return cc_error_set(err, ENOTSUP, "this node issues no service account tokens");
	const char *sa_name =
	    json_string_value(json_object_get(json_object_get(pod, "spec"), "serviceAccountName")) ?: "default";
	_cleanup_json_ json_t *sa = NULL;
	int r = platform_objects_get(p->cfg.objects, platform_resource_find("", "v1", "serviceaccounts"), ps->namespace,
				     sa_name, &sa, err);
	if (r < 0)
		return cc_error_prefix(err, "service account %s/%s", ps->namespace, sa_name);
	_cleanup_json_ json_t *audiences = json_pack("[s+]", "cocoon-kbs:", tenant);
	return platform_sa_token_issue(p->cfg.sa_tokens, sa, audiences, TOKEN_SECONDS, pod, ret, NULL, err);
}

/* The user every container of the pod runs as (a container's runAsUser, else the pod's), or NULL
 * when they differ or one is not said (then root, as the image's USER is not known here). */
static const json_t *common_user(const json_t *pod)
{
	const json_t *spec = json_object_get(pod, "spec");
	const json_t *pod_user = json_object_get(json_object_get(spec, "securityContext"), "runAsUser");
	const json_t *common = NULL;
	static const char *const lists[] = { "initContainers", "containers" };
	for (size_t l = 0; l < 2; l++) {
		size_t i;
		const json_t *c;
		json_array_foreach (json_object_get(spec, lists[l]), i, c) {
			const json_t *user = json_object_get(json_object_get(c, "securityContext"), "runAsUser");
			if (!json_is_integer(user))
				user = pod_user;
			if (!json_is_integer(user) || (common && !json_equal(common, user)))
				return NULL;
			common = user;
		}
	}
	return common;
}

/* Who may read the key, as kubelet sets the owner of projected token files: the user all the
 * containers run as (0400), or the pod's fsGroup too (0440). */
static void key_owner(const json_t *pod, struct atomic_file *f)
{
	const json_t *sc = json_object_get(json_object_get(pod, "spec"), "securityContext");
	const json_t *user = common_user(pod), *group = json_object_get(sc, "fsGroup");
	f->uid = user ? (uid_t)json_integer_value(user) : 0;
	f->gid = json_is_integer(group) ? (gid_t)json_integer_value(group) : 0;
	f->mode = json_is_integer(group) ? 0440 : 0400;
}

static int write_files(const char *dir, const json_t *pod, const char *key, const char *certificate,
		       const char *issuing_ca, const struct agent_mtls_material *m, struct cc_error *err)
{
	_cleanup_free_ char *credentials = cc_xasprintf("%s%s%s", key, certificate, issuing_ca);
	struct atomic_file files[] = {
		{ .name = "tls.key", .data = key, .len = strlen(key) },
		{ .name = "credentials.pem", .data = credentials, .len = strlen(credentials) },
		{ .name = "tls.crt", .data = certificate, .len = strlen(certificate), .mode = 0444 },
		{ .name = "ca.pem", .data = m->bundle, .len = strlen(m->bundle), .mode = 0444 },
		{ .name = "crl.pem", .data = m->crl, .len = strlen(m->crl), .mode = 0444 },
	};
	key_owner(pod, &files[0]);
	key_owner(pod, &files[1]);
	int r = atomic_dir_write(dir, files, sizeof(files) / sizeof(files[0]), err);
	cc_wipe(credentials, strlen(credentials));
	return r;
}

/* The tenant's bundle and CRL, fetched at most once a minute for all its pods. */
static int tenant_material(struct platform_pods *p, const struct agent_config *agent, struct agent_mtls_material *ret,
			   int64_t *ret_at, struct cc_error *err)
{
	int64_t now = cc_time_now_ns() / 1000000000;
	json_t *cached = json_object_get(p->mtls_material, agent->tenant);
	int64_t at = json_integer_value(json_object_get(cached, "at"));
	if (!cached || now - at >= MATERIAL_MAX_AGE) {
		struct agent_mtls_material fresh;
		int r = agent_mtls_material_fetch(agent, &fresh, err);
		if (r < 0)
			return r;
		cache_material(p, agent->tenant, &fresh, now);
		agent_mtls_material_clear(&fresh);
		cached = json_object_get(p->mtls_material, agent->tenant);
		at = now;
	}
	ret->bundle = cc_xstrdup(json_string_value(json_object_get(cached, "bundle")));
	ret->crl = cc_xstrdup(json_string_value(json_object_get(cached, "crl")));
	*ret_at = at;
	return 0;
}

static void emit(const struct pod_state *ps, const char *tenant, const char *action_reason, bool ok,
		 const json_t *answer)
{
	_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", ps->namespace, ps->name);
	json_t *extra = json_pack("{s:s}", "uid", ps->uid);
	if (answer)
		json_object_update(extra, (json_t *)answer);
	json_object_del(extra, "certificate");
	json_object_del(extra, "ca");
	cc_event_emit_decision_extra("platform", "mtls.certificate", "cocoond", tenant, object, ok, action_reason,
				     extra);
}

/* A new key and certificate: the node attests with the pod's containers measured and the key bound. */
static int issue(struct platform_pods *p, struct pod_state *ps, const json_t *pod, struct agent_config *agent,
		 const char *why, struct cc_error *err)
{
	_cleanup_free_ char *token = NULL, *common_name = cc_xasprintf("%s/%s", ps->namespace, ps->name);
	_cleanup_json_ json_t *names = dns_names(p, ps, pod);
	struct agent_mtls_result res = { 0 };
	agent->pod = ps->uid;
	int r = pods_attest_ready(p, ps, pod, agent, err);
	if (r == 0)
		r = pod_token(p, ps, pod, agent->tenant, &token, err);
	if (r == 0) {
		struct agent_mtls_request req = { .common_name = common_name, .token = token, .dns_names = names };
		r = agent_mtls_issue(agent, &req, &res, err);
	}
	if (token)
		cc_wipe(token, strlen(token));
	_cleanup_free_ char *dir = volume_dir(p, ps);
	const char *certificate = json_string_value(json_object_get(res.answer, "certificate"));
	const char *issuing_ca = json_string_value(json_object_get(res.answer, "ca")) ?: "";
	if (r == 0)
		r = write_files(dir, pod, res.key_pem, certificate, issuing_ca, &res.material, err);
	int64_t not_after = 0, now = cc_time_now_ns() / 1000000000;
	if (r == 0 && cc_time_parse_rfc3339(json_string_value(json_object_get(res.answer, "notAfter")), &not_after) < 0)
		r = cc_error_set(err, EPROTO, "the broker's notAfter is not an RFC 3339 time");
	if (r == 0) {
		_cleanup_json_ json_t *state = json_pack(
		    "{s:s, s:O, s:O?, s:I, s:I, s:s, s:I}", "tenant", agent->tenant, "serial",
		    json_object_get(res.answer, "serial"), "spiffeId", json_object_get(res.answer, "spiffeId"),
		    "issuedAt", (json_int_t)now, "notAfter", (json_int_t)(not_after / 1000000000), "issuingCa",
		    issuing_ca, "materialAt", (json_int_t)now);
		r = save_state(p, ps, state, err);
		cache_material(p, agent->tenant, &res.material, now); /* as fresh as this session's */
	}
	_cleanup_free_ char *reason =
	    r == 0 ? cc_xasprintf("%s: key broker tenant %s issued the pod's certificate after the node's attestation",
				  why, agent->tenant)
		   : cc_xasprintf("%s: no certificate: %s", why, cc_error_message(err));
	emit(ps, agent->tenant, reason, r == 0, res.answer);
	agent_mtls_result_clear(&res);
	return r < 0 ? cc_error_prefix(err, "the pod's mTLS certificate from key broker tenant %s", agent->tenant) : 0;
}

/* The current files again with the tenant's newer bundle and CRL. */
static int refresh_material(struct platform_pods *p, struct pod_state *ps, const json_t *pod,
			    const struct agent_config *agent, json_t *state, struct cc_error *err)
{
	struct agent_mtls_material m = { 0 };
	int64_t at = 0;
	int r = tenant_material(p, agent, &m, &at, err);
	if (r < 0 || at <= json_integer_value(json_object_get(state, "materialAt"))) {
		agent_mtls_material_clear(&m);
		return r;
	}
	_cleanup_free_ char *dir = volume_dir(p, ps), *key = NULL, *certificate = NULL;
	size_t len;
	r = atomic_dir_read(dir, "tls.key", PEM_MAX, &key, &len, err);
	if (r == 0)
		r = atomic_dir_read(dir, "tls.crt", PEM_MAX, &certificate, &len, err);
	if (r == 0)
		r = write_files(dir, pod, key, certificate,
				json_string_value(json_object_get(state, "issuingCa")) ?: "", &m, err);
	if (key)
		cc_wipe(key, strlen(key));
	agent_mtls_material_clear(&m);
	if (r == 0) {
		json_object_set_new(state, "materialAt", json_integer(at));
		r = save_state(p, ps, state, err);
	}
	return r;
}

int pod_mtls_certificate(struct platform_pods *p, struct pod_state *ps, const json_t *pod, bool refresh,
			 struct cc_error *err)
{
	enum platform_mtls_mode mode = MTLS_OFF;
	int r = platform_mtls_namespace_mode(p->cfg.objects, ps->namespace, &mode, err);
	if (r < 0) /* the pod waits: fail closed */
		return cc_error_prefix(err, "the mutual TLS mode of namespace %s", ps->namespace);
	if (mode == MTLS_OFF)
		return 0;
	if (!p->have_agent)
		return cc_error_set(err, EPERM,
				    "namespace %s asks for mutual TLS (%s) but cocoond has no --kbs to get the pod's "
				    "certificate from: start it with the key broker's address",
				    ps->namespace, PLATFORM_MTLS_ANNOTATION);
	_cleanup_free_ char *tenant = NULL;
	r = platform_tenancy_kbs_tenant(p->cfg.objects, ps->namespace, p->agent.tenant, &tenant, err);
	if (r < 0)
		return r;
	struct agent_config agent = p->agent;
	agent.tenant = tenant;
	_cleanup_json_ json_t *state = NULL;
	if (pod_mtls_state_load(p, ps->uid, &state) < 0)
		return issue(p, ps, pod, &agent, "first certificate", err);
	int64_t issued = json_integer_value(json_object_get(state, "issuedAt"));
	int64_t not_after = json_integer_value(json_object_get(state, "notAfter"));
	int64_t now = cc_time_now_ns() / 1000000000;
	if (!refresh)
		return 0; /* the files survived a restart of cocoond: the next pass renews them when due */
	if (now >= issued + (not_after - issued) * 2 / 3) {
		r = issue(p, ps, pod, &agent, "renewal at two thirds of the certificate's life", err);
		if (r < 0)
			pods_event(p, ps, NULL, "Warning", "MTLSRenewalFailed",
				   "The pod's certificate (serial %s) expires at %lld and was not renewed: %s",
				   json_string_value(json_object_get(state, "serial")) ?: "?", (long long)not_after,
				   cc_error_message(err));
		return r;
	}
	return refresh_material(p, ps, pod, &agent, state, err);
}

bool pod_mtls_condition(const struct platform_pods *p, const struct pod_state *ps, const json_t *pod, bool *ready,
			const char **reason)
{
	if (!pod_mtls_has_volume(json_object_get(json_object_get(pod, "spec"), "volumes")))
		return false;
	_cleanup_json_ json_t *state = NULL;
	if (pod_mtls_state_load(p, ps->uid, &state) < 0) {
		*ready = false;
		*reason = "CertificatePending";
		return true;
	}
	*ready = cc_time_now_ns() / 1000000000 < json_integer_value(json_object_get(state, "notAfter"));
	*reason = "CertificateExpired";
	return true;
}

void pod_mtls_revoke(struct platform_pods *p, struct pod_state *ps)
{
	_cleanup_json_ json_t *state = NULL;
	struct cc_error err = { 0 };
	if (!p->have_agent || pod_mtls_state_load(p, ps->uid, &state) < 0)
		return;
	struct agent_config agent = p->agent;
	agent.tenant = json_string_value(json_object_get(state, "tenant")) ?: p->agent.tenant;
	_cleanup_json_ json_t *serials = json_pack("[O]", json_object_get(state, "serial"));
	int r = agent_mtls_revoke(&agent, serials, "cessationOfOperation", &err);
	_cleanup_free_ char *reason =
	    r == 0 ? cc_xstrdup("the pod is gone: its certificate was revoked")
		   : cc_xasprintf("the pod is gone but its certificate was not revoked (it expires at %lld): %s",
				  (long long)json_integer_value(json_object_get(state, "notAfter")),
				  cc_error_message(&err));
	_cleanup_json_ json_t *answer = json_pack("{s:O, s:s}", "serial", json_object_get(state, "serial"), "verdict",
						  r == 0 ? "revoked" : "not revoked");
	emit(ps, agent.tenant, reason, r == 0, answer);
	if (r < 0)
		cc_warning("pod %s/%s: %s", ps->namespace, ps->name, reason);
}
