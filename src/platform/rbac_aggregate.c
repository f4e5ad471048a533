/* ClusterRole aggregation (see rbac_aggregate.h). */
#include "platform/rbac_aggregate.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "platform/objects.h"
#include "platform/selector.h"

#include <stdlib.h>
#include <string.h>

static const char *name_of(const json_t *obj)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), "name")) ?: "";
}

static bool selected(const json_t *rule, const json_t *role)
{
	const json_t *labels = json_object_get(json_object_get(role, "metadata"), "labels");
	size_t i;
	const json_t *selector;
	json_array_foreach (json_object_get(rule, "clusterRoleSelectors"), i, selector) {
		struct platform_selector *sel = NULL;
		struct cc_error err = { 0 };
		if (platform_selector_from_json(selector, &sel, &err) < 0)
			continue; /* admission checked it; a bad one selects nothing */
		bool match = platform_selector_matches(sel, labels);
		platform_selector_free(sel);
		if (match)
			return true;
	}
	return false;
}

static void add_unique(json_t *rules, const json_t *more)
{
	size_t i, j;
	const json_t *rule, *have;
	json_array_foreach (more, i, rule) {
		bool seen = false;
		json_array_foreach (rules, j, have)
			seen = seen || json_equal(have, rule);
		if (!seen)
			json_array_append(rules, (json_t *)rule);
	}
}

int platform_rbac_aggregate(struct platform_objects *o, struct cc_error *err)
{
	const struct platform_resource *r = platform_resource_find("rbac.authorization.k8s.io", "v1", "clusterroles");
	struct platform_list_options opts = { 0 };
	_cleanup_json_ json_t *roles = NULL;
	int64_t rv;
	char *next = NULL;
	int rc = platform_objects_list(o, r, &opts, &roles, &rv, &next, err);
	free(next);
	if (rc < 0)
		return rc;
	size_t i, j;
	json_t *role, *other;
	json_array_foreach (roles, i, role) {
		const json_t *aggregation = json_object_get(role, "aggregationRule");
		if (!json_is_object(aggregation))
			continue;
		json_t *rules = json_array();
		json_array_foreach (roles, j, other)
			if (other != role && selected(aggregation, other))
				add_unique(rules, json_object_get(other, "rules"));
		if (json_equal(rules, json_object_get(role, "rules"))) {
			json_decref(rules);
			continue;
		}
		_cleanup_json_ json_t *updated = json_deep_copy(role);
		json_object_set_new(updated, "rules", rules);
		const char *stored_rv =
		    json_string_value(json_object_get(json_object_get(role, "metadata"), "resourceVersion"));
		json_t *stored = NULL;
		rc = platform_objects_update(o, r, updated, stored_rv ? strtoll(stored_rv, NULL, 10) : 0, &stored, err);
		json_decref(stored);
		if (rc < 0)
			return rc;
		cc_debug("rbac: aggregated %zu rules into ClusterRole %s", json_array_size(rules), name_of(role));
	}
	return 0;
}
