/* The planner's input from a Kubernetes API server (see scale_kube.h). */
#include "scale_kube.h"

#include "cmd/cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "scale/cluster.h"
#include "scale/pod_request.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static const json_t *get2(const json_t *o, const char *a, const char *b)
{
	return json_object_get(json_object_get(o, a), b);
}

/* Ready and not cordoned: a node the scheduler may place pods on. */
static bool node_schedulable(const json_t *node)
{
	if (json_is_true(get2(node, "spec", "unschedulable")))
		return false;
	size_t i;
	const json_t *c;
	json_array_foreach (get2(node, "status", "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready") == 0)
			return strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True") == 0;
	return false;
}

static json_t *node_entry(const json_t *node, const char *block_label)
{
	const char *name = kube_meta(node, "name") ?: "";
	const json_t *labels = get2(node, "metadata", "labels");
	const char *block = json_string_value(json_object_get(labels, block_label)) ?: name;
	const json_t *allocatable = get2(node, "status", "allocatable");
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
	json_array_foreach (get2(node, "spec", "taints"), i, t)
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
	json_array_foreach (get2(pod, "spec", "volumes"), i, v)
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
	const char *node = json_string_value(get2(pod, "spec", "nodeName"));
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
		const json_t *v = get2(pod, copied[i][0], copied[i][1]);
		if (v && !json_is_null(v))
			json_object_set(entry, copied[i][1], (json_t *)v);
	}
	const char *evict = json_string_value(
	    json_object_get(get2(pod, "metadata", "annotations"), "cluster-autoscaler.kubernetes.io/safe-to-evict"));
	if (evict)
		json_object_set_new(entry, "annotations",
				    json_pack("{s:s}", "cluster-autoscaler.kubernetes.io/safe-to-evict", evict));
	json_object_set_new(entry, "localStorage", json_boolean(has_local_storage(pod)));
	return entry;
}

static json_t *pdb_entry(const json_t *pdb, FILE *warnings)
{
	const json_t *spec = json_object_get(pdb, "spec"), *selector = json_object_get(spec, "selector");
	json_t *entry = json_pack("{s:s, s:s, s:{s:O}}", "namespace", kube_meta(pdb, "namespace") ?: "default", "name",
				  kube_meta(pdb, "name") ?: "", "selector", "matchLabels",
				  json_object_get(selector, "matchLabels") ?: json_object());
	if (json_array_size(json_object_get(selector, "matchExpressions")))
		fprintf(warnings,
			"poddisruptionbudget %s/%s: matchExpressions are not read by the planner; it selects by "
			"matchLabels alone (more pods, so it blocks more, never less)\n",
			kube_meta(pdb, "namespace"), kube_meta(pdb, "name"));
	if (json_object_get(spec, "minAvailable"))
		json_object_set(entry, "minAvailable", json_object_get(spec, "minAvailable"));
	if (json_object_get(spec, "maxUnavailable"))
		json_object_set(entry, "maxUnavailable", json_object_get(spec, "maxUnavailable"));
	const json_t *healthy = get2(pdb, "status", "currentHealthy");
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

/* GETs every page of a collection (500 objects a page, as kubectl's chunking does). 404 is
 * *ret_missing when asked for, else a failure. */
static int list_all(struct kube *k, const char *path, bool *ret_missing, json_t **ret)
{
	json_t *items = json_array();
	_cleanup_free_ char *token = NULL;
	for (;;) {
		_cleanup_free_ char *escaped = token ? kube_query_escape(token) : NULL;
		_cleanup_free_ char *url =
		    cc_xasprintf("%s?limit=500%s%s", path, escaped ? "&continue=" : "", escaped ? escaped : "");
		long status = 0;
		json_t *page = NULL;
		if (kube_request(k, "GET", url, NULL, NULL, "application/json", &status, &page) < 0) {
			json_decref(items);
			return -1;
		}
		if (status == 404) {
			json_decref(page);
			json_decref(items);
			if (!ret_missing) {
				kube_print_status(status, NULL);
				return -1;
			}
			*ret_missing = true;
			*ret = json_array();
			return 0;
		}
		if (json_is_array(json_object_get(page, "items")))
			json_array_extend(items, json_object_get(page, "items"));
		const char *next = json_string_value(get2(page, "metadata", "continue"));
		free(token);
		token = next && next[0] ? cc_xstrdup(next) : NULL;
		json_decref(page);
		if (!token)
			break;
	}
	*ret = items;
	return 0;
}

int scale_state_fetch(struct kube *k, const struct scale_kube_options *o, FILE *warnings, json_t **ret)
{
	_cleanup_json_ json_t *nodes = NULL, *pods = NULL, *pdbs = NULL;
	bool no_budgets = false;
	if (list_all(k, "/api/v1/nodes", NULL, &nodes) < 0 || list_all(k, "/api/v1/pods", NULL, &pods) < 0 ||
	    list_all(k, "/apis/policy/v1/poddisruptionbudgets", &no_budgets, &pdbs) < 0)
		return -1;
	if (no_budgets)
		fprintf(warnings, "the server has no policy/v1 PodDisruptionBudgets: taken as none\n");
	*ret = scale_state_from_objects(nodes, pods, pdbs, o, cc_time_now_ns() / 1000000000, warnings);
	return 0;
}

int scale_history_load(const char *program, const char *path, struct scale_kube_options *o)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *doc = NULL;
	if (cc_read_file(path, 16u << 20, &data, &len, &err) < 0 ||
	    cc_json_parse(data, len, 16u << 20, path, &doc, &err) < 0) {
		cli_error(program, "--history: %s", cc_error_message(&err));
		return -1;
	}
	const json_t *h = json_object_get(doc, "history") ?: doc;
	if (!json_is_object(h) || (json_object_get(h, "blocks") && !json_is_array(json_object_get(h, "blocks")))) {
		cli_error(program,
			  "--history %s: expected a plan's JSON (`cocoon scale plan --format json`) or its "
			  "`history` object with a `blocks` array",
			  path);
		return -1;
	}
	json_decref(o->history);
	o->history = json_deep_copy(h);
	return 0;
}

