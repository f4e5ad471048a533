/* Tenants (tenancy.cocoon.dev/v1alpha1 Tenant): a tenant is the set of namespaces labelled
 * tenancy.cocoon.dev/tenant=NAME, with its own key broker tenant (spec.kbsTenant), its owners and its
 * members. This is the index the API server asks on every request:
 * - who belongs to which tenant: the owners and members a Tenant names (users, groups, service
 *   accounts), and the service accounts of its namespaces;
 * - the tenant boundary: a user who belongs to tenants reaches nothing of another tenant (its
 *   namespaces, what is in them, its Tenant), whatever a binding says, so that nothing of one
 *   tenant is visible to another's users (Capsule's model, enforced in the server rather than by a
 *   proxy). Namespaces of no tenant stay under RBAC alone. Cluster administrators (group
 *   system:masters) stand outside tenants;
 * - what a tenant user's lists show: namespaces and Tenants of their own tenants only; lists across
 *   namespaces without other tenants' objects.
 * Namespaces and Tenants are read from the object store, again after any change to them (an
 * observer notes it; the next question rebuilds). An index that cannot be read keeps the last one
 * read; with none at all the boundary fails closed. Thread-safe. */
#pragma once

#include "platform/rbac_rules.h"
#include "platform/user.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct platform_objects;
struct platform_tenancy;

#define PLATFORM_TENANCY_GROUP   "tenancy.cocoon.dev"
#define PLATFORM_TENANCY_VERSION "v1alpha1"
/* The label that puts a namespace in a tenant; Tenants carry it too, naming themselves, so that one
 * label selector scopes both lists. */
#define PLATFORM_TENANT_LABEL "tenancy.cocoon.dev/tenant"
/* Outside every tenant, as kube-apiserver's superusers are outside RBAC. */
#define PLATFORM_TENANCY_ADMIN_GROUP "system:masters"

int platform_tenancy_new(struct platform_objects *objects, struct platform_tenancy **ret, struct cc_error *err);
void platform_tenancy_free(struct platform_tenancy *t);

/* The tenants the user belongs to, sorted (a new array; empty for users of no tenant and for
 * cluster administrators). owners_only: those whose owner the user is. */
json_t *platform_tenancy_user_tenants(struct platform_tenancy *t, const struct platform_user *user, bool owners_only);

/* The tenant of namespace (copied into buf); false when it belongs to none. */
bool platform_tenancy_namespace_tenant(struct platform_tenancy *t, const char *namespace, char *buf, size_t size);

/* The tenant boundary for a request RBAC allowed: false (with the reason, which never names
 * another tenant) when the user belongs to tenants and the request reaches into another tenant's
 * namespace or Tenant, or when the index could never be read. */
bool platform_tenancy_allows(struct platform_tenancy *t, const struct platform_user *user,
			     const struct platform_access *access, char *reason, size_t size);

/* Whether a user of tenants may impersonate target: only users of their own tenants (a tenant
 * user who impersonated someone outside would leave the boundary). Users of no tenant: true. */
bool platform_tenancy_may_impersonate(struct platform_tenancy *t, const struct platform_user *user,
				      const struct platform_user *target, char *reason, size_t size);

/* For a list or watch of namespaces or tenants by a tenant user: the label selector that narrows it
 * to the user's tenants ("tenancy.cocoon.dev/tenant in (a,b)", malloc'd); NULL for other requests
 * and users. */
char *platform_tenancy_list_scope(struct platform_tenancy *t, const struct platform_user *user,
				  const struct platform_access *access);

/* What a tenant user may see of a list across namespaces: a predicate over the listed objects (see
 * platform_list_options.visible), true for objects of namespaces of no tenant or of the user's. NULL
 * for users of no tenant (they see what RBAC lets them). */
struct platform_tenant_view;
struct platform_tenant_view *platform_tenancy_view(struct platform_tenancy *t, const struct platform_user *user);
bool platform_tenant_view_visible(void *view, const json_t *obj);
void platform_tenant_view_free(struct platform_tenant_view *v);

/* metadata.labels[tenancy.cocoon.dev/tenant] of a namespace (or Tenant), or NULL. */
const char *platform_tenant_label(const json_t *obj);
/* A Tenant's key broker tenant: spec.kbsTenant, else its name. */
const char *platform_tenant_kbs_name(const json_t *tenant);

/* The key broker tenant of namespace's pods: its Tenant's spec.kbsTenant (default: the Tenant's
 * name), or fallback for namespaces of no tenant (malloc'd). -ENOENT when the namespace names a
 * Tenant that does not exist (fail closed: no key from the default tenant by mistake). */
int platform_tenancy_kbs_tenant(struct platform_objects *objects, const char *namespace, const char *fallback,
				char **ret, struct cc_error *err);
