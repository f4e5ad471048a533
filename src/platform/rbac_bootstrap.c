/* The default RBAC policy (see rbac_bootstrap.h). */
#include "platform/rbac_bootstrap.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/admit.h"
#include "platform/objects.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

extern const char platform_rbac_bootstrap_policy[];
extern const size_t platform_rbac_bootstrap_policy_size;

#define RBAC_GROUP "rbac.authorization.k8s.io"

static bool autoupdate(const json_t *obj)
{
	const json_t *a = json_object_get(json_object_get(obj, "metadata"), "annotations");
	const char *v = json_string_value(json_object_get(a, "rbac.authorization.kubernetes.io/autoupdate"));
	return v && strcmp(v, "true") == 0;
}

static bool contains(const json_t *list, const json_t *item)
{
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v)
		if (json_equal(v, item))
			return true;
	return false;
}

/* Adds to live[field] what want[field] has and it lacks; true when it added something. */
static bool add_missing(json_t *live, const json_t *want, const char *field)
{
	json_t *have = json_object_get(live, field);
	if (!json_is_array(have)) {
		have = json_array();
		json_object_set_new(live, field, have);
	}
	bool added = false;
	size_t i;
	const json_t *item;
	json_array_foreach (json_object_get(want, field), i, item) {
		if (!contains(have, item)) {
			json_array_append(have, (json_t *)item);
			added = true;
		}
	}
	return added;
}

static int ensure(struct platform_objects *o, const struct platform_resource *r, const json_t *want,
		  struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(json_object_get(want, "metadata"), "name"));
	_cleanup_json_ json_t *live = NULL;
	int rc = platform_objects_get(o, r, NULL, name, &live, err);
	json_t *stored = NULL;
	if (rc == -ENOENT) {
		_cleanup_json_ json_t *obj = json_deep_copy(want);
		struct cc_http_response refused;
		cc_http_response_init(&refused);
		rc = platform_admit_create(r, obj, NULL, &refused);
		if (rc < 0)
			rc = cc_error_set(err, EINVAL, "%s %s refused by admission: %.*s", r->kind, name,
					  (int)refused.body.len, refused.body.data);
		cc_http_response_free(&refused);
		if (rc == 0)
			rc = platform_objects_create(o, r, obj, &stored, err);
	} else if (rc == 0 && autoupdate(live)) {
		/* Aggregated roles' rules are the aggregation controller's to write. */
		bool changed = strcmp(r->kind, "ClusterRole") == 0
				   ? !json_object_get(want, "aggregationRule") && add_missing(live, want, "rules")
				   : add_missing(live, want, "subjects");
		if (changed)
			rc = platform_objects_update(o, r, live, 0, &stored, err);
	}
	json_decref(stored);
	return rc == -EEXIST ? 0 : rc;
}

int platform_rbac_bootstrap(struct platform_objects *o, struct cc_error *err)
{
	_cleanup_json_ json_t *policy = NULL;
	int rc = cc_json_parse(platform_rbac_bootstrap_policy, platform_rbac_bootstrap_policy_size, 1u << 20,
			       "the bootstrap RBAC policy", &policy, err);
	if (rc < 0)
		return rc;
	const struct platform_resource *roles = platform_resource_find(RBAC_GROUP, "v1", "clusterroles");
	const struct platform_resource *bindings = platform_resource_find(RBAC_GROUP, "v1", "clusterrolebindings");
	size_t i;
	const json_t *obj;
	json_array_foreach (json_object_get(policy, "clusterRoles"), i, obj)
		if ((rc = ensure(o, roles, obj, err)) < 0)
			return cc_error_prefix(err, "default ClusterRole");
	json_array_foreach (json_object_get(policy, "clusterRoleBindings"), i, obj)
		if ((rc = ensure(o, bindings, obj, err)) < 0)
			return cc_error_prefix(err, "default ClusterRoleBinding");
	return 0;
}
