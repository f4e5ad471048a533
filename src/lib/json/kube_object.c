/* Kubernetes object questions (see kube_object.h). */
#include "lib/json/kube_object.h"

#include <string.h>

const char *kube_meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

const json_t *kube_controller_ref(const json_t *obj)
{
	size_t i;
	const json_t *ref;
	json_array_foreach (json_object_get(json_object_get(obj, "metadata"), "ownerReferences"), i, ref)
		if (json_is_true(json_object_get(ref, "controller")))
			return ref;
	return NULL;
}

bool kube_pod_ready(const json_t *pod)
{
	size_t i;
	const json_t *c;
	json_array_foreach (json_object_get(json_object_get(pod, "status"), "conditions"), i, c)
		if (strcmp(json_string_value(json_object_get(c, "type")) ?: "", "Ready") == 0)
			return strcmp(json_string_value(json_object_get(c, "status")) ?: "", "True") == 0;
	return false;
}

bool kube_pod_finished(const json_t *pod)
{
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase"));
	return phase && (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0);
}
