/* RBAC validation (see rbac_validation.h). */
#include "platform/rbac_validation.h"

#include "platform/status.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

/* A list of strings, possibly absent; false (with a cause) when present and not that. */
static bool strings(const json_t *list, const char *field, json_t *causes)
{
	if (!list || json_is_null(list))
		return true;
	size_t i;
	const json_t *v;
	if (json_is_array(list)) {
		bool ok = true;
		json_array_foreach (list, i, v)
			ok = ok && json_is_string(v);
		if (ok)
			return true;
	}
	platform_cause(causes, "FieldValueInvalid", field, "must be a list of strings");
	return false;
}

void platform_rbac_validate_role(const json_t *role, const char *kind, json_t *causes)
{
	bool cluster = strcmp(kind, "ClusterRole") == 0;
	const json_t *rules = json_object_get(role, "rules");
	if (rules && !json_is_null(rules) && !json_is_array(rules)) {
		platform_cause(causes, "FieldValueInvalid", "rules", "must be a list of policy rules");
		return;
	}
	size_t i;
	const json_t *rule;
	json_array_foreach (rules, i, rule) {
		char at[64];
		snprintf(at, sizeof(at), "rules[%zu]", i);
		char field[96];
		static const char *const lists[] = { "verbs", "apiGroups", "resources", "resourceNames",
						     "nonResourceURLs" };
		bool typed = true;
		for (size_t l = 0; l < sizeof(lists) / sizeof(lists[0]); l++) {
			snprintf(field, sizeof(field), "%s.%s", at, lists[l]);
			typed = strings(json_object_get(rule, lists[l]), field, causes) && typed;
		}
		if (!typed)
			continue;
		bool has_resources = json_array_size(json_object_get(rule, "resources")) > 0;
		bool has_urls = json_array_size(json_object_get(rule, "nonResourceURLs")) > 0;
		snprintf(field, sizeof(field), "%s.verbs", at);
		if (json_array_size(json_object_get(rule, "verbs")) == 0)
			platform_cause(causes, "FieldValueRequired", field,
				       "Required value: verbs must contain at least one value");
		if (has_urls && !cluster) {
			snprintf(field, sizeof(field), "%s.nonResourceURLs", at);
			platform_cause(causes, "FieldValueInvalid", field,
				       "Invalid value: namespaced rules cannot apply to non-resource URLs");
		} else if (has_urls && has_resources) {
			snprintf(field, sizeof(field), "%s.nonResourceURLs", at);
			platform_cause(
			    causes, "FieldValueInvalid", field,
			    "Invalid value: rules cannot apply to both regular resources and non-resource URLs");
		} else if (!has_urls && !has_resources) {
			snprintf(field, sizeof(field), "%s.resources", at);
			platform_cause(causes, "FieldValueRequired", field,
				       "Required value: resource rules must supply at least one resource");
		} else if (has_resources && json_array_size(json_object_get(rule, "apiGroups")) == 0) {
			snprintf(field, sizeof(field), "%s.apiGroups", at);
			platform_cause(causes, "FieldValueRequired", field,
				       "Required value: resource rules must supply at least one api group");
		}
	}
}

void platform_rbac_validate_binding(const json_t *binding, const char *kind, json_t *causes)
{
	bool cluster = strcmp(kind, "ClusterRoleBinding") == 0;
	const json_t *ref = json_object_get(binding, "roleRef");
	const char *ref_kind = str(ref, "kind") ?: "";
	if (strcmp(str(ref, "apiGroup") ?: "", RBAC_GROUP) != 0)
		platform_cause(causes, "FieldValueNotSupported", "roleRef.apiGroup",
			       "Unsupported value: \"%s\": supported values: \"" RBAC_GROUP "\"",
			       str(ref, "apiGroup") ?: "");
	if (cluster ? strcmp(ref_kind, "ClusterRole") != 0
		    : strcmp(ref_kind, "ClusterRole") != 0 && strcmp(ref_kind, "Role") != 0)
		platform_cause(causes, "FieldValueNotSupported", "roleRef.kind",
			       cluster ? "Unsupported value: \"%s\": supported values: \"ClusterRole\""
				       : "Unsupported value: \"%s\": supported values: \"Role\", \"ClusterRole\"",
			       ref_kind);
	if (!str(ref, "name") || !str(ref, "name")[0])
		platform_cause(causes, "FieldValueRequired", "roleRef.name", "Required value");
	const json_t *subjects = json_object_get(binding, "subjects");
	size_t i;
	const json_t *subject;
	json_array_foreach (subjects, i, subject) {
		char field[64];
		const char *k = str(subject, "kind") ?: "";
		snprintf(field, sizeof(field), "subjects[%zu].name", i);
		if (!str(subject, "name") || !str(subject, "name")[0])
			platform_cause(causes, "FieldValueRequired", field, "Required value");
		snprintf(field, sizeof(field), "subjects[%zu].kind", i);
		if (strcmp(k, "User") != 0 && strcmp(k, "Group") != 0 && strcmp(k, "ServiceAccount") != 0)
			platform_cause(
			    causes, "FieldValueNotSupported", field,
			    "Unsupported value: \"%s\": supported values: \"ServiceAccount\", \"User\", \"Group\"", k);
		snprintf(field, sizeof(field), "subjects[%zu].namespace", i);
		if (strcmp(k, "ServiceAccount") == 0 && cluster &&
		    !(str(subject, "namespace") && str(subject, "namespace")[0]))
			platform_cause(causes, "FieldValueRequired", field, "Required value");
	}
}

void platform_rbac_validate_update(const json_t *old, const json_t *binding, json_t *causes)
{
	const json_t *was = json_object_get(old, "roleRef");
	if (was && !json_equal(was, json_object_get(binding, "roleRef")))
		platform_cause(causes, "FieldValueInvalid", "roleRef", "Invalid value: cannot change roleRef");
}
