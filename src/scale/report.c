/* The plan's two renderings (report.h). */
#include "scale/report.h"

#include "lib/base/cleanup.h"
#include "scale/quantity.h"

#include <inttypes.h>

static char *pod_key(const struct scale_pod *p)
{
	return cc_xasprintf("%s/%s", p->namespace_, p->name);
}

char *scale_pending_reason(const struct scale_cluster *c, const struct scale_pod *pod, enum scale_pending_fate fate)
{
	char cpu[32], memory[32], node_cpu[32], node_memory[32];
	struct scale_resources a = scale_sku_node_allocatable(&c->sku);
	scale_format_cpu(pod->requests.cpu_milli, cpu, sizeof(cpu));
	scale_format_memory(pod->requests.memory, memory, sizeof(memory));
	scale_format_cpu(a.cpu_milli, node_cpu, sizeof(node_cpu));
	scale_format_memory(a.memory, node_memory, sizeof(node_memory));
	switch (fate) {
	case SCALE_PENDING_FITS_NOW: return cc_xstrdup("fits the free room of a ready node");
	case SCALE_PENDING_FITS_PROVISIONING: return cc_xstrdup("fits a block being provisioned");
	case SCALE_PENDING_NEEDS_BLOCK: return cc_xstrdup("fits only on a new block");
	case SCALE_PENDING_MAX_BLOCKS:
		return cc_xasprintf("needs a new block, but max_blocks (%" PRId64 ") is reached", c->max_blocks);
	default: break;
	}
	if (pod->requests.cpu_milli > a.cpu_milli || pod->requests.memory > a.memory)
		return cc_xasprintf("larger than any node: requests cpu %s, memory %s; a node of a block has cpu %s, "
				    "memory %s allocatable",
				    cpu, memory, node_cpu, node_memory);
	return cc_xstrdup("its nodeSelector or tolerations match no node a block provides, and no existing node "
			  "that matches has room");
}

static json_t *pending_json(const struct scale_cluster *c, const struct scale_plan *plan)
{
	json_t *obj = json_pack("{s:I}", "total", (json_int_t)plan->n_pending);
	for (int f = 0; f < SCALE_PENDING_FATE_MAX; f++)
		json_object_set_new(obj, scale_pending_fate_name(f), json_integer((json_int_t)plan->fates[f]));
	json_t *pods = json_array();
	size_t listed[SCALE_PENDING_FATE_MAX] = { 0 };
	for (size_t k = 0; k < plan->n_pending; k++) {
		enum scale_pending_fate f = plan->pending[k].fate;
		if (listed[f]++ >= SCALE_REPORT_MAX_LISTED)
			continue;
		const struct scale_pod *p = &c->pods[plan->pending[k].pod];
		char *key = pod_key(p), *why = scale_pending_reason(c, p, f);
		json_array_append_new(
		    pods, json_pack("{s:s, s:s, s:s}", "pod", key, "fate", scale_pending_fate_name(f), "reason", why));
		free(key);
		free(why);
	}
	json_object_set_new(obj, "pods", pods);
	return obj;
}

static json_t *verdicts_json(const struct scale_cluster *c, const struct scale_plan *plan)
{
	json_t *list = json_array();
	for (size_t i = 0; i < plan->n_blocks; i++) {
		const struct scale_block_verdict *v = &plan->blocks[i];
		json_t *o = json_pack("{s:s, s:f, s:I, s:b, s:s}", "block", c->blocks[v->block].id, "utilization",
				      v->utilization, "pods", (json_int_t)v->pods, "removable",
				      v->blocker == SCALE_BLOCKER_NONE, "blocker", scale_blocker_name(v->blocker));
		json_object_set_new(o, "reason", v->reason ? json_string(v->reason) : json_null());
		json_array_append_new(list, o);
	}
	return list;
}

