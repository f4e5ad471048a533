/* The controllers (see controllers.h). Work is a queue of keys (kind, namespace, name or uid),
 * deduplicated while queued: the store's observer only notes keys, under the store's lock; the
 * controllers' thread reconciles one key at a time, reading and writing through the store like any
 * client, so a write that loses a race (-ESTALE) is simply queued again.
 *
 * A rollout goes step by step (rollout.h: maxSurge and maxUnavailable, or Recreate), old templates'
 * sets are kept up to revisionHistoryLimit for `kubectl rollout undo`. Simplifications, said in
 * docs/platform.md: orphans are not adopted by selector, minReadySeconds is not waited for, and
 * only ReplicaSets and Pods are collected as dependents. */
#include "platform/controllers.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/disruption.h"
#include "platform/endpoints.h"
#include "platform/events.h"
#include "platform/finalizers.h"
#include "platform/gc.h"
#include "platform/image_admission.h"
#include "platform/mtls_admission.h"
#include "platform/objects.h"
#include "platform/pod_mtls_admission.h"
#include "platform/rbac_aggregate.h"
#include "platform/rollout.h"
#include "platform/sa_admission.h"
#include "platform/tenancy.h"
#include "platform/tenant_controller.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* WORK_ENDPOINTS names a Service, or "*" for every Service of the namespace. */
/* WORK_DISRUPTION names a namespace whose PodDisruptionBudgets need their status again. */
/* WORK_TENANTS: every tenant's RBAC objects and status (tenant_controller.h). */
enum work_kind {
	WORK_DEPLOYMENT,
	WORK_REPLICASET,
	WORK_COLLECT,
	WORK_ENDPOINTS,
	WORK_AGGREGATE,
	WORK_DISRUPTION,
	WORK_TENANTS
};

struct work {
	enum work_kind kind;
	char namespace[254];
	char name[254]; /* WORK_COLLECT: the deleted owner's uid */
	struct work *next;
};

struct platform_controllers {
	struct platform_objects *objects;
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct work *head, **tail;
	size_t queued;
	bool stopping;
	const struct platform_resource *pods, *replicasets, *deployments, *services, *events, *cluster_roles, *budgets;
	const struct platform_resource *namespaces, *tenants;
	bool graceful_pods;
	enum platform_pss_level pod_security;               /* for namespaces without an enforce label */
	const struct scan_admission_config *scan_admission; /* NULL: none (image_admission.h) */
	int64_t last_refusal_ms;
	char last_refused_set[64];
};

#define MAX_QUEUED 100000

/* ---- the queue ---- */

static void enqueue(struct platform_controllers *c, enum work_kind kind, const char *namespace, const char *name)
{
	if (!namespace || !name)
		return;
	pthread_mutex_lock(&c->lock);
	bool queued = false;
	for (struct work *w = c->head; w && !queued; w = w->next)
		queued = w->kind == kind && strcmp(w->namespace, namespace) == 0 && strcmp(w->name, name) == 0;
	if (!queued && c->queued < MAX_QUEUED) {
		struct work *w = cc_xcalloc(1, sizeof(*w));
		w->kind = kind;
		snprintf(w->namespace, sizeof(w->namespace), "%s", namespace);
		snprintf(w->name, sizeof(w->name), "%s", name);
		*c->tail = w;
		c->tail = &w->next;
		c->queued++;
		pthread_cond_signal(&c->wake);
	}
	pthread_mutex_unlock(&c->lock);
}

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

/* The controller owner's name if it is of kind. */
static const char *controller_owner(const json_t *obj, const char *kind, const char **ret_uid)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref) {
		if (json_is_true(json_object_get(ref, "controller")) &&
		    strcmp(json_string_value(json_object_get(ref, "kind")) ?: "", kind) == 0) {
			if (ret_uid)
				*ret_uid = json_string_value(json_object_get(ref, "uid"));
			return json_string_value(json_object_get(ref, "name"));
		}
	}
	return NULL;
}

