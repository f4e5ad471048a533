/* Scale-down (plan.h). Every ready block gets a verdict, the first rule that holds it:
 *   utilization at or above the target; under it for less than the unneeded time;
 *   a pod that must not be evicted (local storage, safe-to-evict=false, no controller);
 *   a PodDisruptionBudget with fewer disruptions allowed than the block holds of its pods;
 *   the hysteresis limit: the remaining blocks would be busier than max_utilization_after_scale_down;
 *   a pod that fits on no node of the other blocks (first-fit-decreasing onto their free room, after
 *   the pending pods that fit took theirs).
 * Blocks are judged emptiest first; the first that passes is removed, unless a cluster-wide rule
 * holds every scale-down (a scale-up, blocks still provisioning, min_blocks, a cooldown, pods
 * waiting for capacity). The hysteresis rule is what stops the down/up cycling users of the Cluster
 * Autoscaler meet: a removal must leave room, not merely fit. */
#include "lib/base/cleanup.h"
#include "scale/names.h"
#include "scale/pack.h"
#include "scale/plan.h"
#include "scale/plan_internal.h"

#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct verdict_order {
	const struct scale_cluster *cluster;
};

static int compare_verdicts(const void *a, const void *b, void *arg)
{
	const struct scale_block_verdict *x = a, *y = b;
	const struct scale_cluster *c = arg;
	if (x->utilization != y->utilization)
		return x->utilization < y->utilization ? -1 : 1;
	return strcmp(c->blocks[x->block].id, c->blocks[y->block].id);
}

/* Which budget selects each pod, and what each allows (Kubernetes' disruption controller: from the
 * pods it selects and those healthy, given or counted on ready nodes; percentages round up). One
 * pass over the pods with the budgets grouped by namespace, instead of a pass per budget per block. */
static void index_pdbs(struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	struct scale_names namespaces;
	size_t *next = cc_xcalloc(c->n_pdbs + 1, sizeof(*next)); /* chains of budgets in one namespace */
	int64_t *expected = cc_xcalloc(c->n_pdbs + 1, sizeof(*expected));
	int64_t *healthy = cc_xcalloc(c->n_pdbs + 1, sizeof(*healthy));
	scale_names_init(&namespaces, c->n_pdbs);
	for (size_t d = c->n_pdbs; d-- > 0;) {
		size_t head;
		next[d] = SIZE_MAX;
		if (scale_names_find(&namespaces, c->pdbs[d].namespace_, &head)) {
			next[d] = head;
		}
		scale_names_set(&namespaces, c->pdbs[d].namespace_, d);
	}
	ctx->pod_pdb = cc_xcalloc(c->n_pods + 1, sizeof(*ctx->pod_pdb));
	for (size_t i = 0; i < c->n_pods; i++) {
		const struct scale_pod *p = &c->pods[i];
		size_t d;
		ctx->pod_pdb[i] = -1;
		if (!scale_names_find(&namespaces, p->namespace_, &d))
			continue;
		for (; d != SIZE_MAX; d = next[d]) {
			if (!scale_labels_match(c->pdbs[d].match_labels, p->labels))
				continue;
			expected[d]++;
			healthy[d] += p->node >= 0 && c->nodes[p->node].ready;
			ctx->pod_pdb[i] = ctx->pod_pdb[i] == -1 ? (long)d : -2;
		}
	}
	for (size_t d = 0; d < c->n_pdbs; d++) {
		const struct scale_pdb *pdb = &c->pdbs[d];
		int64_t h = pdb->current_healthy >= 0 ? pdb->current_healthy : healthy[d];
		int64_t value = pdb->percent ? (pdb->value * expected[d] + 99) / 100 : pdb->value;
		int64_t allowed = pdb->has_min_available ? h - value : value - (expected[d] - h);
		ctx->pdbs[d] = (struct plan_pdb_stats){ true, allowed > 0 ? allowed : 0 };
	}
	scale_names_free(&namespaces);
	free(next);
	free(expected);
	free(healthy);
}

static bool movable(const struct scale_pod *p)
{
	return p->owner != SCALE_OWNER_DAEMONSET && p->owner != SCALE_OWNER_NODE;
}

/* The first pod that may not be evicted, with the rule it breaks; safe-to-evict=true overrides
 * local storage and the lack of a controller, as in the Cluster Autoscaler. */
