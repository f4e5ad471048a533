/* Extractors of what a Kubernetes pod spec says (docs/scan.md, "Policies"): the workload (namespace,
 * labels, annotations, host namespaces, runtime class), its volumes, and each container (security
 * context, capabilities, ports, env; the image's config.Env under the container's own). Defaults are
 * Kubernetes' own: privileged false, allowPrivilegeEscalation true, runAsNonRoot from the pod when
 * the container does not say. A member of the wrong type is an error (a privileged flag written as
 * "yes" is not "not privileged"). */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/policy_extract.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- container ---- */

/* A bool member of the container's securityContext, else the pod's (when pod_too), else dflt. */
static int security_bool(const struct policy_subject *s, const char *key, bool pod_too, bool dflt, json_t *values,
			 struct cc_error *err)
{
	if (!s->container)
		return POLICY_NOT_JUDGED;
	const json_t *sc, *v;
	char where[300];
	snprintf(where, sizeof(where), "container `%s`", s->container_name);
	int r = policy_member(s->container, "securityContext", JSON_OBJECT, where, &sc, err);
	if (r < 0)
		return r;
	snprintf(where, sizeof(where), "container `%s`: securityContext", s->container_name);
	if ((r = policy_member(sc, key, JSON_TRUE, where, &v, err)) < 0)
		return r;
	if (!v && pod_too) {
		if ((r = policy_member(s->pod_spec, "securityContext", JSON_OBJECT, "podSpec", &sc, err)) < 0 ||
		    (r = policy_member(sc, key, JSON_TRUE, "podSpec.securityContext", &v, err)) < 0)
			return r;
	}
	json_array_append_new(values, json_boolean(v ? json_is_true(v) : dflt));
	return 0;
}

/* KEY=VALUE for the container's env (KEY alone for one set from valueFrom: its value is not in the
 * spec), then the image's config.Env for the keys the container does not set. */
int policy_extract_environment(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *env, *oci, *run, *image_env;
	_cleanup_json_ json_t *keys = json_object(); /* the keys the container sets, as a set */
	int r;
	if (s->container) {
		char where[300];
		snprintf(where, sizeof(where), "container `%s`", s->container_name);
		if ((r = policy_member(s->container, "env", JSON_ARRAY, where, &env, err)) < 0)
			return r;
		size_t i;
		json_t *e;
		json_array_foreach ((json_t *)env, i, e) {
			const json_t *name, *value;
			snprintf(where, sizeof(where), "container `%s`: env[%zu]", s->container_name, i);
			if ((r = policy_member(e, "name", JSON_STRING, where, &name, err)) < 0 ||
			    (r = policy_member(e, "value", JSON_STRING, where, &value, err)) < 0)
				return r;
			if (!name)
				return cc_error_set(err, EINVAL, "facts: %s: no `name`", where);
			_cleanup_free_ char *text =
			    value ? cc_xasprintf("%s=%s", json_string_value(name), json_string_value(value))
				  : cc_xstrdup(json_string_value(name));
			policy_add_string(values, text);
			json_object_set(keys, json_string_value(name), json_true());
		}
	}
	r = policy_image_config(s, &oci, &run, err);
	if (r < 0)
		return r;
	if (r == POLICY_NOT_JUDGED)
		return s->container ? 0 : POLICY_NOT_JUDGED;
	if ((r = policy_member(run, "Env", JSON_ARRAY, "report.image.config.config", &image_env, err)) < 0)
		return r;
	size_t i;
	json_t *e;
	json_array_foreach ((json_t *)image_env, i, e) {
		if (!json_is_string(e))
			return cc_error_set(err, EINVAL, "facts: report.image.config.config.Env[%zu] is not a string",
					    i);
		const char *text = json_string_value(e);
		_cleanup_free_ char *key = cc_xstrndup(text, strcspn(text, "="));
		if (!json_object_get(keys, key))
			policy_add_string(values, text);
	}
	return 0;
}

int policy_extract_privileged(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return security_bool(s, "privileged", false, false, values, err);
}

/* Kubernetes' default is true unless the container is privileged-less with no_new_privs, which the
 * spec alone does not say; so unset counts as allowed, as the Pod Security Standards count it. */
int policy_extract_allow_privilege_escalation(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return security_bool(s, "allowPrivilegeEscalation", false, true, values, err);
}

int policy_extract_read_only_root(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return security_bool(s, "readOnlyRootFilesystem", false, false, values, err);
}

int policy_extract_run_as_non_root(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return security_bool(s, "runAsNonRoot", true, false, values, err);
}

