/* RBAC's escalation check (see rbac_admission.h). */
#include "platform/rbac_admission.h"

#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "lib/net/http.h"
#include "platform/access.h"
#include "platform/rbac.h"
#include "platform/status.h"

#include <stdio.h>
#include <string.h>

#define RBAC_GROUP "rbac.authorization.k8s.io"

static const char *meta(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

/* kube-apiserver's words: the user, its groups, and each permission it does not hold. */
static void refuse_escalation(struct cc_http_response *resp, const struct platform_resource *r, const char *name,
			      const struct platform_user *user, const json_t *missing)
{
	_cleanup_free_ char *groups = json_dumps(user->groups, JSON_COMPACT);
	char *list = cc_xstrdup("");
	size_t i;
	const json_t *rule;
	json_array_foreach (missing, i, rule) {
		_cleanup_free_ char *text = platform_rbac_rule_text(rule);
		char *next = cc_xasprintf("%s\n%s", list, text);
		free(list);
		list = next;
	}
	platform_status_error(resp, 403, NULL, r, name,
			      "%s.%s \"%s\" is forbidden: user \"%s\" (groups=%s) is attempting to grant RBAC "
			      "permissions not currently held:%s",
			      r->resource, RBAC_GROUP, name ? name : "", user->name, groups ? groups : "[]", list);
	free(list);
}

static bool may(struct platform_guard *g, const struct platform_user *user, const char *verb, const char *resource,
		const char *namespace, const char *name)
{
	struct platform_access a = { .verb = verb,
				     .resource_request = true,
				     .group = RBAC_GROUP,
				     .resource = resource,
				     .namespace = namespace,
				     .name = name };
	char reason[512];
	return platform_guard_allows(g, user, &a, reason, sizeof(reason));
}

bool platform_rbac_admit(struct platform_guard *g, const struct cc_http_request *req, const struct platform_resource *r,
			 const json_t *obj, struct cc_http_response *resp)
{
	if (strcmp(r->group, RBAC_GROUP) != 0)
		return true;
	const struct platform_user *user = platform_request_user(req);
	if (!user || platform_user_in_group(user, "system:masters"))
		return true;
	const char *ns = r->namespaced ? meta(obj, "namespace") : NULL;
	const char *name = meta(obj, "name");
	bool is_role = strcmp(r->kind, "Role") == 0 || strcmp(r->kind, "ClusterRole") == 0;
	_cleanup_json_ json_t *wanted = NULL;
	if (is_role) {
		if (may(g, user, "escalate", r->resource, ns, name))
			return true;
		const json_t *rules = json_object_get(obj, "rules");
		wanted = json_is_array(rules) ? json_incref((json_t *)rules) : json_array();
	} else {
		const json_t *ref = json_object_get(obj, "roleRef");
		const char *kind = json_string_value(json_object_get(ref, "kind")) ?: "";
		const char *role = json_string_value(json_object_get(ref, "name")) ?: "";
		bool cluster_role = strcmp(kind, "ClusterRole") == 0;
		if (may(g, user, "bind", cluster_role ? "clusterroles" : "roles", ns, role))
			return true;
		wanted = platform_rbac_role_rules(platform_guard_rbac(g), ref, ns);
		if (!wanted) {
			platform_status_error(resp, 404, NULL, NULL, role, "%s.%s \"%s\" not found",
					      cluster_role ? "clusterroles" : "roles", RBAC_GROUP, role);
			return false;
		}
	}
	_cleanup_json_ json_t *held = platform_rbac_rules_for(platform_guard_rbac(g), user, ns);
	_cleanup_json_ json_t *missing = NULL;
	if (platform_rbac_rules_cover(held, wanted, &missing))
		return true;
	refuse_escalation(resp, r, name, user, missing);
	return false;
}
