/* RBAC rules (see rbac_rules.h). */
#include "platform/rbac_rules.h"

#include "lib/base/cleanup.h"

#include <stdio.h>
#include <string.h>

static bool listed(const json_t *list, const char *value)
{
	size_t i;
	const json_t *v;
	json_array_foreach (list, i, v)
		if (json_is_string(v) && strcmp(json_string_value(v), value ? value : "") == 0)
			return true;
	return false;
}

static bool empty(const char *s)
{
	return !s || !s[0];
}

static bool resource_matches(const json_t *resources, const char *resource, const char *subresource)
{
	size_t i;
	const json_t *v;
	json_array_foreach (resources, i, v) {
		const char *r = json_string_value(v);
		if (!r)
			continue;
		if (strcmp(r, "*") == 0)
			return true;
		size_t len = strlen(resource);
		if (empty(subresource)
			? strcmp(r, resource) == 0
			: strncmp(r, resource, len) == 0 && r[len] == '/' && strcmp(r + len + 1, subresource) == 0)
			return true;
		/* "*\/log": that subresource of every resource. */
		if (!empty(subresource) && r[0] == '*' && r[1] == '/' && strcmp(r + 2, subresource) == 0)
			return true;
	}
	return false;
}

static bool url_matches(const json_t *urls, const char *path)
{
	size_t i;
	const json_t *v;
	json_array_foreach (urls, i, v) {
		const char *u = json_string_value(v);
		if (!u)
			continue;
		size_t len = strlen(u);
		if (strcmp(u, "*") == 0 || strcmp(u, path) == 0 ||
		    (len > 0 && u[len - 1] == '*' && strncmp(u, path, len - 1) == 0))
			return true;
	}
	return false;
}

bool platform_rbac_rule_allows(const json_t *rule, const struct platform_access *a)
{
	const json_t *verbs = json_object_get(rule, "verbs");
	if (!listed(verbs, "*") && !listed(verbs, a->verb))
		return false;
	if (!a->resource_request)
		return url_matches(json_object_get(rule, "nonResourceURLs"), a->path ? a->path : "");
	const json_t *groups = json_object_get(rule, "apiGroups");
	if (!listed(groups, "*") && !listed(groups, a->group ? a->group : ""))
		return false;
	if (!resource_matches(json_object_get(rule, "resources"), a->resource ? a->resource : "", a->subresource))
		return false;
	const json_t *names = json_object_get(rule, "resourceNames");
	return json_array_size(names) == 0 || listed(names, a->name);
}

/* ---- covering: the escalation check ---- */

/* owner's resources hold resource (which may be "x/sub" or "*"). */
static bool resource_covered(const json_t *owner, const char *resource)
{
	if (listed(owner, "*") || listed(owner, resource))
		return true;
	const char *slash = strchr(resource, '/');
	if (!slash)
		return false;
	_cleanup_free_ char *any = cc_xasprintf("*%s", slash);
	return listed(owner, any);
}

static bool url_covered(const json_t *owner, const char *url)
{
	size_t i;
	const json_t *v;
	json_array_foreach (owner, i, v) {
		const char *o = json_string_value(v);
		if (!o)
			continue;
		size_t len = strlen(o);
		if (strcmp(o, url) == 0 || (len > 0 && o[len - 1] == '*' && strncmp(o, url, len - 1) == 0))
			return true;
	}
	return false;
}

/* One owner rule holds the atomic rule (one verb; one group, resource and at most one name; or one
 * URL). */
static bool atomic_covered(const json_t *owner, const json_t *atom)
{
	const char *verb = json_string_value(json_array_get(json_object_get(atom, "verbs"), 0));
	const json_t *verbs = json_object_get(owner, "verbs");
	if (!listed(verbs, "*") && !listed(verbs, verb))
		return false;
	const json_t *urls = json_object_get(atom, "nonResourceURLs");
	if (urls)
		return url_covered(json_object_get(owner, "nonResourceURLs"),
				   json_string_value(json_array_get(urls, 0)));
	const char *group = json_string_value(json_array_get(json_object_get(atom, "apiGroups"), 0));
	const json_t *groups = json_object_get(owner, "apiGroups");
	if (!listed(groups, "*") && !listed(groups, group))
		return false;
	if (!resource_covered(json_object_get(owner, "resources"),
			      json_string_value(json_array_get(json_object_get(atom, "resources"), 0))))
		return false;
	const json_t *owner_names = json_object_get(owner, "resourceNames");
	const json_t *names = json_object_get(atom, "resourceNames");
	if (json_array_size(owner_names) == 0)
		return true;
	return json_array_size(names) > 0 && listed(owner_names, json_string_value(json_array_get(names, 0)));
}