static enum scale_blocker pod_rule(const struct scale_pod *p)
{
	if (!movable(p) || p->safe_to_evict == SCALE_EVICT_TRUE)
		return SCALE_BLOCKER_NONE;
	if (p->safe_to_evict == SCALE_EVICT_FALSE)
		return SCALE_BLOCKER_NOT_SAFE_TO_EVICT;
	if (p->local_storage)
		return SCALE_BLOCKER_LOCAL_STORAGE;
	if (p->owner == SCALE_OWNER_NONE)
		return SCALE_BLOCKER_NOT_REPLICATED;
	return SCALE_BLOCKER_NONE;
}

static const size_t *pods_of(const struct plan_context *ctx, size_t b, size_t *ret_n)
{
	*ret_n = ctx->state->block_pods[b].n;
	return ctx->state->block_pods[b].pods;
}

static bool check_pods(const struct plan_context *ctx, struct scale_block_verdict *v)
{
	const struct scale_cluster *c = ctx->cluster;
	size_t n, offenders = 0;
	const size_t *pods = pods_of(ctx, v->block, &n);
	const struct scale_pod *first = NULL;
	enum scale_blocker rule = SCALE_BLOCKER_NONE;
	for (size_t k = 0; k < n; k++) {
		enum scale_blocker r = pod_rule(&c->pods[pods[k]]);
		if (r == SCALE_BLOCKER_NONE)
			continue;
		if (!first) {
			first = &c->pods[pods[k]];
			rule = r;
		}
		offenders++;
	}
	if (!first)
		return true;
	static const char *const why[] = {
		[SCALE_BLOCKER_NOT_SAFE_TO_EVICT] = "is annotated cluster-autoscaler.kubernetes.io/safe-to-evict=false",
		[SCALE_BLOCKER_LOCAL_STORAGE] = "has local storage (emptyDir or hostPath) that would be lost; annotate "
						"it safe-to-evict=true if that is fine",
		[SCALE_BLOCKER_NOT_REPLICATED] = "has no controller that would re-create it elsewhere",
	};
	v->blocker = rule;
	char more[64] = "";
	if (offenders > 1)
		snprintf(more, sizeof(more), " (and %zu more pods)", offenders - 1);
	v->reason = plan_reason(ctx, "pod \"%s/%s\" %s%s", first->namespace_, first->name, why[rule], more);
	return false;
}

static bool check_pdbs(struct plan_context *ctx, struct scale_block_verdict *v)
{
	const struct scale_cluster *c = ctx->cluster;
	if (c->n_pdbs == 0)
		return true;
	if (!ctx->pod_pdb)
		index_pdbs(ctx);
	size_t n;
	const size_t *pods = pods_of(ctx, v->block, &n);
	int64_t *on_block = cc_xcalloc(c->n_pdbs, sizeof(*on_block));
	bool ok = true;
	for (size_t k = 0; k < n && ok; k++) {
		const struct scale_pod *p = &c->pods[pods[k]];
		long d = ctx->pod_pdb[pods[k]];
		if (!movable(p) || d == -1)
			continue;
		if (d == -2) {
			/* the eviction API refuses a pod that more than one budget selects */
			v->blocker = SCALE_BLOCKER_PDB;
			v->reason = plan_reason(ctx,
						"pod \"%s/%s\" is selected by more than one PodDisruptionBudget, so "
						"it cannot be evicted",
						p->namespace_, p->name);
			ok = false;
		} else if (++on_block[d] > ctx->pdbs[d].allowed) {
			const struct scale_pdb *pdb = &c->pdbs[d];
			int64_t total = 0;
			for (size_t j = 0; j < n; j++)
				total += movable(&c->pods[pods[j]]) && ctx->pod_pdb[pods[j]] == d;
			v->blocker = SCALE_BLOCKER_PDB;
			v->reason =
			    plan_reason(ctx,
					"PodDisruptionBudget \"%s/%s\" allows %" PRId64 " disruption%s, but the "
					"block holds %" PRId64 " of its pods",
					pdb->namespace_, pdb->name, ctx->pdbs[d].allowed,
					ctx->pdbs[d].allowed == 1 ? "" : "s", total);
			ok = false;
		}
	}
	free(on_block);
	return ok;
}

struct drain_fit {
	const struct scale_cluster *cluster;
	const struct scale_pod *pod;
	const size_t *node;
};