/* The store's observer: note what needs a look. Runs under the store's lock: no store calls. */
static void observe(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj)
{
	struct platform_controllers *c = ctx;
	const char *ns = meta(obj, "namespace");
	bool deleted = strcmp(type, "DELETED") == 0;
	if (r == c->deployments) {
		enqueue(c, deleted ? WORK_COLLECT : WORK_DEPLOYMENT, ns,
			deleted ? meta(obj, "uid") : meta(obj, "name"));
	} else if (r == c->replicasets) {
		enqueue(c, deleted ? WORK_COLLECT : WORK_REPLICASET, ns,
			deleted ? meta(obj, "uid") : meta(obj, "name"));
		enqueue(c, WORK_DEPLOYMENT, ns, controller_owner(obj, "Deployment", NULL));
		enqueue(c, WORK_DISRUPTION, ns, "*"); /* a budget's expected pods are the sets' replicas */
	} else if (r == c->pods) {
		enqueue(c, WORK_REPLICASET, ns, controller_owner(obj, "ReplicaSet", NULL));
		enqueue(c, WORK_ENDPOINTS, ns, "*");
		enqueue(c, WORK_DISRUPTION, ns, "*");
	} else if (r == c->budgets) {
		enqueue(c, WORK_DISRUPTION, ns, "*");
	} else if (r == c->services) {
		enqueue(c, WORK_ENDPOINTS, ns, meta(obj, "name"));
	} else if (r == c->cluster_roles) {
		enqueue(c, WORK_AGGREGATE, "", "*");
	}
	/* the tenants' bindings are restored when edited, and follow their namespaces */
	if (r == c->namespaces || r == c->tenants || strcmp(r->group, "rbac.authorization.k8s.io") == 0)
		enqueue(c, WORK_TENANTS, "", "*");
}

/* ---- helpers ---- */

static json_t *list_in(struct platform_controllers *c, const struct platform_resource *r, const char *namespace)
{
	struct platform_list_options o = { .namespace = namespace };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	struct cc_error err = { 0 };
	if (platform_objects_list(c->objects, r, &o, &items, &rv, &next, &err) < 0) {
		cc_warning("controllers: list %s in %s: %s", r->resource, namespace, cc_error_message(&err));
		return json_array();
	}
	free(next);
	return items;
}

static bool owned_by(const json_t *obj, const char *uid)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref)
		if (strcmp(json_string_value(json_object_get(ref, "uid")) ?: "", uid) == 0)
			return true;
	return false;
}

static json_t *owner_reference(const char *api_version, const char *kind, const json_t *owner)
{
	return json_pack("[{s:s, s:s, s:s, s:s, s:b, s:b}]", "apiVersion", api_version, "kind", kind, "name",
			 meta(owner, "name"), "uid", meta(owner, "uid"), "controller", 1, "blockOwnerDeletion", 1);
}

static bool pod_active(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	return !meta(pod, "deletionTimestamp") &&
	       !(phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0));
}

static json_int_t spec_int(const json_t *obj, const char *field, json_int_t fallback)
{
	const json_t *v = json_object_get(json_object_get(obj, "spec"), field);
	return json_is_integer(v) ? json_integer_value(v) : fallback;
}

/* Writes status when it differs from the stored one; a lost race is retried by the caller's key. */
/* updated replaces old, only if old is still the stored version (a lost race is queued again).
 * Takes updated. */
static int write_over(struct platform_controllers *c, const struct platform_resource *r, const json_t *old,
		      json_t *updated)
{
	json_t *stored = NULL;
	struct cc_error err = { 0 };
	const char *rv = meta(old, "resourceVersion");
	int rc = platform_objects_update(c->objects, r, updated, rv ? strtoll(rv, NULL, 10) : 0, &stored, &err);
	json_decref(updated);
	json_decref(stored);
	return rc;
}

static int write_status(struct platform_controllers *c, const struct platform_resource *r, json_t *obj, json_t *status)
{
	if (json_equal(json_object_get(obj, "status"), status)) {
		json_decref(status);
		return 0;
	}
	json_t *updated = json_deep_copy(obj);
	json_object_set_new(updated, "status", status);
	return write_over(c, r, obj, updated);
}

/* ---- ReplicaSet: as many pods as spec.replicas ---- */

/* Who creates a set's pods, as admission sees it (kube-controller-manager's account). */
#define REPLICASET_CONTROLLER "system:serviceaccount:kube-system:replicaset-controller"

/* A pod the set cannot create (Pod Security, the scanner's admission): kube-controller-manager's
 * FailedCreate event on the set, once a minute at most per set (the set
 * tries again at each pass). */
