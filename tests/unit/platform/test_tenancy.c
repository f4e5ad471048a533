/* Tenants over a real SQLite store: who belongs to which tenant (owners, members, groups, the
 * service accounts of its namespaces), the tenant boundary and its reason, the scope of a tenant
 * user's lists, the key broker tenant of a namespace, the Tenant's validation, and the controller's
 * bindings and status (made, restored, removed). */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "lib/store/store.h"
#include "platform/objects.h"
#include "platform/tenancy.h"
#include "platform/tenant_admission.h"
#include "platform/tenant_controller.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>

struct fixture {
	char dir[64];
	struct cc_store *store;
	struct platform_objects *objects;
	struct platform_tenancy *tenancy;
};

static const struct platform_resource *tenants(void)
{
	return platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
}

static void put(struct fixture *f, const struct platform_resource *r, json_t *obj)
{
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	assert_int_equal(platform_objects_create(f->objects, r, obj, &stored, &err), 0);
	json_decref(stored);
	json_decref(obj);
}

static void namespace(struct fixture *f, const char *name, const char *tenant)
{
	json_t *ns =
	    json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "v1", "kind", "Namespace", "metadata", "name", name);
	if (tenant)
		json_object_set_new(json_object_get(ns, "metadata"), "labels",
				    json_pack("{s:s}", PLATFORM_TENANT_LABEL, tenant));
	put(f, platform_resource_find("", "v1", "namespaces"), ns);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/cocoon-tenancy-XXXXXX");
	assert_non_null(mkdtemp(f->dir));
	char url[128];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", f->dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	assert_int_equal(platform_objects_open(f->store, &f->objects, &err), 0);
	assert_int_equal(platform_tenancy_new(f->objects, &f->tenancy, &err), 0);
	put(f, tenants(),
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}, {s:s, s:s, s:s}], s:[{s:s, s:s}], s:s}}", "apiVersion",
		      "tenancy.cocoon.dev/v1alpha1", "kind", "Tenant", "metadata", "name", "acme", "spec", "owners",
		      "kind", "Group", "name", "acme-admins", "kind", "ServiceAccount", "name", "ops", "namespace",
		      "default", "members", "kind", "User", "name", "dave", "kbsTenant", "acme-keys"));
	put(f, tenants(),
	    json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion", "tenancy.cocoon.dev/v1alpha1", "kind",
		      "Tenant", "metadata", "name", "beta", "spec", "owners", "kind", "User", "name", "bob"));
	namespace(f, "acme-dev", "acme");
	namespace(f, "beta-dev", "beta");
	namespace(f, "shared", NULL);
	namespace(f, "orphan", "gone");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	platform_tenancy_free(f->tenancy);
	platform_objects_close(f->objects);
	cc_store_close(f->store);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
	assert_int_equal(system(cmd), 0);
	free(f);
	return 0;
}

static void user(struct platform_user *u, const char *name, const char *group)
{
	platform_user_init(u, name, "test");
	platform_user_add_group(u, "system:authenticated");
	if (group)
		platform_user_add_group(u, group);
}

static char *tenants_text(struct fixture *f, const char *name, const char *group, bool owners_only)
{
	struct platform_user u;
	user(&u, name, group);
	json_t *list = platform_tenancy_user_tenants(f->tenancy, &u, owners_only);
	platform_user_clear(&u);
	char *text = json_dumps(list, JSON_COMPACT);
	json_decref(list);
	return text;
}