static bool drain_accepts(void *arg, size_t i)
{
	const struct drain_fit *f = arg;
	const struct scale_node *n = &f->cluster->nodes[f->node[i]];
	return scale_pod_accepts(f->pod, n->labels, n->taints, n->n_taints);
}

/* First-fit-decreasing of the block's movable pods onto the other ready blocks' room. On success
 * the moves are in *ret_moves (eviction order: largest first). */
static bool check_fit(struct plan_context *ctx, struct scale_block_verdict *v, struct scale_move **ret_moves,
		      size_t *ret_n)
{
	const struct scale_cluster *c = ctx->cluster;
	const struct scale_resources *room = plan_room(ctx);
	size_t n;
	const size_t *on_block = pods_of(ctx, v->block, &n);
	size_t *pods = cc_xcalloc(n + 1, sizeof(*pods)), n_move = 0;
	for (size_t k = 0; k < n; k++)
		if (movable(&c->pods[on_block[k]]))
			pods[n_move++] = on_block[k];
	scale_sort_decreasing(c, pods, n_move, scale_sku_node_allocatable(&c->sku));
	struct drain_fit fit = { c, NULL, NULL };
	size_t *node = cc_xcalloc(c->n_nodes + 1, sizeof(*node)), n_bins = 0;
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].ready && c->nodes[i].block != v->block && !c->blocks[c->nodes[i].block].provisioning)
			node[n_bins++] = i;
	fit.node = node;
	struct scale_bins bins;
	scale_bins_init(&bins, n_bins);
	for (size_t i = 0; i < n_bins; i++) {
		const struct scale_node *nd = &c->nodes[node[i]];
		scale_bins_set(&bins, i, room[node[i]], scale_taints_open(nd->taints, nd->n_taints));
	}
	scale_bins_build(&bins);
	struct scale_move *moves = cc_xcalloc(n_move + 1, sizeof(*moves));
	bool ok = true;
	for (size_t k = 0; k < n_move && ok; k++) {
		const struct scale_pod *p = &c->pods[pods[k]];
		fit.pod = p;
		long at =
		    scale_bins_first_fit(&bins, p->requests, scale_pod_unconstrained(p) ? NULL : drain_accepts, &fit);
		if (at < 0) {
			v->blocker = SCALE_BLOCKER_NO_FIT;
			v->reason = plan_reason(ctx, "pod \"%s/%s\" fits on no node of the other blocks", p->namespace_,
						p->name);
			ok = false;
			break;
		}
		scale_bins_take(&bins, (size_t)at, p->requests);
		moves[k] = (struct scale_move){ pods[k], node[at] };
	}
	scale_bins_free(&bins);
	free(node);
	free(pods);
	if (!ok) {
		free(moves);
		return false;
	}
	*ret_moves = moves;
	*ret_n = n_move;
	return true;
}

/* The block's own rules but the packing, cheapest first; true when it passes all of them, with the
 * utilization the other blocks would have in *ret_after. The packing (check_fit) is left to the
 * caller: at 5,000 nodes it is the one check that costs, and it is only worth trying on the block
 * that would go. */
static bool judge_own(struct plan_context *ctx, struct scale_block_verdict *v, double *ret_after)
{
	const struct scale_cluster *c = ctx->cluster;
	const struct scale_policy *policy = &c->policy;
	if (c->blocks[v->block].provisioning) {
		v->blocker = SCALE_BLOCKER_PROVISIONING;
		v->reason = plan_reason(ctx, "the block is being provisioned");
		return false;
	}
	if (v->utilization >= policy->target_utilization) {
		v->blocker = SCALE_BLOCKER_UTILIZATION;
		v->reason = plan_reason(ctx, "utilization %.2f is not under the target %.2f", v->utilization,
					policy->target_utilization);
		return false;
	}
	int64_t under = c->now - v->underutilized_since;
	if (under < policy->unneeded_time) {
		v->blocker = SCALE_BLOCKER_UNNEEDED_TIME;
		v->reason = plan_reason(ctx, "under the target for %" PRId64 " s of the %" PRId64 " s required", under,
					policy->unneeded_time);
		return false;
	}
	if (!check_pods(ctx, v) || !check_pdbs(ctx, v))
		return false;
	/* DaemonSet and mirror pods go with the node; everything else moves. */
	struct scale_resources used = ctx->state->total_used, alloc = ctx->state->total_alloc;
	size_t n;
	const size_t *pods = pods_of(ctx, v->block, &n);
	for (size_t k = 0; k < n; k++)
		if (!movable(&c->pods[pods[k]])) {
			used.cpu_milli -= c->pods[pods[k]].requests.cpu_milli;
			used.memory -= c->pods[pods[k]].requests.memory;
		}
	alloc.cpu_milli -= ctx->state->block_alloc[v->block].cpu_milli;
	alloc.memory -= ctx->state->block_alloc[v->block].memory;
	double after = alloc.cpu_milli > 0 && alloc.memory > 0 ? plan_utilization(used, alloc) : 1e9;
	if (after > ctx->max_after) {
		v->blocker = SCALE_BLOCKER_HYSTERESIS;
		v->reason = after >= 1e9
				? plan_reason(ctx, "no other block has ready nodes to take its pods")
				: plan_reason(ctx,
					      "the other blocks would be %.2f utilized, above the %.2f limit "
					      "(max_utilization_after_scale_down): it would soon be added back",
					      after, ctx->max_after);
		return false;
	}
	*ret_after = after;
	return true;
}

