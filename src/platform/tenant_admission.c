/* Admission for tenants (see tenant_admission.h). */
#include "platform/tenant_admission.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "lib/net/http.h"
#include "platform/access.h"
#include "platform/admit.h"
#include "platform/objects.h"
#include "platform/status.h"
#include "platform/tenancy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SUBJECTS 256

static void validate_subjects(const json_t *list, const char *field, json_t *causes)
{
	if (!list)
		return;
	if (!json_is_array(list) || json_array_size(list) > MAX_SUBJECTS) {
		platform_cause(causes, "FieldValueInvalid", field, "must be a list of at most %d subjects",
			       MAX_SUBJECTS);
		return;
	}
	size_t i;
	const json_t *s;
	json_array_foreach (list, i, s) {
		char path[96];
		const char *kind = json_string_value(json_object_get(s, "kind"));
		const char *name = json_string_value(json_object_get(s, "name"));
		const char *ns = json_string_value(json_object_get(s, "namespace"));
		snprintf(path, sizeof(path), "%s[%zu].kind", field, i);
		if (!kind ||
		    (strcmp(kind, "User") != 0 && strcmp(kind, "Group") != 0 && strcmp(kind, "ServiceAccount") != 0)) {
			platform_cause(causes, "FieldValueNotSupported", path,
				       "supported values: \"User\", \"Group\", \"ServiceAccount\"");
			continue;
		}
		snprintf(path, sizeof(path), "%s[%zu].name", field, i);
		if (!name || !name[0] || strlen(name) > 253)
			platform_cause(causes, "FieldValueRequired", path, "a name of 1 to 253 characters is required");
		snprintf(path, sizeof(path), "%s[%zu].namespace", field, i);
		if (strcmp(kind, "ServiceAccount") == 0 && (!ns || !platform_dns_label(ns)))
			platform_cause(causes, "FieldValueRequired", path,
				       "a service account's namespace is required (a DNS label)");
		else if (strcmp(kind, "ServiceAccount") != 0 && ns)
			platform_cause(causes, "FieldValueForbidden", path, "only a ServiceAccount has a namespace");
	}
}

void platform_tenant_validate(json_t *obj, json_t *causes)
{
	json_t *meta = json_object_get(obj, "metadata");
	const char *name = json_string_value(json_object_get(meta, "name"));
	/* The name is a label value and, by default, the key broker's tenant: a DNS label. */
	if (name && !platform_dns_label(name))
		platform_cause(causes, "FieldValueInvalid", "metadata.name",
			       "a tenant's name must be a DNS label (at most 63 characters of a-z, 0-9 and -)");
	json_t *spec = json_object_get(obj, "spec");
	if (spec && !json_is_object(spec)) {
		platform_cause(causes, "FieldValueInvalid", "spec", "must be an object");
		return;
	}
	validate_subjects(json_object_get(spec, "owners"), "spec.owners", causes);
	validate_subjects(json_object_get(spec, "members"), "spec.members", causes);
	const json_t *kbs = json_object_get(spec, "kbsTenant");
	if (kbs && (!json_is_string(kbs) || !platform_dns_label(json_string_value(kbs))))
		platform_cause(causes, "FieldValueInvalid", "spec.kbsTenant",
			       "the key broker's tenant must be a DNS label (at most 63 characters of a-z, 0-9 and -)");
	const json_t *quota = json_object_get(spec, "namespaceQuota");
	if (quota && (!json_is_integer(quota) || json_integer_value(quota) < 0 || json_integer_value(quota) > 100000))
		platform_cause(causes, "FieldValueInvalid", "spec.namespaceQuota",
			       "must be an integer from 0 to 100000");
	if (name && json_is_object(meta)) {
		json_t *labels = json_object_get(meta, "labels");
		if (!labels) {
			labels = json_object();
			json_object_set_new(meta, "labels", labels);
		}
		if (json_is_object(labels))
			json_object_set_new(labels, PLATFORM_TENANT_LABEL, json_string(name));
	}
}

static const struct platform_resource *tenants_resource(void)
{
	return platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
}

/* The user may manage tenant's membership: RBAC grants `update` on the Tenant (its owners are not
 * given that: they may add namespaces, not move them out). */
static bool may_manage(struct platform_guard *guard, const struct platform_user *user, const char *tenant)
{
	struct platform_access a = { .verb = "update",
				     .resource_request = true,
				     .group = PLATFORM_TENANCY_GROUP,
				     .resource = "tenants",
				     .name = tenant };
	char reason[512];
	return platform_guard_allows(guard, user, &a, reason, sizeof(reason));
}

