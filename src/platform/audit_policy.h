/* The audit policy of cocoond's API, kube-apiserver's --audit-policy-file (audit.k8s.io/v1 Policy,
 * YAML or JSON): an ordered list of rules, the first that matches a request sets its level (None,
 * Metadata, Request, RequestResponse); a request no rule matches is not recorded. A rule matches on
 * users, userGroups, verbs, namespaces (resource requests), resources ({group, resources with
 * "pods/log", "*" and "*\/status" forms, resourceNames}) or nonResourceURLs (a trailing * is a
 * prefix); omitStages at the policy and the rule level drop those stages. Without a policy file,
 * everything is recorded at Metadata (no bodies). */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct platform_audit_policy;

enum platform_audit_level {
	PLATFORM_AUDIT_NONE,
	PLATFORM_AUDIT_METADATA,
	PLATFORM_AUDIT_REQUEST,
	PLATFORM_AUDIT_REQUEST_RESPONSE,
};

/* What a rule looks at. group "" is the core group; resource NULL for non-resource requests. */
struct platform_audit_request {
	const char *user;
	const char *const *groups;
	size_t n_groups;
	const char *verb;
	const char *group, *resource, *subresource, *namespace, *name;
	const char *path;
	const char *stage; /* "ResponseStarted", "ResponseComplete" */
};

/* -EINVAL naming the rule and field of a malformed policy. */
int platform_audit_policy_load(const char *path, struct platform_audit_policy **ret, struct cc_error *err);
int platform_audit_policy_parse(const char *text, size_t len, const char *what, struct platform_audit_policy **ret,
				struct cc_error *err);
void platform_audit_policy_free(struct platform_audit_policy *p);
/* The level of a request at a stage (None when the stage is omitted). A NULL policy: Metadata. */
enum platform_audit_level platform_audit_policy_level(const struct platform_audit_policy *p,
						      const struct platform_audit_request *r);
