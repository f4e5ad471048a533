/* Access and identity reviews (see access_review.h). */
#include "platform/access_review.h"

#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "platform/access.h"
#include "platform/authn.h"
#include "platform/rbac.h"
#include "platform/status.h"
#include "platform/target.h"

#include <stdio.h>
#include <string.h>

static const char *const kinds[] = { "SelfSubjectAccessReview", "SubjectAccessReview", "LocalSubjectAccessReview",
				     "SelfSubjectRulesReview",  "SelfSubjectReview",   "TokenReview" };

bool platform_review_kind(const struct platform_target *t)
{
	if (!t->resource || t->name)
		return false;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(t->resource->kind, kinds[i]) == 0)
			return true;
	return false;
}

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static json_t *user_info(const struct platform_user *u)
{
	json_t *info = json_pack("{s:s, s:O}", "username", u->name, "groups", u->groups);
	if (u->uid[0])
		json_object_set_new(info, "uid", json_string(u->uid));
	if (u->extra)
		json_object_set(info, "extra", u->extra);
	return info;
}

/* The access a review's spec asks about; false when it names neither kind of attributes. */
static bool access_of(const json_t *spec, struct platform_access *a)
{
	const json_t *res = json_object_get(spec, "resourceAttributes");
	const json_t *non = json_object_get(spec, "nonResourceAttributes");
	if (json_is_object(res) == json_is_object(non))
		return false;
	if (json_is_object(res))
		*a = (struct platform_access){ .verb = str(res, "verb") ?: "",
					       .resource_request = true,
					       .group = str(res, "group") ?: "",
					       .resource = str(res, "resource") ?: "",
					       .subresource = str(res, "subresource"),
					       .namespace = str(res, "namespace"),
					       .name = str(res, "name") };
	else
		*a = (struct platform_access){ .verb = str(non, "verb") ?: "", .path = str(non, "path") ?: "" };
	return true;
}

static void answer_access(struct platform_guard *g, const struct platform_target *t, const struct platform_user *user,
			  json_t *review, struct cc_http_response *resp)
{
	struct platform_access a;
	if (!access_of(json_object_get(review, "spec"), &a)) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueRequired", "spec.resourceAttributes",
			       "exactly one of nonResourceAttributes or resourceAttributes must be specified");
		platform_status_invalid(resp, t->resource, NULL, causes);
		return;
	}
	if (t->namespace) { /* LocalSubjectAccessReview: the URL's namespace */
		const char *ns = a.namespace;
		if (ns && ns[0] && strcmp(ns, t->namespace) != 0) {
			json_t *causes = json_array();
			platform_cause(causes, "FieldValueInvalid", "spec.resourceAttributes.namespace",
				       "must match metadata.namespace");
			platform_status_invalid(resp, t->resource, NULL, causes);
			return;
		}
		a.namespace = t->namespace;
	}
	char reason[512];
	enum platform_decision d = platform_guard_decide(g, user, &a, reason, sizeof(reason));
	bool allowed = d == PLATFORM_ALLOWED;
	/* The tenant boundary is an explicit denial, with its reason (as a denying webhook's). */
	bool boundary = d == PLATFORM_DENIED_BY_TENANT_BOUNDARY;
	json_t *status = json_pack("{s:b, s:s}", "allowed", allowed, "reason", allowed || boundary ? reason : "");
	if (boundary)
		json_object_set_new(status, "denied", json_true());
	json_object_set_new(review, "status", status);
	platform_respond(resp, 201, json_incref(review));
}

