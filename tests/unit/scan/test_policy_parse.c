/* scan/policy_parse.c: a document with every feature loads as written; every problem a document can
 * have is refused with a message naming the file, the policy, the section and the criterion. */
#include "policy_unit.h"

#include <errno.h>

#define HEAD           "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: p}\n"
#define SPEC(rest)     HEAD "spec: {severity: high, lifecycleStages: [build, deploy], " rest "}\n"
#define ONE(criterion) SPEC("sections: [{name: s, criteria: [" criterion "]}]")

static void test_every_feature_loads(void **state)
{
	(void)state;
	const char *yaml = "# a comment\n"
			   "apiVersion: cocoon.dev/v1\n"
			   "kind: SecurityPolicy\n"
			   "metadata:\n  name: everything.v1\n  labels: {team: sec}\n"
			   "spec:\n"
			   "  description: d\n  rationale: r\n  remediation: m\n"
			   "  categories: [Privileges, Vulnerability Management]\n"
			   "  severity: medium\n"
			   "  lifecycleStages: [deploy, runtime]\n"
			   "  enforcement: {deploy: deny, runtime: warn}\n"
			   "  disabled: false\n"
			   "  sections:\n"
			   "  - name: one\n"
			   "    criteria:\n"
			   "    - field: privileged container\n" /* names are case-insensitive */
			   "      values: [true]\n"
			   "    - {field: Add Capabilities, values: [cap_sys_admin, NET_RAW], match: all}\n"
			   "    - {field: CVSS, values: ['>= 7.0', 9]}\n"
			   "    - {field: Severity, operator: '>', values: [medium]}\n"
			   "    - {field: Image Tag, operator: regex, values: ['v[0-9]+(\\.[0-9]+)*'], negate: true}\n"
			   "    - {field: Malware, operator: exists}\n"
			   "  - criteria: [{field: Container Port, values: [22, '2222']}]\n";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = unit_policies(yaml);
	assert_int_equal(scan_policy_set_size(set), 1);
	_cleanup_json_ json_t *list = scan_policy_set_json(set);
	_cleanup_json_ json_t *want =
	    unit_json("[{\"name\": \"everything.v1\", \"severity\": \"medium\", \"stages\": [\"deploy\", \"runtime\"],"
		      "  \"enforcement\": {\"deploy\": \"deny\", \"runtime\": \"warn\"}, \"disabled\": false, "
		      "\"description\": \"d\","
		      "  \"rationale\": \"r\", \"remediation\": \"m\", \"categories\": [\"Privileges\", "
		      "\"Vulnerability Management\"],"
		      "  \"source\": \"test.yaml\", \"sections\": [\"one\", \"section 2\"]}]");
	if (!json_equal(list, want)) {
		char *got = json_dumps(list, 0);
		fail_msg("got %s", got);
	}
}

static void test_documents_lists_and_json(void **state)
{
	(void)state;
	const char *stream = SPEC(
	    "sections: [{criteria: [{field: Malware, operator: exists}]}]") "---\n"
									    "apiVersion: cocoon.dev/v1\nkind: "
									    "SecurityPolicy\nmetadata: {name: q}\n"
									    "spec: {severity: low, lifecycleStages: "
									    "[build], sections: [{criteria: [{field: "
									    "CVE, values: [x]}]}]}\n"
									    "---\n";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *a = unit_policies(stream);
	assert_int_equal(scan_policy_set_size(a), 2);
	const char *list =
	    "apiVersion: v1\nkind: List\nitems:\n"
	    "- {apiVersion: cocoon.dev/v1, kind: SecurityPolicy, metadata: {name: a}, spec: {severity: low,"
	    " lifecycleStages: [build], sections: [{criteria: [{field: CVE, values: [x]}]}]}}\n"
	    "- {apiVersion: cocoon.dev/v1, kind: SecurityPolicy, metadata: {name: b}, spec: {severity: low,"
	    " lifecycleStages: [build], sections: [{criteria: [{field: CVE, values: [y]}]}]}}\n";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *b = unit_policies(list);
	assert_int_equal(scan_policy_set_size(b), 2);
	const char *json =
	    "[{\"apiVersion\": \"cocoon.dev/v1\", \"kind\": \"SecurityPolicy\", \"metadata\": {\"name\": \"j\"},"
	    " \"spec\": {\"severity\": \"critical\", \"lifecycleStages\": [\"runtime\"], \"sections\":"
	    " [{\"criteria\": [{\"field\": \"Host PID\", \"values\": [\"true\"]}]}]}}]";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *c = unit_policies(json);
	assert_int_equal(scan_policy_set_size(c), 1);
}

