/* Admission for tenants (tenancy.h): what a Tenant must be, who may put a namespace in a tenant or
 * take it out, the tenant's namespace quota, and no Tenant deleted while namespaces belong to it.
 * Refusals answer as kube-apiserver's admission plugins do (403 Forbidden, 422 Invalid, 409
 * Conflict), naming the tenant and what to do; every decision on a namespace's tenant is a
 * security event. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_guard;
struct platform_objects;
struct platform_tenancy;

/* The Tenant kind's own checks (admit.c's table): spec.owners and spec.members ({kind: User, Group
 * or ServiceAccount, name, namespace for accounts}), spec.kbsTenant and spec.namespaceQuota; a
 * Tenant is labelled with its own name (tenancy.h). */
void platform_tenant_validate(json_t *obj, json_t *causes);

/* A namespace created (old NULL) or updated: its tenant label may be set, changed or removed only
 * by whom the rules allow; a tenant owner's new namespace goes into their tenant (the label
 * defaulted when they own one, required when several). Edits obj. false after answering. */
bool platform_tenant_admit_namespace(struct platform_tenancy *tenancy, struct platform_guard *guard,
				     struct platform_objects *objects, const struct cc_http_request *req, json_t *obj,
				     const json_t *old, struct cc_http_response *resp);

/* A Tenant created or changed: its key broker tenant is no other Tenant's and not the node's own
 * (node_kbs_tenant, cocoond's --kbs-tenant), so that no two tenants share keys or policies. false
 * after answering (422). */
bool platform_tenant_admit_tenant(struct platform_objects *objects, const json_t *obj, const char *node_kbs_tenant,
				  struct cc_http_response *resp);

/* A Tenant is deleted only when no namespace belongs to it. false after answering. */
bool platform_tenant_admit_delete(struct platform_objects *objects, const char *tenant, struct cc_http_response *resp);
