/* What the planner's phases share (plan.c, plan_up.c, plan_down.c); not part of the interface. */
#pragma once

#include "scale/cluster.h"
#include "scale/plan.h"
#include "scale/plan_state.h"

#include <stdbool.h>

struct plan_pdb_stats {
	bool counted;
	int64_t allowed; /* disruptions the budget allows now */
};

struct plan_context {
	const struct scale_cluster *cluster;
	const struct scale_plan_state *state; /* what runs where (plan_state.h) */
	struct scale_plan *plan;
	bool terse;                   /* no reasons (scale_plan_options) */
	struct scale_resources *room; /* per node: free room once the pending pods that fit are placed; NULL
				       * until plan_room makes it */
	struct plan_pdb_stats *pdbs;
	long *pod_pdb;    /* per pod: the budget selecting it, -1 none, -2 several; NULL until needed */
	double max_after; /* the hysteresis limit */
};

double plan_utilization(struct scale_resources used, struct scale_resources alloc);
/* ctx->room, made on first use: a decision with nothing pending and no block to try needs none. */
struct scale_resources *plan_room(struct plan_context *ctx);
/* A reason, or NULL when the caller asked for none (the simulator). */
char *plan_reason(const struct plan_context *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Places the pending pods and decides whether to scale up (plan_up.c). */
void plan_scale_up(struct plan_context *ctx);
/* Judges every block for removal and picks one when nothing holds it (plan_down.c). */
void plan_scale_down(struct plan_context *ctx);
