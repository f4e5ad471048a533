/* Finding the pod template in Kubernetes objects (see workload.h). Where each kind keeps it is
 * the Kubernetes API's: core/v1 Pod and PodTemplate, apps/v1, batch/v1 (the older group versions
 * of the same kinds keep it in the same place). */
#include "scan/workload.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *kind;
	const char *template_path;
	const char *spec_path;
} kinds[] = {
	{ "Pod", "", "spec" },
	{ "Deployment", "spec.template", "spec.template.spec" },
	{ "StatefulSet", "spec.template", "spec.template.spec" },
	{ "DaemonSet", "spec.template", "spec.template.spec" },
	{ "ReplicaSet", "spec.template", "spec.template.spec" },
	{ "ReplicationController", "spec.template", "spec.template.spec" },
	{ "Job", "spec.template", "spec.template.spec" },
	{ "CronJob", "spec.jobTemplate.spec.template", "spec.jobTemplate.spec.template.spec" },
	{ "PodTemplate", "template", "template.spec" },
};

/* The value at a dotted path of objects ("" is o itself); NULL when a step is absent or null.
 * -EINVAL when a step is present but not an object. */
static int resolve(const json_t *o, const char *path, const json_t **ret, struct cc_error *err)
{
	const json_t *v = o;
	const char *p = path;
	while (*p) {
		size_t n = strcspn(p, ".");
		_cleanup_free_ char *key = cc_xstrndup(p, n);
		v = json_object_get(v, key);
		if (!v || json_is_null(v)) {
			*ret = NULL;
			return 0;
		}
		if (!json_is_object(v))
			return cc_error_set(err, EINVAL, "`%.*s` is not an object", (int)(p - path + n), path);
		p += n + (p[n] == '.');
	}
	*ret = v;
	return 0;
}

static const char *meta_string(const json_t *object, const char *key)
{
	const char *s = json_string_value(json_object_get(json_object_get(object, "metadata"), key));
	return s && *s ? s : NULL;
}

/* Another kind in the apps/v1 shape: spec.template.spec with a containers list. */
static bool apps_shaped(const json_t *object)
{
	const json_t *spec = json_object_get(json_object_get(json_object_get(object, "spec"), "template"), "spec");
	return json_is_object(spec) && json_is_array(json_object_get(spec, "containers"));
}

int scan_workload_read(const json_t *object, struct scan_workload *ret, struct cc_error *err)
{
	if (!json_is_object(object))
		return cc_error_set(err, EINVAL, "a %s, not a Kubernetes object (a mapping with apiVersion and kind)",
				    json_is_array(object)    ? "list"
				    : json_is_string(object) ? "string"
							     : "scalar");
	const char *kind = json_string_value(json_object_get(object, "kind"));
	if (!kind || !*kind)
		return cc_error_set(err, EINVAL, "no `kind`: not a Kubernetes object");
	memset(ret, 0, sizeof(*ret));
	ret->object = object;
	ret->kind = kind;
	ret->namespace = meta_string(object, "namespace");
	ret->name = meta_string(object, "name") ?: meta_string(object, "generateName");
	for (size_t i = 0; i < CC_ARRAY_SIZE(kinds) && !ret->spec_path; i++)
		if (!strcmp(kind, kinds[i].kind)) {
			ret->template_path = kinds[i].template_path;
			ret->spec_path = kinds[i].spec_path;
		}
	if (!ret->spec_path && apps_shaped(object)) {
		ret->template_path = "spec.template";
		ret->spec_path = "spec.template.spec";
	}
	if (!ret->spec_path)
		return 0;
	const json_t *template;
	int r = resolve(object, ret->template_path, &template, err);
	if (r == 0 && template)
		r = resolve(template, "spec", &ret->pod_spec, err);
	if (r == 0 && template)
		r = resolve(template, "metadata", &ret->pod_metadata, err);
	if (r < 0) {
		cc_error_prefix(err, "%s", kind);
		memset(ret, 0, sizeof(*ret));
		return r;
	}
	if (!ret->pod_spec) {
		ret->template_path = ret->spec_path = NULL;
		ret->pod_metadata = NULL;
		return 0;
	}
	return 1;
}

static bool is_list(const json_t *object)
{
	const char *kind = json_string_value(json_object_get(object, "kind"));
	size_t len = kind ? strlen(kind) : 0;
	return len >= 4 && !strcmp(kind + len - 4, "List") && json_is_array(json_object_get(object, "items"));
}

static int each(const json_t *object, int depth, scan_workload_fn fn, void *userdata, struct cc_error *err)
{
	if (is_list(object)) {
		if (depth >= SCAN_WORKLOAD_MAX_LIST_DEPTH)
			return cc_error_set(err, EINVAL, "lists nested deeper than %d", SCAN_WORKLOAD_MAX_LIST_DEPTH);
		int count = 0;
		size_t i;
		const json_t *item;
		json_array_foreach (json_object_get(object, "items"), i, item) {
			int r = each(item, depth + 1, fn, userdata, err);
			if (r < 0) {
				if (err && err->code)
					cc_error_prefix(err, "items[%zu]", i);
				return r;
			}
			count += r;
		}
		return count;
	}
	struct scan_workload w;
	int r = scan_workload_read(object, &w, err);
	if (r < 0)
		return r;
	r = fn ? fn(&w, userdata) : 0;
	return r < 0 ? r : 1;
}

int scan_workload_each(const json_t *document, scan_workload_fn fn, void *userdata, struct cc_error *err)
{
	return each(document, 0, fn, userdata, err);
}
