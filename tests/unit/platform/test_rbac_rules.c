/* RBAC rules (platform/rbac_rules.h): what a rule allows, and the covering check that keeps anyone
 * from granting what they do not hold, against the cases of the Kubernetes documentation and of
 * kube-apiserver's own rule tests. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/rbac_rules.h"
#include "unit.h"

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s", err.message);
	return v;
}

static bool allows(const char *rule_text, const char *verb, const char *group, const char *resource, const char *sub,
		   const char *name)
{
	json_t *rule = parse(rule_text);
	struct platform_access a = { .verb = verb,
				     .resource_request = true,
				     .group = group,
				     .resource = resource,
				     .subresource = sub,
				     .namespace = "default",
				     .name = name };
	bool r = platform_rbac_rule_allows(rule, &a);
	json_decref(rule);
	return r;
}

static bool allows_path(const char *rule_text, const char *verb, const char *path)
{
	json_t *rule = parse(rule_text);
	struct platform_access a = { .verb = verb, .path = path };
	bool r = platform_rbac_rule_allows(rule, &a);
	json_decref(rule);
	return r;
}

static void test_rule_allows(void **state)
{
	const char *reader = "{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"watch\",\"list\"]}";
	assert_true(allows(reader, "get", "", "pods", NULL, "web"));
	assert_true(allows(reader, "list", "", "pods", NULL, NULL));
	assert_false(allows(reader, "delete", "", "pods", NULL, "web"));
	assert_false(allows(reader, "get", "apps", "pods", NULL, "web")); /* another group */
	assert_false(allows(reader, "get", "", "pods", "log", "web"));    /* "pods" is not "pods/log" */
	assert_false(allows(reader, "get", "", "configmaps", NULL, "web"));
	/* Subresources: by name, and "*\/log" for every resource's. */
	assert_true(allows("{\"apiGroups\":[\"\"],\"resources\":[\"pods/log\"],\"verbs\":[\"get\"]}", "get", "", "pods",
			   "log", "web"));
	assert_false(allows("{\"apiGroups\":[\"\"],\"resources\":[\"pods/log\"],\"verbs\":[\"get\"]}", "get", "",
			    "pods", NULL, "web"));
	assert_true(allows("{\"apiGroups\":[\"apps\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}", "update",
			   "apps", "deployments", "scale", "web"));
	assert_false(allows("{\"apiGroups\":[\"apps\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}", "update",
			    "apps", "deployments", NULL, "web"));
	/* resourceNames: only those names, and so never a list. */
	const char *one = "{\"apiGroups\":[\"\"],\"resources\":[\"configmaps\"],\"resourceNames\":[\"a\"],"
			  "\"verbs\":[\"get\",\"list\"]}";
	assert_true(allows(one, "get", "", "configmaps", NULL, "a"));
	assert_false(allows(one, "get", "", "configmaps", NULL, "b"));
	assert_false(allows(one, "list", "", "configmaps", NULL, NULL));
	/* Wildcards. */
	const char *all = "{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]}";
	assert_true(allows(all, "escalate", "rbac.authorization.k8s.io", "roles", NULL, "x"));
	assert_true(allows(all, "create", "", "pods", "exec", "web"));
	/* Non-resource URLs: exact, or a prefix ending in "*"; never by a resource rule. */
	const char *urls = "{\"nonResourceURLs\":[\"/healthz\",\"/api/*\"],\"verbs\":[\"get\"]}";
	assert_true(allows_path(urls, "get", "/healthz"));
	assert_false(allows_path(urls, "get", "/healthz/etcd"));
	assert_true(allows_path(urls, "get", "/api/v1"));
	assert_false(allows_path(urls, "post", "/api/v1"));
	assert_false(allows_path(all, "get", "/metrics"));
	assert_false(allows_path("{\"verbs\":[\"get\"]}", "get", "/"));
}

static bool covers(const char *owner_text, const char *servant_text, size_t want_missing)
{
	json_t *owner = parse(owner_text), *servant = parse(servant_text), *missing = NULL;
	bool r = platform_rbac_rules_cover(owner, servant, &missing);
	assert_int_equal(json_array_size(missing), want_missing);
	json_decref(owner);
	json_decref(servant);
	json_decref(missing);
	return r;
}

static void test_rules_cover(void **state)
{
	const char *admin_of_pods = "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"pods/log\"],\"verbs\":[\"*\"]}]";
	assert_true(
	    covers(admin_of_pods, "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\",\"list\"]}]", 0));
	/* One verb, one group and one resource at a time: two permissions missing of four. */
	assert_false(
	    covers(admin_of_pods,
		   "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\",\"secrets\"],\"verbs\":[\"get\",\"list\"]}]", 2));
	/* A wildcard is held only by a wildcard. */
	assert_false(covers(admin_of_pods, "[{\"apiGroups\":[\"\"],\"resources\":[\"*\"],\"verbs\":[\"get\"]}]", 1));
	assert_false(
	    covers(admin_of_pods, "[{\"apiGroups\":[\"*\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]", 1));
	/* resourceNames: a named grant is held by an unnamed one, not the other way round. */
	assert_true(covers(
	    admin_of_pods,
	    "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"resourceNames\":[\"a\",\"b\"],\"verbs\":[\"get\"]}]",
	    0));
	const char *named =
	    "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"resourceNames\":[\"a\"],\"verbs\":[\"get\"]}]";
	assert_false(covers(named, "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"verbs\":[\"get\"]}]", 1));
	assert_false(covers(
	    named,
	    "[{\"apiGroups\":[\"\"],\"resources\":[\"pods\"],\"resourceNames\":[\"a\",\"b\"],\"verbs\":[\"get\"]}]",
	    1));
	/* "*\/scale" holds every resource's scale. */
	assert_true(covers("[{\"apiGroups\":[\"apps\"],\"resources\":[\"*/scale\"],\"verbs\":[\"update\"]}]",
			   "[{\"apiGroups\":[\"apps\"],\"resources\":[\"deployments/scale\"],\"verbs\":[\"update\"]}]",
			   0));
	/* Non-resource URLs: a prefix holds what is below it. */
	assert_true(covers("[{\"nonResourceURLs\":[\"/healthz*\"],\"verbs\":[\"get\"]}]",
			   "[{\"nonResourceURLs\":[\"/healthz/etcd\"],\"verbs\":[\"get\"]}]", 0));
	assert_false(covers("[{\"nonResourceURLs\":[\"/healthz\"],\"verbs\":[\"get\"]}]",
			    "[{\"nonResourceURLs\":[\"/metrics\"],\"verbs\":[\"get\"]}]", 1));
	/* cluster-admin holds everything. */
	const char *everything = "[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
				 "{\"nonResourceURLs\":[\"*\"],\"verbs\":[\"*\"]}]";
	assert_true(covers(everything,
			   "[{\"apiGroups\":[\"*\"],\"resources\":[\"*\"],\"verbs\":[\"*\"]},"
			   "{\"nonResourceURLs\":[\"/x\"],\"verbs\":[\"get\"]}]",
			   0));
}

static void test_rule_text(void **state)
{
	json_t *rule = parse("{\"apiGroups\":[\"\"],\"resources\":[\"secrets\"],\"verbs\":[\"get\"]}");
	char *text = platform_rbac_rule_text(rule);
	assert_string_equal(text, "{APIGroups:[\"\"], Resources:[\"secrets\"], Verbs:[\"get\"]}");
	free(text);
	json_decref(rule);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rule_allows),
		cmocka_unit_test(test_rules_cover),
		cmocka_unit_test(test_rule_text),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
