#include "lib/base/error.h"
#include "platform/audit_policy.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

static const char *const admins[] = { "system:masters", "system:authenticated" };

static struct platform_audit_policy *load(const char *yaml)
{
	struct cc_error err = { 0 };
	struct platform_audit_policy *p = NULL;
	if (platform_audit_policy_parse(yaml, strlen(yaml), "policy", &p, &err) < 0)
		fail_msg("policy refused: %s", err.message);
	return p;
}

static enum platform_audit_level level(const struct platform_audit_policy *p, const char *verb, const char *resource,
				       const char *subresource, const char *ns, const char *name, const char *path)
{
	struct platform_audit_request r = { .user = "admin",
					    .groups = admins,
					    .n_groups = 2,
					    .verb = verb,
					    .group = "",
					    .resource = resource,
					    .subresource = subresource,
					    .namespace = ns,
					    .name = name,
					    .path = path,
					    .stage = "ResponseComplete" };
	return platform_audit_policy_level(p, &r);
}

static void test_first_match_wins(void **state)
{
	(void)state;
	struct platform_audit_policy *p = load("apiVersion: audit.k8s.io/v1\n"
					       "kind: Policy\n"
					       "rules:\n"
					       "- level: None\n"
					       "  verbs: [get, list, watch]\n"
					       "  resources: [{group: \"\", resources: [configmaps]}]\n"
					       "- level: Metadata\n"
					       "  resources: [{group: \"\", resources: [secrets]}]\n"
					       "- level: RequestResponse\n"
					       "  resources: [{group: \"\", resources: [configmaps, \"pods/log\"]}]\n"
					       "- level: None\n"
					       "  nonResourceURLs: [/version, \"/healthz*\"]\n"
					       "- level: Request\n"
					       "  namespaces: [kube-system]\n");
	assert_int_equal(level(p, "get", "configmaps", NULL, "default", "a", "/x"), PLATFORM_AUDIT_NONE);
	assert_int_equal(level(p, "create", "configmaps", NULL, "default", "a", "/x"), PLATFORM_AUDIT_REQUEST_RESPONSE);
	assert_int_equal(level(p, "create", "secrets", NULL, "default", "a", "/x"), PLATFORM_AUDIT_METADATA);
	assert_int_equal(level(p, "get", "pods", "log", "default", "a", "/x"), PLATFORM_AUDIT_REQUEST_RESPONSE);
	assert_int_equal(level(p, "get", "pods", NULL, "default", "a", "/x"), PLATFORM_AUDIT_NONE); /* no rule */
	assert_int_equal(level(p, "get", "pods", NULL, "kube-system", "a", "/x"), PLATFORM_AUDIT_REQUEST);
	assert_int_equal(level(p, "get", NULL, NULL, NULL, NULL, "/healthz/etcd"), PLATFORM_AUDIT_NONE);
	assert_int_equal(level(p, "get", NULL, NULL, NULL, NULL, "/version"), PLATFORM_AUDIT_NONE);
	platform_audit_policy_free(p);
}

static void test_users_groups_stages(void **state)
{
	(void)state;
	struct platform_audit_policy *p = load("{\"kind\":\"Policy\",\"omitStages\":[\"RequestReceived\"],\"rules\":["
					       "{\"level\":\"None\",\"users\":[\"system:kube-proxy\"]},"
					       "{\"level\":\"RequestResponse\",\"userGroups\":[\"system:masters\"],"
					       "\"omitStages\":[\"ResponseStarted\"]},"
					       "{\"level\":\"Metadata\"}]}");
	assert_int_equal(level(p, "get", "pods", NULL, "default", "a", "/x"), PLATFORM_AUDIT_REQUEST_RESPONSE);
	struct platform_audit_request watch = { .user = "admin",
						.groups = admins,
						.n_groups = 2,
						.verb = "watch",
						.resource = "pods",
						.path = "/x",
						.stage = "ResponseStarted" };
	assert_int_equal(platform_audit_policy_level(p, &watch), PLATFORM_AUDIT_NONE);
	assert_int_equal(platform_audit_policy_level(NULL, &watch), PLATFORM_AUDIT_METADATA);
	platform_audit_policy_free(p);
}

static void test_refusals(void **state)
{
	(void)state;
	const char *bad[][2] = {
		{ "rules: [{level: Loud}]", "rules[0].level" },
		{ "rules: [{level: None, verbs: get}]", "rules[0].verbs" },
		{ "rules: [{level: None, nonResourceURLs: [/x], namespaces: [a]}]",
		  "nonResourceURLs cannot be combined" },
		{ "kind: Pod\nrules: []", "Policy is expected" },
		{ "level: None", "rules" },
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cc_error err = { 0 };
		struct platform_audit_policy *p = NULL;
		assert_int_equal(platform_audit_policy_parse(bad[i][0], strlen(bad[i][0]), "policy", &p, &err),
				 -EINVAL);
		if (!strstr(err.message, bad[i][1]))
			fail_msg("`%s`: message `%s` lacks `%s`", bad[i][0], err.message, bad[i][1]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_match_wins),
		cmocka_unit_test(test_users_groups_stages),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
