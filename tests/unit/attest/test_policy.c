#include "attest/policy.h"
#include "lib/base/error.h"
#include "unit.h"

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

static void test_array_paths_index_and_require_every_element(void **state)
{
	json_t *c =
	    json_pack("{s:[{s:s}, {s:s}], s:[]}", "containers", "measurement", "aa", "measurement", "bb", "none");
	json_t *report;
	json_t *every = policy_of("[{\"claim\":\"containers.*.measurement\",\"oneOf\":[\"AA\",\"bb\"]}]");
	assert_true(attest_policy_evaluate(every, c, &report));
	assert_string_equal(reason_of(report, 0), "all 2 elements of containers hold");
	json_decref(report);
	json_t *one_bad = policy_of("[{\"claim\":\"containers.*.measurement\",\"oneOf\":[\"aa\"]}]");
	assert_false(attest_policy_evaluate(one_bad, c, &report));
	assert_non_null(strstr(reason_of(report, 0), "containers[1]: measurement is \"bb\""));
	json_decref(report);
	json_t *empty = policy_of("[{\"claim\":\"none.*\",\"equals\":1}]");
	assert_false(attest_policy_evaluate(empty, c, &report));
	assert_string_equal(reason_of(report, 0), "the evidence has no elements in `none`");
	json_decref(report);
	json_t *index = policy_of("[{\"claim\":\"containers.1.measurement\",\"equals\":\"bb\"},"
				  "{\"claim\":\"containers.7.measurement\",\"equals\":\"bb\"}]");
	assert_false(attest_policy_evaluate(index, c, &report));
	assert_true(json_is_true(json_object_get(json_array_get(json_object_get(report, "rules"), 0), "ok")));
	assert_string_equal(reason_of(report, 1), "the evidence has no claim `containers.7.measurement`");
	json_decref(report);
	json_decref(every);
	json_decref(one_bad);
	json_decref(empty);
	json_decref(index);
	json_decref(c);
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
		cmocka_unit_test(test_array_paths_index_and_require_every_element),
		cmocka_unit_test(test_malformed_policies_are_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
