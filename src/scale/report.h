/* A plan as JSON (`cocoon scale plan --format json`, docs/scale.md "Output") and as text for a
 * person. Both say the decision, the reason, what stays pending and why, each block's verdict, and
 * the timers to give back as history on the next call. */
#pragma once

#include "scale/cluster.h"
#include "scale/plan.h"

#include <jansson.h>
#include <stdio.h>

/* At most this many pods of each pending fate are listed by name; the counts are always complete. */
#define SCALE_REPORT_MAX_LISTED 100

json_t *scale_plan_json(const struct scale_cluster *cluster, const struct scale_plan *plan);
void scale_plan_text(FILE *out, const struct scale_cluster *cluster, const struct scale_plan *plan);
/* Why a pod with this fate stays pending or what it drives, in a few words. */
char *scale_pending_reason(const struct scale_cluster *cluster, const struct scale_pod *pod,
			   enum scale_pending_fate fate);
