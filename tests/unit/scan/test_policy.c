/* scan/policy.c: the default set loads and lints clean; files and directories load all or nothing;
 * a file's policy replaces a default of its name, other clashes are refused; lint reports every
 * problem of every file; names of stages and enforcements; the listing. */
#include "policy_unit.h"

#include <errno.h>
#include <sys/stat.h>

#define POLICY(name, extra)                                                                                            \
	"apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: " name "}\n"                                \
	"spec: {severity: low, lifecycleStages: [build, deploy]" extra                                                 \
	", sections: [{criteria: [{field: Malware, operator: exists}]}]}\n"

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void collect(void *ctx, const char *problem)
{
	json_array_append_new(ctx, json_string(problem));
}

static bool is(const json_t *v, const char *s)
{
	return json_is_string(v) && strcmp(json_string_value(v), s) == 0;
}

static void test_default_set(void **state)
{
	(void)state;
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	size_t n = scan_policy_set_size(set);
	assert_true(n >= 15 && n <= 30);
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	size_t i;
	json_t *p;
	json_array_foreach (list, i, p) {
		/* Every default policy says why and what to do. */
		assert_non_null(json_string_value(json_object_get(p, "description")));
		assert_non_null(json_string_value(json_object_get(p, "rationale")));
		assert_non_null(json_string_value(json_object_get(p, "remediation")));
		assert_string_equal(json_string_value(json_object_get(p, "source")), "default policies");
		assert_false(json_is_true(json_object_get(p, "disabled")));
	}
	/* Loading it twice is a clash: defaults are not replaced by defaults. */
	assert_int_equal(scan_policy_load_default(set, &err), -EEXIST);
	assert_int_equal(scan_policy_set_size(set), n);
	/* The installed file is the embedded one, and lints clean. */
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (!root)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson");
	_cleanup_free_ char *path = cc_xasprintf("%s/src/scan/policies/default.yaml", root);
	_cleanup_json_ json_t *problems = json_array();
	assert_int_equal(scan_policy_lint_path(path, collect, problems), 0);
	assert_int_equal(json_array_size(problems), 0);
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *file = scan_policy_set_new();
	assert_int_equal(scan_policy_load_path(file, path, &err), 0);
	assert_int_equal(scan_policy_set_size(file), n);
}

static void test_deny_only_what_cannot_be_allowed(void **state)
{
	(void)state;
	/* The default set is conservative: deny for a short list, fail at build for what must not ship. */
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	_cleanup_json_ json_t *deny = json_array(), *fail = json_array();
	size_t i;
	json_t *p;
	json_array_foreach (list, i, p) {
		json_t *e = json_object_get(p, "enforcement");
		if (is(json_object_get(e, "deploy"), "deny"))
			json_array_append(deny, json_object_get(p, "name"));
		if (is(json_object_get(e, "build"), "fail"))
			json_array_append(fail, json_object_get(p, "name"));
	}
	_cleanup_json_ json_t *want_deny = unit_json(
	    "[\"malware-in-image\", \"privileged-container\", \"privileged-capabilities\", \"host-namespaces\","
	    " \"sensitive-host-path\"]");
	_cleanup_json_ json_t *want_fail =
	    unit_json("[\"fixable-critical-cve\", \"log4shell\", \"malware-in-image\", \"secret-in-image\"]");
	if (!json_equal(deny, want_deny) || !json_equal(fail, want_fail)) {
		char *d = json_dumps(deny, 0), *f = json_dumps(fail, 0);
		fail_msg("deny %s, fail %s", d, f);
	}
}

static void test_file_replaces_default(void **state)
{
	(void)state;
	char *dir = unit_tmpdir();
	write_file(dir, "mine.yaml",
		   "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: latest-tag}\n"
		   "spec: {severity: high, lifecycleStages: [deploy], enforcement: {deploy: deny},"
		   " sections: [{criteria: [{field: Image Tag, values: [latest]}]}]}\n");
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	size_t n = scan_policy_set_size(set);
	char path[512];
	snprintf(path, sizeof(path), "%s/mine.yaml", dir);
	assert_int_equal(scan_policy_load_path(set, path, &err), 0);
	assert_int_equal(scan_policy_set_size(set), n);
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	size_t i;
	json_t *p;
	bool seen = false;
	json_array_foreach (list, i, p)
		if (strcmp(json_string_value(json_object_get(p, "name")), "latest-tag") == 0) {
			assert_string_equal(json_string_value(json_object_get(p, "severity")), "high");
			assert_string_equal(json_string_value(json_object_get(p, "source")), path);
			seen = true;
		}
	assert_true(seen);
	/* A second file with the same name is a clash, naming both. */
	write_file(dir, "again.yaml",
		   "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: latest-tag}\n"
		   "spec: {severity: low, lifecycleStages: [deploy], sections: [{criteria: [{field: Image Tag, values: "
		   "[x]}]}]}\n");
	snprintf(path, sizeof(path), "%s/again.yaml", dir);
	assert_int_equal(scan_policy_load_path(set, path, &err), -EEXIST);
	assert_non_null(strstr(err.message, "policy `latest-tag` is defined twice"));
	assert_non_null(strstr(err.message, "mine.yaml"));
	assert_non_null(strstr(err.message, "again.yaml"));
	unit_rmdir(dir);
}

