/* Pod Security admission (see pod_security.h): which level a namespace enforces and warns at, the
 * verdict, and the security event of a refusal. The checks and their words are the scanner's
 * (scan/pod_security.c), kube-apiserver's for the standard's "latest" policy, so a user reads the
 * same refusal here as from kube-apiserver and from `cocoon scan config`. */
#include "platform/pod_security.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "platform/objects.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

int platform_pss_level_parse(const char *name, enum platform_pss_level *ret)
{
	enum scan_pss_level level;
	if (scan_pss_level_parse(name, &level) < 0)
		return -EINVAL;
	*ret = (enum platform_pss_level)level;
	return 0;
}

const char *platform_pss_level_name(enum platform_pss_level level)
{
	return scan_pss_level_name((enum scan_pss_level)level);
}

void platform_pss_verdict_clear(struct platform_pss_verdict *v)
{
	free(v->refusal);
	free(v->warning);
	memset(v, 0, sizeof(*v));
}

/* The violations of level by pod (its annotations count: AppArmor and seccomp). */
static json_t *violations_of(const json_t *pod, enum platform_pss_level level)
{
	return scan_pss_pod_violations(json_object_get(pod, "metadata"), json_object_get(pod, "spec"),
				       (enum scan_pss_level)level);
}

static char *joined(const json_t *violations)
{
	size_t len = 1;
	size_t i;
	const json_t *v;
	json_array_foreach (violations, i, v)
		len += strlen(json_string_value(v)) + 2;
	char *out = cc_xcalloc(1, len);
	json_array_foreach (violations, i, v) {
		if (i)
			strcat(out, ", ");
		strcat(out, json_string_value(v));
	}
	return out;
}

/* The level a namespace label names, or fallback when absent or not a level. */
static enum platform_pss_level label_level(const json_t *labels, const char *mode, enum platform_pss_level fallback)
{
	_cleanup_free_ char *key = cc_xasprintf("pod-security.kubernetes.io/%s", mode);
	enum platform_pss_level level;
	if (platform_pss_level_parse(json_string_value(json_object_get(labels, key)), &level) < 0)
		return fallback;
	return level;
}

void platform_pss_admit(struct platform_objects *objects, enum platform_pss_level default_level, const json_t *pod,
			const char *namespace, struct platform_pss_verdict *ret)
{
	memset(ret, 0, sizeof(*ret));
	ret->allowed = true;
	json_t *ns = NULL;
	struct cc_error err = { 0 };
	platform_objects_get(objects, platform_resource_find("", "v1", "namespaces"), namespace, namespace, &ns, &err);
	const json_t *labels = json_object_get(json_object_get(ns, "metadata"), "labels");
	enum platform_pss_level enforce = label_level(labels, "enforce", default_level);
	enum platform_pss_level warn = label_level(labels, "warn", PLATFORM_PSS_PRIVILEGED);
	json_t *violations = violations_of(pod, enforce);
	if (json_array_size(violations)) {
		_cleanup_free_ char *list = joined(violations);
		ret->allowed = false;
		ret->refusal =
		    cc_xasprintf("violates PodSecurity \"%s:latest\": %s", platform_pss_level_name(enforce), list);
		const char *name = json_string_value(json_object_get(json_object_get(pod, "metadata"), "name"));
		_cleanup_free_ char *object = cc_xasprintf("pod/%s/%s", namespace, name ? name : "(generated)");
		cc_event_emit_decision("platform", "pod.security", NULL, NULL, object, false, ret->refusal);
	}
	json_decref(violations);
	violations = violations_of(pod, warn);
	if (ret->allowed && json_array_size(violations)) {
		_cleanup_free_ char *list = joined(violations);
		ret->warning =
		    cc_xasprintf("would violate PodSecurity \"%s:latest\": %s", platform_pss_level_name(warn), list);
	}
	json_decref(violations);
	json_decref(ns);
}
