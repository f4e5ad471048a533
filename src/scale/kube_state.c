/* The planner's input from Kubernetes objects (see kube_state.h). */
#include "scale/kube_state.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "scale/pod_request.h"
#include "scale/quantity.h"

#include <string.h>

/* Ready and not cordoned: a node the scheduler may place pods on. */
static bool node_schedulable(const json_t *node)
{
	if (json_is_true(kube_get2(node, "spec", "unschedulable")))
		return false;
	size_t i;
	const json_t *c;
	json_array_foreach (kube_get2(node, "status", "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready") == 0)
			return strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True") == 0;
	return false;
}

static json_t *node_entry(const json_t *node, const char *block_label)
{
	const char *name = kube_meta(node, "name") ?: "";
	const json_t *labels = kube_get2(node, "metadata", "labels");
	const char *block = json_string_value(json_object_get(labels, block_label)) ?: name;
	const json_t *allocatable = kube_get2(node, "status", "allocatable");
	json_t *entry = json_pack("{s:s, s:s, s:b}", "name", name, "block", block, "ready", node_schedulable(node));
	if (json_object_get(allocatable, "cpu") && json_object_get(allocatable, "memory"))
		json_object_set_new(entry, "allocatable",
				    json_pack("{s:O, s:O}", "cpu", json_object_get(allocatable, "cpu"), "memory",
					      json_object_get(allocatable, "memory")));
	if (json_is_object(labels))
		json_object_set(entry, "labels", (json_t *)labels);
	json_t *taints = json_array();
	size_t i;
	const json_t *t;
	json_array_foreach (kube_get2(node, "spec", "taints"), i, t)
		json_array_append_new(taints, json_pack("{s:s, s:s, s:s}", "key",
							json_string_value(json_object_get(t, "key")) ?: "", "value",
							json_string_value(json_object_get(t, "value")) ?: "", "effect",
							json_string_value(json_object_get(t, "effect")) ?: ""));
	json_object_set_new(entry, "taints", taints);
	return entry;
}

static bool has_local_storage(const json_t *pod)
{
	size_t i;
	const json_t *v;
	json_array_foreach (kube_get2(pod, "spec", "volumes"), i, v)
		if (json_object_get(v, "emptyDir") || json_object_get(v, "hostPath"))
			return true;
	return false;
}

static json_t *pod_entry(const json_t *pod, const json_t *known_nodes, FILE *warnings)
{
	const char *ns = kube_meta(pod, "namespace") ?: "default", *name = kube_meta(pod, "name") ?: "";
	struct scale_pod_request req;
	struct cc_error err = { 0 };
	if (scale_pod_request(pod, &req, &err) < 0) {
		fprintf(warnings, "pod %s/%s: %s; counted as asking nothing\n", ns, name, cc_error_message(&err));
		req = (struct scale_pod_request){ 0 };
	}
	char cpu[32], memory[32];
	scale_format_cpu(req.cpu_milli, cpu, sizeof(cpu));
	scale_format_memory(req.memory, memory, sizeof(memory));
	json_t *entry = json_pack("{s:s, s:s, s:{s:s, s:s}}", "namespace", ns, "name", name, "requests", "cpu", cpu,
				  "memory", memory);
	const char *node = json_string_value(kube_get2(pod, "spec", "nodeName"));
	if (node && node[0] && json_object_get(known_nodes, node))
		json_object_set_new(entry, "nodeName", json_string(node));
	else if (node && node[0])
		fprintf(warnings, "pod %s/%s: on node `%s`, which is not listed; counted as pending\n", ns, name, node);
	const json_t *ref = kube_controller_ref(pod);
	if (ref)
		json_object_set_new(entry, "owner",
				    json_pack("{s:O, s:O}", "kind", json_object_get(ref, "kind"), "name",
					      json_object_get(ref, "name")));
	static const char *const copied[][2] = { { "metadata", "labels" },
						 { "spec", "nodeSelector" },
						 { "spec", "tolerations" } };
	for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++) {
		const json_t *v = kube_get2(pod, copied[i][0], copied[i][1]);
		if (v && !json_is_null(v))
			json_object_set(entry, copied[i][1], (json_t *)v);
	}
	const char *evict = json_string_value(json_object_get(kube_get2(pod, "metadata", "annotations"),
							      "cluster-autoscaler.kubernetes.io/safe-to-evict"));
	if (evict)
		json_object_set_new(entry, "annotations",
				    json_pack("{s:s}", "cluster-autoscaler.kubernetes.io/safe-to-evict", evict));
	json_object_set_new(entry, "localStorage", json_boolean(has_local_storage(pod)));
	return entry;
}

