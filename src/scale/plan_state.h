/* What the planner adds up before it decides: requests per node and block, allocatable per block,
 * the pods of each block and the pending pods. `cocoon scale plan` builds it in one pass over the
 * cluster (scale_plan_state_build); the simulator keeps it up to date as pods come, go and move,
 * so a decision costs what the decision needs (the nodes, the blocks, the pending pods) and not a
 * pass over every pod. The mutators below change the cluster and the state together, which is
 * what keeps the two in step; scale_plan_state_check compares a state with one built afresh.
 *
 * A node's readiness and allocatable are read when it is added, and blocks are only appended:
 * a caller that changes either otherwise (removes a block) rebuilds. Within a block's list the
 * pods are in no particular order once pods have moved or left. The planner sorts or sums a list
 * for every decision but one: when several pods hold a block (local storage, safe-to-evict=false,
 * no controller, budgets), the one its verdict names, and with offenders of two kinds the rule it
 * gives, may differ from a fresh build's. The simulator's pods never hold a block. */
#pragma once

#include "scale/cluster.h"

#include <stddef.h>

struct cc_error;

struct scale_pod_list {
	size_t *pods; /* cluster pod indexes */
	size_t n, cap;
};

struct scale_plan_state {
	struct scale_resources *used;        /* per node: the requests of the pods on it */
	struct scale_resources *block_used;  /* per block: running pods' requests (DaemonSets included) */
	struct scale_resources *block_alloc; /* per block: the allocatable of its ready nodes */
	struct scale_resources total_used, total_alloc;
	struct scale_pod_list *block_pods; /* per block: the pods running on its nodes */
	struct scale_pod_list pending;     /* pods with no node */
	size_t *slot;                      /* per pod: its place in its block's list or in pending */
	size_t n_nodes, cap_nodes;
	size_t n_blocks, cap_blocks;
	size_t n_pods, cap_pods;
};

void scale_plan_state_init(struct scale_plan_state *state);
void scale_plan_state_free(struct scale_plan_state *state);
/* Forgets what the state held and adds up the cluster afresh, in index order; the allocations stay. */
void scale_plan_state_build(struct scale_plan_state *state, const struct scale_cluster *cluster);

/* After scale_cluster_add_block, scale_cluster_add_node and scale_cluster_add_pod. */
void scale_plan_state_block_added(struct scale_plan_state *state, size_t block);
void scale_plan_state_node_added(struct scale_plan_state *state, const struct scale_cluster *cluster, size_t node);
void scale_plan_state_pod_added(struct scale_plan_state *state, const struct scale_cluster *cluster, size_t pod);
/* Puts pod on node (-1: pending again), in the cluster and here. */
void scale_plan_state_move_pod(struct scale_plan_state *state, struct scale_cluster *cluster, size_t pod, long node);
/* Removes pod from the cluster (scale_cluster_remove_pod: the last pod takes its index) and here. */
void scale_plan_state_remove_pod(struct scale_plan_state *state, struct scale_cluster *cluster, size_t pod);

/* 0 when the state is what scale_plan_state_build would make of the cluster (the lists compared as
 * sets), else -EINVAL naming the first difference. For tests: it costs a full build. */
int scale_plan_state_check(const struct scale_plan_state *state, const struct scale_cluster *cluster,
			   struct cc_error *err);