static void test_document_refused(void **state)
{
	(void)state;
	unit_assert_load_refused("- 1\n", EINVAL, "bad.yaml: document 1", "not a mapping", NULL);
	unit_assert_load_refused("apiVersion: v1\nkind: SecurityPolicy\nmetadata: {name: p}\nspec: {}\n", EINVAL,
				 "bad.yaml: policy `p`", "`apiVersion` is not cocoon.dev/v1", NULL);
	unit_assert_load_refused("apiVersion: cocoon.dev/v1\nkind: Policy\nmetadata: {name: p}\nspec: {}\n", EINVAL,
				 "`kind` is not SecurityPolicy", NULL);
	unit_assert_load_refused(HEAD "spec: {}\nstatus: {}\n", EINVAL, "unknown key `status`", NULL);
	unit_assert_load_refused("apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nspec: {}\n", EINVAL, "document 1",
				 "no `metadata`", NULL);
	unit_assert_load_refused(
	    "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: No_Caps}\nspec: {}\n", EINVAL,
	    "metadata.name", NULL);
	unit_assert_load_refused(
	    "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: p, uid: 1}\nspec: {}\n", EINVAL,
	    "unknown key `uid`", NULL);
	unit_assert_load_refused(HEAD, EINVAL, "no `spec`", NULL);
	unit_assert_load_refused("a: [\n", EINVAL, "bad.yaml", NULL);
}