static int capabilities(const struct policy_subject *s, const char *which, json_t *values, struct cc_error *err)
{
	if (!s->container)
		return POLICY_NOT_JUDGED;
	const json_t *sc, *caps, *list;
	char where[300];
	int r;
	snprintf(where, sizeof(where), "container `%s`", s->container_name);
	if ((r = policy_member(s->container, "securityContext", JSON_OBJECT, where, &sc, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "container `%s`: securityContext", s->container_name);
	if ((r = policy_member(sc, "capabilities", JSON_OBJECT, where, &caps, err)) < 0)
		return r;
	snprintf(where, sizeof(where), "container `%s`: securityContext.capabilities", s->container_name);
	if ((r = policy_member(caps, which, JSON_ARRAY, where, &list, err)) < 0)
		return r;
	size_t i;
	json_t *c;
	json_array_foreach ((json_t *)list, i, c) {
		if (!json_is_string(c))
			return cc_error_set(err, EINVAL, "facts: %s.%s[%zu] is not a string", where, which, i);
		_cleanup_free_ char *name = cc_xstrdup(json_string_value(c));
		policy_capability_normalize(name);
		policy_add_string(values, name);
	}
	return 0;
}

int policy_extract_add_capabilities(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return capabilities(s, "add", values, err);
}

int policy_extract_drop_capabilities(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return capabilities(s, "drop", values, err);
}

int policy_extract_container_port(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	if (!s->container)
		return POLICY_NOT_JUDGED;
	const json_t *ports;
	char where[300];
	snprintf(where, sizeof(where), "container `%s`", s->container_name);
	int r = policy_member(s->container, "ports", JSON_ARRAY, where, &ports, err);
	if (r < 0)
		return r;
	size_t i;
	json_t *p;
	json_array_foreach ((json_t *)ports, i, p) {
		const json_t *port;
		snprintf(where, sizeof(where), "container `%s`: ports[%zu]", s->container_name, i);
		if ((r = policy_member(p, "containerPort", JSON_INTEGER, where, &port, err)) < 0)
			return r;
		if (port)
			json_array_append_new(values, json_integer(json_integer_value(port)));
	}
	return 0;
}

int policy_extract_container_name(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	if (!s->container)
		return POLICY_NOT_JUDGED;
	policy_add_string(values, s->container_name);
	return 0;
}

/* ---- workload ---- */

int policy_extract_namespace(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *ns;
	if (!s->workload)
		return POLICY_NOT_JUDGED;
	int r = policy_member(s->workload, "namespace", JSON_STRING, "workload", &ns, err);
	if (r < 0)
		return r;
	policy_add_string(values, ns ? json_string_value(ns) : "default");
	return 0;
}

static int key_values(const struct policy_subject *s, const char *which, json_t *values, struct cc_error *err)
{
	const json_t *map;
	if (!s->workload)
		return POLICY_NOT_JUDGED;
	int r = policy_member(s->workload, which, JSON_OBJECT, "workload", &map, err);
	if (r < 0)
		return r;
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)map, key, v) {
		if (!json_is_string(v))
			return cc_error_set(err, EINVAL, "facts: workload.%s: `%.64s` is not a string", which, key);
		_cleanup_free_ char *text = cc_xasprintf("%s=%s", key, json_string_value(v));
		policy_add_string(values, text);
	}
	return 0;
}

int policy_extract_label(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return key_values(s, "labels", values, err);
}

int policy_extract_annotation(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return key_values(s, "annotations", values, err);
}

static int pod_bool(const struct policy_subject *s, const char *key, json_t *values, struct cc_error *err)
{
	const json_t *v;
	if (!s->pod_spec)
		return POLICY_NOT_JUDGED;
	int r = policy_member(s->pod_spec, key, JSON_TRUE, "podSpec", &v, err);
	if (r < 0)
		return r;
	json_array_append_new(values, json_boolean(v && json_is_true(v)));
	return 0;
}

int policy_extract_host_network(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return pod_bool(s, "hostNetwork", values, err);
}

int policy_extract_host_pid(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return pod_bool(s, "hostPID", values, err);
}

int policy_extract_host_ipc(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	return pod_bool(s, "hostIPC", values, err);
}

int policy_extract_runtime_class(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *v;
	if (!s->pod_spec)
		return POLICY_NOT_JUDGED;
	int r = policy_member(s->pod_spec, "runtimeClassName", JSON_STRING, "podSpec", &v, err);
	if (r < 0)
		return r;
	if (v)
		policy_add_string(values, json_string_value(v));
	return 0;
}

/* ---- volume ---- */

/* The source of a volume: its one member besides `name` (hostPath, emptyDir, secret, ...). */
int policy_extract_volume_type(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	if (!s->volume)
		return POLICY_NOT_JUDGED;
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)s->volume, key, v)
		if (strcmp(key, "name") != 0)
			policy_add_string(values, key);
	return 0;
}

int policy_extract_host_path(const struct policy_subject *s, json_t *values, struct cc_error *err)
{
	const json_t *host_path, *path;
	if (!s->volume)
		return POLICY_NOT_JUDGED;
	int r;
	if ((r = policy_member(s->volume, "hostPath", JSON_OBJECT, "podSpec.volumes[]", &host_path, err)) < 0 ||
	    (r = policy_member(host_path, "path", JSON_STRING, "podSpec.volumes[].hostPath", &path, err)) < 0)
		return r;
	if (path)
		policy_add_string(values, json_string_value(path));
	return 0;
}