static json_t *pdb_entry(const json_t *pdb, FILE *warnings)
{
	const json_t *spec = json_object_get(pdb, "spec"), *selector = json_object_get(spec, "selector");
	const json_t *labels = json_object_get(selector, "matchLabels");
	json_t *entry = json_pack("{s:s, s:s, s:{s:o}}", "namespace", kube_meta(pdb, "namespace") ?: "default", "name",
				  kube_meta(pdb, "name") ?: "", "selector", "matchLabels",
				  json_is_object(labels) ? json_deep_copy(labels) : json_object());
	if (json_array_size(json_object_get(selector, "matchExpressions")))
		fprintf(warnings,
			"poddisruptionbudget %s/%s: matchExpressions are not read by the planner; it selects by "
			"matchLabels alone (more pods, so it blocks more, never less)\n",
			kube_meta(pdb, "namespace"), kube_meta(pdb, "name"));
	if (json_object_get(spec, "minAvailable"))
		json_object_set(entry, "minAvailable", json_object_get(spec, "minAvailable"));
	if (json_object_get(spec, "maxUnavailable"))
		json_object_set(entry, "maxUnavailable", json_object_get(spec, "maxUnavailable"));
	const json_t *healthy = kube_get2(pdb, "status", "currentHealthy");
	if (json_is_integer(healthy))
		json_object_set(entry, "currentHealthy", (json_t *)healthy);
	return entry;
}

/* The timers of blocks that still exist (a removed block's timer would be an error to the planner). */
static json_t *known_blocks(const json_t *history_blocks, const json_t *node_blocks)
{
	json_t *out = json_array();
	size_t i;
	const json_t *b;
	json_array_foreach (history_blocks, i, b) {
		const char *id = json_string_value(json_object_get(b, "id"));
		if (id && (json_object_get(node_blocks, id) || json_is_true(json_object_get(b, "provisioning"))))
			json_array_append(out, (json_t *)b);
	}
	return out;
}

json_t *scale_state_from_objects(const json_t *nodes, const json_t *pods, const json_t *pdbs,
				 const struct scale_kube_options *o, int64_t now, FILE *warnings)
{
	json_t *doc = json_pack("{s:I, s:O, s:I, s:I}", "now", (json_int_t)now, "sku", o->sku, "min_blocks",
				(json_int_t)o->min_blocks, "max_blocks", (json_int_t)o->max_blocks);
	if (o->policy)
		json_object_set(doc, "policy", o->policy);
	json_t *node_list = json_array(), *known = json_object(), *blocks = json_object();
	size_t i;
	const json_t *obj;
	json_array_foreach (nodes, i, obj) {
		json_t *entry = node_entry(obj, o->block_label);
		json_object_set_new(known, json_string_value(json_object_get(entry, "name")), json_true());
		json_object_set_new(blocks, json_string_value(json_object_get(entry, "block")), json_true());
		json_array_append_new(node_list, entry);
	}
	json_t *pod_list = json_array(), *pdb_list = json_array();
	json_array_foreach (pods, i, obj)
		if (!kube_pod_finished(obj))
			json_array_append_new(pod_list, pod_entry(obj, known, warnings));
	json_array_foreach (pdbs, i, obj)
		json_array_append_new(pdb_list, pdb_entry(obj, warnings));
	if (o->history) {
		json_t *h = json_deep_copy(o->history);
		json_t *hb = json_object_get(h, "blocks");
		json_object_set_new(doc, "blocks", known_blocks(hb, blocks));
		json_object_del(h, "blocks");
		if (json_object_size(h))
			json_object_set(doc, "history", h);
		json_decref(h);
	}
	json_object_set_new(doc, "nodes", node_list);
	json_object_set_new(doc, "pods", pod_list);
	json_object_set_new(doc, "pdbs", pdb_list);
	json_decref(known);
	json_decref(blocks);
	return doc;
}
