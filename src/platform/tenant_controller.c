/* The tenant controller (see tenant_controller.h). Each pass computes every object the Tenants ask
 * for, writes those that are missing or differ, and deletes the controller's objects (by the
 * managed-by label) that nothing asks for any more. */
#include "platform/tenant_controller.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/tenancy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RBAC_GROUP        "rbac.authorization.k8s.io"
#define MANAGED_BY_LABEL  "app.kubernetes.io/managed-by"
#define MANAGED_BY        "cocoon-tenancy"
#define NAMESPACE_OWNER   "cocoon:tenant-namespace-owner"
#define OWNERS_BINDING    "cocoon-tenant-owners"
#define OWNERS_NS_BINDING "cocoon-tenant-owners-namespace"
#define MEMBERS_BINDING   "cocoon-tenant-members"

struct pass {
	struct platform_objects *objects;
	const struct platform_resource *bindings, *cluster_roles, *cluster_bindings;
	json_t *desired; /* "resource/namespace/name" -> object */
	struct cc_error *err;
};

static json_t *managed_meta(const char *name, const char *namespace, const char *tenant)
{
	json_t *meta = json_pack("{s:s, s:{s:s}}", "name", name, "labels", MANAGED_BY_LABEL, MANAGED_BY);
	if (namespace)
		json_object_set_new(meta, "namespace", json_string(namespace));
	if (tenant)
		json_object_set_new(json_object_get(meta, "labels"), PLATFORM_TENANT_LABEL, json_string(tenant));
	return meta;
}

static void want(struct pass *p, const struct platform_resource *r, json_t *obj)
{
	_cleanup_free_ char *key =
	    cc_xasprintf("%s/%s/%s", r->resource, kube_meta(obj, "namespace") ?: "", kube_meta(obj, "name") ?: "");
	json_object_set_new(p->desired, key, obj);
}

/* A Tenant's subjects as RBAC subjects. */
static json_t *rbac_subjects(const json_t *list)
{
	json_t *out = json_array();
	size_t i;
	const json_t *s;
	json_array_foreach (list, i, s) {
		const char *kind = json_string_value(json_object_get(s, "kind")) ?: "";
		const char *name = json_string_value(json_object_get(s, "name"));
		if (!name)
			continue;
		if (strcmp(kind, "ServiceAccount") == 0)
			json_array_append_new(out, json_pack("{s:s, s:s, s:s}", "kind", kind, "name", name, "namespace",
							     json_string_value(json_object_get(s, "namespace")) ?: ""));
		else if (strcmp(kind, "User") == 0 || strcmp(kind, "Group") == 0)
			json_array_append_new(
			    out, json_pack("{s:s, s:s, s:s}", "apiGroup", RBAC_GROUP, "kind", kind, "name", name));
	}
	return out;
}

static json_t *binding(const char *kind, const char *name, const char *namespace, const char *tenant, const char *role,
		       json_t *subjects)
{
	return json_pack("{s:s, s:s, s:o, s:{s:s, s:s, s:s}, s:o}", "apiVersion", RBAC_GROUP "/v1", "kind", kind,
			 "metadata", managed_meta(name, namespace, tenant), "roleRef", "apiGroup", RBAC_GROUP, "kind",
			 "ClusterRole", "name", role, "subjects", subjects);
}

static void want_tenant(struct pass *p, const json_t *tenant)
{
	const char *name = kube_meta(tenant, "name");
	_cleanup_free_ char *role = cc_xasprintf("cocoon:tenant:%s", name);
	json_t *rules =
	    json_pack("[{s:[s], s:[s], s:[s], s:[s,s]}, {s:[s], s:[s], s:[s]}, {s:[s], s:[s,s,s], s:[s], s:[s,s,s]}]",
		      "apiGroups", PLATFORM_TENANCY_GROUP, "resources", "tenants", "resourceNames", name, "verbs",
		      "get", "watch", "apiGroups", "", "resources", "namespaces", "verbs", "create", "apiGroups",
		      "kbs.cocoon.dev", "resources", "tenants/policy", "tenants/resources", "tenants/nodes",
		      "resourceNames", platform_tenant_kbs_name(tenant), "verbs", "get", "update", "delete");
	want(p, p->cluster_roles,
	     json_pack("{s:s, s:s, s:o, s:o}", "apiVersion", RBAC_GROUP "/v1", "kind", "ClusterRole", "metadata",
		       managed_meta(role, NULL, name), "rules", rules));
	want(p, p->cluster_bindings,
	     binding("ClusterRoleBinding", role, NULL, name, role,
		     rbac_subjects(json_object_get(json_object_get(tenant, "spec"), "owners"))));
}

