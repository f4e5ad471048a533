#include "unit.h"

#include "attest/policy.h"
#include "base/error.h"

static json_t *claims(void)
{
	return json_pack("{s:s, s:{s:b}, s:{s:i}, s:i}", "measurement", "ab01", "policy", "debug", 0, "tcb", "snp", 8,
			 "vmpl", 0);
}

static json_t *policy_of(const char *rules_json)
{
	json_t *rules = json_loads(rules_json, 0, NULL);
	assert_non_null(rules);
	return json_pack("{s:o}", "rules", rules);
}

static const char *reason_of(json_t *report, size_t i)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(report, "rules"), i), "reason"));
}

static void test_every_operator_allows_and_denies_with_a_reason(void **state)
{
	json_t *c = claims(), *report;
	json_t *allow = policy_of("[{\"claim\":\"measurement\",\"oneOf\":[\"FF\",\"AB01\"]},"
				  "{\"claim\":\"policy.debug\",\"equals\":false},"
				  "{\"claim\":\"tcb.snp\",\"atLeast\":8},{\"claim\":\"vmpl\",\"atMost\":0}]");
	assert_true(attest_policy_evaluate(allow, c, &report));
	assert_string_equal(json_string_value(json_object_get(report, "verdict")), "allow");
	assert_string_equal(reason_of(report, 0), "measurement is allowed value 2");
	json_decref(report);

	json_t *deny = policy_of("[{\"claim\":\"tcb.snp\",\"atLeast\":9},{\"claim\":\"tcb\",\"atMost\":1},"
				 "{\"claim\":\"policy.smt\",\"equals\":true},{\"claim\":\"vmpl\",\"atMost\":0}]");
	assert_false(attest_policy_evaluate(deny, c, &report));
	assert_string_equal(json_string_value(json_object_get(report, "verdict")), "deny");
	assert_string_equal(reason_of(report, 0), "tcb.snp is 8, outside the minimum 9");
	assert_string_equal(reason_of(report, 1), "tcb is {\"snp\":8}, not a number");
	assert_string_equal(reason_of(report, 2), "the evidence has no claim `policy.smt`");
	assert_string_equal(reason_of(report, 3), "vmpl is 0, within the maximum 0");
	json_decref(report);
	json_decref(allow);
	json_decref(deny);
	json_decref(c);
}

static void expect_refused(const char *text, const char *message)
{
	char *dir = unit_tmpdir(), path[512];
	snprintf(path, sizeof(path), "%s/policy.yaml", dir);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	json_t *policy = NULL;
	struct cc_error err = { 0 };
	assert_true(attest_policy_load(path, &policy, &err) < 0);
	assert_null(policy);
	if (!strstr(cc_error_message(&err), message))
		fail_msg("`%s` does not say `%s`", cc_error_message(&err), message);
	unit_rmdir(dir);
}

static void test_malformed_policies_are_refused(void **state)
{
	expect_refused("rules: []\n", "non-empty `rules`");
	expect_refused("rule: [{claim: a, equals: 1}]\n", "non-empty `rules`");
	expect_refused("rules: [{equals: 1}]\n", "rules[0] needs a `claim`");
	expect_refused("rules: [{claim: a}]\n", "exactly one of");
	expect_refused("rules: [{claim: a, equals: 1, atMost: 2}]\n", "exactly one of");
	expect_refused("rules: [{claim: a, oneOf: x}]\n", "`oneOf` must be a list");
	expect_refused("rules: [{claim: a, atLeast: high}]\n", "must be an integer");
	expect_refused("rules: [{claim: a, equals: 1, because: x}]\n", "unknown key `because`");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_operator_allows_and_denies_with_a_reason),
		cmocka_unit_test(test_malformed_policies_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
