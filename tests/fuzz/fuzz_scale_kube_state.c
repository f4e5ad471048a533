/* libFuzzer target: the planner's input made from Kubernetes objects (src/scale/kube_state.c), as
 * `cocoon scale state` and `plan --cluster` make it from what an API server sends. The input is a
 * JSON object {"nodes": [...], "pods": [...], "pdbs": [...]} of any objects at all; whatever they
 * hold, the result is a JSON object that the planner's parser either takes (and plans on) or refuses
 * with a message. Never a crash. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scale/cluster.h"
#include "scale/kube_state.h"
#include "scale/plan.h"

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *doc = NULL;
	struct cc_error err = { 0 };
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &doc, &err) < 0)
		return 0;
	static FILE *warnings;
	if (!warnings)
		warnings = fopen("/dev/null", "w");
	struct scale_kube_options o = {
		.block_label = "scale.cocoon.dev/block",
		.sku = json_pack("{s:i, s:s, s:s}", "nodes_per_block", 15, "node_cpu", "4000m", "node_memory", "8Gi"),
		.min_blocks = 1,
		.max_blocks = 1000,
		.history = json_is_object(json_object_get(doc, "history"))
			       ? json_incref(json_object_get(doc, "history"))
			       : NULL,
	};
	json_t *state = scale_state_from_objects(json_object_get(doc, "nodes"), json_object_get(doc, "pods"),
						 json_object_get(doc, "pdbs"), &o, 1700000000, warnings);
	if (!json_is_object(state))
		abort();
	struct scale_cluster *c = NULL;
	if (scale_cluster_from_json(state, &c, &err) == 0) {
		struct scale_plan plan;
		if (scale_plan_make(c, &plan, &err) == 0)
			scale_plan_release(&plan);
		scale_cluster_free(c);
	} else if (!err.message[0]) {
		abort();
	}
	json_decref(state);
	json_decref(o.sku);
	json_decref(o.history);
	json_decref(doc);
	return 0;
}
