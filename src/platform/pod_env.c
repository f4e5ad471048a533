/* Environment of a pod's container (see pod_env.h). */
#include "platform/pod_env.h"

#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"
#include "platform/objects.h"
#include "platform/pod_config.h"
#include "platform/resources.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int pod_source_data(struct platform_objects *objects, const char *kind, const char *namespace, const char *name,
		    json_t **ret, struct cc_error *err)
{
	const struct platform_resource *r = platform_resource_find("", "v1", kind);
	bool secret = strcmp(kind, "secrets") == 0;
	json_t *obj = NULL;
	struct cc_error ignored = { 0 };
	int rc = platform_objects_get(objects, r, namespace, name, &obj, &ignored);
	if (rc == -ENOENT)
		return cc_error_set(err, ENOENT, "%s \"%s\" not found", secret ? "secret" : "configmap", name);
	if (rc < 0) {
		*err = ignored;
		return rc;
	}
	json_t *out = json_object();
	const char *key;
	json_t *value;
	json_object_foreach (json_object_get(obj, "data"), key, value) {
		const char *text = json_string_value(value);
		if (!text)
			continue;
		if (!secret) {
			json_object_set_new(out, key, json_string(text));
			continue;
		}
		uint8_t *bytes = NULL;
		size_t len = 0;
		if (cc_base64_decode(text, strlen(text), &bytes, &len) == 0) {
			json_object_set_new(out, key, json_stringn_nocheck((const char *)bytes, len));
			explicit_bzero(bytes, len);
			free(bytes);
		}
	}
	/* binaryData of a ConfigMap is base64 like a Secret's data. */
	json_object_foreach (json_object_get(obj, "binaryData"), key, value) {
		uint8_t *bytes = NULL;
		size_t len = 0;
		const char *text = json_string_value(value);
		if (text && cc_base64_decode(text, strlen(text), &bytes, &len) == 0) {
			json_object_set_new(out, key, json_stringn_nocheck((const char *)bytes, len));
			explicit_bzero(bytes, len);
			free(bytes);
		}
	}
	json_decref(obj);
	*ret = out;
	return 0;
}

/* Sets NAME, replacing an earlier definition in place: getenv(3) takes the first match, so a
 * later definition must not merely be appended. */
static int set_var(json_t *env, const char *name, const char *value, struct cc_error *err)
{
	char *entry = cc_xasprintf("%s=%s", name, value);
	/* The container's config is JSON: a value that is not UTF-8 text (a binary Secret) cannot go
	 * into the environment; say so rather than drop it. */
	json_t *text = json_string(entry);
	explicit_bzero(entry, strlen(entry));
	free(entry);
	if (!text)
		return cc_error_set(err, EINVAL, "the value of environment variable %s is not UTF-8 text", name);
	size_t n = strlen(name), i;
	json_t *e;
	json_array_foreach (env, i, e) {
		const char *s = json_string_value(e);
		if (s && strncmp(s, name, n) == 0 && s[n] == '=') {
			json_array_set_new(env, i, text);
			return 0;
		}
	}
	json_array_append_new(env, text);
	return 0;
}

int pod_env_field(const struct pod_env_input *in, const char *path, char **ret, struct cc_error *err)
{
	const json_t *meta = json_object_get(in->pod, "metadata");
	const json_t *spec = json_object_get(in->pod, "spec");
	static const struct {
		const char *path, *object, *field;
	} simple[] = {
		{ "metadata.name", "metadata", "name" },
		{ "metadata.namespace", "metadata", "namespace" },
		{ "metadata.uid", "metadata", "uid" },
		{ "spec.nodeName", "spec", "nodeName" },
		{ "spec.serviceAccountName", "spec", "serviceAccountName" },
	};
	for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
		if (strcmp(path, simple[i].path) == 0) {
			const json_t *from = strcmp(simple[i].object, "metadata") == 0 ? meta : spec;
			*ret = cc_xstrdup(json_string_value(json_object_get(from, simple[i].field)) ?: "");
			return 0;
		}
	if (strcmp(path, "status.podIP") == 0 || strcmp(path, "status.podIPs") == 0) {
		*ret = cc_xstrdup(in->pod_ip ? in->pod_ip : "");
		return 0;
	}
	if (strcmp(path, "status.hostIP") == 0 || strcmp(path, "status.hostIPs") == 0) {
		*ret = cc_xstrdup(in->host_ip ? in->host_ip : "");
		return 0;
	}
	const char *maps[] = { "metadata.labels['", "metadata.annotations['" };
	for (size_t i = 0; i < 2; i++) {
		size_t n = strlen(maps[i]);
		size_t len = strlen(path);
		if (strncmp(path, maps[i], n) == 0 && len > n + 2 && strcmp(path + len - 2, "']") == 0) {
			_cleanup_free_ char *key = cc_xstrdup(path + n);
			key[strlen(key) - 2] = '\0';
			const json_t *map = json_object_get(meta, i == 0 ? "labels" : "annotations");
			*ret = cc_xstrdup(json_string_value(json_object_get(map, key)) ?: "");
			return 0;
		}
	}
	return cc_error_set(err, EINVAL, "unsupported fieldRef fieldPath `%s`", path);
}

