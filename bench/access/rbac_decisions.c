/* rbac_decisions: the RBAC authorizer's speed with a large policy, in process (no network): 1,000
 * ClusterRoles and 10,000 RoleBindings (issue 14's figure) in a fresh SQLite store, then decisions
 * for users bound one way or another, allowed and denied; then the same decisions again with the
 * tenant boundary after RBAC (tenancy.h), the 100 namespaces split among 50 Tenants whose owners are
 * some of the groups. Prints JSON: the index build time, decisions per second, and p50/p99 of one
 * decision in microseconds, without and with tenants.
 * Usage: rbac_decisions DIR [ROLES] [BINDINGS] [DECISIONS] */
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/store/store.h"
#include "platform/objects.h"
#include "platform/rbac.h"
#include "platform/rbac_bootstrap.h"
#include "platform/tenancy.h"

#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int compare(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static void create_in(struct platform_objects *o, const struct platform_resource *r, json_t *obj)
{
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	if (platform_objects_create(o, r, obj, &stored, &err) < 0) {
		fprintf(stderr, "create %s: %s\n", r->resource, err.message);
		exit(1);
	}
	json_decref(stored);
	json_decref(obj);
}

static void create(struct platform_objects *o, const char *resource, json_t *obj)
{
	create_in(o, platform_resource_find("rbac.authorization.k8s.io", "v1", resource), obj);
}

static const char *const kinds[] = { "pods", "configmaps", "secrets", "services", "deployments" };

struct stats {
	int allowed;
	double per_second, p50_us, p99_us;
};

/* The decisions of the run, RBAC's alone or followed by the tenant boundary (tenancy non-NULL). */
static struct stats decide(struct platform_rbac *rbac, struct platform_tenancy *tenancy, int decisions)
{
	double *samples = calloc((size_t)decisions, sizeof(*samples));
	char reason[512];
	struct stats st = { 0 };
	double start = now_us();
	for (int i = 0; i < decisions; i++) {
		char name[32], group[32], ns[32];
		snprintf(name, sizeof(name), "user-%d", (i * 7919) % 2500); /* some users have no binding */
		snprintf(group, sizeof(group), "group-%d", (i * 104729) % 300);
		snprintf(ns, sizeof(ns), "ns-%d", i % 100);
		struct platform_user user;
		platform_user_init(&user, name, "bench");
		platform_user_add_group(&user, group);
		platform_user_add_group(&user, "system:authenticated");
		struct platform_access a = { .verb = i % 3 ? "get" : "delete",
					     .resource_request = true,
					     .group = "",
					     .resource = kinds[i % 5],
					     .namespace = ns,
					     .name = "x" };
		double t0 = now_us();
		bool ok = platform_rbac_authorize(rbac, &user, &a, reason, sizeof(reason));
		if (ok && tenancy)
			ok = platform_tenancy_allows(tenancy, &user, &a, reason, sizeof(reason));
		samples[i] = now_us() - t0;
		st.allowed += ok;
		platform_user_clear(&user);
	}
	st.per_second = decisions / ((now_us() - start) / 1e6);
	qsort(samples, (size_t)decisions, sizeof(*samples), compare);
	st.p50_us = samples[decisions / 2];
	st.p99_us = samples[decisions * 99 / 100];
	free(samples);
	return st;
}