/* SubjectAccessReview: about the user the spec names. */
static void answer_subject(struct platform_guard *g, const struct platform_target *t, json_t *review,
			   struct cc_http_response *resp)
{
	const json_t *spec = json_object_get(review, "spec");
	struct platform_user subject;
	platform_user_init(&subject, str(spec, "user") ?: "", "review");
	snprintf(subject.uid, sizeof(subject.uid), "%s", str(spec, "uid") ?: "");
	size_t i;
	const json_t *group;
	json_array_foreach (json_object_get(spec, "groups"), i, group)
		platform_user_add_group(&subject, json_string_value(group));
	if (!subject.name[0] && json_array_size(subject.groups) == 0) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueInvalid", "spec.user",
			       "at least one of user or group must be specified");
		platform_status_invalid(resp, t->resource, NULL, causes);
	} else {
		answer_access(g, t, &subject, review, resp);
	}
	platform_user_clear(&subject);
}

static void answer_rules(struct platform_guard *g, const struct platform_user *user, json_t *review,
			 struct cc_http_response *resp)
{
	const char *ns = str(json_object_get(review, "spec"), "namespace");
	_cleanup_json_ json_t *rules = platform_rbac_rules_for(platform_guard_rbac(g), user, ns && ns[0] ? ns : NULL);
	json_t *resource_rules = json_array(), *non_resource_rules = json_array();
	size_t i;
	const json_t *rule;
	json_array_foreach (rules, i, rule) {
		if (json_object_get(rule, "nonResourceURLs"))
			json_array_append_new(non_resource_rules,
					      json_pack("{s:O, s:O}", "verbs", json_object_get(rule, "verbs"),
							"nonResourceURLs", json_object_get(rule, "nonResourceURLs")));
		if (json_object_get(rule, "resources")) {
			json_t *groups = json_object_get(rule, "apiGroups");
			json_t *r = json_pack("{s:O, s:o, s:O}", "verbs", json_object_get(rule, "verbs"), "apiGroups",
					      groups ? json_incref(groups) : json_array(), "resources",
					      json_object_get(rule, "resources"));
			if (json_object_get(rule, "resourceNames"))
				json_object_set(r, "resourceNames", json_object_get(rule, "resourceNames"));
			json_array_append_new(resource_rules, r);
		}
	}
	json_object_set_new(review, "status",
			    json_pack("{s:o, s:o, s:b}", "resourceRules", resource_rules, "nonResourceRules",
				      non_resource_rules, "incomplete", 0));
	platform_respond(resp, 201, json_incref(review));
}

static void answer_token(struct platform_authn *authn, json_t *review, struct cc_http_response *resp)
{
	const char *token = str(json_object_get(review, "spec"), "token");
	struct platform_user user;
	char why[256] = "";
	json_t *status;
	if (token && token[0] && platform_authn_token(authn, token, &user, why, sizeof(why)) == 0) {
		status = json_pack("{s:b, s:o}", "authenticated", 1, "user", user_info(&user));
		platform_user_clear(&user);
	} else {
		status = json_pack("{s:b, s:{}, s:s}", "authenticated", 0, "user", "error",
				   why[0] ? why : "no token in spec.token");
	}
	json_object_set_new(review, "status", status);
	platform_respond(resp, 201, json_incref(review));
}

void platform_review(struct platform_guard *g, struct platform_authn *authn, const struct platform_target *t,
		     const struct cc_http_request *req, json_t *review, struct cc_http_response *resp)
{
	const struct platform_user *user = platform_request_user(req);
	const char *kind = t->resource->kind;
	if (strcmp(kind, "SubjectAccessReview") == 0 || strcmp(kind, "LocalSubjectAccessReview") == 0)
		answer_subject(g, t, review, resp);
	else if (strcmp(kind, "SelfSubjectAccessReview") == 0)
		answer_access(g, t, user, review, resp);
	else if (strcmp(kind, "SelfSubjectRulesReview") == 0)
		answer_rules(g, user, review, resp);
	else if (strcmp(kind, "SelfSubjectReview") == 0) {
		json_object_set_new(review, "status", json_pack("{s:o}", "userInfo", user_info(user)));
		platform_respond(resp, 201, json_incref(review));
	} else
		answer_token(authn, review, resp);
}
