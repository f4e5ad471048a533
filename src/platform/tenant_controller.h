/* The tenant controller (tenancy.h): what a Tenant grants, kept in RBAC objects that carry the
 * tenant's label and are restored when edited or deleted:
 * - ClusterRole and ClusterRoleBinding cocoon:tenant:NAME for the owners: get the Tenant, create
 *   namespaces (admission puts them in the tenant), and administer the key broker tenant
 *   (tenants.kbs.cocoon.dev/KBS-TENANT: policy, resources, nodes), which the broker's delegated
 *   admin API asks cocoond about;
 * - in each of the tenant's namespaces, RoleBindings of the owners to `admin` and to
 *   cocoon:tenant-namespace-owner (get and delete the namespace itself), and of the members to
 *   `edit`;
 * - the Tenant's status: its namespaces and its key broker tenant.
 * Bindings of a namespace that left the tenant, and the roles of a deleted Tenant, are removed. */
#pragma once

struct cc_error;
struct platform_objects;

/* Brings every tenant's objects and status to what the Tenants and namespaces say. -ESTALE when
 * another writer came first (look again). */
int platform_tenants_reconcile(struct platform_objects *objects, struct cc_error *err);