static void refused_pod(struct platform_controllers *c, const json_t *rs, const json_t *pod, const char *refusal)
{
	(void)pod;
	int64_t now = cc_time_monotonic_ms();
	if (now - c->last_refusal_ms < 60000 && strcmp(c->last_refused_set, meta(rs, "uid") ?: "") == 0)
		return;
	c->last_refusal_ms = now;
	snprintf(c->last_refused_set, sizeof(c->last_refused_set), "%s", meta(rs, "uid") ?: "");
	_cleanup_free_ char *message =
	    cc_xasprintf("Error creating: pods \"%s-\" is forbidden: %s", meta(rs, "name"), refusal);
	json_t *involved =
	    json_pack("{s:s, s:s, s:s, s:s, s:s}", "apiVersion", "apps/v1", "kind", "ReplicaSet", "namespace",
		      meta(rs, "namespace"), "name", meta(rs, "name"), "uid", meta(rs, "uid"));
	struct platform_event_source source = { .component = "replicaset-controller" };
	platform_event_record(c->objects, &source, involved, "Warning", "FailedCreate", message);
	cc_warning("replicaset %s/%s: %s", meta(rs, "namespace"), meta(rs, "name"), message);
}

/* 1 when a pod was created. */
static int create_pod(struct platform_controllers *c, const json_t *rs)
{
	const json_t *template = json_object_get(json_object_get(rs, "spec"), "template");
	json_t *template_meta = json_object_get(template, "metadata");
	char prefix[300];
	snprintf(prefix, sizeof(prefix), "%s-", meta(rs, "name"));
	json_t *pod = json_pack("{s:s, s:s, s:{s:s, s:s, s:O?, s:O?, s:o}, s:o}", "apiVersion", "v1", "kind", "Pod",
				"metadata", "generateName", prefix, "namespace", meta(rs, "namespace"), "labels",
				json_object_get(template_meta, "labels"), "annotations",
				json_object_get(template_meta, "annotations"), "ownerReferences",
				owner_reference("apps/v1", "ReplicaSet", rs), "spec",
				json_deep_copy(json_object_get(template, "spec")));
	json_t *pod_meta = json_object_get(pod, "metadata");
	for (const char *const *f = (const char *const[]){ "labels", "annotations", NULL }; *f; f++)
		if (json_is_null(json_object_get(pod_meta, *f)))
			json_object_del(pod_meta, *f); /* a template without them */
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	json_t *stored = NULL;
	struct cc_error err = { 0 };
	int created = 0;
	struct platform_pss_verdict pss = { .allowed = true };
	struct platform_image_verdict scanned = { .allowed = true };
	if (platform_admit_create(c->pods, pod, meta(rs, "namespace"), &refused) < 0)
		cc_warning("replicaset %s/%s: its pod template is refused: %.*s", meta(rs, "namespace"),
			   meta(rs, "name"), (int)refused.body.len, refused.body.data);
	else if (!platform_sa_admit_pod(c->objects, pod, &refused) ||
		 !platform_mtls_admit_pod(c->objects, pod, &refused) ||
		 !platform_mtls_guard_admit_pod(c->objects, NULL, pod, NULL, &refused))
		cc_warning("replicaset %s/%s: %.*s", meta(rs, "namespace"), meta(rs, "name"), (int)refused.body.len,
			   refused.body.data);
	else if (platform_pss_admit(c->objects, c->pod_security, pod, meta(rs, "namespace"), &pss), !pss.allowed)
		refused_pod(c, rs, pod, pss.refusal);
	else if (platform_image_admission_judge(c->scan_admission, c->pods, meta(rs, "namespace"), "CREATE",
						REPLICASET_CONTROLLER, pod, NULL, &scanned),
		 !scanned.allowed)
		refused_pod(c, rs, pod, scanned.reason);
	else if (platform_objects_create(c->objects, c->pods, pod, &stored, &err) < 0)
		cc_warning("replicaset %s/%s: create pod: %s", meta(rs, "namespace"), meta(rs, "name"),
			   cc_error_message(&err));
	else
		created = 1;
	platform_pss_verdict_clear(&pss);
	platform_image_verdict_clear(&scanned);
	json_decref(stored);
	json_decref(pod);
	cc_http_response_free(&refused);
	return created;
}

/* A pod the set no longer wants: deleted as `kubectl delete` would (graceful when a node runs it:
 * marked, then stopped within its terminationGracePeriodSeconds and removed by the node). */
static int remove_pod(struct platform_controllers *c, const json_t *pod)
{
	struct cc_error err = { 0 };
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	json_int_t grace = spec_int(pod, "terminationGracePeriodSeconds", 30);
	if (grace > 86400)
		grace = 86400; /* a day at most, as the API and the runner count it */
	if (!c->graceful_pods || !node || !node[0] || grace <= 0)
		return platform_objects_delete(c->objects, c->pods, meta(pod, "namespace"), meta(pod, "name"), 0, NULL,
					       &err);
	json_t *marked = json_deep_copy(pod);
	char when[40];
	int64_t at = cc_time_now_ns() + grace * 1000000000LL;
	cc_time_format_rfc3339_seconds(at, when, sizeof(when));
	json_object_set_new(json_object_get(marked, "metadata"), "deletionTimestamp", json_string(when));
	json_object_set_new(json_object_get(marked, "metadata"), "deletionGracePeriodSeconds", json_integer(grace));
	return write_over(c, c->pods, pod, marked);
}