/* The rule that holds every scale-down, or NULL. */
static char *cluster_rule(const struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	const struct scale_plan *plan = ctx->plan;
	if (plan->decision == SCALE_UP)
		return cc_xstrdup("pending pods need new blocks");
	if (plan->fates[SCALE_PENDING_MAX_BLOCKS] > 0)
		return cc_xasprintf("%zu pending pods wait for capacity that max_blocks (%" PRId64 ") does not allow",
				    plan->fates[SCALE_PENDING_MAX_BLOCKS], c->max_blocks);
	if (plan->provisioning_blocks > 0)
		return cc_xasprintf("%zu block%s still being provisioned", plan->provisioning_blocks,
				    plan->provisioning_blocks == 1 ? " is" : "s are");
	if ((int64_t)c->n_blocks <= c->min_blocks)
		return cc_xasprintf("the cluster has %zu block%s, min_blocks is %" PRId64, c->n_blocks,
				    c->n_blocks == 1 ? "" : "s", c->min_blocks);
	if (c->last_scale_up >= 0 && c->now - c->last_scale_up < c->policy.scale_up_cooldown)
		return cc_xasprintf("scale-up cooldown: the last scale-up was %" PRId64
				    " s ago, the cooldown is %" PRId64 " s",
				    c->now - c->last_scale_up, c->policy.scale_up_cooldown);
	if (c->last_scale_down >= 0 && c->now - c->last_scale_down < c->policy.scale_down_cooldown)
		return cc_xasprintf("scale-down cooldown: the last scale-down was %" PRId64 " s ago, the cooldown is "
				    "%" PRId64 " s",
				    c->now - c->last_scale_down, c->policy.scale_down_cooldown);
	return NULL;
}

static void make_verdicts(struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	struct scale_plan *plan = ctx->plan;
	plan->blocks = cc_xcalloc(c->n_blocks + 1, sizeof(*plan->blocks));
	plan->n_blocks = c->n_blocks;
	for (size_t b = 0; b < c->n_blocks; b++) {
		struct scale_block_verdict *v = &plan->blocks[b];
		v->block = b;
		v->utilization = plan_utilization(ctx->state->block_used[b], ctx->state->block_alloc[b]);
		v->pods = ctx->state->block_pods[b].n;
		v->underutilized_since = -1;
		if (!c->blocks[b].provisioning && v->utilization < c->policy.target_utilization)
			v->underutilized_since =
			    c->blocks[b].underutilized_since >= 0 ? c->blocks[b].underutilized_since : c->now;
	}
	if (!ctx->terse)
		qsort_r(plan->blocks, plan->n_blocks, sizeof(*plan->blocks), compare_verdicts, (void *)c);
}

/* A terse plan's order (the simulator's). Only the order of the blocks that pass their own rules
 * decides which one goes: the first of them, emptiest first, whose pods fit elsewhere. A block held
 * by its own rules is held wherever it stands; once one is chosen the rest are held by it; and when
 * a cluster-wide rule holds every scale-down no order matters at all. So the blocks that pass their
 * own rules are moved to the front (the others keep their verdicts), and the loop of
 * plan_scale_down takes them emptiest first through next_emptiest: usually the emptiest fits and
 * nothing else needs ordering. The comparison is a total order (block ids are unique), so they come
 * in the order the full sort gives them. On a cluster of many blocks of one node, sorting every
 * block was most of a decision. Returns how many passed, with the utilization after each one's
 * removal in after[block]. */
