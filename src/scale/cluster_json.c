/* Reads the cluster state from JSON (docs/scale.md, "Input"). The parts that are Kubernetes objects
 * (nodes, pods, PodDisruptionBudgets) keep Kubernetes' spelling (nodeName, nodeSelector,
 * matchLabels, minAvailable) and ignore members they do not use, so the output of a kubectl query
 * can be mapped in with little work; cocoon's own parts (sku, policy, history, blocks) are
 * snake_case and refuse unknown members, because a misspelt limit silently taking its default is
 * how a cluster ends up with the wrong size. Every message names the object and the field. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scale/cluster.h"
#include "scale/names.h"
#include "scale/quantity.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <string.h>

#define SAFE_TO_EVICT "cluster-autoscaler.kubernetes.io/safe-to-evict"

/* Refuses members of obj not in allowed (a NULL-terminated list). */
static int check_members(const json_t *obj, const char *const *allowed, const char *what, struct cc_error *err)
{
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)obj, key, v) {
		bool known = false;
		for (size_t i = 0; allowed[i] && !known; i++)
			known = strcmp(key, allowed[i]) == 0;
		if (!known)
			return cc_error_set(err, EINVAL, "%s: unknown field `%s`", what, key);
	}
	return 0;
}

static int get_number(const json_t *obj, const char *field, double *ret, struct cc_error *err)
{
	json_t *v = json_object_get(obj, field);
	if (!v)
		return 0;
	if (!json_is_number(v))
		return cc_error_set(err, EINVAL, "field `%s` must be a number", field);
	*ret = json_number_value(v);
	return 0;
}

static int get_seconds(const json_t *obj, const char *field, int64_t *ret, struct cc_error *err)
{
	if (!json_object_get(obj, field))
		return 0;
	int r = cc_json_get_int(obj, field, true, ret, err);
	if (r < 0)
		return r;
	if (*ret < 0)
		return cc_error_set(err, EINVAL, "field `%s` is negative", field);
	return 0;
}

/* An optional object of string values (labels, nodeSelector, matchLabels); ret gets a new
 * reference, an empty object when absent. */
static int get_labels(const json_t *obj, const char *field, json_t **ret, struct cc_error *err)
{
	json_t *v = json_object_get(obj, field);
	if (!v || json_is_null(v)) {
		*ret = json_object();
		return 0;
	}
	if (!json_is_object(v))
		return cc_error_set(err, EINVAL, "field `%s` must be an object of strings", field);
	const char *key;
	json_t *value;
	json_object_foreach (v, key, value)
		if (!json_is_string(value))
			return cc_error_set(err, EINVAL, "field `%s.%s` must be a string", field, key);
	*ret = json_incref(v);
	return 0;
}

static int get_resources(const json_t *obj, const char *field, bool required, struct scale_resources *ret,
			 struct cc_error *err)
{
	json_t *res = NULL;
	int r = cc_json_get_object(obj, field, required, &res, err);
	if (r < 0 || !res)
		return r;
	char what[64];
	json_t *cpu = json_object_get(res, "cpu"), *memory = json_object_get(res, "memory");
	if (cpu) {
		snprintf(what, sizeof(what), "%s.cpu", field);
		if ((r = scale_json_cpu(cpu, what, &ret->cpu_milli, err)) < 0)
			return r;
	}
	if (memory) {
		snprintf(what, sizeof(what), "%s.memory", field);
		if ((r = scale_json_memory(memory, what, &ret->memory, err)) < 0)
			return r;
	}
	return 0;
}

