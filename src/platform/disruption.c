/* The disruption controller (see disruption.h). */
#include "platform/disruption.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/objects.h"
#include "platform/resources.h"
#include "platform/selector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* How long an eviction's disruption counts before the pod is marked deleted: kube-controller-manager's
 * DeletionTimeout, after which a pod that did not go counts as healthy again. */
#define DISRUPTION_TIMEOUT_NS (120LL * 1000000000)

static bool pod_healthy(const json_t *pod)
{
	return !kube_meta(pod, "deletionTimestamp") && kube_pod_ready(pod);
}

static json_int_t replicas_of(const json_t *replicasets, const char *name)
{
	size_t i;
	const json_t *rs;
	json_array_foreach (replicasets, i, rs)
		if (strcmp(kube_meta(rs, "name") ?: "", name) == 0)
			return json_integer_value(json_object_get(json_object_get(rs, "spec"), "replicas"));
	return -1;
}

/* A count, or "N%" of total rounded up; -1 when malformed (the API server validates, so a budget
 * that gets here malformed came from a store written by hand: it protects nothing it cannot read). */
static json_int_t int_or_percent(const json_t *v, json_int_t total)
{
	if (json_is_integer(v))
		return json_integer_value(v);
	const char *s = json_string_value(v);
	char *end;
	long long pct = s ? strtoll(s, &end, 10) : -1;
	if (!s || end == s || strcmp(end, "%") != 0 || pct < 0 || pct > 100)
		return -1;
	return (json_int_t)((pct * total + 99) / 100);
}

json_t *platform_disruption_status(const json_t *pdb, const json_t *pods, const json_t *replicasets,
				   const json_t *observed)
{
	const json_t *spec = json_object_get(pdb, "spec");
	_cleanup_(platform_selector_freep) struct platform_selector *selector = NULL;
	struct cc_error err = { 0 };
	if (platform_selector_from_json(json_object_get(spec, "selector"), &selector, &err) < 0)
		selector = NULL;
	json_int_t expected = 0, healthy = 0;
	_cleanup_json_ json_t *counted = json_object(); /* controllers already counted */
	json_t *disrupted = json_object();
	int64_t now_ns = cc_time_now_ns();
	size_t i;
	const json_t *pod;
	json_array_foreach (pods, i, pod) {
		if (!selector || kube_pod_finished(pod) ||
		    !platform_selector_matches(selector, json_object_get(json_object_get(pod, "metadata"), "labels")))
			continue;
		/* A pod an eviction took a disruption for, not yet marked deleted: already gone as far as
		 * the budget is concerned, or a second eviction could take the same disruption. */
		const char *name = kube_meta(pod, "name") ?: "";
		const json_t *since = json_object_get(json_object_get(observed, "disruptedPods"), name);
		int64_t since_ns = 0;
		if (json_is_string(since) && !kube_meta(pod, "deletionTimestamp") &&
		    cc_time_parse_rfc3339(json_string_value(since), &since_ns) == 0 &&
		    now_ns - since_ns < DISRUPTION_TIMEOUT_NS) {
			json_object_set(disrupted, name, (json_t *)since);
		} else {
			healthy += pod_healthy(pod);
		}
		const json_t *ref = kube_controller_ref(pod);
		const char *kind = json_string_value(json_object_get(ref, "kind"));
		const char *owner = json_string_value(json_object_get(ref, "name"));
		json_int_t want =
		    kind && owner && strcmp(kind, "ReplicaSet") == 0 ? replicas_of(replicasets, owner) : -1;
		if (want < 0) {
			expected++;
			continue;
		}
		if (!json_object_get(counted, owner)) {
			json_object_set_new(counted, owner, json_true());
			expected += want;
		}
	}
	json_int_t desired = 0;
	const json_t *min = json_object_get(spec, "minAvailable"), *max = json_object_get(spec, "maxUnavailable");
	if (max) {
		json_int_t unavailable = int_or_percent(max, expected);
		desired = unavailable < 0 ? expected : expected - unavailable;
	} else if (min) {
		desired = int_or_percent(min, expected);
		if (desired < 0)
			desired = expected;
	}
	if (desired < 0)
		desired = 0;
	json_int_t allowed = healthy > desired ? healthy - desired : 0;
	const char *cond_status = allowed > 0 ? "True" : "False";
	const char *since = NULL;
	json_array_foreach (json_object_get(observed, "conditions"), i, pod)
		if (strcmp(json_string_value(json_object_get(pod, "type")) ?: "", "DisruptionAllowed") == 0 &&
		    strcmp(json_string_value(json_object_get(pod, "status")) ?: "", cond_status) == 0)
			since = json_string_value(json_object_get(pod, "lastTransitionTime"));
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	json_int_t generation = json_integer_value(json_object_get(json_object_get(pdb, "metadata"), "generation"));
	json_t *status =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:[{s:s, s:s, s:s, s:s, s:s, s:I}]}", "observedGeneration", generation,
		      "disruptionsAllowed", allowed, "currentHealthy", healthy, "desiredHealthy", desired,
		      "expectedPods", expected, "conditions", "type", "DisruptionAllowed", "status", cond_status,
		      "reason", allowed > 0 ? "SufficientPods" : "InsufficientPods", "message", "",
		      "lastTransitionTime", since ?: now, "observedGeneration", generation);
	if (json_object_size(disrupted))
		json_object_set(status, "disruptedPods", disrupted);
	json_decref(disrupted);
	return status;
}

int platform_disruption_reconcile_namespace(struct platform_objects *objects, const char *namespace,
					    struct cc_error *err)
{
	const struct platform_resource *budgets = platform_resource_find("policy", "v1", "poddisruptionbudgets");
	_cleanup_json_ json_t *pdbs = platform_objects_list_all(objects, budgets, namespace, err);
	if (!pdbs)
		return -EIO;
	if (json_array_size(pdbs) == 0)
		return 0;
	_cleanup_json_ json_t *pods =
	    platform_objects_list_all(objects, platform_resource_find("", "v1", "pods"), namespace, err);
	_cleanup_json_ json_t *replicasets =
	    platform_objects_list_all(objects, platform_resource_find("apps", "v1", "replicasets"), namespace, err);
	if (!pods || !replicasets)
		return -EIO;
	int rc = 0;
	size_t i;
	json_t *pdb;
	json_array_foreach (pdbs, i, pdb) {
		const json_t *old = json_object_get(pdb, "status");
		json_t *status = platform_disruption_status(pdb, pods, replicasets, old);
		if (json_equal(status, old)) {
			json_decref(status);
			continue;
		}
		json_object_set_new(pdb, "status", status);
		int64_t rv = strtoll(kube_meta(pdb, "resourceVersion") ?: "0", NULL, 10);
		json_t *stored = NULL;
		int r = platform_objects_update(objects, budgets, pdb, rv, &stored, err);
		json_decref(stored);
		if (r < 0 && r != -ENOENT && rc == 0)
			rc = r;
	}
	return rc;
}
