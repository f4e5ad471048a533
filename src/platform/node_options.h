/* What the operator says of cocoond's Node, as kubelet takes it: --system-reserved (cpu and memory
 * kept for the system: allocatable = capacity less it, so pods never crowd out cocoond itself),
 * --node-labels (e.g. the block a capacity planner groups nodes by, scale.cocoon.dev/block=b1) and
 * --register-with-taints. Parsed once at start, so a mistake refuses the start with its reason. */
#pragma once

#include <jansson.h>
#include <stdint.h>

struct cc_error;

struct platform_node_options {
	int64_t reserved_cpu_milli, reserved_memory;
	json_t *labels; /* object of strings */
	json_t *taints; /* [{key, value, effect}] */
};

/* Each argument may be NULL. system_reserved: "cpu=500m,memory=1Gi"; labels: "KEY=VALUE,...";
 * taints: "KEY[=VALUE]:EFFECT,..." with EFFECT NoSchedule, PreferNoSchedule or NoExecute. -EINVAL
 * with the flag and the item in err. */
int platform_node_options_parse(const char *system_reserved, const char *labels, const char *taints,
				struct platform_node_options *ret, struct cc_error *err);
void platform_node_options_clear(struct platform_node_options *o);
