/* The audit policy (see audit_policy.h), checked as kube-apiserver's policy evaluator checks it. */
#include "platform/audit_policy.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct platform_audit_policy {
	json_t *rules;       /* the rules as written, checked at load */
	json_t *omit_stages; /* the policy's omitStages */
};

static const char *const level_names[] = { "None", "Metadata", "Request", "RequestResponse" };

static int level_of(const char *name)
{
	for (size_t i = 0; i < sizeof(level_names) / sizeof(level_names[0]); i++)
		if (name && strcmp(name, level_names[i]) == 0)
			return (int)i;
	return -1;
}

static bool strings(const json_t *v)
{
	size_t i;
	const json_t *s;
	if (!v)
		return true;
	if (!json_is_array(v))
		return false;
	json_array_foreach (v, i, s)
		if (!json_is_string(s))
			return false;
	return true;
}

static int check_rule(const json_t *rule, size_t index, struct cc_error *err)
{
	if (!json_is_object(rule))
		return cc_error_set(err, EINVAL, "rules[%zu]: a rule is an object", index);
	if (level_of(json_string_value(json_object_get(rule, "level"))) < 0)
		return cc_error_set(err, EINVAL,
				    "rules[%zu].level: one of None, Metadata, Request, RequestResponse is required",
				    index);
	static const char *const lists[] = { "users",      "userGroups",      "verbs",
					     "namespaces", "nonResourceURLs", "omitStages" };
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++)
		if (!strings(json_object_get(rule, lists[i])))
			return cc_error_set(err, EINVAL, "rules[%zu].%s: a list of strings is expected", index,
					    lists[i]);
	const json_t *resources = json_object_get(rule, "resources");
	if (resources && !json_is_array(resources))
		return cc_error_set(err, EINVAL, "rules[%zu].resources: a list is expected", index);
	size_t k;
	const json_t *gr;
	json_array_foreach (resources, k, gr)
		if (!json_is_object(gr) || !strings(json_object_get(gr, "resources")) ||
		    !strings(json_object_get(gr, "resourceNames")) ||
		    (json_object_get(gr, "group") && !json_is_string(json_object_get(gr, "group"))))
			return cc_error_set(err, EINVAL, "rules[%zu].resources[%zu]: {group, resources, resourceNames}",
					    index, k);
	if (json_object_get(rule, "nonResourceURLs") && (resources || json_object_get(rule, "namespaces")))
		return cc_error_set(
		    err, EINVAL, "rules[%zu]: nonResourceURLs cannot be combined with resources or namespaces", index);
	return 0;
}

int platform_audit_policy_parse(const char *text, size_t len, const char *what, struct platform_audit_policy **ret,
				struct cc_error *err)
{
	json_t *doc = NULL;
	int r = cc_yaml_parse_one(text, len, what, &doc, err);
	if (r < 0)
		return r;
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	if (!json_is_object(doc) || (kind && strcmp(kind, "Policy") != 0)) {
		json_decref(doc);
		return cc_error_set(err, EINVAL, "%s: an audit.k8s.io/v1 Policy is expected", what);
	}
	json_t *rules = json_object_get(doc, "rules");
	if (!strings(json_object_get(doc, "omitStages"))) {
		json_decref(doc);
		return cc_error_set(err, EINVAL, "%s: omitStages: a list of strings is expected", what);
	}
	if (!json_is_array(rules)) {
		json_decref(doc);
		return cc_error_set(err, EINVAL, "%s: rules: a list of rules is required", what);
	}
	size_t i;
	const json_t *rule;
	json_array_foreach (rules, i, rule) {
		r = check_rule(rule, i, err);
		if (r < 0) {
			json_decref(doc);
			return cc_error_prefix(err, "%s", what);
		}
	}
	struct platform_audit_policy *p = cc_xcalloc(1, sizeof(*p));
	p->rules = json_incref(rules);
	p->omit_stages = json_incref(json_object_get(doc, "omitStages"));
	json_decref(doc);
	*ret = p;
	return 0;
}

int platform_audit_policy_load(const char *path, struct platform_audit_policy **ret, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_read_file(path, 1 << 20, &text, &len, err);
	if (r < 0)
		return r;
	return platform_audit_policy_parse(text, len, path, ret, err);
}

