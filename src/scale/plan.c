/* The planner's entry (plan.h): it adds up what runs where, lets plan_up.c place the pending pods
 * and decide on a scale-up, and, when none is needed, lets plan_down.c look for a block to remove.
 * The time rules' next deadline is worked out here so a caller knows when to ask again. */
#include "scale/plan.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scale/plan_internal.h"

#include <errno.h>
#include <string.h>

double plan_utilization(struct scale_resources used, struct scale_resources alloc)
{
	double cpu = alloc.cpu_milli > 0 ? (double)used.cpu_milli / (double)alloc.cpu_milli : 0;
	double memory = alloc.memory > 0 ? (double)used.memory / (double)alloc.memory : 0;
	return cpu > memory ? cpu : memory;
}

static void add_to(struct scale_resources *sum, struct scale_resources r)
{
	sum->cpu_milli += r.cpu_milli;
	sum->memory += r.memory;
}

/* Requests per node and block, allocatable per block, and the pods grouped by block. */
static void account(struct plan_context *ctx)
{
	const struct scale_cluster *c = ctx->cluster;
	ctx->used = cc_xcalloc(c->n_nodes + 1, sizeof(*ctx->used));
	ctx->room = cc_xcalloc(c->n_nodes + 1, sizeof(*ctx->room));
	ctx->block_used = cc_xcalloc(c->n_blocks + 1, sizeof(*ctx->block_used));
	ctx->block_alloc = cc_xcalloc(c->n_blocks + 1, sizeof(*ctx->block_alloc));
	ctx->block_start = cc_xcalloc(c->n_blocks + 2, sizeof(*ctx->block_start));
	ctx->block_pods = cc_xcalloc(c->n_pods + 1, sizeof(*ctx->block_pods));
	ctx->pdbs = cc_xcalloc(c->n_pdbs + 1, sizeof(*ctx->pdbs));
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].ready) {
			add_to(&ctx->block_alloc[c->nodes[i].block], c->nodes[i].allocatable);
			add_to(&ctx->total_alloc, c->nodes[i].allocatable);
		}
	for (size_t i = 0; i < c->n_pods; i++) {
		const struct scale_pod *p = &c->pods[i];
		if (p->node < 0)
			continue;
		size_t b = c->nodes[p->node].block;
		add_to(&ctx->used[p->node], p->requests);
		add_to(&ctx->block_used[b], p->requests);
		add_to(&ctx->total_used, p->requests);
		ctx->block_start[b + 1]++;
	}
	for (size_t b = 0; b < c->n_blocks; b++)
		ctx->block_start[b + 1] += ctx->block_start[b];
	size_t *fill = cc_xcalloc(c->n_blocks + 1, sizeof(*fill));
	memcpy(fill, ctx->block_start, c->n_blocks * sizeof(*fill));
	for (size_t i = 0; i < c->n_pods; i++)
		if (c->pods[i].node >= 0)
			ctx->block_pods[fill[c->nodes[c->pods[i].node].block]++] = i;
	free(fill);
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].ready)
			ctx->room[i] =
			    (struct scale_resources){ c->nodes[i].allocatable.cpu_milli - ctx->used[i].cpu_milli,
						      c->nodes[i].allocatable.memory - ctx->used[i].memory };
}

static void consider_deadline(struct scale_plan *plan, int64_t now, int64_t since, int64_t wait)
{
	if (since < 0 || since + wait <= now)
		return;
	if (plan->next_check < 0 || since + wait < plan->next_check)
		plan->next_check = since + wait;
}

static void find_next_check(const struct scale_cluster *c, struct scale_plan *plan)
{
	plan->next_check = -1;
	consider_deadline(plan, c->now, c->last_scale_up, c->policy.scale_up_cooldown);
	consider_deadline(plan, c->now, c->last_scale_down, c->policy.scale_down_cooldown);
	for (size_t i = 0; i < plan->n_blocks; i++)
		consider_deadline(plan, c->now, plan->blocks[i].underutilized_since, c->policy.unneeded_time);
}

int scale_plan_make(const struct scale_cluster *c, struct scale_plan *ret, struct cc_error *err)
{
	if (c->sku.nodes_per_block < 1)
		return cc_error_set(err, EINVAL, "a block must hold at least one node");
	for (size_t i = 0; i < c->n_pods; i++)
		if (c->pods[i].node >= (long)c->n_nodes)
			return cc_error_set(err, EINVAL, "pod \"%s/%s\" names node %ld of %zu", c->pods[i].namespace_,
					    c->pods[i].name, c->pods[i].node, c->n_nodes);
	struct scale_plan plan = { .block_to_remove = -1, .next_check = -1 };
	struct plan_context ctx = { .cluster = c, .plan = &plan };
	double target = c->policy.target_utilization;
	ctx.max_after = c->policy.max_utilization_after_scale_down >= 0 ? c->policy.max_utilization_after_scale_down
									: (1 + target) / 2;
	account(&ctx);
	for (size_t b = 0; b < c->n_blocks; b++) {
		if (c->blocks[b].provisioning)
			plan.provisioning_blocks++;
		else
			plan.ready_blocks++;
	}
	plan.utilization = plan_utilization(ctx.total_used, ctx.total_alloc);
	plan_scale_up(&ctx);
	plan_scale_down(&ctx);
	find_next_check(c, &plan);
	if (!plan.reason)
		plan.reason = cc_xstrdup("nothing to do");
	free(ctx.used);
	free(ctx.room);
	free(ctx.block_used);
	free(ctx.block_alloc);
	free(ctx.block_start);
	free(ctx.block_pods);
	free(ctx.pdbs);
	free(ctx.pod_pdb);
	*ret = plan;
	return 0;
}

void scale_plan_release(struct scale_plan *plan)
{
	free(plan->reason);
	free(plan->drain);
	free(plan->pending);
	free(plan->scale_down_blocked);
	for (size_t i = 0; i < plan->n_blocks; i++)
		free(plan->blocks[i].reason);
	free(plan->blocks);
	memset(plan, 0, sizeof(*plan));
	plan->block_to_remove = -1;
}

const char *scale_decision_name(enum scale_decision d)
{
	static const char *const names[] = { "no_change", "scale_up", "scale_down" };
	return (unsigned)d < CC_ARRAY_SIZE(names) ? names[d] : "unknown";
}

const char *scale_pending_fate_name(enum scale_pending_fate f)
{
	static const char *const names[] = { "fits_now", "fits_provisioning", "needs_block", "max_blocks",
					     "unschedulable" };
	return (unsigned)f < CC_ARRAY_SIZE(names) ? names[f] : "unknown";
}

const char *scale_blocker_name(enum scale_blocker b)
{
	static const char *const names[] = { "none",           "provisioning",  "utilization",
					     "unneeded_time",  "local_storage", "safe_to_evict_false",
					     "not_replicated", "pdb",           "hysteresis",
					     "no_fit",         "cluster_rule",  "emptier_block_chosen" };
	return (unsigned)b < CC_ARRAY_SIZE(names) ? names[b] : "unknown";
}