static int parse_sku(const json_t *doc, struct scale_sku *sku, struct cc_error *err)
{
	static const char *const members[] = { "nodes_per_block", "node_cpu", "node_memory", "reserve_cpu",
					       "reserve_memory",  "labels",   NULL };
	json_t *obj = NULL;
	int r = cc_json_get_object(doc, "sku", false, &obj, err);
	if (r < 0 || !obj)
		return r;
	if ((r = check_members(obj, members, "sku", err)) < 0 ||
	    (r = cc_json_get_int(obj, "nodes_per_block", false, &sku->nodes_per_block, err)) < 0)
		return r;
	if (sku->nodes_per_block < 1 || sku->nodes_per_block > 1000)
		return cc_error_set(err, EINVAL, "field `nodes_per_block` must be 1 to 1000");
	json_t *v;
	if ((v = json_object_get(obj, "node_cpu")) &&
	    (r = scale_json_cpu(v, "node_cpu", &sku->node.cpu_milli, err)) < 0)
		return r;
	if ((v = json_object_get(obj, "node_memory")) &&
	    (r = scale_json_memory(v, "node_memory", &sku->node.memory, err)) < 0)
		return r;
	if ((v = json_object_get(obj, "reserve_cpu")) &&
	    (r = scale_json_cpu(v, "reserve_cpu", &sku->reserve.cpu_milli, err)) < 0)
		return r;
	if ((v = json_object_get(obj, "reserve_memory")) &&
	    (r = scale_json_memory(v, "reserve_memory", &sku->reserve.memory, err)) < 0)
		return r;
	json_t *labels;
	if ((r = get_labels(obj, "labels", &labels, err)) < 0)
		return r;
	json_decref(sku->labels);
	sku->labels = labels;
	struct scale_resources a = scale_sku_node_allocatable(sku);
	if (a.cpu_milli <= 0 || a.memory <= 0)
		return cc_error_set(err, EINVAL,
				    "the reserve leaves nothing of a node: node_cpu and node_memory must be "
				    "larger than reserve_cpu and reserve_memory");
	return 0;
}

static int parse_policy(const json_t *doc, struct scale_policy *p, struct cc_error *err)
{
	static const char *const members[] = { "target_utilization",  "max_utilization_after_scale_down",
					       "unneeded_time",       "scale_up_cooldown",
					       "scale_down_cooldown", NULL };
	json_t *obj = NULL;
	int r = cc_json_get_object(doc, "policy", false, &obj, err);
	if (r < 0 || !obj)
		return r;
	if ((r = check_members(obj, members, "policy", err)) < 0 ||
	    (r = get_number(obj, "target_utilization", &p->target_utilization, err)) < 0 ||
	    (r = get_number(obj, "max_utilization_after_scale_down", &p->max_utilization_after_scale_down, err)) < 0 ||
	    (r = get_seconds(obj, "unneeded_time", &p->unneeded_time, err)) < 0 ||
	    (r = get_seconds(obj, "scale_up_cooldown", &p->scale_up_cooldown, err)) < 0 ||
	    (r = get_seconds(obj, "scale_down_cooldown", &p->scale_down_cooldown, err)) < 0)
		return r;
	if (!(p->target_utilization > 0 && p->target_utilization <= 1))
		return cc_error_set(err, EINVAL, "field `target_utilization` must be above 0 and at most 1");
	if (json_object_get(obj, "max_utilization_after_scale_down") &&
	    !(p->max_utilization_after_scale_down >= p->target_utilization && p->max_utilization_after_scale_down <= 1))
		return cc_error_set(
		    err, EINVAL, "field `max_utilization_after_scale_down` must be between target_utilization and 1");
	return 0;
}

static int parse_limits_and_history(const json_t *doc, struct scale_cluster *c, struct cc_error *err)
{
	int r;
	if ((r = cc_json_get_int(doc, "now", true, &c->now, err)) < 0)
		return cc_error_prefix(err, "the time the plan is for (seconds since the epoch)");
	if ((r = get_seconds(doc, "min_blocks", &c->min_blocks, err)) < 0 ||
	    (r = get_seconds(doc, "max_blocks", &c->max_blocks, err)) < 0)
		return r;
	if (c->max_blocks < c->min_blocks)
		return cc_error_set(err, EINVAL, "max_blocks (%" PRId64 ") is below min_blocks (%" PRId64 ")",
				    c->max_blocks, c->min_blocks);
	json_t *history = NULL;
	if ((r = cc_json_get_object(doc, "history", false, &history, err)) < 0)
		return r;
	if (history) {
		static const char *const members[] = { "last_scale_up", "last_scale_down", NULL };
		if ((r = check_members(history, members, "history", err)) < 0 ||
		    (r = get_seconds(history, "last_scale_up", &c->last_scale_up, err)) < 0 ||
		    (r = get_seconds(history, "last_scale_down", &c->last_scale_down, err)) < 0)
			return cc_error_prefix(err, "history");
		if (c->last_scale_up > c->now || c->last_scale_down > c->now)
			return cc_error_set(err, EINVAL, "history: a scale event after `now` (%" PRId64 ")", c->now);
	}
	return 0;
}

