/* What the planner's phases share (plan.c, plan_up.c, plan_down.c); not part of the interface. */
#pragma once

#include "scale/cluster.h"
#include "scale/plan.h"

#include <stdbool.h>

struct plan_pdb_stats {
	bool counted;
	int64_t allowed; /* disruptions the budget allows now */
};

struct plan_context {
	const struct scale_cluster *cluster;
	struct scale_plan *plan;
	struct scale_resources *used;        /* per node: the requests of the pods on it */
	struct scale_resources *room;        /* per node: free room once the pending pods that fit are placed */
	struct scale_resources *block_used;  /* per block: running pods' requests (DaemonSets included) */
	struct scale_resources *block_alloc; /* per block: the allocatable of its ready nodes */
	struct scale_resources total_used, total_alloc;
	size_t *block_pods; /* pod indexes grouped by block: block b's are block_pods[block_start[b]..[b+1]) */
	size_t *block_start;
	struct plan_pdb_stats *pdbs;
	long *pod_pdb;    /* per pod: the budget selecting it, -1 none, -2 several; NULL until needed */
	double max_after; /* the hysteresis limit */
};

double plan_utilization(struct scale_resources used, struct scale_resources alloc);
/* Places the pending pods and decides whether to scale up (plan_up.c). */
void plan_scale_up(struct plan_context *ctx);
/* Judges every block for removal and picks one when nothing holds it (plan_down.c). */
void plan_scale_down(struct plan_context *ctx);
