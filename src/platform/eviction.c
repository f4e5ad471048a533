/* The eviction subresource (see eviction.h). */
#include "platform/eviction.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/objects.h"
#include "platform/resources.h"
#include "platform/selector.h"
#include "platform/status.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* kube-apiserver's canIgnorePDB: nothing runs that a budget protects. */
static bool budget_irrelevant(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase")) ?: "";
	return kube_meta(pod, "deletionTimestamp") || kube_pod_finished(pod) || strcmp(phase, "Pending") == 0;
}

/* The budgets of the pod's namespace whose selector takes it (a new array). */
static json_t *budgets_of(struct platform_objects *objects, const struct platform_resource *budgets, const json_t *pod,
			  struct cc_error *err)
{
	struct platform_list_options opts = { .namespace = kube_meta(pod, "namespace") };
	json_t *items = NULL;
	int64_t rv;
	char *next = NULL;
	if (platform_objects_list(objects, budgets, &opts, &items, &rv, &next, err) < 0)
		return NULL;
	free(next);
	json_t *out = json_array();
	const json_t *labels = json_object_get(json_object_get(pod, "metadata"), "labels");
	size_t i;
	json_t *pdb;
	json_array_foreach (items, i, pdb) {
		_cleanup_(platform_selector_freep) struct platform_selector *selector = NULL;
		struct cc_error ignored = { 0 };
		if (platform_selector_from_json(json_object_get(json_object_get(pdb, "spec"), "selector"), &selector,
						&ignored) == 0 &&
		    platform_selector_matches(selector, labels))
			json_array_append(out, pdb);
	}
	json_decref(items);
	return out;
}

static void too_many(struct cc_http_response *resp, const struct platform_resource *pods, const char *pod,
		     const char *cause)
{
	/* 429 is outside platform_status_error's table: written here as kube-apiserver writes it. */
	json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:{s:s, s:s, s:[{s:s, s:s}]}, s:i}", "kind",
				   "Status", "apiVersion", "v1", "metadata", "status", "Failure", "message",
				   "Cannot evict pod as it would violate the pod's disruption budget.", "reason",
				   "TooManyRequests", "details", "name", pod, "kind", pods->resource, "causes",
				   "reason", "DisruptionBudget", "message", cause, "code", 429);
	platform_respond(resp, 429, status);
}

/* Takes one disruption of the budget for the pod: false when none is left or another writer came
 * first (the caller answers 429; the client retries, as kubectl drain does). */
static bool take_disruption(struct platform_objects *objects, const struct platform_resource *budgets, json_t *pdb,
			    const char *pod_name, char *why, size_t why_size)
{
	json_t *status = json_object_get(pdb, "status");
	json_int_t allowed = json_integer_value(json_object_get(status, "disruptionsAllowed"));
	json_int_t observed = json_integer_value(json_object_get(status, "observedGeneration"));
	json_int_t generation = json_integer_value(json_object_get(json_object_get(pdb, "metadata"), "generation"));
	if (!status || observed < generation) {
		snprintf(why, why_size, "The disruption budget %s is still being processed by the server.",
			 kube_meta(pdb, "name"));
		return false;
	}
	if (allowed <= 0) {
		snprintf(why, why_size, "The disruption budget %s needs %lld healthy pods and has %lld currently",
			 kube_meta(pdb, "name"),
			 (long long)json_integer_value(json_object_get(status, "desiredHealthy")),
			 (long long)json_integer_value(json_object_get(status, "currentHealthy")));
		return false;
	}
	json_object_set_new(status, "disruptionsAllowed", json_integer(allowed - 1));
	json_t *disrupted = json_object_get(status, "disruptedPods");
	if (!json_is_object(disrupted)) {
		disrupted = json_object();
		json_object_set_new(status, "disruptedPods", disrupted);
	}
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	json_object_set_new(disrupted, pod_name, json_string(now));
	int64_t rv = strtoll(kube_meta(pdb, "resourceVersion") ?: "0", NULL, 10);
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int r = platform_objects_update(objects, budgets, pdb, rv, &stored, &err);
	json_decref(stored);
	if (r < 0) {
		snprintf(why, why_size, "The disruption budget %s changed while the eviction was decided: try again",
			 kube_meta(pdb, "name"));
		return false;
	}
	return true;
}

bool platform_eviction_allow(struct platform_objects *objects, const struct platform_resource *pods, const json_t *pod,
			     struct cc_http_response *resp)
{
	const char *name = kube_meta(pod, "name") ?: "";
	if (budget_irrelevant(pod))
		return true;
	const struct platform_resource *budgets = platform_resource_find("policy", "v1", "poddisruptionbudgets");
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *covering = budgets_of(objects, budgets, pod, &err);
	if (!covering) {
		platform_status_error(resp, 500, NULL, pods, name, "list the disruption budgets: %s",
				      cc_error_message(&err));
		return false;
	}
	if (json_array_size(covering) > 1) {
		platform_status_error(resp, 500, NULL, pods, name,
				      "This pod has more than one PodDisruptionBudget, which the eviction subresource "
				      "does not support.");
		return false;
	}
	if (json_array_size(covering) == 0)
		return true;
	char why[512];
	if (!take_disruption(objects, budgets, json_array_get(covering, 0), name, why, sizeof(why))) {
		too_many(resp, pods, name, why);
		return false;
	}
	return true;
}
