/* The RBAC authorizer, as kube-apiserver's: a request is allowed when a ClusterRoleBinding, or a
 * RoleBinding of the request's namespace, binds one of the user's subjects (the user, a group, a
 * service account) to a role with a rule that allows it (rbac_rules.h); everything else is denied.
 * Roles and bindings are read from the object store into an index by subject, rebuilt after any
 * change to them (an observer of the store notes the change; the next decision rebuilds). Each
 * decision says which binding allowed it, as kube-apiserver's audit annotation does. Thread-safe. */
#pragma once

#include "platform/rbac_rules.h"
#include "platform/user.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct platform_objects;
struct platform_rbac;

int platform_rbac_new(struct platform_objects *objects, struct platform_rbac **ret, struct cc_error *err);
void platform_rbac_free(struct platform_rbac *rbac);

/* true when allowed; reason (always set) names the binding that allowed it, or says none did. */
bool platform_rbac_authorize(struct platform_rbac *rbac, const struct platform_user *user,
			     const struct platform_access *access, char *reason, size_t size);

/* Every rule the user holds in namespace (NULL: cluster-wide only), a new array: what
 * SelfSubjectRulesReview lists and what the escalation check compares with. */
json_t *platform_rbac_rules_for(struct platform_rbac *rbac, const struct platform_user *user, const char *namespace);

/* The rules of the role a roleRef names (ClusterRole, or Role of namespace), a new array; NULL when
 * the role does not exist. */
json_t *platform_rbac_role_rules(struct platform_rbac *rbac, const json_t *role_ref, const char *namespace);
