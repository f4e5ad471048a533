/* The eviction subresource (POST pods/NAME/eviction, policy/v1 Eviction), as kube-apiserver serves
 * it for `kubectl drain`: a pod covered by a PodDisruptionBudget is deleted only when the budget
 * allows a disruption, which the eviction takes (status.disruptionsAllowed less one, the pod under
 * status.disruptedPods, written before the delete with the budget's resourceVersion, so two
 * evictions cannot both take the last one); otherwise 429 TooManyRequests with kube-apiserver's
 * message and the budget named in the cause. A pod that has finished, is pending or is being
 * deleted needs no budget; two budgets over one pod are refused (500, as kube-apiserver). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_response;
struct platform_objects;
struct platform_resource;

/* Decides for pod (the stored object): true when it may be deleted now (a budget's disruption
 * taken, when one covers it); false with the refusal in resp. */
bool platform_eviction_allow(struct platform_objects *objects, const struct platform_resource *pods, const json_t *pod,
			     struct cc_http_response *resp);