static json_t *strings_or_empty(const json_t *rule, const char *field)
{
	const json_t *v = json_object_get(rule, field);
	return json_is_array(v) && json_array_size(v) ? (json_t *)v : NULL;
}

/* The atomic rules of servant that no owner rule holds, appended to missing. */
static void missing_of(const json_t *owner, const json_t *rule, json_t *missing)
{
	const json_t *verbs = json_object_get(rule, "verbs");
	const json_t *urls = strings_or_empty(rule, "nonResourceURLs");
	const json_t *groups = strings_or_empty(rule, "apiGroups");
	const json_t *resources = strings_or_empty(rule, "resources");
	const json_t *names = strings_or_empty(rule, "resourceNames");
	size_t vi, i, j, k;
	const json_t *verb, *a, *b, *c;
	json_array_foreach (verbs, vi, verb) {
		if (!json_is_string(verb))
			continue; /* grants nothing (admission refuses it), so asks for nothing either */
		json_array_foreach (urls, i, a) {
			if (!json_is_string(a))
				continue;
			json_t *atom = json_pack("{s:[O], s:[O]}", "verbs", verb, "nonResourceURLs", a);
			bool held = false;
			for (size_t o = 0; o < json_array_size(owner) && !held; o++)
				held = atomic_covered(json_array_get(owner, o), atom);
			if (held)
				json_decref(atom);
			else
				json_array_append_new(missing, atom);
		}
		json_array_foreach (groups, i, a) {
			json_array_foreach (resources, j, b) {
				if (!json_is_string(a) || !json_is_string(b))
					continue;
				size_t n = names ? json_array_size(names) : 1;
				for (k = 0; k < n; k++) {
					c = names ? json_array_get(names, k) : NULL;
					if (c && !json_is_string(c))
						continue;
					json_t *atom = json_pack("{s:[O], s:[O], s:[O]}", "verbs", verb, "apiGroups", a,
								 "resources", b);
					if (c)
						json_object_set_new(atom, "resourceNames", json_pack("[O]", c));
					bool held = false;
					for (size_t o = 0; o < json_array_size(owner) && !held; o++)
						held = atomic_covered(json_array_get(owner, o), atom);
					if (held)
						json_decref(atom);
					else
						json_array_append_new(missing, atom);
				}
			}
		}
	}
}

bool platform_rbac_rules_cover(const json_t *owner, const json_t *servant, json_t **ret_missing)
{
	json_t *missing = json_array();
	size_t i;
	const json_t *rule;
	json_array_foreach (servant, i, rule)
		missing_of(owner, rule, missing);
	bool covered = json_array_size(missing) == 0;
	if (ret_missing)
		*ret_missing = missing;
	else
		json_decref(missing);
	return covered;
}

/* ---- text ---- */

static void append_list(char **text, const char *label, const json_t *list)
{
	if (json_array_size(list) == 0)
		return;
	_cleanup_free_ char *items = json_dumps(list, JSON_COMPACT);
	char *next = cc_xasprintf("%s%s%s:%s", *text, (*text)[0] ? ", " : "", label, items ? items : "[]");
	free(*text);
	*text = next;
}

char *platform_rbac_rule_text(const json_t *rule)
{
	char *text = cc_xstrdup("");
	append_list(&text, "APIGroups", json_object_get(rule, "apiGroups"));
	append_list(&text, "Resources", json_object_get(rule, "resources"));
	append_list(&text, "ResourceNames", json_object_get(rule, "resourceNames"));
	append_list(&text, "NonResourceURLs", json_object_get(rule, "nonResourceURLs"));
	append_list(&text, "Verbs", json_object_get(rule, "verbs"));
	char *out = cc_xasprintf("{%s}", text);
	free(text);
	return out;
}
