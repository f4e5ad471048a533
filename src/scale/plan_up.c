/* Scale-up (plan.h): the pending pods, largest first, go first-fit onto the free room of ready
 * nodes, then onto the nodes of blocks being provisioned, then onto virtual new blocks; the highest
 * virtual node used says how many whole blocks to add. A pod that fits not even an empty node a
 * block provides is unschedulable and never causes a scale-up (adding blocks would not help it),
 * and the virtual blocks stop at max_blocks. Bins are ordered so that "first fit" means "existing
 * room first", which is also what keeps k as small as the packing can make it. */
#include "lib/base/cleanup.h"
#include "scale/pack.h"
#include "scale/plan.h"
#include "scale/plan_internal.h"

#include <inttypes.h>
#include <string.h>

struct slots {
	const struct scale_cluster *cluster;
	const struct scale_pod *pod; /* the pod being placed */
	size_t *node;                /* slot -> node index, for the first n_real slots */
	size_t n_real, n_provisioning, n_new;
};

static bool slot_accepts(void *arg, size_t i)
{
	const struct slots *s = arg;
	const struct scale_cluster *c = s->cluster;
	if (i < s->n_real) {
		const struct scale_node *n = &c->nodes[s->node[i]];
		return scale_pod_accepts(s->pod, n->labels, n->taints, n->n_taints);
	}
	return scale_pod_accepts(s->pod, c->sku.labels, NULL, 0);
}

static bool fits_new_node(const struct scale_cluster *c, const struct scale_pod *pod)
{
	struct scale_resources a = scale_sku_node_allocatable(&c->sku);
	return pod->requests.cpu_milli <= a.cpu_milli && pod->requests.memory <= a.memory &&
	       scale_pod_accepts(pod, c->sku.labels, NULL, 0);
}

/* How many new blocks the packing may use: up to max_blocks, and never more than the pending pods
 * could fill (one pod a node), so the bins stay small. */
static size_t new_block_room(const struct scale_cluster *c, size_t n_pending)
{
	int64_t allowed = c->max_blocks - (int64_t)c->n_blocks;
	if (allowed <= 0)
		return 0;
	int64_t npb = c->sku.nodes_per_block;
	int64_t needed = ((int64_t)n_pending + npb - 1) / npb;
	return (size_t)(allowed < needed ? allowed : needed);
}

static void fill_bins(struct plan_context *ctx, struct slots *s, struct scale_bins *bins)
{
	const struct scale_cluster *c = ctx->cluster;
	const struct scale_resources *room = plan_room(ctx);
	size_t npb = (size_t)c->sku.nodes_per_block;
	scale_bins_init(bins, s->n_real + (s->n_provisioning + s->n_new) * npb);
	for (size_t i = 0; i < s->n_real; i++) {
		const struct scale_node *n = &c->nodes[s->node[i]];
		scale_bins_set(bins, i, room[s->node[i]], scale_taints_open(n->taints, n->n_taints));
	}
	struct scale_resources empty = scale_sku_node_allocatable(&c->sku);
	for (size_t i = s->n_real; i < bins->n; i++)
		scale_bins_set(bins, i, empty, true);
	scale_bins_build(bins);
}

static void place_pending(struct plan_context *ctx, struct slots *s, struct scale_bins *bins, long *ret_highest_new)
{
	const struct scale_cluster *c = ctx->cluster;
	struct scale_plan *plan = ctx->plan;
	size_t provisioning_end = s->n_real + s->n_provisioning * (size_t)c->sku.nodes_per_block;
	long highest_new = -1;
	for (size_t k = 0; k < plan->n_pending; k++) {
		const struct scale_pod *pod = &c->pods[plan->pending[k].pod];
		s->pod = pod;
		long at =
		    scale_bins_first_fit(bins, pod->requests, scale_pod_unconstrained(pod) ? NULL : slot_accepts, s);
		enum scale_pending_fate fate;
		if (at < 0) {
			fate = fits_new_node(c, pod) ? SCALE_PENDING_MAX_BLOCKS : SCALE_PENDING_UNSCHEDULABLE;
		} else {
			scale_bins_take(bins, (size_t)at, pod->requests);
			if ((size_t)at < s->n_real) {
				fate = SCALE_PENDING_FITS_NOW;
			} else if ((size_t)at < provisioning_end) {
				fate = SCALE_PENDING_FITS_PROVISIONING;
			} else {
				fate = SCALE_PENDING_NEEDS_BLOCK;
				long offset = at - (long)provisioning_end;
				if (offset > highest_new)
					highest_new = offset;
			}
		}
		plan->pending[k].fate = fate;
		plan->fates[fate]++;
	}
	*ret_highest_new = highest_new;
}