static void test_spec_refused(void **state)
{
	(void)state;
	const char *sections = "sections: [{criteria: [{field: CVE, values: [x]}]}]";
	char *y;
	unit_assert_load_refused(SPEC("sections: [], severty: high"), EINVAL, "policy `p`", "unknown key `severty`",
				 "known: description", NULL);
	unit_assert_load_refused(HEAD "spec: {severity: negligible, lifecycleStages: [build], sections: []}\n", EINVAL,
				 "`severity` is not critical, high, medium or low", NULL);
	unit_assert_load_refused(HEAD "spec: {lifecycleStages: [build], sections: []}\n", EINVAL, "`severity`", NULL);
	y = cc_xasprintf(HEAD "spec: {severity: low, %s}\n", sections);
	unit_assert_load_refused(y, EINVAL, "`lifecycleStages` is not a non-empty list", NULL);
	free(y);
	y = cc_xasprintf(HEAD "spec: {severity: low, lifecycleStages: [], %s}\n", sections);
	unit_assert_load_refused(y, EINVAL, "`lifecycleStages` is not a non-empty list", NULL);
	free(y);
	y = cc_xasprintf(HEAD "spec: {severity: low, lifecycleStages: [build, ci], %s}\n", sections);
	unit_assert_load_refused(y, EINVAL, "lifecycleStages[1] is not build, deploy or runtime", NULL);
	free(y);
	y = cc_xasprintf(HEAD "spec: {severity: low, lifecycleStages: [build, build], %s}\n", sections);
	unit_assert_load_refused(y, EINVAL, "names build twice", NULL);
	free(y);
	unit_assert_load_refused(
	    SPEC("enforcement: {runtime: warn}, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
	    "enforcement: runtime is not one of the policy's lifecycleStages", NULL);
	unit_assert_load_refused(SPEC("enforcement: {ci: fail}, sections: [{criteria: [{field: CVE, values: [x]}]}]"),
				 EINVAL, "enforcement: `ci` is not build, deploy or runtime", NULL);
	unit_assert_load_refused(
	    SPEC("enforcement: {deploy: fail}, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
	    "deploy takes inform, warn or deny, not `fail`", NULL);
	unit_assert_load_refused(
	    SPEC("enforcement: {build: deny}, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
	    "build takes inform, warn or fail, not `deny`", NULL);
	unit_assert_load_refused(SPEC("enforcement: fail, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
				 "`enforcement` is not a mapping", NULL);
	unit_assert_load_refused(SPEC("disabled: maybe, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
				 "`disabled` is not true or false", NULL);
	unit_assert_load_refused(SPEC("description: [x], sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
				 "`description` is not a string", NULL);
	unit_assert_load_refused(SPEC("categories: x, sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
				 "`categories` is not a list", NULL);
	unit_assert_load_refused(SPEC("categories: [[x]], sections: [{criteria: [{field: CVE, values: [x]}]}]"), EINVAL,
				 "categories[0]", NULL);
	unit_assert_load_refused(SPEC("sections: []"), EINVAL, "`sections` is not a non-empty list", NULL);
	unit_assert_load_refused(SPEC("description: d"), EINVAL, "`sections` is not a non-empty list", NULL);
	/* A description too long to be one. */
	char *long_text = malloc(9000);
	memset(long_text, 'a', 8999);
	long_text[8999] = '\0';
	y = cc_xasprintf(HEAD "spec: {severity: low, lifecycleStages: [build], remediation: %s, %s}\n", long_text,
			 sections);
	unit_assert_load_refused(y, EINVAL, "`remediation` is longer than 8192 bytes", NULL);
	free(y);
	free(long_text);
}

static void test_section_refused(void **state)
{
	(void)state;
	unit_assert_load_refused(SPEC("sections: [x]"), EINVAL, "policy `p`: section 1: is not a mapping", NULL);
	unit_assert_load_refused(SPEC("sections: [{name: s}]"), EINVAL, "policy `p`: section `s`", "no criteria", NULL);
	unit_assert_load_refused(SPEC("sections: [{name: s, criteria: []}]"), EINVAL, "section `s`: no criteria", NULL);
	unit_assert_load_refused(SPEC("sections: [{criteria: [{field: CVE, values: [x]}]}, {criteria: []}]"), EINVAL,
				 "section 2: no criteria", NULL);
	unit_assert_load_refused(SPEC("sections: [{name: s, criteria: [{field: CVE, values: [x]}], when: always}]"),
				 EINVAL, "section `s`: unknown key `when`", NULL);
	/* 33 criteria, 65 sections. */
	char *criteria = cc_xstrdup("{field: CVE, values: [x]}");
	for (int i = 1; i < 33; i++) {
		char *more = cc_xasprintf("%s, {field: CVE, values: [x]}", criteria);
		free(criteria);
		criteria = more;
	}
	char *y = cc_xasprintf(SPEC("sections: [{criteria: [%s]}]"), criteria);
	unit_assert_load_refused(y, EINVAL, "more than 32 criteria", NULL);
	free(y);
	free(criteria);
	char *sections = cc_xstrdup("{criteria: [{field: CVE, values: [x]}]}");
	for (int i = 1; i < 65; i++) {
		char *more = cc_xasprintf("%s, {criteria: [{field: CVE, values: [x]}]}", sections);
		free(sections);
		sections = more;
	}
	y = cc_xasprintf(SPEC("sections: [%s]"), sections);
	unit_assert_load_refused(y, EINVAL, "more than 64 sections", NULL);
	free(y);
	free(sections);
}

static void test_criterion_refused(void **state)
{
	(void)state;
	unit_assert_load_refused(ONE("x"), EINVAL, "policy `p`: section `s`: criterion 1: is not a mapping", NULL);
	unit_assert_load_refused(ONE("{values: [x]}"), EINVAL, "criterion 1: no `field`", NULL);
	unit_assert_load_refused(ONE("{field: CVE, values: [x]}, {field: Privilege, values: [true]}"), EINVAL,
				 "bad.yaml: policy `p`: section `s`: criterion 2 (`Privilege`): unknown field",
				 "cocoon scan policy fields", NULL);
	unit_assert_load_refused(ONE("{field: CVE, value: [x]}"), EINVAL, "criterion 1 (`CVE`): unknown key `value`",
				 NULL);
	unit_assert_load_refused(ONE("{field: CVE, operator: like, values: [x]}"), EINVAL,
				 "`operator` is none of equals, regex, exists", NULL);
	unit_assert_load_refused(ONE("{field: Fixable, operator: regex, values: [x]}"), EINVAL,
				 "(`Fixable`): a bool field does not take the operator `regex`", NULL);
	unit_assert_load_refused(ONE("{field: CVSS, operator: regex, values: ['9.*']}"), EINVAL,
				 "a number field does not take the operator `regex`", NULL);
	unit_assert_load_refused(ONE("{field: Image Tag, operator: '>', values: [x]}"), EINVAL,
				 "a string field does not take the operator `>`", NULL);
	unit_assert_load_refused(ONE("{field: Fixable, operator: exists}"), EINVAL,
				 "a bool field does not take the operator `exists`", NULL);
	unit_assert_load_refused(ONE("{field: CVE}"), EINVAL, "`values` is not a non-empty list", NULL);
	unit_assert_load_refused(ONE("{field: CVE, values: x}"), EINVAL, "`values` is not a non-empty list", NULL);
	unit_assert_load_refused(ONE("{field: CVE, values: []}"), EINVAL, "`values` is not a non-empty list", NULL);
	unit_assert_load_refused(ONE("{field: CVE, values: [[x]]}"), EINVAL,
				 "a value is not a string, number or boolean", NULL);
	unit_assert_load_refused(ONE("{field: Malware, operator: exists, values: [x]}"), EINVAL,
				 "`exists` takes no values", NULL);
	unit_assert_load_refused(ONE("{field: Malware, operator: exists, match: all}"), EINVAL,
				 "`exists` takes no `match`", NULL);
	unit_assert_load_refused(ONE("{field: CVE, match: every, values: [x]}"), EINVAL, "`match` is any", NULL);
	unit_assert_load_refused(ONE("{field: CVE, negate: 'no', values: [x]}"), EINVAL,
				 "`negate` is not true or false", NULL);
}

static void test_value_types_refused(void **state)
{
	(void)state;
	unit_assert_load_refused(ONE("{field: Fixable, values: [maybe]}"), EINVAL,
				 "(`Fixable`): `maybe` is not true or false", NULL);
	unit_assert_load_refused(ONE("{field: CVSS, values: [high]}"), EINVAL, "(`CVSS`): `high` is not a number",
				 NULL);
	unit_assert_load_refused(ONE("{field: CVSS, values: ['>= 7.0x']}"), EINVAL, "`>= 7.0x` is not a number", NULL);
	unit_assert_load_refused(ONE("{field: CVSS, values: ['>= ']}"), EINVAL, "is not a number", NULL);
	unit_assert_load_refused(ONE("{field: CVSS, values: [.nan]}"), EINVAL, "is not a number", NULL);
	unit_assert_load_refused(ONE("{field: Severity, values: [urgent]}"), EINVAL,
				 "(`Severity`): `urgent` is not a severity", NULL);
	unit_assert_load_refused(ONE("{field: Severity, operator: '>=', values: ['> low']}"), EINVAL,
				 "has a comparison and so has `operator`", NULL);
	unit_assert_load_refused(ONE("{field: CVE, operator: regex, values: ['CVE-(2022']}"), EINVAL,
				 "(`CVE`): regular expression `CVE-(2022`", NULL);
	unit_assert_load_refused(ONE("{field: CVE, operator: regex, values: ['(a)\\1']}"), EINVAL, "back-references",
				 NULL);
	char *big = malloc(1100);
	memset(big, 'x', 1099);
	big[1099] = '\0';
	char *y = cc_xasprintf(ONE("{field: CVE, values: [%s]}"), big);
	unit_assert_load_refused(y, EINVAL, "a value is longer than 1024 bytes", NULL);
	free(y);
	free(big);
	char *values = cc_xstrdup("v0");
	for (int i = 1; i < 257; i++) {
		char *more = cc_xasprintf("%s, v%d", values, i);
		free(values);
		values = more;
	}
	y = cc_xasprintf(ONE("{field: CVE, values: [%s]}"), values);
	unit_assert_load_refused(y, EINVAL, "more than 256 values", NULL);
	free(y);
	free(values);
}

static void test_stage_the_field_cannot_judge(void **state)
{
	(void)state;
	/* A workload field at build: there is no workload at build. */
	unit_assert_load_refused(
	    HEAD "spec: {severity: high, lifecycleStages: [build, deploy], sections: [{name: s, "
		 "criteria: [{field: CVE, values: [x]}, {field: Privileged Container, values: [true]}]}]}\n",
	    EINVAL, "policy `p`: section `s`: criterion 2 (`Privileged Container`)", "cannot be judged at build",
	    "take build out of lifecycleStages", NULL);
	unit_assert_load_refused(HEAD "spec: {severity: high, lifecycleStages: [build], sections: [{criteria: "
				      "[{field: Image Scanned, values: [false]}]}]}\n",
				 EINVAL, "section 1: criterion 1 (`Image Scanned`)", "cannot be judged at build", NULL);
	/* The same criterion at deploy and runtime loads. */
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set =
	    unit_policies(HEAD "spec: {severity: high, lifecycleStages: [deploy, runtime], sections: [{criteria: "
			       "[{field: Privileged Container, values: [true]}]}]}\n");
	assert_int_equal(scan_policy_set_size(set), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_feature_loads), cmocka_unit_test(test_documents_lists_and_json),
		cmocka_unit_test(test_document_refused),    cmocka_unit_test(test_spec_refused),
		cmocka_unit_test(test_section_refused),     cmocka_unit_test(test_criterion_refused),
		cmocka_unit_test(test_value_types_refused), cmocka_unit_test(test_stage_the_field_cannot_judge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