static int remove_pod_in_foreground(void *ctx, const json_t *pod)
{
	return remove_pod(ctx, pod);
}

/* A Deployment's ReplicaSet deleted in the foreground goes after its own pods. */
static int remove_replicaset_in_foreground(void *ctx, const json_t *rs)
{
	struct platform_controllers *c = ctx;
	json_t *marked = json_deep_copy(rs);
	platform_finalizers_add(marked, PLATFORM_FINALIZER_FOREGROUND);
	platform_finalizers_mark(marked, cc_time_now_ns());
	return write_over(c, c->replicasets, rs, marked);
}

static int reconcile_replicaset(struct platform_controllers *c, const char *namespace, const char *name)
{
	json_t *rs = NULL;
	struct cc_error err = { 0 };
	int rc = platform_objects_get(c->objects, c->replicasets, namespace, name, &rs, &err);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	if (meta(rs, "deletionTimestamp")) { /* being deleted: no new pods, only its finalizers' work */
		rc = platform_gc_finalize(c->objects, c->replicasets, rs, c->pods, remove_pod_in_foreground, c);
		json_decref(rs);
		return rc;
	}
	json_t *pods = list_in(c, c->pods, namespace);
	json_t *mine = json_array();
	size_t i;
	json_t *pod;
	json_array_foreach (pods, i, pod)
		if (owned_by(pod, meta(rs, "uid")) && pod_active(pod))
			json_array_append(mine, pod);
	json_int_t want = spec_int(rs, "replicas", 1);
	json_int_t have = (json_int_t)json_array_size(mine);
	for (json_int_t n = have; n < want; n++)
		have += create_pod(c, rs);
	/* Too many: pods not ready go first, then the last ones listed (as Kubernetes prefers). */
	for (int pass = 0; pass < 2 && have > want; pass++) {
		for (size_t k = json_array_size(mine); k > 0 && have > want; k--) {
			json_t *victim = json_array_get(mine, k - 1);
			if (!victim || (pass == 0 && kube_pod_ready(victim)))
				continue;
			if (remove_pod(c, victim) == 0)
				have--;
			json_array_remove(mine, k - 1);
		}
	}
	json_int_t ready = 0;
	json_array_foreach (mine, i, pod)
		ready += kube_pod_ready(pod);
	json_t *status = json_pack("{s:I, s:I, s:I, s:I, s:I}", "replicas", have, "fullyLabeledReplicas", have,
				   "readyReplicas", ready, "availableReplicas", ready, "observedGeneration",
				   json_integer_value(json_object_get(json_object_get(rs, "metadata"), "generation")));
	rc = write_status(c, c->replicasets, rs, status);
	json_decref(mine);
	json_decref(pods);
	json_decref(rs);
	return rc;
}

/* ---- Deployment: one ReplicaSet per pod template ---- */

/* The pod-template-hash label: FNV-1a of the template, in Kubernetes' alphabet without vowels. */
static void template_hash(const json_t *template, char *out, size_t size)
{
	_cleanup_free_ char *text = cc_json_canonical(template);
	uint32_t h = 2166136261u;
	for (const unsigned char *p = (const unsigned char *)text; *p; p++)
		h = (h ^ *p) * 16777619u;
	static const char alphabet[] = "bcdfghjklmnpqrstvwxz2456789";
	char digits[16];
	int n = snprintf(digits, sizeof(digits), "%" PRIu32, h);
	size_t i;
	for (i = 0; i < (size_t)n && i + 1 < size; i++)
		out[i] = alphabet[(unsigned char)digits[i] % (sizeof(alphabet) - 1)];
	out[i] = '\0';
}

