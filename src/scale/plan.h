/* The planner: one decision on a cluster state, always with its reasons (docs/scale.md, "How a
 * plan is made"). Scale up by whole blocks when pending pods fit neither the free room of ready
 * nodes nor the blocks being provisioned; otherwise scale down by one block when some block's pods
 * all fit on the other blocks without breaking a PodDisruptionBudget, losing local data or an
 * unreplicated pod, after it stayed under the target utilization for the unneeded time, outside
 * the cooldowns, above min_blocks, and leaving the rest under the hysteresis limit; otherwise
 * no change. The CLI (`cocoon scale plan`) and the simulator call this one function. */
#pragma once

#include "scale/cluster.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

enum scale_decision {
	SCALE_NO_CHANGE,
	SCALE_UP,
	SCALE_DOWN,
};

/* What becomes of a pending pod. */
enum scale_pending_fate {
	SCALE_PENDING_FITS_NOW,          /* room on a ready node: the scheduler places it */
	SCALE_PENDING_FITS_PROVISIONING, /* waits for a block being provisioned */
	SCALE_PENDING_NEEDS_BLOCK,       /* drives the scale-up */
	SCALE_PENDING_MAX_BLOCKS,        /* would fit a new node, but max_blocks is reached */
	SCALE_PENDING_UNSCHEDULABLE,     /* fits no node a block provides: stays pending */
	SCALE_PENDING_FATE_MAX,
};

/* Why a block is not removed; SCALE_BLOCKER_NONE on the chosen block. */
enum scale_blocker {
	SCALE_BLOCKER_NONE,
	SCALE_BLOCKER_PROVISIONING,
	SCALE_BLOCKER_UTILIZATION,
	SCALE_BLOCKER_UNNEEDED_TIME,
	SCALE_BLOCKER_LOCAL_STORAGE,
	SCALE_BLOCKER_NOT_SAFE_TO_EVICT,
	SCALE_BLOCKER_NOT_REPLICATED,
	SCALE_BLOCKER_PDB,
	SCALE_BLOCKER_HYSTERESIS,
	SCALE_BLOCKER_NO_FIT,
	SCALE_BLOCKER_GLOBAL,  /* passes its own checks; a cluster-wide rule (cooldown, min_blocks) holds */
	SCALE_BLOCKER_EMPTIER, /* removable, but an emptier block goes first */
	SCALE_BLOCKER_MAX,
};

struct scale_pending {
	size_t pod;
	enum scale_pending_fate fate;
};

struct scale_move {
	size_t pod;
	size_t node;
};

struct scale_block_verdict {
	size_t block;
	double utilization; /* the larger of cpu and memory requested over its ready nodes' allocatable */
	size_t pods;
	int64_t underutilized_since; /* updated: now when it just went under the target, -1 when above */
	enum scale_blocker blocker;
	char *reason; /* one sentence; NULL on the chosen block */
};

struct scale_plan {
	enum scale_decision decision;
	char *reason;             /* the decision in one sentence */
	int64_t blocks_to_add;    /* SCALE_UP */
	long block_to_remove;     /* SCALE_DOWN: index in cluster->blocks, else -1 */
	struct scale_move *drain; /* SCALE_DOWN: where each pod of the block goes, in eviction order */
	size_t n_drain;
	struct scale_pending *pending; /* every pending pod, in the order they were packed */
	size_t n_pending;
	size_t fates[SCALE_PENDING_FATE_MAX];
	char *scale_down_blocked;           /* the cluster-wide rule that holds any scale-down, or NULL */
	struct scale_block_verdict *blocks; /* every block, emptiest first */
	size_t n_blocks;
	size_t ready_blocks, provisioning_blocks;
	double utilization;       /* of the ready blocks */
	double utilization_after; /* SCALE_DOWN: of the remaining blocks */
	int64_t next_check;       /* the next time a time rule changes the answer, -1: none */
};

struct scale_plan_state;

struct scale_plan_options {
	/* No sentences: plan->reason and the verdicts' reasons are NULL (scale_down_blocked is kept),
	 * and the verdicts come in no particular order. The decision, the drain, the fates, each
	 * block's verdict and next_check are the same.
	 * The simulator asks for this: formatting a reason for every block of every decision was most of
	 * its time. */
	bool terse;
};

int scale_plan_make(const struct scale_cluster *cluster, struct scale_plan *ret, struct cc_error *err);
/* The same decision from a state the caller keeps in step with the cluster (plan_state.h);
 * scale_plan_make builds one and calls this. */
int scale_plan_decide(const struct scale_cluster *cluster, const struct scale_plan_state *state,
		      const struct scale_plan_options *options, struct scale_plan *ret, struct cc_error *err);
void scale_plan_release(struct scale_plan *plan);

const char *scale_decision_name(enum scale_decision decision);
const char *scale_pending_fate_name(enum scale_pending_fate fate);
const char *scale_blocker_name(enum scale_blocker blocker);