static void test_directory_all_or_nothing(void **state)
{
	(void)state;
	char *dir = unit_tmpdir();
	write_file(dir, "b.yaml", POLICY("b", ""));
	write_file(dir, "a.yml", POLICY("a", ""));
	write_file(dir, "c.json",
		   "{\"apiVersion\": \"cocoon.dev/v1\", \"kind\": \"SecurityPolicy\", \"metadata\": {\"name\": \"c\"},"
		   " \"spec\": {\"severity\": \"low\", \"lifecycleStages\": [\"build\"], \"sections\":"
		   " [{\"criteria\": [{\"field\": \"CVE\", \"values\": [\"x\"]}]}]}}");
	write_file(dir, "README.md", "not a policy");
	write_file(dir, ".hidden.yaml", "not: [a policy");
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_path(set, dir, &err), 0);
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	assert_int_equal(json_array_size(list), 3);
	/* In name order. */
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 0), "name")), "a");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 1), "name")), "b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(list, 2), "name")), "c");
	/* A bad file in a directory: nothing of the directory is added. */
	char *bad = unit_tmpdir();
	write_file(bad, "1.yaml", POLICY("one", ""));
	write_file(bad, "2.yaml", POLICY("two", ", severty: x"));
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *other = scan_policy_set_new();
	assert_int_equal(scan_policy_load_path(other, bad, &err), -EINVAL);
	assert_non_null(strstr(err.message, "2.yaml: policy `two`: unknown key `severty`"));
	assert_int_equal(scan_policy_set_size(other), 0);
	/* Two files of a directory with one name. */
	write_file(bad, "2.yaml", POLICY("one", ""));
	assert_int_equal(scan_policy_load_path(other, bad, &err), -EEXIST);
	assert_int_equal(scan_policy_set_size(other), 0);
	/* A path that is not there. */
	char missing[600];
	snprintf(missing, sizeof(missing), "%s/none.yaml", bad);
	assert_int_equal(scan_policy_load_path(other, missing, &err), -ENOENT);
	assert_non_null(strstr(err.message, "none.yaml"));
	unit_rmdir(bad);
	unit_rmdir(dir);
}

static void test_lint_reports_every_problem(void **state)
{
	(void)state;
	char *dir = unit_tmpdir();
	write_file(dir, "a.yaml",
		   POLICY("ok", "") "---\n" POLICY("bad-field", "") "---\n" POLICY("bad-stage",
										   ", enforcement: {runtime: deny}"));
	/* Patch the field of bad-field by hand: a misspelt field name. */
	char path[512];
	snprintf(path, sizeof(path), "%s/a.yaml", dir);
	FILE *f = fopen(path, "r+");
	char text[4096];
	size_t len = fread(text, 1, sizeof(text) - 1, f);
	text[len] = '\0';
	char *second = strstr(strstr(text, "bad-field"), "Malware");
	memcpy(second, "Malwere", 7);
	rewind(f);
	fputs(text, f);
	fclose(f);
	write_file(dir, "b.yaml", POLICY("ok", ""));
	write_file(dir, "c.yaml", "a: [\n");
	_cleanup_json_ json_t *problems = json_array();
	assert_int_equal(scan_policy_lint_path(dir, collect, problems), 4);
	char *all = json_dumps(problems, JSON_INDENT(1));
	const char *want[] = {
		"a.yaml: policy `bad-field`: section 1: criterion 1 (`Malwere`): unknown field",
		"a.yaml: policy `bad-stage`: enforcement: runtime is not one of the policy's lifecycleStages",
		"policy `ok` is defined twice", "c.yaml"
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(want); i++)
		if (!strstr(json_string_value(json_array_get(problems, i)), want[i]))
			fail_msg("problem %zu: want `%s` in %s", i, want[i], all);
	free(all);
	/* A path that cannot be read is one problem and an error. */
	json_array_clear(problems);
	snprintf(path, sizeof(path), "%s/missing", dir);
	assert_int_equal(scan_policy_lint_path(path, collect, problems), -ENOENT);
	assert_int_equal(json_array_size(problems), 1);
	unit_rmdir(dir);
}

static void test_names(void **state)
{
	(void)state;
	enum scan_policy_stage st;
	assert_int_equal(scan_policy_stage_parse("deploy", &st), 0);
	assert_int_equal(st, SCAN_POLICY_STAGE_DEPLOY);
	assert_int_equal(scan_policy_stage_parse("Deploy", &st), -EINVAL);
	assert_int_equal(scan_policy_stage_parse(NULL, &st), -EINVAL);
	assert_string_equal(scan_policy_stage_name(SCAN_POLICY_STAGE_RUNTIME), "runtime");
	assert_string_equal(scan_policy_stage_name(SCAN_POLICY_STAGE_MAX), "?");
	assert_string_equal(scan_policy_enforcement_name(SCAN_POLICY_FAIL), "fail");
	assert_string_equal(scan_policy_enforcement_name(SCAN_POLICY_DENY), "deny");
	assert_string_equal(scan_policy_enforcement_name(SCAN_POLICY_ENFORCEMENT_MAX), "?");
	_cleanup_json_ json_t *fields = scan_policy_fields_json();
	assert_true(json_array_size(fields) >= 30);
	json_t *first = json_array_get(fields, 0);
	assert_non_null(json_string_value(json_object_get(first, "type")));
	assert_true(json_array_size(json_object_get(first, "operators")) > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_set),
		cmocka_unit_test(test_deny_only_what_cannot_be_allowed),
		cmocka_unit_test(test_file_replaces_default),
		cmocka_unit_test(test_directory_all_or_nothing),
		cmocka_unit_test(test_lint_reports_every_problem),
		cmocka_unit_test(test_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