static json_t *new_replicaset(const json_t *d, const char *hash, json_int_t revision)
{
	const json_t *spec = json_object_get(d, "spec");
	json_t *template = json_deep_copy(json_object_get(spec, "template"));
	json_t *template_meta = json_object_get(template, "metadata");
	if (!json_is_object(template_meta)) {
		template_meta = json_object();
		json_object_set_new(template, "metadata", template_meta);
	}
	json_t *labels = json_object_get(template_meta, "labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(template_meta, "labels", labels);
	}
	json_object_set_new(labels, "pod-template-hash", json_string(hash));
	json_t *selector = json_deep_copy(json_object_get(spec, "selector"));
	json_t *match = json_object_get(selector, "matchLabels");
	if (!json_is_object(match)) {
		match = json_object();
		json_object_set_new(selector, "matchLabels", match);
	}
	json_object_set_new(match, "pod-template-hash", json_string(hash));
	char name[300], rev[24];
	snprintf(name, sizeof(name), "%s-%s", meta(d, "name"), hash);
	snprintf(rev, sizeof(rev), "%" JSON_INTEGER_FORMAT, revision);
	return json_pack("{s:s, s:s, s:{s:s, s:s, s:O, s:{s:s}, s:o}, s:{s:I, s:o, s:o}}", "apiVersion", "apps/v1",
			 "kind", "ReplicaSet", "metadata", "name", name, "namespace", meta(d, "namespace"), "labels",
			 labels, "annotations", "deployment.kubernetes.io/revision", rev, "ownerReferences",
			 owner_reference("apps/v1", "Deployment", d), "spec", "replicas", spec_int(d, "replicas", 1),
			 "selector", selector, "template", template);
}

static int set_replicas(struct platform_controllers *c, json_t *rs, json_int_t replicas)
{
	if (spec_int(rs, "replicas", 1) == replicas)
		return 0;
	json_t *updated = json_deep_copy(rs);
	json_object_set_new(json_object_get(updated, "spec"), "replicas", json_integer(replicas));
	return write_over(c, c->replicasets, rs, updated);
}

static json_t *deployment_status(const json_t *d, const json_t *owned, const char *hash)
{
	json_int_t replicas = 0, updated = 0, ready = 0, available = 0;
	size_t i;
	const json_t *rs;
	json_array_foreach (owned, i, rs) {
		const json_t *st = json_object_get(rs, "status");
		replicas += json_integer_value(json_object_get(st, "replicas"));
		ready += json_integer_value(json_object_get(st, "readyReplicas"));
		available += json_integer_value(json_object_get(st, "availableReplicas"));
		const char *h = json_string_value(
		    json_object_get(json_object_get(json_object_get(rs, "metadata"), "labels"), "pod-template-hash"));
		if (h && strcmp(h, hash) == 0)
			updated += json_integer_value(json_object_get(st, "replicas"));
	}
	json_int_t want = spec_int(d, "replicas", 1);
	bool is_available = available >= want;
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	/* Conditions keep their transition time while their status holds. */
	json_t *conditions = json_pack(
	    "[{s:s, s:s, s:s, s:s}, {s:s, s:s, s:s, s:s}]", "type", "Available", "status",
	    is_available ? "True" : "False", "reason",
	    is_available ? "MinimumReplicasAvailable" : "MinimumReplicasUnavailable", "message",
	    is_available ? "Deployment has minimum availability." : "Deployment does not have minimum availability.",
	    "type", "Progressing", "status", "True", "reason",
	    updated >= want && replicas == updated && available >= updated ? "NewReplicaSetAvailable"
									   : "ReplicaSetUpdated",
	    "message", "");
	json_t *old_conditions = json_object_get(json_object_get(d, "status"), "conditions");
	size_t j;
	json_t *cond;
	json_array_foreach (conditions, j, cond) {
		const json_t *old = json_array_get(old_conditions, j);
		bool same = old && json_equal(json_object_get(old, "status"), json_object_get(cond, "status"));
		const json_t *since = same ? json_object_get(old, "lastTransitionTime") : NULL;
		json_object_set_new(cond, "lastTransitionTime",
				    since ? json_incref((json_t *)since) : json_string(now));
	}
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "observedGeneration",
			 json_integer_value(json_object_get(json_object_get(d, "metadata"), "generation")), "replicas",
			 replicas, "updatedReplicas", updated, "readyReplicas", ready, "availableReplicas", available,
			 "unavailableReplicas", replicas > available ? replicas - available : 0, "conditions",
			 conditions);
}

static json_int_t revision_of(const json_t *rs)
{
	const char *rev = json_string_value(json_object_get(
	    json_object_get(json_object_get(rs, "metadata"), "annotations"), "deployment.kubernetes.io/revision"));
	return rev ? strtoll(rev, NULL, 10) : 0;
}

static int by_revision(const void *a, const void *b)
{
	json_int_t ra = revision_of(*(json_t *const *)a), rb = revision_of(*(json_t *const *)b);
	return ra < rb ? -1 : ra > rb;
}

