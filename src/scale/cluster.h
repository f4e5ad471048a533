/* The cluster state the planner decides on: nodes grouped in SKU blocks, pods with their requests
 * and where they run, PodDisruptionBudgets, the SKU, the limits and the policy, and the little
 * history the time rules need. `cocoon scale plan` reads it from JSON (docs/scale.md, "Input");
 * the simulator builds it in memory and calls the same planner. Indexes, not pointers, link the
 * parts, so the arrays may grow. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* The largest cluster state accepted from JSON (docs/scale.md): 64 MiB holds 150,000 pods. */
#define SCALE_CLUSTER_MAX_SIZE (64u * 1024 * 1024)

struct scale_resources {
	int64_t cpu_milli;
	int64_t memory;
};

enum scale_taint_effect {
	SCALE_TAINT_NO_SCHEDULE,
	SCALE_TAINT_PREFER_NO_SCHEDULE,
	SCALE_TAINT_NO_EXECUTE,
	SCALE_TAINT_EFFECT_MAX,
};

struct scale_taint {
	char *key;
	char *value; /* NULL when absent */
	enum scale_taint_effect effect;
};

struct scale_toleration {
	char *key;   /* NULL: every key (with operator Exists) */
	char *value; /* NULL with operator Exists */
	bool exists;
	int effect; /* an enum scale_taint_effect, or -1 for every effect */
};

struct scale_node {
	char *name;
	size_t block; /* index in cluster->blocks */
	struct scale_resources allocatable;
	json_t *labels; /* an object, never NULL */
	struct scale_taint *taints;
	size_t n_taints;
	bool ready;
};

/* Who owns a pod decides whether draining it is safe: a controller re-creates it elsewhere; a
 * DaemonSet's or a mirror pod goes with its node; a bare pod would be lost. */
enum scale_owner {
	SCALE_OWNER_NONE,
	SCALE_OWNER_CONTROLLER,
	SCALE_OWNER_DAEMONSET,
	SCALE_OWNER_NODE,
};

enum scale_evict {
	SCALE_EVICT_UNSET,
	SCALE_EVICT_TRUE,
	SCALE_EVICT_FALSE,
};

struct scale_pod {
	char *namespace_;
	char *name;
	struct scale_resources requests;
	long node; /* index in cluster->nodes, or -1 while pending */
	enum scale_owner owner;
	char *owner_kind;      /* as given, for messages; NULL without an owner */
	json_t *labels;        /* an object, never NULL */
	json_t *node_selector; /* an object, or NULL */
	struct scale_toleration *tolerations;
	size_t n_tolerations;
	bool local_storage;             /* an emptyDir or hostPath volume: its data dies with the node */
	enum scale_evict safe_to_evict; /* cluster-autoscaler.kubernetes.io/safe-to-evict */
};

/* A PodDisruptionBudget selects the pods of its namespace by matchLabels, as Kubernetes does. */
struct scale_pdb {
	char *namespace_;
	char *name;
	json_t *match_labels; /* an object; empty selects every pod of the namespace */
	bool has_min_available;
	int64_t value;           /* minAvailable or maxUnavailable */
	bool percent;            /* value is a percentage */
	int64_t current_healthy; /* -1: counted from the matched pods on ready nodes */
};

struct scale_block {
	char *id;
	int64_t underutilized_since; /* -1: not under the target (as far as the caller knows) */
	bool provisioning;           /* ordered, its nodes not there yet: counts, takes pending pods */
};

/* One SKU unit: nodes_per_block nodes of node (capacity) less reserve (system daemons). */
struct scale_sku {
	int64_t nodes_per_block;
	struct scale_resources node;
	struct scale_resources reserve;
	json_t *labels; /* the labels a new node carries (for nodeSelector), an object */
};

struct scale_policy {
	double target_utilization;               /* a block under it is a scale-down candidate */
	double max_utilization_after_scale_down; /* hysteresis: the rest must stay under it */
	int64_t unneeded_time;                   /* seconds under the target before removal */
	int64_t scale_up_cooldown;               /* no scale-down this long after a scale-up */
	int64_t scale_down_cooldown;             /* no scale-down this long after a scale-down */
};

struct scale_cluster {
	int64_t now;
	int64_t last_scale_up;   /* -1: never */
	int64_t last_scale_down; /* -1: never */
	int64_t min_blocks, max_blocks;
	struct scale_sku sku;
	struct scale_policy policy;
	struct scale_node *nodes;
	size_t n_nodes, cap_nodes;
	struct scale_pod *pods;
	size_t n_pods, cap_pods;
	struct scale_pdb *pdbs;
	size_t n_pdbs;
	struct scale_block *blocks;
	size_t n_blocks, cap_blocks;
};

/* A cluster with the defaults of docs/scale.md: 15 nodes of 4 cpu and 8Gi, no reserve, target 0.5,
 * the rest from it, unneeded time 600 s, cooldowns 600 s and 300 s, 0..1000 blocks. */
struct scale_cluster *scale_cluster_new(void);
void scale_cluster_free(struct scale_cluster *cluster);

/* The allocatable resources of one node a new block brings. */
struct scale_resources scale_sku_node_allocatable(const struct scale_sku *sku);

/* Adds a block, a node, a pod; each returns the new index. The strings are copied; a label object is
 * referenced (NULL: empty). */
size_t scale_cluster_add_block(struct scale_cluster *cluster, const char *id);
size_t scale_cluster_add_node(struct scale_cluster *cluster, const char *name, size_t block,
			      struct scale_resources allocatable);
size_t scale_cluster_add_pod(struct scale_cluster *cluster, const char *namespace_, const char *name,
			     struct scale_resources requests, long node);
/* Removes pod i by moving the last pod into its place (the simulator's deletion). */
void scale_cluster_remove_pod(struct scale_cluster *cluster, size_t i);

/* Reads the JSON cluster state (docs/scale.md, "Input"). Every problem names the object and the
 * field: `pod "shop/web-1": requests.cpu "-1": ...`. */
int scale_cluster_from_json(const json_t *doc, struct scale_cluster **ret, struct cc_error *err);
int scale_cluster_parse(const char *data, size_t len, const char *what, struct scale_cluster **ret,
			struct cc_error *err);

/* Whether pod may run on a node with these labels and taints (nodeSelector, NoSchedule and
 * NoExecute taints against its tolerations). */
bool scale_pod_accepts(const struct scale_pod *pod, const json_t *labels, const struct scale_taint *taints,
		       size_t n_taints);
/* Whether pod asks for nothing of a node but room: no nodeSelector and no toleration. */
bool scale_pod_unconstrained(const struct scale_pod *pod);
/* Whether a node with these taints takes such unconstrained pods. */
bool scale_taints_open(const struct scale_taint *taints, size_t n_taints);
/* Whether all of selector's labels are in labels. */
bool scale_labels_match(const json_t *selector, const json_t *labels);

static inline void scale_cluster_freep(struct scale_cluster **p)
{
	if (*p)
		scale_cluster_free(*p);
}