/* One valueFrom; *ret NULL when an optional source is missing (the variable is left out). */
static int value_from(const struct pod_env_input *in, const json_t *from, char **ret, struct cc_error *err)
{
	const char *ns = json_string_value(json_object_get(json_object_get(in->pod, "metadata"), "namespace"));
	static const char *const refs[][2] = { { "secretKeyRef", "secrets" }, { "configMapKeyRef", "configmaps" } };
	*ret = NULL;
	for (size_t i = 0; i < 2; i++) {
		const json_t *ref = json_object_get(from, refs[i][0]);
		if (!ref)
			continue;
		const char *name = json_string_value(json_object_get(ref, "name")) ?: "";
		const char *key = json_string_value(json_object_get(ref, "key")) ?: "";
		bool optional = json_is_true(json_object_get(ref, "optional"));
		json_t *data = NULL;
		int r = pod_source_data(in->objects, refs[i][1], ns, name, &data, err);
		if (r < 0)
			return optional && r == -ENOENT ? 0 : r;
		const char *value = json_string_value(json_object_get(data, key));
		if (value)
			*ret = cc_xstrdup(value);
		json_decref(data);
		if (!value && !optional)
			return cc_error_set(err, ENOENT, "couldn't find key %s in %s %s/%s", key,
					    i == 0 ? "Secret" : "ConfigMap", ns, name);
		return 0;
	}
	const json_t *field = json_object_get(from, "fieldRef");
	if (field)
		return pod_env_field(in, json_string_value(json_object_get(field, "fieldPath")) ?: "", ret, err);
	const json_t *res = json_object_get(from, "resourceFieldRef");
	if (res) {
		/* limits.memory, limits.cpu, ... as written in the container (divisor 1). */
		const char *resource = json_string_value(json_object_get(res, "resource")) ?: "";
		const char *dot = strchr(resource, '.');
		const json_t *resources = json_object_get(in->container, "resources");
		const char *value = NULL;
		if (dot) {
			_cleanup_free_ char *kind = cc_xstrndup(resource, (size_t)(dot - resource));
			value = json_string_value(json_object_get(json_object_get(resources, kind), dot + 1));
		}
		*ret = cc_xstrdup(value ? value : "0");
		return 0;
	}
	return cc_error_set(err, EINVAL, "valueFrom names no source");
}

static int env_from(const struct pod_env_input *in, json_t *env, struct cc_error *err)
{
	const char *ns = json_string_value(json_object_get(json_object_get(in->pod, "metadata"), "namespace"));
	size_t i;
	const json_t *item;
	json_array_foreach (json_object_get(in->container, "envFrom"), i, item) {
		const char *prefix = json_string_value(json_object_get(item, "prefix")) ?: "";
		const json_t *ref = json_object_get(item, "secretRef");
		const char *kind = "secrets";
		if (!ref)
			ref = json_object_get(item, "configMapRef"), kind = "configmaps";
		if (!ref)
			continue;
		json_t *data = NULL;
		int r = pod_source_data(in->objects, kind, ns, json_string_value(json_object_get(ref, "name")) ?: "",
					&data, err);
		if (r == -ENOENT && json_is_true(json_object_get(ref, "optional")))
			continue;
		if (r < 0)
			return r;
		const char *key;
		json_t *value;
		json_object_foreach (data, key, value) {
			_cleanup_free_ char *name = cc_xasprintf("%s%s", prefix, key);
			r = set_var(env, name, json_string_value(value), err);
			if (r < 0)
				break;
		}
		json_decref(data);
		if (r < 0)
			return r;
	}
	return 0;
}

int pod_env_resolve(const struct pod_env_input *in, json_t **ret, struct cc_error *err)
{
	json_t *env = json_array();
	for (size_t i = 0; i < in->image->n_env; i++) {
		_cleanup_free_ char *name = cc_xstrdup(in->image->env[i]);
		char *eq = strchr(name, '=');
		if (eq) {
			*eq = '\0';
			set_var(env, name, eq + 1, NULL); /* the image's config was JSON: UTF-8 already */
		}
	}
	if (in->api_service_ip) {
		/* What in-cluster clients (client-go's rest.InClusterConfig) read; the container's own env
		 * still overrides them. */
		char url[80];
		snprintf(url, sizeof(url), "tcp://%s:443", in->api_service_ip);
		set_var(env, "KUBERNETES_SERVICE_HOST", in->api_service_ip, NULL);
		set_var(env, "KUBERNETES_SERVICE_PORT", "443", NULL);
		set_var(env, "KUBERNETES_SERVICE_PORT_HTTPS", "443", NULL);
		set_var(env, "KUBERNETES_PORT", url, NULL);
		set_var(env, "KUBERNETES_PORT_443_TCP", url, NULL);
		set_var(env, "KUBERNETES_PORT_443_TCP_PROTO", "tcp", NULL);
		set_var(env, "KUBERNETES_PORT_443_TCP_PORT", "443", NULL);
		set_var(env, "KUBERNETES_PORT_443_TCP_ADDR", in->api_service_ip, NULL);
	}
	int r = env_from(in, env, err);
	size_t i;
	const json_t *var;
	json_array_foreach (json_object_get(in->container, "env"), i, var) {
		if (r < 0)
			break;
		const char *name = json_string_value(json_object_get(var, "name"));
		if (!name)
			continue;
		const json_t *from = json_object_get(var, "valueFrom");
		char *value = NULL;
		if (from)
			r = value_from(in, from, &value, err);
		else
			value = pod_expand(json_string_value(json_object_get(var, "value")) ?: "", env);
		if (value && r == 0)
			r = set_var(env, name, value, err);
		free(value);
	}
	if (r < 0) {
		json_decref(env);
		return r;
	}
	*ret = env;
	return 0;
}