/* Packs the pending pods onto ready nodes, provisioning blocks and new ones; *ret_highest_new is
 * the last new node used, or -1. */
static void pack_pending(struct plan_context *ctx, size_t n_pending, long *ret_highest_new)
{
	const struct scale_cluster *c = ctx->cluster;
	struct slots s = { .cluster = c, .node = cc_xcalloc(c->n_nodes + 1, sizeof(size_t)) };
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].ready && !c->blocks[c->nodes[i].block].provisioning)
			s.node[s.n_real++] = i;
	s.n_provisioning = ctx->plan->provisioning_blocks;
	s.n_new = new_block_room(c, n_pending);
	struct scale_bins bins;
	fill_bins(ctx, &s, &bins);
	place_pending(ctx, &s, &bins, ret_highest_new);
	/* The room that is left on ready nodes is what a drain may use. */
	for (size_t i = 0; i < s.n_real; i++)
		plan_room(ctx)[s.node[i]] = bins.free[i];
	scale_bins_free(&bins);
	free(s.node);
}

void plan_scale_up(struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	struct scale_plan *plan = ctx->plan;
	size_t n_pending = ctx->state->pending.n;
	plan->pending = cc_xcalloc(n_pending + 1, sizeof(*plan->pending));
	size_t *order = cc_xcalloc(n_pending + 1, sizeof(*order));
	/* the sort is a total order (ties by name, then index), so the list's own order does not matter */
	if (n_pending) /* no list at all when nothing is pending: memcpy from NULL is undefined even for 0 */
		memcpy(order, ctx->state->pending.pods, n_pending * sizeof(*order));
	plan->n_pending = n_pending;
	scale_sort_decreasing(c, order, n_pending, scale_sku_node_allocatable(&c->sku));
	for (size_t k = 0; k < n_pending; k++)
		plan->pending[k].pod = order[k];
	free(order);

	long highest_new = -1;
	/* With nothing pending the packing places nothing, and the room it would hand on to the drain is
	 * the room there is (its clamping at zero is check_fit's too): skip it, which is what keeps a
	 * quiet cluster's decision at the cost of judging its blocks. */
	if (n_pending > 0)
		pack_pending(ctx, n_pending, &highest_new);

	/* Below min_blocks (a raised minimum, a lost block) the cluster grows back whatever is pending. */
	int64_t missing = c->min_blocks - (int64_t)c->n_blocks;
	if (highest_new < 0 && missing > 0) {
		plan->decision = SCALE_UP;
		plan->blocks_to_add = missing;
		plan->reason = plan_reason(ctx, "the cluster has %zu blocks, min_blocks is %" PRId64 ": add %" PRId64,
					   c->n_blocks, c->min_blocks, missing);
		return;
	}
	if (highest_new < 0)
		return;
	plan->decision = SCALE_UP;
	plan->blocks_to_add = highest_new / c->sku.nodes_per_block + 1;
	if (missing > plan->blocks_to_add)
		plan->blocks_to_add = missing;
	size_t driving = plan->fates[SCALE_PENDING_NEEDS_BLOCK];
	plan->reason = plan_reason(ctx,
				   "%zu pending pod%s fit%s neither the free room of ready nodes nor the blocks being "
				   "provisioned: add %" PRId64 " block%s (%" PRId64 " nodes)",
				   driving, driving == 1 ? "" : "s", driving == 1 ? "s" : "", plan->blocks_to_add,
				   plan->blocks_to_add == 1 ? "" : "s", plan->blocks_to_add * c->sku.nodes_per_block);
}
