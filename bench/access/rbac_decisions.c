/* rbac_decisions: the RBAC authorizer's speed with a large policy, in process (no network): 1,000
 * ClusterRoles and 10,000 RoleBindings (issue 14's figure) in a fresh SQLite store, then decisions
 * for users bound one way or another, allowed and denied. Prints JSON: the index build time, decisions
 * per second, and p50/p99 of one decision in microseconds.
 * Usage: rbac_decisions DIR [ROLES] [BINDINGS] [DECISIONS] */
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/store/store.h"
#include "platform/objects.h"
#include "platform/rbac.h"
#include "platform/rbac_bootstrap.h"

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

static void create(struct platform_objects *o, const char *resource, json_t *obj)
{
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	if (platform_objects_create(o, platform_resource_find("rbac.authorization.k8s.io", "v1", resource), obj,
				    &stored, &err) < 0) {
		fprintf(stderr, "create %s: %s\n", resource, err.message);
		exit(1);
	}
	json_decref(stored);
	json_decref(obj);
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
	static const char *const kinds[] = { "pods", "configmaps", "secrets", "services", "deployments" };
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
	double *samples = calloc((size_t)decisions, sizeof(*samples));
	char reason[512];
	int allowed = 0;
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
	platform_user_clear(&user);
	double start = now_us();
	for (int i = 0; i < decisions; i++) {
		char name[32], group[32], ns[32];
		snprintf(name, sizeof(name), "user-%d", (i * 7919) % 2500); /* some users have no binding */
		snprintf(group, sizeof(group), "group-%d", (i * 104729) % 300);
		snprintf(ns, sizeof(ns), "ns-%d", i % 100);
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
		allowed += platform_rbac_authorize(rbac, &user, &a, reason, sizeof(reason));
		samples[i] = now_us() - t0;
		platform_user_clear(&user);
	}
	double total_s = (now_us() - start) / 1e6;
	qsort(samples, (size_t)decisions, sizeof(*samples), compare);
	printf("{\"roles\": %d, \"bindings\": %d, \"decisions\": %d, \"allowed\": %d, \"index_build_ms\": %.1f, "
	       "\"decisions_per_second\": %.0f, \"p50_us\": %.2f, \"p99_us\": %.2f}\n",
	       roles, bindings, decisions, allowed, build_us / 1e3, decisions / total_s, samples[decisions / 2],
	       samples[decisions * 99 / 100]);
	free(samples);
	platform_rbac_free(rbac);
	platform_objects_close(o);
	cc_store_close(store);
	return 0;
}
