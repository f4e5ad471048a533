/* A pod's request as kube-scheduler counts it (see pod_request.h). */
#include "scale/pod_request.h"

#include "lib/base/error.h"
#include "lib/json/kube_object.h"
#include "scale/quantity.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* requests.NAME, else limits.NAME (the API server's defaulting), else nothing. */
static const json_t *asked(const json_t *container, const char *name)
{
	const json_t *resources = json_object_get(container, "resources");
	return kube_get2(resources, "requests", name) ?: kube_get2(resources, "limits", name);
}

static int container_request(const json_t *container, struct scale_pod_request *ret, struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(container, "name")) ?: "?";
	char what[320];
	const json_t *cpu = asked(container, "cpu"), *memory = asked(container, "memory");
	ret->cpu_milli = ret->memory = 0;
	snprintf(what, sizeof(what), "container `%s` resources cpu", name);
	if (cpu && scale_json_cpu(cpu, what, &ret->cpu_milli, err) < 0)
		return -EINVAL;
	snprintf(what, sizeof(what), "container `%s` resources memory", name);
	if (memory && scale_json_memory(memory, what, &ret->memory, err) < 0)
		return -EINVAL;
	return 0;
}

static void add(struct scale_pod_request *to, const struct scale_pod_request *r)
{
	to->cpu_milli += r->cpu_milli;
	to->memory += r->memory;
}

static void raise_to(struct scale_pod_request *to, const struct scale_pod_request *r)
{
	to->cpu_milli = r->cpu_milli > to->cpu_milli ? r->cpu_milli : to->cpu_milli;
	to->memory = r->memory > to->memory ? r->memory : to->memory;
}

static bool is_sidecar(const json_t *container)
{
	const char *policy = json_string_value(json_object_get(container, "restartPolicy"));
	return policy && strcmp(policy, "Always") == 0;
}

int scale_pod_request(const json_t *pod, struct scale_pod_request *ret, struct cc_error *err)
{
	const json_t *spec = json_object_get(pod, "spec");
	struct scale_pod_request containers = { 0 }, sidecars = { 0 }, init_peak = { 0 }, one;
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(spec, "containers"), i, c) {
		if (container_request(c, &one, err) < 0)
			return -EINVAL;
		add(&containers, &one);
	}
	/* Init containers run one at a time, each beside the sidecars (restartable init containers)
	 * started before it; the sidecars then stay for the pod's life. */
	json_array_foreach (json_object_get(spec, "initContainers"), i, c) {
		if (container_request(c, &one, err) < 0)
			return -EINVAL;
		if (is_sidecar(c)) {
			add(&sidecars, &one);
			raise_to(&init_peak, &sidecars);
		} else {
			add(&one, &sidecars);
			raise_to(&init_peak, &one);
		}
	}
	add(&containers, &sidecars);
	raise_to(&containers, &init_peak);
	const json_t *overhead = json_object_get(spec, "overhead");
	one = (struct scale_pod_request){ 0 };
	if (json_object_get(overhead, "cpu") &&
	    scale_json_cpu(json_object_get(overhead, "cpu"), "overhead cpu", &one.cpu_milli, err) < 0)
		return -EINVAL;
	if (json_object_get(overhead, "memory") &&
	    scale_json_memory(json_object_get(overhead, "memory"), "overhead memory", &one.memory, err) < 0)
		return -EINVAL;
	add(&containers, &one);
	*ret = containers;
	return 0;
}