static void want_namespace(struct pass *p, const char *namespace, const json_t *tenant)
{
	const char *name = kube_meta(tenant, "name");
	const json_t *spec = json_object_get(tenant, "spec");
	json_t *owners = rbac_subjects(json_object_get(spec, "owners"));
	want(p, p->bindings, binding("RoleBinding", OWNERS_BINDING, namespace, name, "admin", json_incref(owners)));
	want(p, p->bindings, binding("RoleBinding", OWNERS_NS_BINDING, namespace, name, NAMESPACE_OWNER, owners));
	json_t *members = rbac_subjects(json_object_get(spec, "members"));
	if (json_array_size(members))
		want(p, p->bindings, binding("RoleBinding", MEMBERS_BINDING, namespace, name, "edit", members));
	else
		json_decref(members);
}

/* The fields of a managed object that the controller owns. */
static const char *const owned_fields[] = { "rules", "roleRef", "subjects", NULL };

static bool differs(const json_t *stored, const json_t *desired)
{
	for (const char *const *f = owned_fields; *f; f++) {
		const json_t *a = json_object_get(stored, *f), *b = json_object_get(desired, *f);
		if ((a || b) && !json_equal(a, b)) /* json_equal is false when both are missing */
			return true;
	}
	const json_t *want_labels = json_object_get(json_object_get(desired, "metadata"), "labels");
	const json_t *labels = json_object_get(json_object_get(stored, "metadata"), "labels");
	const char *key;
	const json_t *v;
	json_object_foreach ((json_t *)want_labels, key, v)
		if (!json_equal(json_object_get(labels, key), v))
			return true;
	return false;
}

static int write_one(struct pass *p, const struct platform_resource *r, const json_t *desired)
{
	const char *ns = kube_meta(desired, "namespace"), *name = kube_meta(desired, "name");
	_cleanup_json_ json_t *stored = NULL;
	struct cc_error ignored = { 0 };
	int rc = platform_objects_get(p->objects, r, ns, name, &stored, &ignored);
	if (rc == 0 && !differs(stored, desired))
		return 0;
	/* A binding's roleRef cannot change: one that was edited is made again. */
	bool remake = rc == 0 && json_object_get(desired, "roleRef") &&
		      !json_equal(json_object_get(stored, "roleRef"), json_object_get(desired, "roleRef"));
	if (remake) {
		rc = platform_objects_delete(p->objects, r, ns, name, 0, NULL, p->err);
		if (rc < 0 && rc != -ENOENT)
			return rc;
		rc = -ENOENT;
	}
	if (rc == -ENOENT) {
		_cleanup_json_ json_t *fresh = json_deep_copy(desired);
		rc = platform_admit_and_create(p->objects, r, fresh, p->err);
		return rc == -EEXIST ? -ESTALE : rc;
	}
	if (rc < 0)
		return rc;
	for (const char *const *f = owned_fields; *f; f++) {
		json_t *v = json_object_get(desired, *f);
		if (v)
			json_object_set(stored, *f, v);
	}
	json_t *labels = json_object_get(json_object_get(stored, "metadata"), "labels");
	if (!json_is_object(labels)) {
		labels = json_object();
		json_object_set_new(json_object_get(stored, "metadata"), "labels", labels);
	}
	json_object_update(labels, json_object_get(json_object_get(desired, "metadata"), "labels"));
	const char *rv = kube_meta(stored, "resourceVersion");
	_cleanup_json_ json_t *updated = NULL;
	return platform_objects_update(p->objects, r, stored, rv ? strtoll(rv, NULL, 10) : 0, &updated, p->err);
}

/* Deletes the controller's objects of r that nothing wants any more. */
static int sweep(struct pass *p, const struct platform_resource *r)
{
	json_t *items = platform_objects_list_labelled(p->objects, r, MANAGED_BY_LABEL "=" MANAGED_BY, p->err);
	if (!items)
		return -EIO;
	int rc = 0;
	size_t i;
	const json_t *obj;
	json_array_foreach (items, i, obj) {
		_cleanup_free_ char *key = cc_xasprintf("%s/%s/%s", r->resource, kube_meta(obj, "namespace") ?: "",
							kube_meta(obj, "name") ?: "");
		if (json_object_get(p->desired, key))
			continue;
		int d = platform_objects_delete(p->objects, r, kube_meta(obj, "namespace"), kube_meta(obj, "name"), 0,
						NULL, p->err);
		if (d < 0 && d != -ENOENT && rc == 0)
			rc = d;
	}
	json_decref(items);
	return rc;
}