/* The timers to give back as `blocks` on the next call. */
static json_t *history_json(const struct scale_cluster *c, const struct scale_plan *plan)
{
	json_t *blocks = json_array();
	for (size_t b = 0; b < c->n_blocks; b++) {
		int64_t since = -1;
		for (size_t i = 0; i < plan->n_blocks; i++)
			if (plan->blocks[i].block == b)
				since = plan->blocks[i].underutilized_since;
		json_t *o = json_pack("{s:s}", "id", c->blocks[b].id);
		if (since >= 0)
			json_object_set_new(o, "underutilized_since", json_integer(since));
		if (c->blocks[b].provisioning)
			json_object_set_new(o, "provisioning", json_true());
		json_array_append_new(blocks, o);
	}
	return blocks;
}

static json_t *drain_json(const struct scale_cluster *c, const struct scale_plan *plan)
{
	json_t *list = json_array();
	for (size_t i = 0; i < plan->n_drain; i++) {
		const struct scale_pod *p = &c->pods[plan->drain[i].pod];
		char *key = pod_key(p);
		json_array_append_new(list, json_pack("{s:s, s:s, s:s}", "pod", key, "from", c->nodes[p->node].name,
						      "to", c->nodes[plan->drain[i].node].name));
		free(key);
	}
	return list;
}

json_t *scale_plan_json(const struct scale_cluster *c, const struct scale_plan *plan)
{
	json_t *doc = json_pack("{s:s, s:s, s:f}", "decision", scale_decision_name(plan->decision), "reason",
				plan->reason, "utilization", plan->utilization);
	if (plan->decision == SCALE_UP) {
		json_object_set_new(doc, "blocks_to_add", json_integer(plan->blocks_to_add));
		json_object_set_new(doc, "nodes_to_add", json_integer(plan->blocks_to_add * c->sku.nodes_per_block));
	}
	if (plan->decision == SCALE_DOWN) {
		json_object_set_new(doc, "remove_block", json_string(c->blocks[plan->block_to_remove].id));
		json_object_set_new(doc, "utilization_after", json_real(plan->utilization_after));
		json_object_set_new(doc, "drain", drain_json(c, plan));
	}
	json_object_set_new(doc, "scale_down_blocked",
			    plan->scale_down_blocked ? json_string(plan->scale_down_blocked) : json_null());
	json_object_set_new(doc, "blocks",
			    json_pack("{s:I, s:I, s:I, s:I}", "ready", (json_int_t)plan->ready_blocks, "provisioning",
				      (json_int_t)plan->provisioning_blocks, "min", (json_int_t)c->min_blocks, "max",
				      (json_int_t)c->max_blocks));
	json_object_set_new(doc, "pending", pending_json(c, plan));
	json_object_set_new(doc, "block_verdicts", verdicts_json(c, plan));
	/* What to give back as `history` next time, assuming the decision is carried out now: so a
	 * caller that feeds each plan's history to the next (`cocoon scale plan --cluster --history`)
	 * keeps the cooldowns without bookkeeping of its own. */
	json_t *history = json_pack("{s:o}", "blocks", history_json(c, plan));
	int64_t up = plan->decision == SCALE_UP ? c->now : c->last_scale_up;
	int64_t down = plan->decision == SCALE_DOWN ? c->now : c->last_scale_down;
	if (up >= 0)
		json_object_set_new(history, "last_scale_up", json_integer(up));
	if (down >= 0)
		json_object_set_new(history, "last_scale_down", json_integer(down));
	json_object_set_new(doc, "history", history);
	json_object_set_new(doc, "next_check", plan->next_check >= 0 ? json_integer(plan->next_check) : json_null());
	return doc;
}

static void text_decision(FILE *out, const struct scale_cluster *c, const struct scale_plan *plan)
{
	switch (plan->decision) {
	case SCALE_UP:
		fprintf(out, "Decision: scale up by %" PRId64 " block%s (%" PRId64 " nodes)\n", plan->blocks_to_add,
			plan->blocks_to_add == 1 ? "" : "s", plan->blocks_to_add * c->sku.nodes_per_block);
		break;
	case SCALE_DOWN:
		fprintf(out, "Decision: scale down: remove block %s\n", c->blocks[plan->block_to_remove].id);
		break;
	default: fprintf(out, "Decision: no change\n"); break;
	}
	fprintf(out, "Why: %s\n", plan->reason);
	fprintf(out, "Blocks: %zu ready, %zu provisioning (min %" PRId64 ", max %" PRId64 "); utilization %.2f\n",
		plan->ready_blocks, plan->provisioning_blocks, c->min_blocks, c->max_blocks, plan->utilization);
}