static void test_membership(void **state)
{
	struct fixture *f = *state;
	struct {
		const char *name, *group;
		bool owners_only;
		const char *want;
	} cases[] = {
		{ "alice", "acme-admins", false, "[\"acme\"]" },
		{ "alice", "acme-admins", true, "[\"acme\"]" },
		{ "dave", NULL, false, "[\"acme\"]" },
		{ "dave", NULL, true, "[]" },
		{ "bob", NULL, false, "[\"beta\"]" },
		{ "system:serviceaccount:default:ops", NULL, true, "[\"acme\"]" },
		{ "system:serviceaccount:beta-dev:worker", NULL, false, "[\"beta\"]" },
		{ "system:serviceaccount:shared:worker", NULL, false, "[]" },
		{ "root", "system:masters", false, "[]" },
		{ "stranger", NULL, false, "[]" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		_cleanup_free_ char *got = tenants_text(f, cases[i].name, cases[i].group, cases[i].owners_only);
		assert_string_equal(got, cases[i].want);
	}
	char buf[64];
	assert_true(platform_tenancy_namespace_tenant(f->tenancy, "acme-dev", buf, sizeof(buf)));
	assert_string_equal(buf, "acme");
	assert_false(platform_tenancy_namespace_tenant(f->tenancy, "shared", buf, sizeof(buf)));
}

static bool allows(struct fixture *f, const char *name, const char *group, const char *resource, const char *namespace,
		   const char *obj_name, char *reason, size_t size)
{
	struct platform_user u;
	user(&u, name, group);
	bool tenants_r = strcmp(resource, "tenants") == 0;
	struct platform_access a = { .verb = "get",
				     .resource_request = true,
				     .group = tenants_r ? PLATFORM_TENANCY_GROUP : "",
				     .resource = resource,
				     .namespace = namespace,
				     .name = obj_name };
	bool ok = platform_tenancy_allows(f->tenancy, &u, &a, reason, size);
	platform_user_clear(&u);
	return ok;
}

static void test_boundary(void **state)
{
	struct fixture *f = *state;
	char reason[512] = "";
	assert_true(allows(f, "bob", NULL, "pods", "beta-dev", "x", reason, sizeof(reason)));
	assert_true(allows(f, "bob", NULL, "pods", "shared", "x", reason, sizeof(reason)));
	assert_false(allows(f, "bob", NULL, "pods", "acme-dev", "x", reason, sizeof(reason)));
	assert_string_equal(
	    reason,
	    "tenant boundary: user \"bob\" belongs to tenant(s) [\"beta\"], and the request reaches another tenant");
	/* the namespace itself and the Tenant object are the tenant's too */
	assert_false(allows(f, "bob", NULL, "namespaces", NULL, "acme-dev", reason, sizeof(reason)));
	assert_false(allows(f, "bob", NULL, "tenants", NULL, "acme", reason, sizeof(reason)));
	assert_true(allows(f, "bob", NULL, "tenants", NULL, "beta", reason, sizeof(reason)));
	/* a service account of acme's namespace is acme's */
	assert_false(
	    allows(f, "system:serviceaccount:acme-dev:worker", NULL, "pods", "beta-dev", "x", reason, sizeof(reason)));
	/* outside tenants: administrators and users of none */
	assert_true(allows(f, "root", "system:masters", "pods", "acme-dev", "x", reason, sizeof(reason)));
	assert_true(allows(f, "stranger", NULL, "pods", "acme-dev", "x", reason, sizeof(reason)));
	/* a namespace that names a missing tenant is outside every tenant a user has */
	assert_false(allows(f, "bob", NULL, "pods", "orphan", "x", reason, sizeof(reason)));
}

static void test_impersonation_and_view(void **state)
{
	struct fixture *f = *state;
	struct platform_user bob, dave, stranger, worker;
	user(&bob, "bob", NULL);
	user(&dave, "dave", NULL);
	user(&stranger, "stranger", NULL);
	user(&worker, "system:serviceaccount:beta-dev:worker", NULL);
	char reason[256];
	/* a tenant user impersonates only users of its own tenants */
	assert_true(platform_tenancy_may_impersonate(f->tenancy, &bob, &worker, reason, sizeof(reason)));
	assert_false(platform_tenancy_may_impersonate(f->tenancy, &bob, &dave, reason, sizeof(reason)));
	assert_false(platform_tenancy_may_impersonate(f->tenancy, &bob, &stranger, reason, sizeof(reason)));
	assert_non_null(strstr(reason, "may impersonate only users of its own tenants"));
	assert_true(platform_tenancy_may_impersonate(f->tenancy, &stranger, &dave, reason, sizeof(reason)));
	/* bob's view of lists across namespaces: his tenant's and no tenant's */
	struct platform_tenant_view *v = platform_tenancy_view(f->tenancy, &bob);
	assert_non_null(v);
	const char *ns[] = { "beta-dev", "shared", "acme-dev", "orphan" };
	const bool visible[] = { true, true, false, false };
	for (size_t i = 0; i < 4; i++) {
		json_t *obj = json_pack("{s:{s:s, s:s}}", "metadata", "name", "x", "namespace", ns[i]);
		assert_int_equal(platform_tenant_view_visible(v, obj), visible[i]);
		json_decref(obj);
	}
	platform_tenant_view_free(v);
	assert_null(platform_tenancy_view(f->tenancy, &stranger));
	platform_user_clear(&bob);
	platform_user_clear(&dave);
	platform_user_clear(&stranger);
	platform_user_clear(&worker);
}

static void test_list_scope(void **state)
{
	struct fixture *f = *state;
	struct platform_user u;
	user(&u, "alice", "acme-admins");
	struct platform_access list_ns = {
		.verb = "list", .resource_request = true, .group = "", .resource = "namespaces"
	};
	_cleanup_free_ char *scope = platform_tenancy_list_scope(f->tenancy, &u, &list_ns);
	assert_string_equal(scope, PLATFORM_TENANT_LABEL " in (acme)");
	struct platform_access watch_t = {
		.verb = "watch", .resource_request = true, .group = PLATFORM_TENANCY_GROUP, .resource = "tenants"
	};
	_cleanup_free_ char *scope2 = platform_tenancy_list_scope(f->tenancy, &u, &watch_t);
	assert_string_equal(scope2, PLATFORM_TENANT_LABEL " in (acme)");
	struct platform_access pods = { .verb = "list", .resource_request = true, .group = "", .resource = "pods" };
	assert_null(platform_tenancy_list_scope(f->tenancy, &u, &pods));
	struct platform_access get_ns = {
		.verb = "get", .resource_request = true, .group = "", .resource = "namespaces", .name = "acme-dev"
	};
	assert_null(platform_tenancy_list_scope(f->tenancy, &u, &get_ns));
	platform_user_clear(&u);
	user(&u, "stranger", NULL);
	assert_null(platform_tenancy_list_scope(f->tenancy, &u, &list_ns));
	platform_user_clear(&u);
}

static void test_kbs_tenant(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	char *kbs = NULL;
	assert_int_equal(platform_tenancy_kbs_tenant(f->objects, "acme-dev", "default", &kbs, &err), 0);
	assert_string_equal(kbs, "acme-keys");
	free(kbs);
	assert_int_equal(platform_tenancy_kbs_tenant(f->objects, "beta-dev", "default", &kbs, &err), 0);
	assert_string_equal(kbs, "beta");
	free(kbs);
	assert_int_equal(platform_tenancy_kbs_tenant(f->objects, "shared", "default", &kbs, &err), 0);
	assert_string_equal(kbs, "default");
	free(kbs);
	/* fail closed: not the default tenant's keys for a namespace of a missing tenant */
	assert_int_equal(platform_tenancy_kbs_tenant(f->objects, "orphan", "default", &kbs, &err), -ENOENT);
	assert_non_null(strstr(cc_error_message(&err), "tenant gone, which does not exist"));
}

static void test_validate(void **state)
{
	(void)state;
	_cleanup_json_ json_t *good =
	    json_pack("{s:{s:s}, s:{s:[{s:s, s:s}], s:s, s:i}}", "metadata", "name", "acme", "spec", "owners", "kind",
		      "User", "name", "alice", "kbsTenant", "acme-keys", "namespaceQuota", 3);
	_cleanup_json_ json_t *causes = json_array();
	platform_tenant_validate(good, causes);
	assert_int_equal(json_array_size(causes), 0);
	/* the Tenant carries its own name as the tenant label */
	assert_string_equal(json_string_value(json_object_get(
				json_object_get(json_object_get(good, "metadata"), "labels"), PLATFORM_TENANT_LABEL)),
			    "acme");
	_cleanup_json_ json_t *bad =
	    json_pack("{s:{s:s}, s:{s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s, s:s}], s:s, s:i}}", "metadata", "name",
		      "Bad_Name", "spec", "owners", "kind", "Robot", "name", "r2", "kind", "ServiceAccount", "name",
		      "sa", "kind", "User", "name", "u", "namespace", "x", "kbsTenant", "a/b", "namespaceQuota", -1);
	platform_tenant_validate(bad, causes);
	_cleanup_free_ char *text = json_dumps(causes, JSON_COMPACT);
	const char *fields[] = {
		"metadata.name",  "spec.owners[0].kind", "spec.owners[1].namespace", "spec.owners[2].namespace",
		"spec.kbsTenant", "spec.namespaceQuota"
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		assert_non_null(strstr(text, fields[i]));
	assert_int_equal(json_array_size(causes), 6);
}

static json_t *get(struct fixture *f, const char *resource, const char *group, const char *ns, const char *name)
{
	json_t *obj = NULL;
	struct cc_error err = { 0 };
	const struct platform_resource *r =
	    platform_resource_find(group, strcmp(group, PLATFORM_TENANCY_GROUP) == 0 ? "v1alpha1" : "v1", resource);
	return platform_objects_get(f->objects, r, ns, name, &obj, &err) == 0 ? obj : NULL;
}

static void test_controller(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	const char *rbac = "rbac.authorization.k8s.io";
	assert_int_equal(platform_tenants_reconcile(f->objects, &err), 0);
	_cleanup_json_ json_t *owners = get(f, "rolebindings", rbac, "acme-dev", "cocoon-tenant-owners");
	assert_non_null(owners);
	assert_string_equal(json_string_value(json_object_get(json_object_get(owners, "roleRef"), "name")), "admin");
	assert_int_equal(json_array_size(json_object_get(owners, "subjects")), 2);
	_cleanup_json_ json_t *members = get(f, "rolebindings", rbac, "acme-dev", "cocoon-tenant-members");
	assert_non_null(members);
	_cleanup_json_ json_t *no_members = get(f, "rolebindings", rbac, "beta-dev", "cocoon-tenant-members");
	assert_null(no_members);
	_cleanup_json_ json_t *role = get(f, "clusterroles", rbac, NULL, "cocoon:tenant:acme");
	_cleanup_free_ char *rules = json_dumps(json_object_get(role, "rules"), JSON_COMPACT);
	assert_non_null(strstr(rules, "\"acme-keys\""));
	assert_non_null(strstr(rules, "tenants/nodes"));
	_cleanup_json_ json_t *acme = get(f, "tenants", PLATFORM_TENANCY_GROUP, NULL, "acme");
	_cleanup_free_ char *status = json_dumps(json_object_get(acme, "status"), JSON_COMPACT | JSON_SORT_KEYS);
	assert_string_equal(status, "{\"kbsTenant\":\"acme-keys\",\"namespaces\":[\"acme-dev\"],\"size\":1}");
	/* a second pass changes nothing */
	int64_t before = platform_objects_revision(f->objects);
	assert_int_equal(platform_tenants_reconcile(f->objects, &err), 0);
	assert_int_equal(platform_objects_revision(f->objects), before);
	/* a namespace that leaves the tenant loses its bindings */
	_cleanup_json_ json_t *ns = get(f, "namespaces", "", NULL, "acme-dev");
	json_object_del(json_object_get(json_object_get(ns, "metadata"), "labels"), PLATFORM_TENANT_LABEL);
	json_t *stored = NULL;
	assert_int_equal(
	    platform_objects_update(f->objects, platform_resource_find("", "v1", "namespaces"), ns, 0, &stored, &err),
	    0);
	json_decref(stored);
	assert_int_equal(platform_tenants_reconcile(f->objects, &err), 0);
	_cleanup_json_ json_t *gone = get(f, "rolebindings", rbac, "acme-dev", "cocoon-tenant-owners");
	assert_null(gone);
	_cleanup_json_ json_t *acme2 = get(f, "tenants", PLATFORM_TENANCY_GROUP, NULL, "acme");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(acme2, "status"), "size")), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_membership, setup, teardown),
		cmocka_unit_test_setup_teardown(test_boundary, setup, teardown),
		cmocka_unit_test_setup_teardown(test_list_scope, setup, teardown),
		cmocka_unit_test_setup_teardown(test_impersonation_and_view, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kbs_tenant, setup, teardown),
		cmocka_unit_test(test_validate),
		cmocka_unit_test_setup_teardown(test_controller, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