static int create_replicaset(struct platform_controllers *c, const json_t *d, const char *hash, json_int_t revision)
{
	json_t *created = NULL, *fresh = new_replicaset(d, hash, revision);
	/* It starts empty: the rollout grows it step by step. */
	json_object_set_new(json_object_get(fresh, "spec"), "replicas", json_integer(0));
	struct cc_http_response refused;
	cc_http_response_init(&refused);
	struct cc_error err = { 0 };
	int rc = platform_admit_create(c->replicasets, fresh, meta(d, "namespace"), &refused);
	if (rc == 0)
		rc = platform_objects_create(c->objects, c->replicasets, fresh, &created, &err);
	cc_http_response_free(&refused);
	json_decref(fresh);
	json_decref(created);
	return rc;
}

/* deployment.kubernetes.io/revision on a Deployment or ReplicaSet. */
static void set_revision_annotation(json_t *obj, json_int_t revision)
{
	json_t *meta_obj = json_object_get(obj, "metadata");
	json_t *annotations = json_object_get(meta_obj, "annotations");
	if (!json_is_object(annotations)) {
		annotations = json_object();
		json_object_set_new(meta_obj, "annotations", annotations);
	}
	char rev[24];
	snprintf(rev, sizeof(rev), "%" JSON_INTEGER_FORMAT, revision);
	json_object_set_new(annotations, "deployment.kubernetes.io/revision", json_string(rev));
}

/* A rollback (kubectl rollout undo) makes an old template current again: its set takes the next
 * revision, as Kubernetes renumbers it. */
static int renumber(struct platform_controllers *c, json_t *rs, json_int_t revision)
{
	json_t *updated = json_deep_copy(rs);
	set_revision_annotation(updated, revision);
	return write_over(c, c->replicasets, rs, updated);
}

/* Old sets beyond spec.revisionHistoryLimit (default 10) that hold no pods go, oldest first. */
static void prune_history(struct platform_controllers *c, const json_t *d, json_t **sorted, size_t n,
			  const json_t *current)
{
	json_int_t limit = spec_int(d, "revisionHistoryLimit", 10);
	size_t old = 0;
	for (size_t i = 0; i < n; i++)
		old += sorted[i] != current;
	for (size_t i = 0; i < n && (json_int_t)old > limit; i++) {
		if (sorted[i] == current || spec_int(sorted[i], "replicas", 1) != 0 ||
		    json_integer_value(json_object_get(json_object_get(sorted[i], "status"), "replicas")) != 0)
			continue;
		struct cc_error err = { 0 };
		if (platform_objects_delete(c->objects, c->replicasets, meta(sorted[i], "namespace"),
					    meta(sorted[i], "name"), 0, NULL, &err) == 0)
			old--;
	}
}

/* One step of the rollout (rollout.h) over the Deployment's sets, oldest first. */
static int roll(struct platform_controllers *c, const json_t *d, json_t **sorted, size_t n, const json_t *current)
{
	struct rollout_set *sets = cc_xcalloc(n ? n : 1, sizeof(*sets));
	json_int_t *targets = cc_xcalloc(n ? n : 1, sizeof(*targets));
	for (size_t i = 0; i < n; i++) {
		const json_t *st = json_object_get(sorted[i], "status");
		sets[i] =
		    (struct rollout_set){ .replicas = spec_int(sorted[i], "replicas", 1),
					  .pods = json_integer_value(json_object_get(st, "replicas")),
					  .available = json_integer_value(json_object_get(st, "availableReplicas")),
					  .is_new = sorted[i] == current };
	}
	platform_rollout_step(json_object_get(json_object_get(d, "spec"), "strategy"), spec_int(d, "replicas", 1), sets,
			      n, targets);
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		if (targets[i] != sets[i].replicas)
			rc = set_replicas(c, sorted[i], targets[i]);
	free(sets);
	free(targets);
	return rc;
}

/* The status, and the annotation deployment.kubernetes.io/revision naming the current set's revision
 * (kubectl rollout undo patches it, so it must exist), when either changed. */
static int write_deployment(struct platform_controllers *c, const json_t *d, json_t *status, json_int_t revision)
{
	json_t *want = json_deep_copy(d);
	json_object_set_new(want, "status", status);
	if (revision > 0)
		set_revision_annotation(want, revision);
	int rc = 0;
	if (!json_equal(want, d)) {
		json_t *stored = NULL;
		struct cc_error err = { 0 };
		const char *rv = meta(d, "resourceVersion");
		rc = platform_objects_update(c->objects, c->deployments, want, rv ? strtoll(rv, NULL, 10) : 0, &stored,
					     &err);
		json_decref(stored);
	}
	json_decref(want);
	return rc;
}