void platform_audit_policy_free(struct platform_audit_policy *p)
{
	if (!p)
		return;
	json_decref(p->rules);
	json_decref(p->omit_stages);
	free(p);
}

static bool listed(const json_t *list, const char *value)
{
	size_t i;
	const json_t *s;
	json_array_foreach (list, i, s)
		if (value && strcmp(json_string_value(s), value) == 0)
			return true;
	return false;
}

/* The forms "pods", "pods/log", "*", "*\/log" and "pods/<any>" against a resource and subresource. */
static bool resource_matches(const char *pattern, const char *resource, const char *subresource)
{
	char full[300];
	snprintf(full, sizeof(full), "%s%s%s", resource, subresource ? "/" : "", subresource ? subresource : "");
	if (strcmp(pattern, "*") == 0 || strcmp(pattern, full) == 0)
		return true;
	size_t n = strlen(pattern);
	if (subresource && strncmp(pattern, "*/", 2) == 0)
		return strcmp(pattern + 2, subresource) == 0;
	if (subresource && n > 2 && strcmp(pattern + n - 2, "/*") == 0)
		return strncmp(pattern, resource, n - 2) == 0 && resource[n - 2] == '\0';
	return false;
}

static bool resources_match(const json_t *groups, const struct platform_audit_request *r)
{
	size_t i;
	const json_t *gr;
	json_array_foreach (groups, i, gr) {
		if (strcmp(json_string_value(json_object_get(gr, "group")) ?: "", r->group ? r->group : "") != 0)
			continue;
		const json_t *names = json_object_get(gr, "resources");
		bool resource_ok = json_array_size(names) == 0;
		size_t k;
		const json_t *pattern;
		json_array_foreach (names, k, pattern)
			resource_ok |= resource_matches(json_string_value(pattern), r->resource, r->subresource);
		const json_t *objects = json_object_get(gr, "resourceNames");
		if (resource_ok && (json_array_size(objects) == 0 || listed(objects, r->name)))
			return true;
	}
	return false;
}

static bool path_matches(const json_t *urls, const char *path)
{
	size_t i;
	const json_t *u;
	json_array_foreach (urls, i, u) {
		const char *pattern = json_string_value(u);
		size_t n = strlen(pattern);
		if (strcmp(pattern, path) == 0 || (n && pattern[n - 1] == '*' && strncmp(pattern, path, n - 1) == 0))
			return true;
	}
	return false;
}

static bool rule_matches(const json_t *rule, const struct platform_audit_request *r)
{
	const json_t *users = json_object_get(rule, "users"), *groups = json_object_get(rule, "userGroups");
	if (json_array_size(users) && !listed(users, r->user))
		return false;
	if (json_array_size(groups)) {
		bool any = false;
		for (size_t i = 0; i < r->n_groups && !any; i++)
			any = listed(groups, r->groups[i]);
		if (!any)
			return false;
	}
	const json_t *verbs = json_object_get(rule, "verbs");
	if (json_array_size(verbs) && !listed(verbs, r->verb))
		return false;
	const json_t *urls = json_object_get(rule, "nonResourceURLs");
	if (json_array_size(urls))
		return !r->resource && path_matches(urls, r->path);
	const json_t *namespaces = json_object_get(rule, "namespaces"), *resources = json_object_get(rule, "resources");
	if (json_array_size(namespaces) || json_array_size(resources)) {
		if (!r->resource)
			return false;
		if (json_array_size(namespaces) && !listed(namespaces, r->namespace ? r->namespace : ""))
			return false;
		if (json_array_size(resources) && !resources_match(resources, r))
			return false;
	}
	return true;
}

enum platform_audit_level platform_audit_policy_level(const struct platform_audit_policy *p,
						      const struct platform_audit_request *r)
{
	if (!p)
		return PLATFORM_AUDIT_METADATA;
	if (listed(p->omit_stages, r->stage))
		return PLATFORM_AUDIT_NONE;
	size_t i;
	const json_t *rule;
	json_array_foreach (p->rules, i, rule)
		if (rule_matches(rule, r)) {
			if (listed(json_object_get(rule, "omitStages"), r->stage))
				return PLATFORM_AUDIT_NONE;
			return (enum platform_audit_level)level_of(json_string_value(json_object_get(rule, "level")));
		}
	return PLATFORM_AUDIT_NONE;
}
