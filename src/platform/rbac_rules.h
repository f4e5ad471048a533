/* RBAC policy rules (rbac.authorization.k8s.io/v1 PolicyRule) as kube-apiserver's RBAC authorizer
 * reads them: whether a rule allows a request, and whether one set of rules covers another (the
 * escalation check: nobody grants what they do not hold). Pure functions over the rules' JSON:
 * fuzzed (tests/fuzz/fuzz_rbac_rules.c). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

/* What a request asks to do, as kube-apiserver's authorizer attributes name it. */
struct platform_access {
	const char *verb; /* get, list, watch, create, update, patch, delete, deletecollection, ...; for a
			   * non-resource request the HTTP method in lower case */
	bool resource_request;
	const char *group;       /* "" for the core group */
	const char *resource;    /* plural */
	const char *subresource; /* NULL or "" when none */
	const char *namespace;   /* NULL or "" for cluster-scoped requests */
	const char *name;        /* NULL or "" when none */
	const char *path;        /* non-resource requests: the URL path */
};

/* rule allows the request. */
bool platform_rbac_rule_allows(const json_t *rule, const struct platform_access *a);

/* Every permission of the rules servant is held by one of owner's rules. *ret_missing (optional, a
 * new reference) lists the missing ones, each a rule of one verb, group, resource (and name). */
bool platform_rbac_rules_cover(const json_t *owner, const json_t *servant, json_t **ret_missing);

/* A rule as kube-apiserver prints one that is missing: {APIGroups:["apps"], Resources:["pods"],
 * Verbs:["get"]} (malloc'd). */
char *platform_rbac_rule_text(const json_t *rule);
