/* What a Kubernetes pod asks of a node, as kube-scheduler counts it: the larger of its containers
 * plus its sidecars (restartable init containers) and the peak of its init phase (each init
 * container beside the sidecars started before it), plus spec.overhead. A container without
 * requests but with limits asks its limits, as the API server defaults them. Shared by cocoond's
 * scheduler and `cocoon scale state`, so that what the planner counts is what the node admits. */
#pragma once

#include <jansson.h>
#include <stdint.h>

struct cc_error;

struct scale_pod_request {
	int64_t cpu_milli;
	int64_t memory;
};

/* pod is a Pod object. -EINVAL when a quantity is malformed; err names the container and field. */
int scale_pod_request(const json_t *pod, struct scale_pod_request *ret, struct cc_error *err);
