/* A Deployment's rollout, one step at a time, as kube-controller-manager's deployment controller
 * takes it: with the RollingUpdate strategy the new ReplicaSet grows while the total stays within
 * replicas + maxSurge, and old ones shrink while at least replicas - maxUnavailable pods stay
 * available (unhealthy old pods go first); with Recreate every old pod goes before the new set
 * grows. Pure arithmetic over the sets' sizes, so it is tested on its own. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct rollout_set {
	json_int_t replicas;  /* spec.replicas now */
	json_int_t pods;      /* status.replicas: pods that exist */
	json_int_t available; /* status.availableReplicas */
	bool is_new;          /* the set of the current template (exactly one) */
};

/* maxSurge or maxUnavailable: an integer, or a percentage of desired rounded up (surge) or down
 * (unavailable), as intstr.GetScaledValueFromIntOrPercent does. -1 on a malformed value. */
json_int_t platform_rollout_scaled(const json_t *value, json_int_t desired, bool round_up, json_int_t fallback);

/* Fills targets[i] (the spec.replicas each set should have after this step) for a Deployment whose
 * spec.strategy is strategy (NULL: RollingUpdate 25%/25%). Sets are given oldest first. */
void platform_rollout_step(const json_t *strategy, json_int_t desired, const struct rollout_set *sets, size_t n,
			   json_int_t *targets);