/* 100 namespaces in 50 Tenants, owned by groups group-0 .. group-49 (others belong to none). */
static void make_tenants(struct platform_objects *o)
{
	const struct platform_resource *tenants =
	    platform_resource_find(PLATFORM_TENANCY_GROUP, PLATFORM_TENANCY_VERSION, "tenants");
	for (int i = 0; i < 50; i++) {
		char name[32], group[32];
		snprintf(name, sizeof(name), "tenant-%d", i);
		snprintf(group, sizeof(group), "group-%d", i);
		create_in(o, tenants,
			  json_pack("{s:s, s:s, s:{s:s}, s:{s:[{s:s, s:s}]}}", "apiVersion",
				    "tenancy.cocoon.dev/v1alpha1", "kind", "Tenant", "metadata", "name", name, "spec",
				    "owners", "kind", "Group", "name", group));
	}
	for (int i = 0; i < 100; i++) {
		char name[32], tenant[32];
		snprintf(name, sizeof(name), "ns-%d", i);
		snprintf(tenant, sizeof(tenant), "tenant-%d", i / 2);
		create_in(o, platform_resource_find("", "v1", "namespaces"),
			  json_pack("{s:s, s:s, s:{s:s, s:{s:s}}}", "apiVersion", "v1", "kind", "Namespace", "metadata",
				    "name", name, "labels", PLATFORM_TENANT_LABEL, tenant));
	}
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: rbac_decisions DIR [ROLES] [BINDINGS] [DECISIONS]\n");
		return 2;
	}
	int roles = argc > 2 ? atoi(argv[2]) : 1000, bindings = argc > 3 ? atoi(argv[3]) : 10000;
	int decisions = argc > 4 ? atoi(argv[4]) : 200000;
	char url[512];
	snprintf(url, sizeof(url), "sqlite:%s/state.db", argv[1]);
	struct cc_error err = { 0 };
	struct cc_store *store;
	struct platform_objects *o;
	if (cc_store_open(url, &store, &err) < 0 || platform_objects_open(store, &o, &err) < 0 ||
	    platform_rbac_bootstrap(o, &err) < 0) {
		fprintf(stderr, "rbac_decisions: %s\n", err.message);
		return 1;
	}
	for (int i = 0; i < roles; i++) {
		char name[32];
		snprintf(name, sizeof(name), "role-%d", i);
		create(o, "clusterroles",
		       json_pack("{s:s, s:s, s:{s:s}, s:[{s:[s], s:[s], s:[s,s]}, {s:[s], s:[s], s:[s]}]}",
				 "apiVersion", "rbac.authorization.k8s.io/v1", "kind", "ClusterRole", "metadata",
				 "name", name, "rules", "apiGroups", "", "resources", kinds[i % 5], "verbs", "get",
				 "list", "apiGroups", "apps", "resources", kinds[(i + 1) % 5], "verbs", "watch"));
	}
	for (int i = 0; i < bindings; i++) {
		char name[32], ns[32], user[32], group[32], role[32];
		snprintf(name, sizeof(name), "binding-%d", i);
		snprintf(ns, sizeof(ns), "ns-%d", i % 100);
		snprintf(user, sizeof(user), "user-%d", i % 2000);
		snprintf(group, sizeof(group), "group-%d", i % 300);
		snprintf(role, sizeof(role), "role-%d", i % roles);
		create(o, "rolebindings",
		       json_pack("{s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:[{s:s, s:s}, {s:s, s:s}]}",
				 "apiVersion", "rbac.authorization.k8s.io/v1", "kind", "RoleBinding", "metadata",
				 "name", name, "namespace", ns, "roleRef", "apiGroup", "rbac.authorization.k8s.io",
				 "kind", "ClusterRole", "name", role, "subjects", "kind", "User", "name", user, "kind",
				 "Group", "name", group));
	}
	struct platform_rbac *rbac;
	if (platform_rbac_new(o, &rbac, &err) < 0) {
		fprintf(stderr, "rbac_decisions: %s\n", err.message);
		return 1;
	}
	char reason[512];
	struct platform_user user;
	double build_start = now_us();
	platform_user_init(&user, "user-0", "bench");
	struct platform_access first = { .verb = "get",
					 .resource_request = true,
					 .group = "",
					 .resource = "pods",
					 .namespace = "ns-0",
					 .name = "x" };
	platform_rbac_authorize(rbac, &user, &first, reason, sizeof(reason)); /* builds the index */
	double build_us = now_us() - build_start;
	struct stats plain = decide(rbac, NULL, decisions);
	make_tenants(o);
	struct platform_tenancy *tenancy;
	if (platform_tenancy_new(o, &tenancy, &err) < 0) {
		fprintf(stderr, "rbac_decisions: %s\n", err.message);
		return 1;
	}
	platform_rbac_authorize(rbac, &user, &first, reason, sizeof(reason));
	platform_tenancy_allows(tenancy, &user, &first, reason, sizeof(reason)); /* builds its index */
	platform_user_clear(&user);
	struct stats tenants = decide(rbac, tenancy, decisions);
	printf("{\"roles\": %d, \"bindings\": %d, \"decisions\": %d, \"allowed\": %d, \"index_build_ms\": %.1f, "
	       "\"decisions_per_second\": %.0f, \"p50_us\": %.2f, \"p99_us\": %.2f, \"tenants\": 50, "
	       "\"allowed_with_tenants\": %d, \"decisions_per_second_with_tenants\": %.0f, "
	       "\"p50_us_with_tenants\": %.2f, \"p99_us_with_tenants\": %.2f}\n",
	       roles, bindings, decisions, plain.allowed, build_us / 1e3, plain.per_second, plain.p50_us, plain.p99_us,
	       tenants.allowed, tenants.per_second, tenants.p50_us, tenants.p99_us);
	platform_tenancy_free(tenancy);
	platform_rbac_free(rbac);
	platform_objects_close(o);
	cc_store_close(store);
	return 0;
}