/* The blocks array: ids and their history. Blocks named only by nodes are added as nodes come. */
static int parse_blocks(const json_t *doc, struct scale_cluster *c, struct scale_names *ids, struct cc_error *err)
{
	static const char *const members[] = { "id", "underutilized_since", "provisioning", NULL };
	json_t *blocks = NULL;
	int r = cc_json_get_array(doc, "blocks", false, &blocks, err);
	if (r < 0 || !blocks)
		return r;
	size_t i;
	json_t *b;
	json_array_foreach (blocks, i, b) {
		const char *id = NULL;
		if (!json_is_object(b))
			return cc_error_set(err, EINVAL, "blocks[%zu] must be an object", i);
		if ((r = cc_json_get_string(b, "id", true, &id, err)) < 0)
			return cc_error_prefix(err, "blocks[%zu]", i);
		size_t at = scale_cluster_add_block(c, id);
		struct scale_block *block = &c->blocks[at];
		if (!scale_names_add(ids, block->id, at))
			return cc_error_set(err, EINVAL, "block \"%s\" is listed twice in `blocks`", id);
		if ((r = check_members(b, members, "block", err)) < 0 ||
		    (r = cc_json_get_int(b, "underutilized_since", false, &block->underutilized_since, err)) < 0 ||
		    (r = cc_json_get_bool(b, "provisioning", false, &block->provisioning, err)) < 0)
			return cc_error_prefix(err, "block \"%s\"", id);
		if (block->underutilized_since > c->now)
			return cc_error_set(err, EINVAL, "block \"%s\": field `underutilized_since` is after `now`",
					    id);
	}
	return 0;
}

static int parse_effect(const char *text, int *ret, struct cc_error *err)
{
	static const char *const names[] = { "NoSchedule", "PreferNoSchedule", "NoExecute" };
	for (int i = 0; i < SCALE_TAINT_EFFECT_MAX; i++)
		if (strcmp(text, names[i]) == 0) {
			*ret = i;
			return 0;
		}
	return cc_error_set(err, EINVAL, "effect `%s` is not NoSchedule, PreferNoSchedule or NoExecute", text);
}

static int parse_taints(const json_t *obj, struct scale_node *node, struct cc_error *err)
{
	json_t *taints = NULL;
	int r = cc_json_get_array(obj, "taints", false, &taints, err);
	if (r < 0 || !taints)
		return r;
	node->taints = cc_xcalloc(json_array_size(taints) + 1, sizeof(*node->taints));
	size_t i;
	json_t *t;
	json_array_foreach (taints, i, t) {
		const char *key = NULL, *value = NULL, *effect = NULL;
		int e = 0;
		if (!json_is_object(t) || (r = cc_json_get_string(t, "key", true, &key, err)) < 0 ||
		    (r = cc_json_get_string(t, "value", false, &value, err)) < 0 ||
		    (r = cc_json_get_string(t, "effect", true, &effect, err)) < 0 ||
		    (r = parse_effect(effect, &e, err)) < 0)
			return cc_error_prefix(err, "taints[%zu]", i);
		node->taints[node->n_taints++] =
		    (struct scale_taint){ cc_xstrdup(key), value ? cc_xstrdup(value) : NULL,
					  (enum scale_taint_effect)e };
	}
	return 0;
}

