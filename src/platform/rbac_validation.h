/* Validation of the RBAC kinds, as kube-apiserver's: every rule has verbs; a rule names resources
 * (with apiGroups) or non-resource URLs (ClusterRoles only), not both; a binding's roleRef names a
 * Role or ClusterRole of rbac.authorization.k8s.io (a ClusterRoleBinding a ClusterRole) and cannot
 * change; its subjects are Users, Groups or ServiceAccounts (with a namespace where needed). Each
 * problem is a cause naming the field (status.h). */
#pragma once

#include <jansson.h>

void platform_rbac_validate_role(const json_t *role, const char *kind, json_t *causes);
void platform_rbac_validate_binding(const json_t *binding, const char *kind, json_t *causes);
/* The roleRef of a binding stays as it was created. */
void platform_rbac_validate_update(const json_t *old, const json_t *binding, json_t *causes);
