/* The simulator (`cocoon scale simulate`, docs/scale.md "Simulation"): replays a pod trace against
 * three capacity policies in one run and measures each: SKU blocks driven by the planner (plan.h,
 * the very code `cocoon scale plan` runs), a node-by-node autoscaler (the same planner with blocks
 * of one node: the Cluster Autoscaler without blocks), and static capacity for the peak. */
#pragma once

#include "scale/cluster.h"
#include "scale/trace.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct scale_plan;
struct scale_plan_state;

struct scale_sim_options {
	struct scale_sku sku;
	struct scale_policy policy;
	int64_t min_blocks, max_blocks;
	int64_t provision_delay; /* seconds from a scale-up to ready nodes */
	int64_t interval;        /* seconds between planner runs (the autoscaler's scan interval) */
	int64_t flap_window;     /* a scale-up this soon after a scale-down is a flap */
	/* Called now and then with the share of the trace done (0..1), or NULL. */
	void (*progress)(void *ctx, const char *policy, double done);
	void *progress_ctx;
	/* Tests only, NULL otherwise: called after every planner run, before its decision is carried
	 * out, with the cluster, the running totals and the plan; a negative return stops the run. */
	int (*check)(void *ctx, const struct scale_cluster *cluster, const struct scale_plan_state *state,
		     const struct scale_plan *plan, struct cc_error *err);
	void *check_ctx;
};

/* One (time, value) point of a step function. */
struct scale_sim_point {
	int64_t time;
	double value;
};

struct scale_sim_series {
	struct scale_sim_point *points;
	size_t n, cap;
};

struct scale_sim_result {
	double node_hours, block_hours;
	double pending_p50, pending_p95, pending_max; /* seconds */
	double utilization_mean, utilization_p5;      /* time-weighted, of the billed nodes */
	size_t scale_ups, scale_downs, flaps;
	int64_t max_nodes;
	size_t plans;                  /* planner runs */
	struct scale_sim_series nodes; /* billed nodes over time */
};

struct scale_sim_report {
	size_t pods, unschedulable;
	int64_t start, end; /* the trace's span, seconds */
	size_t events;      /* creations and deletions replayed (per policy) */
	struct scale_sim_result blocks, node_by_node, static_peak;
	struct scale_sim_series demand; /* nodes the live pods' requests fill, rounded up */
};

/* Options with the defaults of docs/scale.md. */
void scale_sim_options_default(struct scale_sim_options *options);
int scale_simulate(const struct scale_trace *trace, const struct scale_sim_options *options,
		   struct scale_sim_report *ret, struct cc_error *err);
void scale_sim_report_release(struct scale_sim_report *report);
