/* Redaction and routing (see route.h). */
#include "audit/route.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define REDACTED "[REDACTED]"

void audit_redact(struct cc_event *ev, const char *path)
{
	struct {
		const char *name;
		char **field;
	} top[] = {
		{ "actor", &ev->actor },   { "object", &ev->object }, { "reason", &ev->reason },
		{ "tenant", &ev->tenant }, { "node", &ev->node },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(top); i++)
		if (strcmp(path, top[i].name) == 0) {
			if (*top[i].field) {
				free(*top[i].field);
				*top[i].field = cc_xstrdup(REDACTED);
			}
			return;
		}
	if (strncmp(path, "extra.", 6) != 0)
		return;
	cc_event_expand_extra(ev); /* a field kept as text becomes a tree that can be edited */
	if (!ev->extra)
		return;
	/* Walk the objects; the trees under extra may be shared with the input document (the
	 * Kubernetes event), so each level on the path is copied before it is changed. */
	_cleanup_free_ char *copy = cc_xstrdup(path + 6);
	json_t *parent = ev->extra;
	char *save = NULL;
	char *key = strtok_r(copy, ".", &save);
	while (key) {
		char *next = strtok_r(NULL, ".", &save);
		json_t *child = json_object_get(parent, key);
		if (!child)
			return;
		if (!next) {
			json_object_set_new(parent, key, json_string(REDACTED));
			return;
		}
		if (!json_is_object(child))
			return;
		json_t *own = json_copy(child);
		json_object_set_new(parent, key, own);
		parent = own;
		key = next;
	}
}

static char **split_list(const char *value)
{
	size_t n = 1;
	for (const char *p = value; *p; p++)
		n += *p == ',';
	char **list = cc_xcalloc(n + 1, sizeof(char *));
	_cleanup_free_ char *copy = cc_xstrdup(value);
	char *save = NULL;
	size_t i = 0;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save))
		list[i++] = cc_xstrdup(item);
	return list;
}

static void free_list(char **list)
{
	for (char **p = list; p && *p; p++)
		free(*p);
	free(list);
}

int audit_route_parse(const char *query, struct audit_route *ret, struct cc_error *err)
{
	*ret = (struct audit_route){ .min_severity = CC_SEVERITY_DEBUG };
	if (!query || !*query)
		return 0;
	_cleanup_free_ char *copy = cc_xstrdup(query);
	char *save = NULL;
	for (char *pair = strtok_r(copy, "&", &save); pair; pair = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(pair, '=');
		if (!eq || eq[1] == '\0') {
			audit_route_free(ret);
			return cc_error_set(err, EINVAL, "output option `%s` must be NAME=VALUE", pair);
		}
		*eq = '\0';
		const char *value = eq + 1;
		if (strcmp(pair, "min-severity") == 0) {
			ret->min_severity = cc_event_severity_from_string(value);
			if (ret->min_severity == CC_SEVERITY_MAX) {
				audit_route_free(ret);
				return cc_error_set(err, EINVAL, "min-severity `%s` is not an RFC 5424 severity name",
						    value);
			}
		} else if (strcmp(pair, "component") == 0) {
			ret->components = split_list(value);
		} else if (strcmp(pair, "tenant") == 0) {
			ret->tenants = split_list(value);
		} else {
			audit_route_free(ret);
			return cc_error_set(err, EINVAL, "unknown output option `%s` (min-severity, component, tenant)",
					    pair);
		}
	}
	return 0;
}

void audit_route_free(struct audit_route *r)
{
	free_list(r->components);
	free_list(r->tenants);
	r->components = r->tenants = NULL;
}

static bool listed(char **list, const char *value)
{
	if (!list)
		return true;
	for (char **p = list; *p; p++)
		if (value && strcmp(*p, value) == 0)
			return true;
	return false;
}

bool audit_route_match(const struct audit_route *r, const struct cc_event *ev)
{
	return ev->severity <= r->min_severity && listed(r->components, ev->component) &&
	       listed(r->tenants, ev->tenant);
}