static size_t pass_first(struct plan_context *ctx, double *after)
{
	struct scale_plan *plan = ctx->plan;
	size_t n_pass = 0;
	for (size_t i = 0; i < plan->n_blocks; i++) {
		struct scale_block_verdict *v = &plan->blocks[i];
		if (!judge_own(ctx, v, &after[v->block]))
			continue;
		struct scale_block_verdict passed = *v;
		*v = plan->blocks[n_pass];
		plan->blocks[n_pass++] = passed;
	}
	return n_pass;
}

/* Brings the emptiest of blocks[i..n) to i: by a scan for the first few (one is the common case),
 * then by sorting the rest once, so a run of blocks that do not fit costs a sort, not a scan each. */
static void next_emptiest(struct plan_context *ctx, size_t i, size_t n)
{
	enum { SCANS = 4 };
	struct scale_block_verdict *blocks = ctx->plan->blocks;
	if (i > SCANS)
		return;
	if (i == SCANS) {
		qsort_r(blocks + i, n - i, sizeof(*blocks), compare_verdicts, (void *)ctx->cluster);
		return;
	}
	size_t min = i;
	for (size_t k = i + 1; k < n; k++)
		if (compare_verdicts(&blocks[k], &blocks[min], (void *)ctx->cluster) < 0)
			min = k;
	struct scale_block_verdict v = blocks[i];
	blocks[i] = blocks[min];
	blocks[min] = v;
}

void plan_scale_down(struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	struct scale_plan *plan = ctx->plan;
	plan->scale_down_blocked = cluster_rule(ctx);
	make_verdicts(ctx);
	double *after = cc_xcalloc(plan->n_blocks + 1, sizeof(*after)); /* per block index */
	size_t n_pass = ctx->terse ? pass_first(ctx, after) : 0;
	long chosen = -1;
	for (size_t i = 0; i < plan->n_blocks; i++) {
		if (i < n_pass && !plan->scale_down_blocked && chosen < 0)
			next_emptiest(ctx, i, n_pass);
		struct scale_block_verdict *v = &plan->blocks[i];
		bool own = ctx->terse ? v->blocker == SCALE_BLOCKER_NONE : judge_own(ctx, v, &after[v->block]);
		if (!own)
			continue;
		if (plan->scale_down_blocked) {
			v->blocker = SCALE_BLOCKER_GLOBAL;
			v->reason = plan_reason(ctx, "passes the block's own rules (the packing not tried), but %s",
						plan->scale_down_blocked);
		} else if (chosen >= 0) {
			v->blocker = SCALE_BLOCKER_EMPTIER;
			v->reason =
			    plan_reason(ctx,
					"passes the block's own rules (the packing not tried), but block \"%s\" "
					"is emptier and goes first",
					c->blocks[plan->blocks[chosen].block].id);
		} else if (check_fit(ctx, v, &plan->drain, &plan->n_drain)) {
			chosen = (long)i;
			plan->utilization_after = after[v->block];
		}
	}
	free(after);
	if (plan->decision == SCALE_UP)
		return;
	if (chosen >= 0) {
		const struct scale_block_verdict *v = &plan->blocks[chosen];
		plan->decision = SCALE_DOWN;
		plan->block_to_remove = (long)v->block;
		plan->reason =
		    plan_reason(ctx,
				"block \"%s\" is the emptiest removable block (utilization %.2f, under the "
				"target since %" PRId64 " s ago): its %zu movable pods fit on the other blocks, "
				"which will be %.2f utilized",
				c->blocks[v->block].id, v->utilization, c->now - v->underutilized_since, plan->n_drain,
				plan->utilization_after);
		return;
	}
	if (plan->scale_down_blocked)
		plan->reason = plan_reason(ctx, "no scale-up is needed; no scale-down: %s", plan->scale_down_blocked);
	else if (plan->n_blocks == 0)
		plan->reason = plan_reason(ctx, "no scale-up is needed and there are no blocks to remove");
	else
		plan->reason =
		    plan_reason(ctx, "no scale-up is needed; no block can be removed (see each block's reason)");
}