static int reconcile_deployment(struct platform_controllers *c, const char *namespace, const char *name)
{
	json_t *d = NULL;
	struct cc_error err = { 0 };
	int rc = platform_objects_get(c->objects, c->deployments, namespace, name, &d, &err);
	if (rc < 0)
		return rc == -ENOENT ? 0 : rc;
	if (meta(d, "deletionTimestamp")) { /* being deleted: no rollout, only its finalizers' work */
		rc = platform_gc_finalize(c->objects, c->deployments, d, c->replicasets,
					  remove_replicaset_in_foreground, c);
		json_decref(d);
		return rc;
	}
	char hash[16];
	template_hash(json_object_get(json_object_get(d, "spec"), "template"), hash, sizeof(hash));
	json_t *all = list_in(c, c->replicasets, namespace), *owned = json_array();
	json_t *current = NULL;
	json_int_t revision = 0;
	size_t i;
	json_t *rs;
	json_array_foreach (all, i, rs) {
		if (!owned_by(rs, meta(d, "uid")))
			continue;
		json_array_append(owned, rs);
		const char *h = json_string_value(
		    json_object_get(json_object_get(json_object_get(rs, "metadata"), "labels"), "pod-template-hash"));
		if (h && strcmp(h, hash) == 0)
			current = rs;
		if (revision_of(rs) > revision)
			revision = revision_of(rs);
	}
	size_t n = json_array_size(owned);
	json_t **sorted = cc_xcalloc(n ? n : 1, sizeof(*sorted));
	for (i = 0; i < n; i++)
		sorted[i] = json_array_get(owned, i);
	qsort(sorted, n, sizeof(*sorted), by_revision);
	bool paused = json_is_true(json_object_get(json_object_get(d, "spec"), "paused"));
	if (!current && !paused)
		rc = create_replicaset(c, d, hash, revision + 1);
	else if (current && revision_of(current) < revision && !paused)
		rc = renumber(c, current, revision + 1);
	else if (current && !paused)
		rc = roll(c, d, sorted, n, current);
	if (rc == 0 && current)
		prune_history(c, d, sorted, n, current);
	if (rc == 0)
		rc = write_deployment(c, d, deployment_status(d, owned, hash), current ? revision_of(current) : 0);
	free(sorted);
	json_decref(owned);
	json_decref(all);
	json_decref(d);
	return rc == -EEXIST ? 0 : rc;
}

/* ---- garbage collection (gc.h) ---- */

static void collect(struct platform_controllers *c, const char *namespace, const char *uid)
{
	platform_gc_collect(c->objects, c->replicasets, namespace, uid);
	platform_gc_collect(c->objects, c->pods, namespace, uid);
}

/* ---- the thread ---- */

/* Events live an hour, as kube-apiserver's --event-ttl keeps them: swept once a minute (and 5 s
 * after a start). */
#define EVENT_TTL_NS         (3600LL * 1000000000)
#define EVENT_SWEEP_MS       60000
#define EVENT_FIRST_SWEEP_MS 5000 /* soon after a start: a platform that was down has a backlog */

static void expire_events(struct platform_controllers *c)
{
	json_t *events = list_in(c, c->events, NULL);
	int64_t now = cc_time_now_ns();
	size_t i;
	const json_t *ev;
	json_array_foreach (events, i, ev) {
		const char *last = json_string_value(json_object_get(ev, "lastTimestamp"));
		int64_t when = 0;
		if (!last || cc_time_parse_rfc3339(last, &when) < 0)
			cc_time_parse_rfc3339(meta(ev, "creationTimestamp") ?: "", &when);
		if (when && now - when > EVENT_TTL_NS) {
			struct cc_error err = { 0 };
			platform_objects_delete(c->objects, c->events, meta(ev, "namespace"), meta(ev, "name"), 0, NULL,
						&err);
		}
	}
	json_decref(events);
}