static bool json_array_has(const json_t *array, const char *s)
{
	size_t i;
	const json_t *v;
	json_array_foreach (array, i, v)
		if (strcmp(json_string_value(v) ?: "", s) == 0)
			return true;
	return false;
}

/* Namespaces in tenant now, or -1 when they cannot be counted. */
static long namespaces_in(struct platform_objects *objects, const char *tenant)
{
	_cleanup_free_ char *text = cc_xasprintf("%s=%s", PLATFORM_TENANT_LABEL, tenant);
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *items =
	    platform_objects_list_labelled(objects, platform_resource_find("", "v1", "namespaces"), text, &err);
	return items ? (long)json_array_size(items) : -1;
}

static bool refuse(struct cc_http_response *resp, int code, const char *user, const char *tenant, const char *namespace,
		   const char *message)
{
	_cleanup_free_ char *object = cc_xasprintf("namespace %s", namespace ? namespace : "");
	cc_event_emit_decision("platform", "tenant.namespace", user, tenant, object, false, message);
	const struct platform_resource *ns = platform_resource_find("", "v1", "namespaces");
	if (code == 422) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueInvalid", "metadata.labels[" PLATFORM_TENANT_LABEL "]", "%s",
			       message);
		platform_status_invalid(resp, ns, namespace, causes);
	} else {
		platform_status_error(resp, code, NULL, ns, namespace, "namespaces \"%s\" is forbidden: %s",
				      namespace ? namespace : "", message);
	}
	return false;
}

/* A namespace joins tenant: it exists, the user manages it (or owns it, for a namespace being
 * created: an owner may not pull an existing namespace, and whatever is in it, into its tenant), and
 * its quota has room. */
static bool may_join(struct platform_tenancy *tenancy, struct platform_guard *guard, struct platform_objects *objects,
		     const struct platform_user *user, const char *tenant, const char *namespace, bool creating,
		     struct cc_http_response *resp)
{
	_cleanup_json_ json_t *obj = NULL;
	struct cc_error err = { 0 };
	int rc = platform_objects_get(objects, tenants_resource(), NULL, tenant, &obj, &err);
	if (rc < 0) {
		_cleanup_free_ char *m = rc == -ENOENT
					     ? cc_xasprintf("tenant \"%s\" does not exist", tenant)
					     : cc_xasprintf("tenant \"%s\": %s", tenant, cc_error_message(&err));
		return refuse(resp, rc == -ENOENT ? 422 : 500, user->name, tenant, namespace, m);
	}
	_cleanup_json_ json_t *owned = platform_tenancy_user_tenants(tenancy, user, true);
	if (!(creating && json_array_has(owned, tenant)) && !may_manage(guard, user, tenant)) {
		_cleanup_free_ char *m =
		    creating ? cc_xasprintf("user \"%s\" may not put namespaces in tenant \"%s\": only its owners and "
					    "those who may update the Tenant can",
					    user->name, tenant)
			     : cc_xasprintf("user \"%s\" may not move an existing namespace into tenant \"%s\": that "
					    "needs update on tenants/%s",
					    user->name, tenant, tenant);
		return refuse(resp, 403, user->name, tenant, namespace, m);
	}
	const json_t *quota = json_object_get(json_object_get(obj, "spec"), "namespaceQuota");
	if (quota) {
		long n = namespaces_in(objects, tenant);
		if (n < 0 || n >= json_integer_value(quota)) {
			_cleanup_free_ char *m =
			    n < 0 ? cc_xasprintf("the namespaces of tenant \"%s\" cannot be counted", tenant)
				  : cc_xasprintf("tenant \"%s\" has reached its namespace quota (%lld)", tenant,
						 (long long)json_integer_value(quota));
			return refuse(resp, 403, user->name, tenant, namespace, m);
		}
	}
	return true;
}

