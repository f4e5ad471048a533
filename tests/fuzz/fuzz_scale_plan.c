/* libFuzzer target: the cluster state parser and the planner (src/scale/cluster_json.c, plan*.c).
 * Any input either is refused with a message, or gives a plan of the documented shape: a decision
 * with a reason, pending fates that add up, and a drain plan only for a scale-down, each move onto
 * a node of another block. Both renderings must not crash. */
#include "lib/base/error.h"
#include "scale/cluster.h"
#include "scale/plan.h"
#include "scale/report.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

static void check_plan(const struct scale_cluster *c, const struct scale_plan *p)
{
	size_t sum = 0;
	for (int f = 0; f < SCALE_PENDING_FATE_MAX; f++)
		sum += p->fates[f];
	if (!p->reason || sum != p->n_pending || p->n_blocks != c->n_blocks)
		abort();
	if ((p->decision == SCALE_UP) != (p->blocks_to_add > 0))
		abort();
	if (p->decision != SCALE_DOWN && (p->n_drain || p->block_to_remove >= 0))
		abort();
	for (size_t i = 0; i < p->n_drain; i++)
		if (p->drain[i].node >= c->n_nodes || c->nodes[p->drain[i].node].block == (size_t)p->block_to_remove)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scale_cluster *c = NULL;
	struct cc_error err = { 0 };
	if (scale_cluster_parse((const char *)data, size, "fuzz", &c, &err) < 0) {
		if (!err.code || !err.message[0] || c)
			abort();
		return 0;
	}
	struct scale_plan plan;
	if (scale_plan_make(c, &plan, &err) == 0) {
		check_plan(c, &plan);
		json_decref(scale_plan_json(c, &plan));
		FILE *null = fopen("/dev/null", "w");
		if (null) {
			scale_plan_text(null, c, &plan);
			fclose(null);
		}
		scale_plan_release(&plan);
	}
	scale_cluster_free(c);
	return 0;
}
