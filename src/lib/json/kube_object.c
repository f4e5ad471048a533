/* Kubernetes object questions (see kube_object.h). */
#include "lib/json/kube_object.h"

#include <string.h>

const json_t *kube_get2(const json_t *obj, const char *a, const char *b)
{
	return json_object_get(json_object_get(obj, a), b);
}

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

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

bool kube_label_name_chars_ok(const char *s, size_t n)
{
	if (n == 0 || !is_alnum(s[0]) || !is_alnum(s[n - 1]))
		return false;
	for (size_t i = 1; i + 1 < n; i++)
		if (!is_alnum(s[i]) && s[i] != '-' && s[i] != '_' && s[i] != '.')
			return false;
	return true;
}

bool kube_dns_subdomain_chars_ok(const char *s, size_t n)
{
	size_t start = 0;
	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.')
			continue;
		if (i == start)
			return false;
		for (size_t j = start; j < i; j++) {
			bool edge = j == start || j == i - 1;
			bool lower = (s[j] >= 'a' && s[j] <= 'z') || (s[j] >= '0' && s[j] <= '9');
			if (!lower && (edge || s[j] != '-'))
				return false;
		}
		start = i + 1;
	}
	return true;
}

enum kube_taint_split_result kube_taint_split(char *text, const char **ret_key, const char **ret_value,
					      const char **ret_effect)
{
	char *colon = strrchr(text, ':');
	if (!colon)
		return KUBE_TAINT_NO_EFFECT;
	*colon = '\0';
	*ret_effect = colon + 1;
	if (strcmp(*ret_effect, "NoSchedule") != 0 && strcmp(*ret_effect, "PreferNoSchedule") != 0 &&
	    strcmp(*ret_effect, "NoExecute") != 0)
		return KUBE_TAINT_BAD_EFFECT;
	char *eq = strchr(text, '=');
	*ret_value = "";
	if (eq) {
		*eq = '\0';
		*ret_value = eq + 1;
	}
	*ret_key = text;
	return KUBE_TAINT_OK;
}