bool platform_tenant_admit_namespace(struct platform_tenancy *tenancy, struct platform_guard *guard,
				     struct platform_objects *objects, const struct cc_http_request *req, json_t *obj,
				     const json_t *old, struct cc_http_response *resp)
{
	const struct platform_user *user = platform_request_user(req);
	if (!tenancy || !user)
		return true;
	const char *namespace = kube_meta(obj, "name");
	const char *was = old ? platform_tenant_label(old) : NULL;
	const char *wanted = platform_tenant_label(obj);
	if (!old && !wanted) {
		/* A tenant owner's namespaces are the tenant's: the label is defaulted or required. */
		_cleanup_json_ json_t *owned = platform_tenancy_user_tenants(tenancy, user, true);
		if (json_array_size(owned) > 1) {
			_cleanup_free_ char *list = json_dumps(owned, JSON_COMPACT);
			_cleanup_free_ char *m = cc_xasprintf(
			    "user \"%s\" owns tenants %s: label the namespace with " PLATFORM_TENANT_LABEL "=TENANT",
			    user->name, list ? list : "");
			return refuse(resp, 422, user->name, NULL, namespace, m);
		}
		if (json_array_size(owned) == 1) {
			json_t *meta = json_object_get(obj, "metadata");
			json_t *labels = json_object_get(meta, "labels");
			if (!json_is_object(labels)) {
				labels = json_object();
				json_object_set_new(meta, "labels", labels);
			}
			json_object_set(labels, PLATFORM_TENANT_LABEL, json_array_get(owned, 0));
			wanted = platform_tenant_label(obj);
		}
	}
	if ((was && wanted && strcmp(was, wanted) == 0) || (!was && !wanted))
		return true;
	if (was && !may_manage(guard, user, was)) {
		_cleanup_free_ char *m = cc_xasprintf(
		    "user \"%s\" may not take namespaces out of tenant \"%s\": it needs update on tenants/%s",
		    user->name, was, was);
		return refuse(resp, 403, user->name, was, namespace, m);
	}
	if (wanted && !may_join(tenancy, guard, objects, user, wanted, namespace, old == NULL, resp))
		return false;
	_cleanup_free_ char *object = cc_xasprintf("namespace %s", namespace ? namespace : "");
	_cleanup_free_ char *reason = wanted ? cc_xasprintf("the namespace joins tenant \"%s\"%s%s", wanted,
							    was ? ", leaving " : "", was ? was : "")
					     : cc_xasprintf("the namespace leaves tenant \"%s\"", was);
	cc_event_emit_decision("platform", "tenant.namespace", user->name, wanted ? wanted : was, object, true, reason);
	return true;
}

bool platform_tenant_admit_delete(struct platform_objects *objects, const char *tenant, struct cc_http_response *resp)
{
	long n = namespaces_in(objects, tenant);
	if (n == 0)
		return true;
	if (n < 0)
		platform_status_error(resp, 500, NULL, tenants_resource(), tenant,
				      "the namespaces of tenant \"%s\" cannot be counted: try again", tenant);
	else
		platform_status_error(resp, 409, "Conflict", tenants_resource(), tenant,
				      "tenant \"%s\" still has %ld namespace(s): delete them or move them out first",
				      tenant, n);
	return false;
}

bool platform_tenant_admit_tenant(struct platform_objects *objects, const json_t *obj, const char *node_kbs_tenant,
				  struct cc_http_response *resp)
{
	const char *name = kube_meta(obj, "name") ?: "";
	const char *kbs = platform_tenant_kbs_name(obj) ?: "";
	const struct platform_resource *r = tenants_resource();
	json_t *causes = json_array();
	if (node_kbs_tenant && strcmp(kbs, node_kbs_tenant) == 0)
		platform_cause(
		    causes, "FieldValueForbidden", "spec.kbsTenant",
		    "the key broker tenant \"%s\" is the node's own (cocoond's --kbs-tenant), which keys the "
		    "pods of no tenant: name another one",
		    kbs);
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *all = platform_objects_list_all(objects, r, NULL, &err);
	size_t i;
	const json_t *other;
	json_array_foreach (all, i, other) {
		if (strcmp(kube_meta(other, "name") ?: "", name) != 0 &&
		    strcmp(platform_tenant_kbs_name(other) ?: "", kbs) == 0)
			platform_cause(causes, "FieldValueDuplicate", "spec.kbsTenant",
				       "the key broker tenant \"%s\" is tenant \"%s\"'s already: tenants share no keys "
				       "or policies",
				       kbs, kube_meta(other, "name"));
	}
	if (!all)
		platform_cause(causes, "InternalError", "spec.kbsTenant", "the other tenants cannot be read: %s",
			       cc_error_message(&err));
	if (json_array_size(causes) == 0) {
		json_decref(causes);
		return true;
	}
	platform_status_invalid(resp, r, name, causes);
	return false;
}