static void text_pending(FILE *out, const struct scale_cluster *c, const struct scale_plan *plan)
{
	if (plan->n_pending == 0) {
		fprintf(out, "Pending: none\n");
		return;
	}
	fprintf(out,
		"Pending: %zu pods: %zu fit ready nodes, %zu wait for provisioning blocks, %zu need new blocks, "
		"%zu held by max_blocks, %zu unschedulable\n",
		plan->n_pending, plan->fates[SCALE_PENDING_FITS_NOW], plan->fates[SCALE_PENDING_FITS_PROVISIONING],
		plan->fates[SCALE_PENDING_NEEDS_BLOCK], plan->fates[SCALE_PENDING_MAX_BLOCKS],
		plan->fates[SCALE_PENDING_UNSCHEDULABLE]);
	/* The pods that drive a scale-up first, then those that stay pending whatever is added. */
	size_t driving = 0;
	for (size_t k = 0; k < plan->n_pending; k++) {
		if (plan->pending[k].fate != SCALE_PENDING_NEEDS_BLOCK)
			continue;
		if (driving++ == 10) {
			fprintf(out, "  ... (--format json lists up to %d)\n", SCALE_REPORT_MAX_LISTED);
			break;
		}
		const struct scale_pod *p = &c->pods[plan->pending[k].pod];
		char *why = scale_pending_reason(c, p, SCALE_PENDING_NEEDS_BLOCK);
		fprintf(out, "  needs a new block: %s/%s: %s\n", p->namespace_, p->name, why);
		free(why);
	}
	size_t listed = 0;
	for (size_t k = 0; k < plan->n_pending; k++) {
		enum scale_pending_fate f = plan->pending[k].fate;
		if (f != SCALE_PENDING_MAX_BLOCKS && f != SCALE_PENDING_UNSCHEDULABLE)
			continue;
		if (listed++ == 20) {
			fprintf(out, "  ... (--format json lists up to %d of each kind)\n", SCALE_REPORT_MAX_LISTED);
			break;
		}
		const struct scale_pod *p = &c->pods[plan->pending[k].pod];
		char *why = scale_pending_reason(c, p, f);
		fprintf(out, "  stays pending: %s/%s: %s\n", p->namespace_, p->name, why);
		free(why);
	}
}

void scale_plan_text(FILE *out, const struct scale_cluster *c, const struct scale_plan *plan)
{
	text_decision(out, c, plan);
	text_pending(out, c, plan);
	if (plan->scale_down_blocked)
		fprintf(out, "Scale-down held: %s\n", plan->scale_down_blocked);
	if (plan->n_blocks > 0) {
		fprintf(out, "\n%-16s %6s %6s  %s\n", "BLOCK", "UTIL", "PODS", "VERDICT");
		for (size_t i = 0; i < plan->n_blocks; i++) {
			const struct scale_block_verdict *v = &plan->blocks[i];
			fprintf(out, "%-16s %6.2f %6zu  %s\n", c->blocks[v->block].id, v->utilization, v->pods,
				v->reason ? v->reason : "removed by this plan");
		}
	}
	if (plan->decision == SCALE_DOWN) {
		fprintf(out, "\nDrain plan (in this order), then remove the block's nodes:\n");
		for (size_t i = 0; i < plan->n_drain; i++) {
			const struct scale_pod *p = &c->pods[plan->drain[i].pod];
			fprintf(out, "  %zu. %s/%s: %s -> %s\n", i + 1, p->namespace_, p->name, c->nodes[p->node].name,
				c->nodes[plan->drain[i].node].name);
		}
	}
	if (plan->next_check >= 0)
		fprintf(out, "\nNext check: %" PRId64 " (in %" PRId64 " s), when a time rule changes\n",
			plan->next_check, plan->next_check - c->now);
}