static int write_status(struct pass *p, const struct platform_resource *tenants, json_t *tenant, json_t *namespaces)
{
	json_t *status =
	    json_pack("{s:o, s:I, s:s}", "namespaces", namespaces, "size", (json_int_t)json_array_size(namespaces),
		      "kbsTenant", platform_tenant_kbs_name(tenant));
	if (json_equal(json_object_get(tenant, "status"), status)) {
		json_decref(status);
		return 0;
	}
	json_object_set_new(tenant, "status", status);
	const char *rv = kube_meta(tenant, "resourceVersion");
	_cleanup_json_ json_t *updated = NULL;
	int rc = platform_objects_update(p->objects, tenants, tenant, rv ? strtoll(rv, NULL, 10) : 0, &updated, p->err);
	return rc == -ENOENT ? 0 : rc;
}

int platform_tenants_reconcile(struct platform_objects *objects, struct cc_error *err)
{
	const struct platform_resource *tenants_r =
	    platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
	struct pass p = { .objects = objects,
			  .bindings = platform_resource_find(RBAC_GROUP, "v1", "rolebindings"),
			  .cluster_roles = platform_resource_find(RBAC_GROUP, "v1", "clusterroles"),
			  .cluster_bindings = platform_resource_find(RBAC_GROUP, "v1", "clusterrolebindings"),
			  .desired = json_object(),
			  .err = err };
	_cleanup_json_ json_t *tenants = platform_objects_list_all(objects, tenants_r, NULL, err);
	_cleanup_json_ json_t *namespaces =
	    tenants ? platform_objects_list_all(objects, platform_resource_find("", "v1", "namespaces"), NULL, err)
		    : NULL;
	if (!tenants || !namespaces) {
		json_decref(p.desired);
		return -EIO;
	}
	json_t *by_name = json_object(); /* tenant -> [namespace] */
	size_t i;
	json_t *obj;
	json_array_foreach (tenants, i, obj) {
		json_object_set_new(by_name, kube_meta(obj, "name") ?: "", json_array());
		want_tenant(&p, obj);
	}
	if (json_array_size(tenants))
		want(&p, p.cluster_roles,
		     json_pack("{s:s, s:s, s:o, s:[{s:[s], s:[s], s:[s,s]}]}", "apiVersion", RBAC_GROUP "/v1", "kind",
			       "ClusterRole", "metadata", managed_meta(NAMESPACE_OWNER, NULL, NULL), "rules",
			       "apiGroups", "", "resources", "namespaces", "verbs", "get", "delete"));
	json_array_foreach (namespaces, i, obj) {
		const char *tenant = platform_tenant_label(obj);
		json_t *list = tenant ? json_object_get(by_name, tenant) : NULL;
		if (!list || kube_meta(obj, "deletionTimestamp"))
			continue;
		json_array_append_new(list, json_string(kube_meta(obj, "name")));
		size_t j;
		json_t *t;
		json_array_foreach (tenants, j, t)
			if (strcmp(kube_meta(t, "name") ?: "", tenant) == 0)
				want_namespace(&p, kube_meta(obj, "name"), t);
	}
	int rc = 0;
	const char *key;
	json_t *desired;
	json_object_foreach (p.desired, key, desired) {
		const struct platform_resource *r = strncmp(key, "clusterroles/", 13) == 0          ? p.cluster_roles
						    : strncmp(key, "clusterrolebindings/", 20) == 0 ? p.cluster_bindings
												    : p.bindings;
		int w = write_one(&p, r, desired);
		if (w < 0 && rc == 0)
			rc = w;
	}
	const struct platform_resource *swept[] = { p.bindings, p.cluster_bindings, p.cluster_roles };
	for (size_t k = 0; k < 3; k++) {
		int s = sweep(&p, swept[k]);
		if (s < 0 && rc == 0)
			rc = s;
	}
	json_array_foreach (tenants, i, obj) {
		json_t *list = json_object_get(by_name, kube_meta(obj, "name") ?: "");
		int s = write_status(&p, tenants_r, obj, json_incref(list));
		if (s < 0 && rc == 0)
			rc = s;
	}
	json_decref(by_name);
	json_decref(p.desired);
	return rc;
}
