/* The cluster model (cluster.h): building it, freeing it, and the scheduling predicates the packer
 * asks (nodeSelector, taints and tolerations). Reading it from JSON is cluster_json.c. */
#include "scale/cluster.h"

#include "lib/base/cleanup.h"

#include <string.h>

struct scale_cluster *scale_cluster_new(void)
{
	struct scale_cluster *c = cc_xcalloc(1, sizeof(*c));
	c->last_scale_up = c->last_scale_down = -1;
	c->min_blocks = 0;
	c->max_blocks = 1000;
	c->sku.nodes_per_block = 15;
	c->sku.node = (struct scale_resources){ 4000, INT64_C(8) << 30 };
	c->sku.labels = json_object();
	c->policy.target_utilization = 0.5;
	c->policy.max_utilization_after_scale_down = -1; /* the default follows the target */
	c->policy.unneeded_time = 600;
	c->policy.scale_up_cooldown = 600;
	c->policy.scale_down_cooldown = 300;
	return c;
}

static void free_taints(struct scale_taint *taints, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(taints[i].key);
		free(taints[i].value);
	}
	free(taints);
}

static void pod_clear(struct scale_pod *p)
{
	free(p->namespace_);
	free(p->name);
	free(p->owner_kind);
	json_decref(p->labels);
	json_decref(p->node_selector);
	for (size_t t = 0; t < p->n_tolerations; t++) {
		free(p->tolerations[t].key);
		free(p->tolerations[t].value);
	}
	free(p->tolerations);
}

void scale_cluster_free(struct scale_cluster *c)
{
	for (size_t i = 0; i < c->n_nodes; i++) {
		free(c->nodes[i].name);
		json_decref(c->nodes[i].labels);
		free_taints(c->nodes[i].taints, c->nodes[i].n_taints);
	}
	for (size_t i = 0; i < c->n_pods; i++)
		pod_clear(&c->pods[i]);
	for (size_t i = 0; i < c->n_pdbs; i++) {
		free(c->pdbs[i].namespace_);
		free(c->pdbs[i].name);
		json_decref(c->pdbs[i].match_labels);
	}
	for (size_t i = 0; i < c->n_blocks; i++)
		free(c->blocks[i].id);
	json_decref(c->sku.labels);
	free(c->nodes);
	free(c->pods);
	free(c->pdbs);
	free(c->blocks);
	free(c);
}

struct scale_resources scale_sku_node_allocatable(const struct scale_sku *sku)
{
	struct scale_resources r = { sku->node.cpu_milli - sku->reserve.cpu_milli,
				     sku->node.memory - sku->reserve.memory };
	return r;
}

/* Makes room for one more element of an array that doubles. */
static void *reserve_one(void *array, size_t count, size_t *capacity, size_t element)
{
	if (count < *capacity)
		return array;
	*capacity = *capacity ? *capacity * 2 : 16;
	return cc_xrealloc(array, *capacity * element);
}

size_t scale_cluster_add_block(struct scale_cluster *c, const char *id)
{
	c->blocks = reserve_one(c->blocks, c->n_blocks, &c->cap_blocks, sizeof(*c->blocks));
	c->blocks[c->n_blocks] = (struct scale_block){ .id = cc_xstrdup(id), .underutilized_since = -1 };
	return c->n_blocks++;
}

size_t scale_cluster_add_node(struct scale_cluster *c, const char *name, size_t block,
			      struct scale_resources allocatable)
{
	c->nodes = reserve_one(c->nodes, c->n_nodes, &c->cap_nodes, sizeof(*c->nodes));
	c->nodes[c->n_nodes] = (struct scale_node){ .name = cc_xstrdup(name),
						    .block = block,
						    .allocatable = allocatable,
						    .labels = json_object(),
						    .ready = true };
	return c->n_nodes++;
}

size_t scale_cluster_add_pod(struct scale_cluster *c, const char *namespace_, const char *name,
			     struct scale_resources requests, long node)
{
	c->pods = reserve_one(c->pods, c->n_pods, &c->cap_pods, sizeof(*c->pods));
	c->pods[c->n_pods] = (struct scale_pod){ .namespace_ = cc_xstrdup(namespace_),
						 .name = cc_xstrdup(name),
						 .requests = requests,
						 .node = node,
						 .owner = SCALE_OWNER_CONTROLLER,
						 .labels = json_object() };
	return c->n_pods++;
}

void scale_cluster_remove_pod(struct scale_cluster *c, size_t i)
{
	pod_clear(&c->pods[i]);
	c->pods[i] = c->pods[--c->n_pods];
}

bool scale_labels_match(const json_t *selector, const json_t *labels)
{
	const char *key;
	json_t *want;
	json_object_foreach ((json_t *)selector, key, want) {
		const char *have = json_string_value(json_object_get(labels, key));
		if (!have || strcmp(have, json_string_value(want)) != 0)
			return false;
	}
	return true;
}

static bool str_equal(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

/* Kubernetes' ToleratesTaint: an empty key with Exists tolerates everything; else keys match, the
 * effect matches (or the toleration has none), and the value matches for Equal. */
static bool tolerates(const struct scale_toleration *t, const struct scale_taint *taint)
{
	if (t->effect >= 0 && t->effect != (int)taint->effect)
		return false;
	if (!t->key)
		return t->exists;
	if (strcmp(t->key, taint->key) != 0)
		return false;
	return t->exists || str_equal(t->value, taint->value);
}

bool scale_pod_accepts(const struct scale_pod *pod, const json_t *labels, const struct scale_taint *taints,
		       size_t n_taints)
{
	if (pod->node_selector && !scale_labels_match(pod->node_selector, labels))
		return false;
	for (size_t i = 0; i < n_taints; i++) {
		/* PreferNoSchedule is a preference; the packer does not model preferences. */
		if (taints[i].effect == SCALE_TAINT_PREFER_NO_SCHEDULE)
			continue;
		bool tolerated = false;
		for (size_t t = 0; t < pod->n_tolerations && !tolerated; t++)
			tolerated = tolerates(&pod->tolerations[t], &taints[i]);
		if (!tolerated)
			return false;
	}
	return true;
}

bool scale_pod_unconstrained(const struct scale_pod *pod)
{
	return (!pod->node_selector || json_object_size(pod->node_selector) == 0) && pod->n_tolerations == 0;
}

bool scale_taints_open(const struct scale_taint *taints, size_t n_taints)
{
	for (size_t i = 0; i < n_taints; i++)
		if (taints[i].effect != SCALE_TAINT_PREFER_NO_SCHEDULE)
			return false;
	return true;
}
