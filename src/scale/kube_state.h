/* The planner's input (docs/scale.md "Input") from Kubernetes objects: nodes grouped into blocks by
 * a label, pods with what they ask as the scheduler counts it, PodDisruptionBudgets; what the API
 * does not hold (the SKU, limits, policy, timers) from the options. `cocoon scale state` and
 * `cocoon scale plan --cluster` read the objects from an API server (src/cmd/cocoon/scale_kube.c);
 * this is the pure part, which a fuzz target drives with objects an API server could send. */
#pragma once

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

struct scale_kube_options {
	const char *block_label; /* the node label naming its block; a node without it is a block alone */
	json_t *sku;             /* the planner's `sku` member (owned) */
	int64_t min_blocks, max_blocks;
	json_t *policy;  /* the planner's `policy`, or NULL (owned) */
	json_t *history; /* `history` and `blocks` from a previous plan, or NULL (owned) */
};

/* Turns API objects (lists' items) into the planner's input at time now. Objects the planner cannot
 * take (a pod bound to a node that is not listed, a budget with matchExpressions) are reported on
 * warnings, one line each, and taken the conservative way (the pod counts as pending; the budget
 * selects by its matchLabels only, which selects more pods and so blocks more). */
json_t *scale_state_from_objects(const json_t *nodes, const json_t *pods, const json_t *pdbs,
				 const struct scale_kube_options *o, int64_t now, FILE *warnings);
