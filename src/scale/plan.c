/* The planner's entry (plan.h): it adds up what runs where (plan_state.c, or the caller's running
 * totals), lets plan_up.c place the pending pods and decide on a scale-up, and, when none is
 * needed, lets plan_down.c look for a block to remove.
 * The time rules' next deadline is worked out here so a caller knows when to ask again. */
#include "scale/plan.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scale/plan_internal.h"

#include <errno.h>
#include <stdarg.h>
#include <string.h>

double plan_utilization(struct scale_resources used, struct scale_resources alloc)
{
	double cpu = alloc.cpu_milli > 0 ? (double)used.cpu_milli / (double)alloc.cpu_milli : 0;
	double memory = alloc.memory > 0 ? (double)used.memory / (double)alloc.memory : 0;
	return cpu > memory ? cpu : memory;
}

char *plan_reason(const struct plan_context *ctx, const char *fmt, ...)
{
	if (ctx->terse)
		return NULL;
	va_list ap;
	va_start(ap, fmt);
	char *s = cc_xvasprintf(fmt, ap);
	va_end(ap);
	return s;
}

struct scale_resources *plan_room(struct plan_context *ctx)
{
	if (ctx->room)
		return ctx->room;
	const struct scale_cluster *c = ctx->cluster;
	const struct scale_plan_state *st = ctx->state;
	ctx->room = cc_xcalloc(c->n_nodes + 1, sizeof(*ctx->room));
	for (size_t i = 0; i < c->n_nodes; i++)
		if (c->nodes[i].ready)
			ctx->room[i] =
			    (struct scale_resources){ c->nodes[i].allocatable.cpu_milli - st->used[i].cpu_milli,
						      c->nodes[i].allocatable.memory - st->used[i].memory };
	return ctx->room;
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

int scale_plan_decide(const struct scale_cluster *c, const struct scale_plan_state *state,
		      const struct scale_plan_options *options, struct scale_plan *ret, struct cc_error *err)
{
	if (c->sku.nodes_per_block < 1)
		return cc_error_set(err, EINVAL, "a block must hold at least one node");
	struct scale_plan plan = { .block_to_remove = -1, .next_check = -1 };
	struct plan_context ctx = { .cluster = c, .state = state, .plan = &plan, .terse = options && options->terse };
	double target = c->policy.target_utilization;
	ctx.max_after = c->policy.max_utilization_after_scale_down >= 0 ? c->policy.max_utilization_after_scale_down
									: (1 + target) / 2;
	ctx.pdbs = cc_xcalloc(c->n_pdbs + 1, sizeof(*ctx.pdbs));
	for (size_t b = 0; b < c->n_blocks; b++) {
		if (c->blocks[b].provisioning)
			plan.provisioning_blocks++;
		else
			plan.ready_blocks++;
	}
	plan.utilization = plan_utilization(state->total_used, state->total_alloc);
	plan_scale_up(&ctx);
	plan_scale_down(&ctx);
	find_next_check(c, &plan);
	if (!plan.reason && !ctx.terse)
		plan.reason = cc_xstrdup("nothing to do");
	free(ctx.room);
	free(ctx.pdbs);
	free(ctx.pod_pdb);
	*ret = plan;
	return 0;
}

int scale_plan_make(const struct scale_cluster *c, struct scale_plan *ret, struct cc_error *err)
{
	if (c->sku.nodes_per_block < 1)
		return cc_error_set(err, EINVAL, "a block must hold at least one node");
	for (size_t i = 0; i < c->n_pods; i++)
		if (c->pods[i].node >= (long)c->n_nodes)
			return cc_error_set(err, EINVAL, "pod \"%s/%s\" names node %ld of %zu", c->pods[i].namespace_,
					    c->pods[i].name, c->pods[i].node, c->n_nodes);
	struct scale_plan_state state;
	scale_plan_state_init(&state);
	scale_plan_state_build(&state, c);
	int r = scale_plan_decide(c, &state, NULL, ret, err);
	scale_plan_state_free(&state);
	return r;
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