static int parse_node(const json_t *obj, struct scale_cluster *c, struct scale_names *ids, struct scale_names *names,
		      struct cc_error *err)
{
	const char *name = NULL, *block_id = NULL;
	int r;
	if ((r = cc_json_get_string(obj, "name", true, &name, err)) < 0)
		return r;
	if ((r = cc_json_get_string(obj, "block", true, &block_id, err)) < 0)
		return cc_error_prefix(err, "node \"%s\"", name);
	size_t block;
	if (!scale_names_find(ids, block_id, &block)) {
		block = scale_cluster_add_block(c, block_id);
		scale_names_add(ids, c->blocks[block].id, block);
	}
	if (c->blocks[block].provisioning)
		return cc_error_set(err, EINVAL, "node \"%s\": block \"%s\" is marked provisioning but has nodes", name,
				    block_id);
	size_t at = scale_cluster_add_node(c, name, block, scale_sku_node_allocatable(&c->sku));
	struct scale_node *node = &c->nodes[at];
	if (!scale_names_add(names, node->name, at))
		return cc_error_set(err, EINVAL, "node \"%s\" is listed twice in `nodes`", name);
	json_decref(node->labels);
	node->labels = NULL;
	if ((r = get_resources(obj, "allocatable", false, &node->allocatable, err)) < 0 ||
	    (r = get_labels(obj, "labels", &node->labels, err)) < 0 || (r = parse_taints(obj, node, err)) < 0 ||
	    (r = cc_json_get_bool(obj, "ready", false, &node->ready, err)) < 0)
		return cc_error_prefix(err, "node \"%s\"", name);
	if (node->allocatable.cpu_milli <= 0 || node->allocatable.memory <= 0)
		return cc_error_set(err, EINVAL,
				    "node \"%s\": field `allocatable` must be above zero for cpu and memory", name);
	return 0;
}