/* ---- the options `cocoon scale state` and `cocoon scale plan --cluster` share ---- */

const struct option scale_kube_option_table[] = {
	{ "block-label", required_argument, NULL, SCALE_OPT_BLOCK_LABEL },
	{ "nodes-per-block", required_argument, NULL, SCALE_OPT_NODES_PER_BLOCK },
	{ "node-cpu", required_argument, NULL, SCALE_OPT_NODE_CPU },
	{ "node-memory", required_argument, NULL, SCALE_OPT_NODE_MEMORY },
	{ "reserve-cpu", required_argument, NULL, SCALE_OPT_RESERVE_CPU },
	{ "reserve-memory", required_argument, NULL, SCALE_OPT_RESERVE_MEMORY },
	{ "min-blocks", required_argument, NULL, SCALE_OPT_MIN_BLOCKS },
	{ "max-blocks", required_argument, NULL, SCALE_OPT_MAX_BLOCKS },
	{ "policy", required_argument, NULL, SCALE_OPT_POLICY },
	{ "history", required_argument, NULL, SCALE_OPT_HISTORY },
	{ 0 },
};

void scale_kube_options_init(struct scale_kube_options *o)
{
	*o = (struct scale_kube_options){ .block_label = "scale.cocoon.dev/block",
					  .sku = json_pack("{s:i, s:s, s:s}", "nodes_per_block", 15, "node_cpu",
							   "4000m", "node_memory", "8Gi"),
					  .min_blocks = 1,
					  .max_blocks = 1000 };
}

void scale_kube_options_clear(struct scale_kube_options *o)
{
	json_decref(o->sku);
	json_decref(o->policy);
	json_decref(o->history);
}

static int quantity_option(const char *program, const char *flag, const char *arg, bool cpu, json_t *sku,
			   const char *member)
{
	int64_t v;
	struct cc_error err = { 0 };
	if ((cpu ? scale_parse_cpu(arg, &v, &err) : scale_parse_memory(arg, &v, &err)) < 0) {
		cli_error(program, "--%s: %s", flag, cc_error_message(&err));
		return -1;
	}
	json_object_set_new(sku, member, json_string(arg));
	return 1;
}

static int json_file_option(const char *program, const char *flag, const char *path, json_t **ret)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	struct cc_error err = { 0 };
	json_t *doc = NULL;
	if (cc_read_file(path, 1u << 20, &data, &len, &err) < 0 ||
	    cc_json_parse(data, len, 1u << 20, path, &doc, &err) < 0) {
		cli_error(program, "--%s: %s", flag, cc_error_message(&err));
		return -1;
	}
	if (!json_is_object(doc)) {
		json_decref(doc);
		cli_error(program, "--%s %s: expected a JSON object", flag, path);
		return -1;
	}
	json_decref(*ret);
	*ret = doc;
	return 1;
}

int scale_kube_option(const char *program, int c, const char *arg, struct scale_kube_options *o)
{
	int64_t n;
	switch (c) {
	case SCALE_OPT_BLOCK_LABEL: o->block_label = arg; return 1;
	case SCALE_OPT_NODES_PER_BLOCK:
		if (!cli_parse_int64(arg, 1, 1000, &n)) {
			cli_error(program, "--nodes-per-block `%s`: give a whole number from 1 to 1000", arg);
			return -1;
		}
		json_object_set_new(o->sku, "nodes_per_block", json_integer(n));
		return 1;
	case SCALE_OPT_NODE_CPU: return quantity_option(program, "node-cpu", arg, true, o->sku, "node_cpu");
	case SCALE_OPT_NODE_MEMORY: return quantity_option(program, "node-memory", arg, false, o->sku, "node_memory");
	case SCALE_OPT_RESERVE_CPU: return quantity_option(program, "reserve-cpu", arg, true, o->sku, "reserve_cpu");
	case SCALE_OPT_RESERVE_MEMORY:
		return quantity_option(program, "reserve-memory", arg, false, o->sku, "reserve_memory");
	case SCALE_OPT_MIN_BLOCKS:
	case SCALE_OPT_MAX_BLOCKS:
		if (!cli_parse_int64(arg, 0, 100000, &n)) {
			cli_error(program, "--%s `%s`: give a whole number from 0 to 100000",
				  c == SCALE_OPT_MIN_BLOCKS ? "min-blocks" : "max-blocks", arg);
			return -1;
		}
		*(c == SCALE_OPT_MIN_BLOCKS ? &o->min_blocks : &o->max_blocks) = n;
		return 1;
	case SCALE_OPT_POLICY: return json_file_option(program, "policy", arg, &o->policy);
	case SCALE_OPT_HISTORY: return scale_history_load(program, arg, o) < 0 ? -1 : 1;
	default: return 0;
	}
}

struct option *scale_kube_all_options(const struct option *verb_options)
{
	size_t n = 0, m = 0;
	while (verb_options[n].name)
		n++;
	while (scale_kube_option_table[m].name)
		m++;
	struct option *joined = cc_xcalloc(n + m + 1, sizeof(*joined));
	memcpy(joined, verb_options, n * sizeof(*joined));
	memcpy(joined + n, scale_kube_option_table, m * sizeof(*joined));
	struct option *all = kube_options(joined);
	free(joined);
	return all;
}
