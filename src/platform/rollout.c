/* The rollout arithmetic (see rollout.h), after the deployment controller's rolling.go and
 * recreate.go: one step per call; the controller calls again when the sets' pods change. */
#include "platform/rollout.h"

#include <stdlib.h>
#include <string.h>

json_int_t platform_rollout_scaled(const json_t *value, json_int_t desired, bool round_up, json_int_t fallback)
{
	if (!value)
		return fallback;
	if (json_is_integer(value))
		return json_integer_value(value) < 0 ? -1 : json_integer_value(value);
	const char *s = json_string_value(value);
	if (!s)
		return -1;
	char *end;
	long percent = strtol(s, &end, 10);
	if (end == s || strcmp(end, "%") != 0 || percent < 0)
		return -1;
	json_int_t product = (json_int_t)percent * desired;
	return round_up ? (product + 99) / 100 : product / 100;
}

static json_int_t min_int(json_int_t a, json_int_t b)
{
	return a < b ? a : b;
}

static void recreate(json_int_t desired, const struct rollout_set *sets, size_t n, json_int_t *targets)
{
	bool old_pods = false;
	for (size_t i = 0; i < n; i++)
		if (!sets[i].is_new)
			old_pods |= sets[i].pods > 0 || sets[i].replicas > 0;
	for (size_t i = 0; i < n; i++)
		targets[i] = sets[i].is_new ? (old_pods ? sets[i].replicas : desired) : 0;
}

/* Old sets shrink: the unhealthy pods first (they cost no availability), then healthy ones while
 * availability stays at least min_available. */
static void scale_down_old(json_int_t desired, json_int_t max_unavailable, const struct rollout_set *sets, size_t n,
			   json_int_t *targets)
{
	json_int_t all = 0, available = 0, new_unavailable = 0;
	for (size_t i = 0; i < n; i++) {
		all += sets[i].replicas;
		available += sets[i].available;
		if (sets[i].is_new)
			new_unavailable =
			    sets[i].replicas > sets[i].available ? sets[i].replicas - sets[i].available : 0;
	}
	json_int_t min_available = desired - max_unavailable;
	json_int_t budget = all - min_available - new_unavailable;
	for (size_t i = 0; i < n && budget > 0; i++) {
		if (sets[i].is_new || targets[i] == 0)
			continue;
		json_int_t unhealthy = targets[i] > sets[i].available ? targets[i] - sets[i].available : 0;
		json_int_t cut = min_int(unhealthy, budget);
		targets[i] -= cut;
		budget -= cut;
	}
	json_int_t spare = available - min_available;
	for (size_t i = 0; i < n && spare > 0; i++) {
		if (sets[i].is_new || targets[i] == 0)
			continue;
		json_int_t cut = min_int(targets[i], spare);
		targets[i] -= cut;
		spare -= cut;
	}
}

void platform_rollout_step(const json_t *strategy, json_int_t desired, const struct rollout_set *sets, size_t n,
			   json_int_t *targets)
{
	for (size_t i = 0; i < n; i++)
		targets[i] = sets[i].replicas;
	const char *type = json_string_value(json_object_get(strategy, "type"));
	if (type && strcmp(type, "Recreate") == 0) {
		recreate(desired, sets, n, targets);
		return;
	}
	const json_t *rolling = json_object_get(strategy, "rollingUpdate");
	json_int_t surge = platform_rollout_scaled(json_object_get(rolling, "maxSurge"), desired, true, -2);
	json_int_t unavailable =
	    platform_rollout_scaled(json_object_get(rolling, "maxUnavailable"), desired, false, -2);
	if (surge == -2)
		surge = (desired * 25 + 99) / 100; /* 25%, rounded up */
	if (unavailable == -2)
		unavailable = desired * 25 / 100;
	if (surge < 0)
		surge = 0;
	if (unavailable < 0)
		unavailable = 0;
	if (surge == 0 && unavailable == 0)
		unavailable = 1; /* both zero would never progress; Kubernetes refuses it, we take 1 */
	json_int_t total = 0;
	size_t fresh = n;
	for (size_t i = 0; i < n; i++) {
		total += sets[i].replicas;
		if (sets[i].is_new)
			fresh = i;
	}
	if (fresh < n) {
		const struct rollout_set *s = &sets[fresh];
		if (s->replicas > desired) {
			targets[fresh] = desired;
			return;
		}
		json_int_t room = desired + surge - total;
		json_int_t grow = min_int(room, desired - s->replicas);
		if (grow > 0) {
			targets[fresh] = s->replicas + grow;
			return; /* one step: old sets shrink on the next call */
		}
	}
	scale_down_old(desired, unavailable, sets, n, targets);
}