static int parse_nodes(const json_t *doc, struct scale_cluster *c, struct scale_names *ids, struct scale_names *names,
		       struct cc_error *err)
{
	json_t *nodes = NULL;
	int r = cc_json_get_array(doc, "nodes", true, &nodes, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *n;
	json_array_foreach (nodes, i, n) {
		if (!json_is_object(n))
			return cc_error_set(err, EINVAL, "nodes[%zu] must be an object", i);
		if ((r = parse_node(n, c, ids, names, err)) < 0)
			return json_object_get(n, "name") ? r : cc_error_prefix(err, "nodes[%zu]", i);
	}
	/* A block is a whole SKU unit: more nodes than it holds means the input is wrong. */
	size_t *count = cc_xcalloc(c->n_blocks + 1, sizeof(*count));
	for (size_t k = 0; k < c->n_nodes; k++)
		count[c->nodes[k].block]++;
	for (size_t b = 0; b < c->n_blocks; b++)
		if ((int64_t)count[b] > c->sku.nodes_per_block) {
			r = cc_error_set(err, EINVAL, "block \"%s\" has %zu nodes, but a block is %" PRId64 " nodes",
					 c->blocks[b].id, count[b], c->sku.nodes_per_block);
			break;
		}
	free(count);
	return r;
}

static int parse_tolerations(const json_t *obj, struct scale_pod *pod, struct cc_error *err)
{
	json_t *list = NULL;
	int r = cc_json_get_array(obj, "tolerations", false, &list, err);
	if (r < 0 || !list)
		return r;
	pod->tolerations = cc_xcalloc(json_array_size(list) + 1, sizeof(*pod->tolerations));
	size_t i;
	json_t *t;
	json_array_foreach (list, i, t) {
		const char *key = NULL, *op = "Equal", *value = NULL, *effect = NULL;
		int e = -1;
		if (!json_is_object(t) || (r = cc_json_get_string(t, "key", false, &key, err)) < 0 ||
		    (r = cc_json_get_string(t, "operator", false, &op, err)) < 0 ||
		    (r = cc_json_get_string(t, "value", false, &value, err)) < 0 ||
		    (r = cc_json_get_string(t, "effect", false, &effect, err)) < 0 ||
		    (effect && *effect && (r = parse_effect(effect, &e, err)) < 0))
			return cc_error_prefix(err, "tolerations[%zu]", i);
		if (!op)
			op = "Equal";
		if (strcmp(op, "Exists") != 0 && strcmp(op, "Equal") != 0)
			return cc_error_set(err, EINVAL, "tolerations[%zu]: operator `%s` is not Exists or Equal", i,
					    op);
		bool exists = strcmp(op, "Exists") == 0;
		if (!exists && (!key || !*key))
			return cc_error_set(err, EINVAL, "tolerations[%zu]: operator Equal needs a key", i);
		pod->tolerations[pod->n_tolerations++] =
		    (struct scale_toleration){ key && *key ? cc_xstrdup(key) : NULL,
					       value && !exists ? cc_xstrdup(value) : NULL, exists, e };
	}
	return 0;
}

static int parse_owner_and_eviction(const json_t *obj, struct scale_pod *pod, struct cc_error *err)
{
	json_t *owner = NULL, *annotations = NULL;
	const char *kind = NULL, *evict = NULL;
	int r;
	if ((r = cc_json_get_object(obj, "owner", false, &owner, err)) < 0 ||
	    (owner && (r = cc_json_get_string(owner, "kind", true, &kind, err)) < 0))
		return r;
	if (kind) {
		pod->owner_kind = cc_xstrdup(kind);
		pod->owner = strcmp(kind, "DaemonSet") == 0 ? SCALE_OWNER_DAEMONSET
			     : strcmp(kind, "Node") == 0    ? SCALE_OWNER_NODE
							    : SCALE_OWNER_CONTROLLER;
	} else {
		pod->owner = SCALE_OWNER_NONE;
	}
	if ((r = cc_json_get_bool(obj, "localStorage", false, &pod->local_storage, err)) < 0 ||
	    (r = cc_json_get_object(obj, "annotations", false, &annotations, err)) < 0 ||
	    (annotations && (r = cc_json_get_string(annotations, SAFE_TO_EVICT, false, &evict, err)) < 0))
		return r;
	if (evict) {
		if (strcmp(evict, "true") == 0)
			pod->safe_to_evict = SCALE_EVICT_TRUE;
		else if (strcmp(evict, "false") == 0)
			pod->safe_to_evict = SCALE_EVICT_FALSE;
		else
			return cc_error_set(err, EINVAL, "annotation `%s` must be \"true\" or \"false\", not \"%s\"",
					    SAFE_TO_EVICT, evict);
	}
	return 0;
}

static int check_fits_node(const struct scale_cluster *c, const struct scale_pod *pod, struct cc_error *err)
{
	const struct scale_node *node = &c->nodes[pod->node];
	if (pod->requests.cpu_milli > node->allocatable.cpu_milli || pod->requests.memory > node->allocatable.memory)
		return cc_error_set(err, EINVAL,
				    "pod \"%s/%s\" runs on node \"%s\" but requests more than the node's allocatable: "
				    "check its `requests` and the node's `allocatable`",
				    pod->namespace_, pod->name, node->name);
	return 0;
}

static int parse_pod(const json_t *obj, struct scale_cluster *c, const struct scale_names *nodes,
		     struct scale_names *keys, char **key_store, struct cc_error *err)
{
	const char *name = NULL, *ns = "default", *node_name = NULL;
	int r;
	if ((r = cc_json_get_string(obj, "name", true, &name, err)) < 0 ||
	    (r = cc_json_get_string(obj, "namespace", false, &ns, err)) < 0)
		return r;
	if (!ns)
		ns = "default";
	size_t at = scale_cluster_add_pod(c, ns, name, (struct scale_resources){ 0, 0 }, -1);
	struct scale_pod *pod = &c->pods[at];
	*key_store = cc_xasprintf("%s/%s", ns, name);
	if (!scale_names_add(keys, *key_store, at))
		return cc_error_set(err, EINVAL, "pod \"%s\" is listed twice in `pods`", *key_store);
	json_decref(pod->labels);
	pod->labels = NULL;
	json_t *node_value = json_object_get(obj, "nodeName");
	if (node_value && !json_is_null(node_value) &&
	    (r = cc_json_get_string(obj, "nodeName", true, &node_name, err)) < 0)
		goto fail;
	if (node_name && *node_name) {
		size_t n;
		if (!scale_names_find(nodes, node_name, &n)) {
			r = cc_error_set(err, EINVAL, "field `nodeName`: \"%s\" is no node in `nodes`", node_name);
			goto fail;
		}
		pod->node = (long)n;
	}
	if ((r = get_resources(obj, "requests", false, &pod->requests, err)) < 0 ||
	    (r = get_labels(obj, "labels", &pod->labels, err)) < 0 ||
	    (json_object_get(obj, "nodeSelector") &&
	     (r = get_labels(obj, "nodeSelector", &pod->node_selector, err)) < 0) ||
	    (r = parse_tolerations(obj, pod, err)) < 0 || (r = parse_owner_and_eviction(obj, pod, err)) < 0)
		goto fail;
	if (pod->node >= 0)
		return check_fits_node(c, pod, err);
	return 0;
fail:
	return cc_error_prefix(err, "pod \"%s\"", *key_store);
}

static int parse_pods(const json_t *doc, struct scale_cluster *c, const struct scale_names *nodes, struct cc_error *err)
{
	json_t *pods = NULL;
	int r = cc_json_get_array(doc, "pods", false, &pods, err);
	if (r < 0 || !pods)
		return r;
	size_t n = json_array_size(pods);
	struct scale_names keys;
	scale_names_init(&keys, n);
	char **key_store = cc_xcalloc(n + 1, sizeof(*key_store));
	size_t i;
	json_t *p;
	json_array_foreach (pods, i, p) {
		if (!json_is_object(p)) {
			r = cc_error_set(err, EINVAL, "pods[%zu] must be an object", i);
			break;
		}
		if ((r = parse_pod(p, c, nodes, &keys, &key_store[i], err)) < 0) {
			if (!json_object_get(p, "name"))
				cc_error_prefix(err, "pods[%zu]", i);
			break;
		}
	}
	for (size_t k = 0; k < n; k++)
		free(key_store[k]);
	free(key_store);
	scale_names_free(&keys);
	return r;
}

/* minAvailable or maxUnavailable: a count, or a percentage string ("50%"). */
static int parse_budget(const json_t *v, const char *field, struct scale_pdb *pdb, struct cc_error *err)
{
	if (json_is_integer(v)) {
		pdb->value = json_integer_value(v);
		pdb->percent = false;
	} else if (json_is_string(v)) {
		const char *s = json_string_value(v);
		char *end = NULL;
		errno = 0;
		long long pct = strtoll(s, &end, 10);
		if (end == s || strcmp(end, "%") != 0 || errno || pct > 100 || *s == '-' || *s == '+' || *s == ' ')
			return cc_error_set(
			    err, EINVAL, "field `%s` \"%s\" is not a count or a percentage such as \"50%%\"", field, s);
		pdb->value = pct;
		pdb->percent = true;
	} else {
		return cc_error_set(err, EINVAL, "field `%s` must be a count or a percentage string", field);
	}
	if (pdb->value < 0)
		return cc_error_set(err, EINVAL, "field `%s` is negative", field);
	return 0;
}

static int parse_pdb(const json_t *obj, struct scale_pdb *pdb, struct cc_error *err)
{
	json_t *selector = NULL, *min = json_object_get(obj, "minAvailable"),
	       *max = json_object_get(obj, "maxUnavailable");
	int r;
	pdb->current_healthy = -1;
	if ((r = cc_json_get_object(obj, "selector", true, &selector, err)) < 0 ||
	    (r = get_labels(selector, "matchLabels", &pdb->match_labels, err)) < 0)
		return r;
	if ((min != NULL) == (max != NULL))
		return cc_error_set(err, EINVAL, "give exactly one of `minAvailable` and `maxUnavailable`");
	pdb->has_min_available = min != NULL;
	if ((r = parse_budget(min ? min : max, min ? "minAvailable" : "maxUnavailable", pdb, err)) < 0 ||
	    (r = cc_json_get_int(obj, "currentHealthy", false, &pdb->current_healthy, err)) < 0)
		return r;
	if (json_object_get(obj, "currentHealthy") && pdb->current_healthy < 0)
		return cc_error_set(err, EINVAL, "field `currentHealthy` is negative");
	return 0;
}

static int parse_pdbs(const json_t *doc, struct scale_cluster *c, struct cc_error *err)
{
	json_t *pdbs = NULL;
	int r = cc_json_get_array(doc, "pdbs", false, &pdbs, err);
	if (r < 0 || !pdbs)
		return r;
	c->pdbs = cc_xcalloc(json_array_size(pdbs) + 1, sizeof(*c->pdbs));
	size_t i;
	json_t *p;
	json_array_foreach (pdbs, i, p) {
		const char *name = NULL, *ns = "default";
		if (!json_is_object(p))
			return cc_error_set(err, EINVAL, "pdbs[%zu] must be an object", i);
		if ((r = cc_json_get_string(p, "name", true, &name, err)) < 0 ||
		    (r = cc_json_get_string(p, "namespace", false, &ns, err)) < 0)
			return cc_error_prefix(err, "pdbs[%zu]", i);
		if (!ns)
			ns = "default";
		struct scale_pdb *pdb = &c->pdbs[c->n_pdbs++];
		pdb->name = cc_xstrdup(name);
		pdb->namespace_ = cc_xstrdup(ns);
		for (size_t k = 0; k + 1 < c->n_pdbs; k++)
			if (strcmp(c->pdbs[k].name, name) == 0 && strcmp(c->pdbs[k].namespace_, ns) == 0)
				return cc_error_set(err, EINVAL, "PodDisruptionBudget \"%s/%s\" is listed twice", ns,
						    name);
		if ((r = parse_pdb(p, pdb, err)) < 0)
			return cc_error_prefix(err, "PodDisruptionBudget \"%s/%s\"", ns, name);
	}
	return 0;
}

static int parse_document(const json_t *doc, struct scale_cluster *c, struct cc_error *err)
{
	static const char *const members[] = { "now",    "sku",   "min_blocks", "max_blocks", "policy", "history",
					       "blocks", "nodes", "pods",       "pdbs",       NULL };
	if (!json_is_object(doc))
		return cc_error_set(err, EINVAL, "the cluster state must be a JSON object");
	struct scale_names ids, nodes;
	scale_names_init(&ids, 64);
	scale_names_init(&nodes, json_array_size(json_object_get(doc, "nodes")));
	int r;
	if ((r = check_members(doc, members, "cluster state", err)) < 0 || (r = parse_sku(doc, &c->sku, err)) < 0 ||
	    (r = parse_policy(doc, &c->policy, err)) < 0 || (r = parse_limits_and_history(doc, c, err)) < 0 ||
	    (r = parse_blocks(doc, c, &ids, err)) < 0 || (r = parse_nodes(doc, c, &ids, &nodes, err)) < 0 ||
	    (r = parse_pods(doc, c, &nodes, err)) < 0 || (r = parse_pdbs(doc, c, err)) < 0) {
		/* fall through to free the indexes */
	}
	scale_names_free(&ids);
	scale_names_free(&nodes);
	return r;
}

int scale_cluster_from_json(const json_t *doc, struct scale_cluster **ret, struct cc_error *err)
{
	_cleanup_(scale_cluster_freep) struct scale_cluster *c = scale_cluster_new();
	int r = parse_document(doc, c, err);
	if (r < 0)
		return r;
	*ret = CC_TAKE_PTR(c);
	return 0;
}

int scale_cluster_parse(const char *data, size_t len, const char *what, struct scale_cluster **ret,
			struct cc_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(data, len, SCALE_CLUSTER_MAX_SIZE, what, &doc, err);
	if (r < 0)
		return r;
	return scale_cluster_from_json(doc, ret, err);
}