static void *controllers_main(void *arg)
{
	struct platform_controllers *c = arg;
	pthread_mutex_lock(&c->lock);
	int64_t next_expiry = cc_time_monotonic_ms() + EVENT_FIRST_SWEEP_MS;
	for (;;) {
		while (!c->head && !c->stopping && cc_time_monotonic_ms() < next_expiry) {
			struct timespec deadline;
			cc_time_monotonic_deadline((int)(next_expiry - cc_time_monotonic_ms()), &deadline);
			pthread_cond_timedwait(&c->wake, &c->lock, &deadline);
		}
		if (c->stopping)
			break;
		if (cc_time_monotonic_ms() >= next_expiry) {
			pthread_mutex_unlock(&c->lock);
			expire_events(c);
			pthread_mutex_lock(&c->lock);
			next_expiry = cc_time_monotonic_ms() + EVENT_SWEEP_MS;
			continue;
		}
		struct work *w = c->head;
		c->head = w->next;
		if (!c->head)
			c->tail = &c->head;
		c->queued--;
		pthread_mutex_unlock(&c->lock);
		int rc = 0;
		switch (w->kind) {
		case WORK_DEPLOYMENT: rc = reconcile_deployment(c, w->namespace, w->name); break;
		case WORK_REPLICASET: rc = reconcile_replicaset(c, w->namespace, w->name); break;
		case WORK_COLLECT: collect(c, w->namespace, w->name); break;
		case WORK_AGGREGATE: {
			struct cc_error err = { 0 };
			rc = platform_rbac_aggregate(c->objects, &err);
			break;
		}
		case WORK_TENANTS: {
			struct cc_error err = { 0 };
			rc = platform_tenants_reconcile(c->objects, &err);
			break;
		}
		case WORK_DISRUPTION: {
			struct cc_error err = { 0 };
			rc = platform_disruption_reconcile_namespace(c->objects, w->namespace, &err);
			break;
		}
		case WORK_ENDPOINTS: {
			struct cc_error err = { 0 };
			rc = strcmp(w->name, "*") == 0
				 ? platform_endpoints_reconcile_namespace(c->objects, w->namespace, &err)
				 : platform_endpoints_reconcile(c->objects, w->namespace, w->name, &err);
			break;
		}
		}
		if (rc == -ESTALE) /* another writer came first: look again */
			enqueue(c, w->kind, w->namespace, w->name);
		else if (rc < 0)
			cc_warning("controllers: %s/%s: %s", w->namespace, w->name, strerror(-rc));
		free(w);
		pthread_mutex_lock(&c->lock);
	}
	pthread_mutex_unlock(&c->lock);
	return NULL;
}

/* At start every Deployment and ReplicaSet is looked at once: changes made while stopped count. */
static void enqueue_all(struct platform_controllers *c, const struct platform_resource *r, enum work_kind kind)
{
	json_t *items = list_in(c, r, NULL);
	size_t i;
	json_t *obj;
	json_array_foreach (items, i, obj)
		enqueue(c, kind, meta(obj, "namespace"), meta(obj, "name"));
	json_decref(items);
}

int platform_controllers_start(struct platform_objects *objects, bool graceful_pods,
			       enum platform_pss_level pod_security, const struct scan_admission_config *scan_admission,
			       struct platform_controllers **ret, struct cc_error *err)
{
	struct platform_controllers *c = cc_xcalloc(1, sizeof(*c));
	c->scan_admission = scan_admission;
	c->objects = objects;
	c->tail = &c->head;
	pthread_mutex_init(&c->lock, NULL);
	cc_cond_init_monotonic(&c->wake);
	c->graceful_pods = graceful_pods;
	c->pod_security = pod_security;
	c->pods = platform_resource_find("", "v1", "pods");
	c->services = platform_resource_find("", "v1", "services");
	c->events = platform_resource_find("", "v1", "events");
	c->replicasets = platform_resource_find("apps", "v1", "replicasets");
	c->deployments = platform_resource_find("apps", "v1", "deployments");
	c->cluster_roles = platform_resource_find("rbac.authorization.k8s.io", "v1", "clusterroles");
	c->budgets = platform_resource_find("policy", "v1", "poddisruptionbudgets");
	c->namespaces = platform_resource_find("", "v1", "namespaces");
	c->tenants = platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
	platform_objects_observe(objects, observe, c);
	enqueue_all(c, c->deployments, WORK_DEPLOYMENT);
	enqueue_all(c, c->replicasets, WORK_REPLICASET);
	enqueue(c, WORK_AGGREGATE, "", "*");
	enqueue(c, WORK_TENANTS, "", "*");
	int e = cc_thread_start_worker(&c->thread, controllers_main, c);
	if (e != 0) {
		platform_objects_unobserve(objects, observe, c);
		free(c);
		return cc_error_set_errno(err, e, "start the controllers' thread");
	}
	*ret = c;
	return 0;
}

void platform_controllers_stop(struct platform_controllers *c)
{
	if (!c)
		return;
	platform_objects_unobserve(c->objects, observe, c);
	pthread_mutex_lock(&c->lock);
	c->stopping = true;
	pthread_cond_broadcast(&c->wake);
	pthread_mutex_unlock(&c->lock);
	pthread_join(c->thread, NULL);
	for (struct work *w = c->head, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	pthread_mutex_destroy(&c->lock);
	pthread_cond_destroy(&c->wake);
	free(c);
}
