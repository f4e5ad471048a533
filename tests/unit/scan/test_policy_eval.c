/* scan/policy_eval.c: every operator, values OR'ed and AND'ed, criteria AND'ed on one entity,
 * sections OR'ed, negation, what is not judged, the walk over workload, volumes, containers, images
 * and items with its messages, the message cap, stages and disabled policies, facts refused, and the
 * blocking helpers. */
#include "policy_facts.h"
#include "policy_unit.h"

#include <errno.h>

#define F_GZIP  "CVE-2022-1271 (high, CVSS 8.8) in gzip 1.10-4, fixed in 1.12-1"
#define F_CURL1 "CVE-2023-0001 (critical, CVSS 9.8) in curl 7.88.1-10, no fix yet"
#define F_CURL2 "CVE-2023-0002 (low) in curl 7.88.1-10, fixed in 7.88.1-11"
#define APP     "container \"app\" (image registry.example/team/app:1.2): "

static void test_equals(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Tag, values: ['1.2']}", NULL),
			     "container \"app\", image registry.example/team/app:1.2 has tag 1.2", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Tag, values: ['1.3']}", NULL));
	/* Equality is exact: no prefix, no case folding for a field that does not say so. */
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: CVE, values: [cve-2022-1271]}", NULL));
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: CVE, values: [CVE-2022]}", NULL));
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: CVE, operator: equals, values: [CVE-2022-1271]}", NULL),
	    F_GZIP, NULL);
}

static void test_regex_is_anchored_ere(void **state)
{
	(void)state;
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: CVE, operator: regex, values: ['CVE-2023-.*']}", NULL),
	    F_CURL1, F_CURL2, NULL);
	/* Anchored: a pattern matches the whole value, not a part of it. */
	unit_assert_no_match(
	    unit_messages("[build]", BUILD_FACTS, "{field: CVE, operator: regex, values: ['2023']}", NULL));
	/* ERE: alternation, classes and counts. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS,
					   "{field: CVE, operator: regex, values: ['CVE-(2022|1999)-[0-9]{4}']}", NULL),
			     F_GZIP, NULL);
	/* A case-insensitive field compares its regular expressions without case too. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, operator: regex, values: ['HOST.*']}", NULL),
	    "volume \"sock\" has type hostPath", NULL);
}

static void test_number_comparisons(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: ['> 9']}", NULL), F_CURL1,
			     NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: ['>=8.8']}", NULL), F_GZIP,
			     F_CURL1, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: ['<= 8.8']}", NULL), F_GZIP,
			     NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: ['< 8.8']}", NULL));
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: [8.8]}", NULL), F_GZIP, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, values: ['= 9.8']}", NULL), F_CURL1,
			     NULL);
	/* The operator once for all values. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, operator: '>', values: [9.0]}", NULL),
			     F_CURL1, NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Exposed Port, operator: '<', values: [1024]}", NULL),
	    "image exposes port 22", NULL);
}

static void test_severity_comparisons(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Severity, values: ['>= high']}", NULL),
			     F_GZIP, F_CURL1, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Severity, values: [low]}", NULL), F_CURL2,
			     NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Severity, operator: '<', values: [medium]}", NULL), F_CURL2,
	    NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Severity, values: ['>critical', '<=low']}", NULL), F_CURL2,
	    NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Severity, values: [medium]}", NULL));
}

static void test_exists(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Malware, operator: exists}", NULL),
			     "malware Eicar-Test-Signature in /tmp/eicar.com", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Runtime Class, operator: exists}", NULL),
			     "Deployment shop/web runs with runtime class runc", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Container Port, operator: exists}", NULL),
			     "container \"app\" listens on port 8080", "container \"sidecar\" listens on port 22",
			     NULL);
	/* Negated: the field has no value at all. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Container Port, operator: exists, negate: true}", NULL),
	    "container \"init\" has no container port", NULL);
}

static void test_values_or_and_all(void **state)
{
	(void)state;
	/* Values are OR'ed: one that matches is enough, and each match is named. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Package Name, values: [curl, wget]}", NULL),
			     "package curl 7.88.1-10", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Add Capabilities, values: [SYS_TIME, NET_ADMIN, SYS_ADMIN]}", NULL),
			     "container \"app\" adds capability NET_ADMIN, adds capability SYS_TIME", NULL);
	/* match: all: every value must be matched by the entity. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Workload Label, match: all, values: [app=web, tier=front]}", NULL),
			     "Deployment shop/web has label app=web, has label tier=front", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Workload Label, match: all, values: [app=web, tier=back]}", NULL));
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Workload Label, match: any, values: [app=web, tier=back]}", NULL),
			     "Deployment shop/web has label app=web", NULL);
}

static void test_criteria_and_on_one_entity(void **state)
{
	(void)state;
	/* The critical finding is not fixable, and the fixable ones are not critical: no match. */
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Fixable, values: [true]}",
					   "{field: Severity, values: [critical]}", NULL));
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Fixable, values: [true]}",
					   "{field: Severity, values: ['>= high']}", NULL),
			     F_GZIP, NULL);
	/* A package field beside finding fields judges the finding's package. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Package Name, values: [curl]}",
					   "{field: Fixable, values: [true]}", NULL),
			     F_CURL2, NULL);
	/* One container must be both privileged and listen on 22: app is one, sidecar the other. */
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Privileged Container, values: [true]}",
					   "{field: Container Port, values: [22]}", NULL));
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Privileged Container, values: [true]}",
					   "{field: Container Port, values: [8080]}", NULL),
			     "container \"app\" is privileged, listens on port 8080", NULL);
	/* Criteria on different entities: the container, its image and a finding of the image. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Privileged Container, values: [true]}",
			  "{field: Image User, values: [root]}", "{field: CVE, values: [CVE-2022-1271]}", NULL),
	    "container \"app\" is privileged, image registry.example/team/app:1.2 runs as user root: " F_GZIP, NULL);
}

static void test_siblings_each_need_a_match(void **state)
{
	(void)state;
	/* A hostPath volume and a privileged container: one of each, both named. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [hostPath]}",
					   "{field: Privileged Container, values: [true]}", NULL),
			     "volume \"sock\" has type hostPath", "container \"app\" is privileged", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [nfs]}",
					   "{field: Privileged Container, values: [true]}", NULL));
	/* Malware and a critical finding in the same image. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Malware, operator: exists}",
					   "{field: Severity, values: [critical]}", NULL),
			     F_CURL1, "malware Eicar-Test-Signature in /tmp/eicar.com", NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Malware, operator: exists}",
					   "{field: Severity, values: [negligible]}", NULL));
	/* The workload's own criteria and a container's. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Namespace, values: [shop]}",
					   "{field: Container Name, values: [sidecar]}", NULL),
			     "Deployment shop/web is in namespace shop", "container \"sidecar\" is named sidecar",
			     NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Namespace, values: [default]}",
					   "{field: Container Name, values: [sidecar]}", NULL));
}

static void test_sections_are_ored(void **state)
{
	(void)state;
	const char *yaml = "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: host-ns}\n"
			   "spec:\n  severity: critical\n  lifecycleStages: [deploy]\n  sections:\n"
			   "  - {name: net, criteria: [{field: Host Network, values: [true]}]}\n"
			   "  - {name: pid, criteria: [{field: Host PID, values: [true]}]}\n"
			   "  - {name: ipc, criteria: [{field: Host IPC, values: [true]}]}\n"
			   "  - {name: runc, criteria: [{field: Runtime Class, values: [runc]}]}\n";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = unit_policies(yaml);
	_cleanup_json_ json_t *v = unit_evaluate(set, DEPLOY_FACTS);
	assert_int_equal(json_array_size(v), 1);
	json_t *one = json_array_get(v, 0);
	assert_string_equal(json_string_value(json_object_get(one, "section")), "net");
	_cleanup_json_ json_t *want_sections = unit_json("[\"net\", \"runc\"]");
	assert_true(json_equal(json_object_get(one, "sections"), want_sections));
	_cleanup_json_ json_t *want = unit_json(
	    "[\"Deployment shop/web uses the host's network\", \"Deployment shop/web runs with runtime class runc\"]");
	assert_true(json_equal(json_object_get(one, "messages"), want));
	/* No section matches: no violation. */
	_cleanup_json_ json_t *none = unit_evaluate(
	    set, "{\"stage\": \"deploy\", \"workload\": {\"name\": \"w\", \"podSpec\": {\"containers\": []}}}");
	assert_int_equal(json_array_size(none), 0);
}

static void test_negation(void **state)
{
	(void)state;
	/* A negated criterion holds when no value of the entity matches, and says what is missing. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Runtime Class, values: [cocoon], negate: true}", NULL),
	    "Deployment shop/web has no runtime class cocoon", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Runtime Class, values: [runc, kata], negate: true}", NULL));
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Drop Capabilities, values: [ALL], negate: true}", NULL),
	    "container \"init\" has no dropped capability ALL", "container \"sidecar\" has no dropped capability ALL",
	    NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS,
			  "{field: Image Registry, operator: regex, values: ['registry\\.example'], negate: true}",
			  NULL),
	    "container \"init\", image busybox@" DIGEST " has no registry matching `registry\\.example`",
	    "container \"sidecar\", image nginx has no registry matching `registry\\.example`", NULL);
	/* A negated bool names the value the entity has. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Privileged Container, values: [false], negate: true}", NULL),
			     "container \"app\" is privileged", NULL);
	/* Negated match: all: not every value is there. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS,
			  "{field: Workload Label, match: all, values: [app=web, tier=back], negate: true}", NULL),
	    "Deployment shop/web has no label app=web and tier=back", NULL);
	/* Negated comparison. */
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Image Age, values: ['> 400'], negate: true}", NULL),
	    "image has no age > 400", NULL);
}

static void test_not_judged_never_matches(void **state)
{
	(void)state;
	/* No config in the report: the user is not known, so neither it nor its negation holds. */
	const char *facts = "{\"stage\": \"build\", \"image\": {\"image\": {\"repo_tags\": []}, \"findings\": []}}";
	unit_assert_no_match(unit_messages("[build]", facts, "{field: Image User, values: [root]}", NULL));
	unit_assert_no_match(
	    unit_messages("[build]", facts, "{field: Image User, values: [root], negate: true}", NULL));
	unit_assert_no_match(
	    unit_messages("[build]", facts, "{field: Image Age, values: ['> 1'], negate: true}", NULL));
	/* No tags: no reference to judge. */
	unit_assert_no_match(unit_messages("[build]", facts, "{field: Image Tag, values: [x], negate: true}", NULL));
	/* Nothing to judge at all. */
	unit_assert_no_match(unit_messages("[build]", "{\"stage\": \"build\", \"image\": null}",
					   "{field: CVE, operator: exists}", NULL));
	/* A container's image without a report: its items are not judged, Image Scanned says so. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: CVE, values: [CVE-2022-1271]}", NULL),
			     APP F_GZIP, NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Scanned, values: [false]}", NULL),
			     "container \"init\", image busybox@" DIGEST " has no scan report",
			     "container \"sidecar\", image nginx has no scan report", NULL);
}

static void test_images_without_a_workload(void **state)
{
	(void)state;
	/* At deploy without a workload (the daemon judging images it holds), each image is judged by its key. */
	const char *facts = "{\"stage\": \"deploy\", \"images\": {\"registry.example/team/app:1.2\": " REPORT
			    ", \"other:2\": {\"image\": {}, \"findings\": []}}}";
	unit_assert_messages(unit_messages("[deploy]", facts, "{field: Image Tag, operator: exists}", NULL),
			     "image registry.example/team/app:1.2 has tag 1.2", "image other:2 has tag 2", NULL);
	unit_assert_messages(unit_messages("[deploy]", facts, "{field: Malware, operator: exists}", NULL),
			     "malware Eicar-Test-Signature in /tmp/eicar.com", NULL);
	/* A build ignores a workload given beside the image. */
	const char *build = "{\"stage\": \"build\", \"image\": " REPORT ", \"workload\": " WORKLOAD "}";
	unit_assert_messages(unit_messages("[build]", build, "{field: Image Tag, values: [latest]}", NULL),
			     "image has tag latest", NULL);
	unit_assert_messages(
	    unit_messages("[build]", build, "{field: Environment Variable, operator: regex, values: ['DB_.*']}", NULL),
	    "image sets environment variable DB_PASSWORD", NULL);
}

static void test_message_cap(void **state)
{
	(void)state;
	char *findings = cc_xstrdup("");
	for (int i = 0; i < 60; i++) {
		char *more =
		    cc_xasprintf("%s%s{\"id\": \"CVE-2024-%04d\", \"package\": \"p\", \"installed_version\": \"1\","
				 " \"fixed_version\": \"2\", \"status\": \"fixed\", \"severity\": \"high\"}",
				 findings, i ? ", " : "", i);
		free(findings);
		findings = more;
	}
	char *facts = cc_xasprintf("{\"stage\": \"build\", \"image\": {\"findings\": [%s]}}", findings);
	json_t *messages = unit_messages("[build]", facts, "{field: Fixable, values: [true]}", NULL);
	assert_non_null(messages);
	assert_int_equal(json_array_size(messages), 51);
	assert_string_equal(json_string_value(json_array_get(messages, 0)), "CVE-2024-0000 (high) in p 1, fixed in 2");
	assert_string_equal(json_string_value(json_array_get(messages, 50)), "... and 10 more");
	json_decref(messages);
	free(facts);
	free(findings);
}

static void test_stages_and_disabled(void **state)
{
	(void)state;
	const char *yaml = "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: at-deploy}\n"
			   "spec: {severity: low, lifecycleStages: [deploy], sections: [{criteria: [{field: Malware, "
			   "operator: exists}]}]}\n"
			   "---\n"
			   "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: turned-off}\n"
			   "spec: {severity: low, disabled: true, lifecycleStages: [build], "
			   "sections: [{criteria: [{field: Malware, operator: exists}]}]}\n"
			   "---\n"
			   "apiVersion: cocoon.dev/v1\nkind: SecurityPolicy\nmetadata: {name: at-build}\n"
			   "spec: {severity: medium, lifecycleStages: [build, runtime], enforcement: {build: fail},"
			   " sections: [{criteria: [{field: Malware, operator: exists}]}]}\n";
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = unit_policies(yaml);
	_cleanup_json_ json_t *v = unit_evaluate(set, BUILD_FACTS);
	assert_int_equal(json_array_size(v), 1);
	json_t *one = json_array_get(v, 0);
	assert_string_equal(json_string_value(json_object_get(one, "policy")), "at-build");
	assert_string_equal(json_string_value(json_object_get(one, "severity")), "medium");
	assert_string_equal(json_string_value(json_object_get(one, "stage")), "build");
	assert_string_equal(json_string_value(json_object_get(one, "enforcement")), "fail");
	assert_string_equal(json_string_value(json_object_get(one, "section")), "section 1");
	assert_true(json_is_null(json_object_get(one, "remediation")) || !json_object_get(one, "remediation"));
	/* At runtime the same policy informs (no enforcement given for the stage). */
	_cleanup_json_ json_t *rt = unit_evaluate(
	    set, "{\"stage\": \"runtime\", \"image\": {\"malware\": [{\"path\": \"/x\", \"signature\": \"S\"}]}}");
	assert_int_equal(json_array_size(rt), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rt, 0), "enforcement")), "inform");
}

static void test_blocks_and_refusal(void **state)
{
	(void)state;
	_cleanup_json_ json_t *v = unit_json(
	    "[{\"policy\": \"a\", \"stage\": \"build\", \"enforcement\": \"fail\", \"messages\": [\"m1\", \"m2\"]},"
	    " {\"policy\": \"b\", \"stage\": \"build\", \"enforcement\": \"warn\", \"messages\": [\"m3\"]},"
	    " {\"policy\": \"c\", \"stage\": \"deploy\", \"enforcement\": \"deny\", \"messages\": [\"m4\"]}]");
	assert_true(scan_policy_blocks(v, SCAN_POLICY_STAGE_BUILD));
	assert_true(scan_policy_blocks(v, SCAN_POLICY_STAGE_DEPLOY));
	assert_false(scan_policy_blocks(v, SCAN_POLICY_STAGE_RUNTIME));
	_cleanup_free_ char *build = scan_policy_refusal(v, SCAN_POLICY_STAGE_BUILD);
	assert_string_equal(build, "policy \"a\": m1, m2");
	_cleanup_free_ char *deploy = scan_policy_refusal(v, SCAN_POLICY_STAGE_DEPLOY);
	assert_string_equal(deploy, "policy \"c\": m4");
	assert_null(scan_policy_refusal(v, SCAN_POLICY_STAGE_RUNTIME));
	/* deny does not fail a build, fail does not deny an admission. */
	_cleanup_json_ json_t *crossed =
	    unit_json("[{\"policy\": \"a\", \"stage\": \"build\", \"enforcement\": \"deny\", \"messages\": []},"
		      " {\"policy\": \"b\", \"stage\": \"deploy\", \"enforcement\": \"fail\", \"messages\": []}]");
	assert_false(scan_policy_blocks(crossed, SCAN_POLICY_STAGE_BUILD));
	assert_false(scan_policy_blocks(crossed, SCAN_POLICY_STAGE_DEPLOY));
	/* End to end: the default set denies the privileged container of the Deployment. */
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	_cleanup_json_ json_t *found = unit_evaluate(set, DEPLOY_FACTS);
	assert_true(scan_policy_blocks(found, SCAN_POLICY_STAGE_DEPLOY));
	_cleanup_free_ char *why = scan_policy_refusal(found, SCAN_POLICY_STAGE_DEPLOY);
	assert_non_null(strstr(why, "policy \"privileged-container\": container \"app\" is privileged"));
	assert_non_null(
	    strstr(why, "policy \"sensitive-host-path\": volume \"sock\" mounts host path /var/run/docker.sock"));
	assert_non_null(
	    strstr(why, "policy \"malware-in-image\": " APP "malware Eicar-Test-Signature in /tmp/eicar.com"));
	/* The secret in the environment is named, its value never shown. */
	char *all = json_dumps(found, 0);
	assert_non_null(strstr(all, "sets environment variable DB_PASSWORD"));
	assert_null(strstr(all, "s3cret"));
	assert_null(strstr(all, "from-image"));
	free(all);
}

static void refused(const char *facts_text, const char *word)
{
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	_cleanup_json_ json_t *facts = unit_json(facts_text);
	json_t *v = (json_t *)0x1;
	int r = scan_policy_evaluate(set, facts, &v, &err);
	if (r != -EINVAL)
		fail_msg("facts accepted (%d): %s", r, facts_text);
	assert_ptr_equal(v, (json_t *)0x1);
	if (!strstr(err.message, word))
		fail_msg("`%s` not in: %s", word, err.message);
}

static void test_facts_refused(void **state)
{
	(void)state;
	refused("[]", "not a JSON object");
	refused("{\"image\": null}", "`stage`");
	refused("{\"stage\": \"test\"}", "`stage`");
	refused("{\"stage\": \"build\", \"image\": \"x\"}", "`image`");
	refused("{\"stage\": \"build\", \"images\": []}", "`images`");
	refused("{\"stage\": \"build\", \"images\": {\"a\": 1}}", "images[\"a\"]");
	refused("{\"stage\": \"deploy\", \"workload\": 3}", "`workload`");
	refused("{\"stage\": \"deploy\", \"workload\": {\"podSpec\": []}}", "`podSpec`");
	refused("{\"stage\": \"deploy\", \"workload\": {\"podSpec\": {\"containers\": {}}}}", "`containers`");
	refused("{\"stage\": \"deploy\", \"workload\": {\"podSpec\": {\"containers\": [{\"image\": \"x\"}]}}}",
		"podSpec.containers[0]");
	refused("{\"stage\": \"deploy\", \"workload\": {\"podSpec\": {\"containers\": [{\"name\": \"a\", "
		"\"securityContext\": {\"privileged\": \"yes\"}}]}}}",
		"`privileged` is not a boolean");
	refused("{\"stage\": \"deploy\", \"workload\": {\"podSpec\": {\"volumes\": [{\"hostPath\": {}}]}}}",
		"podSpec.volumes[0]");
	refused("{\"stage\": \"build\", \"image\": {\"findings\": {}}}", "`findings`");
	refused("{\"stage\": \"build\", \"image\": {\"malware\": [\"x\"]}}", "malware[0]");
	refused("{\"stage\": \"build\", \"image\": {\"findings\": [{\"id\": 7}]}}", "`id` is not a string");
	refused("{\"stage\": \"build\", \"now\": \"yesterday\"}", "`now`");
	refused("{\"stage\": \"deploy\", \"workload\": {\"labels\": {\"a\": 1}, \"podSpec\": {}}}", "workload.labels");
}

static void test_facts_helper(void **state)
{
	(void)state;
	_cleanup_json_ json_t *report = unit_json(REPORT), *workload = unit_json(WORKLOAD);
	_cleanup_json_ json_t *build = scan_policy_facts(SCAN_POLICY_STAGE_BUILD, report, NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(build, "stage")), "build");
	assert_ptr_equal(json_object_get(build, "image"), report);
	assert_true(json_is_null(json_object_get(build, "workload")));
	assert_null(json_object_get(build, "images"));
	_cleanup_json_ json_t *images = json_pack("{s:O}", "registry.example/team/app:1.2", report);
	_cleanup_json_ json_t *deploy = scan_policy_facts(SCAN_POLICY_STAGE_DEPLOY, NULL, images, workload);
	assert_true(json_is_null(json_object_get(deploy, "image")));
	assert_ptr_equal(json_object_get(deploy, "workload"), workload);
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = scan_policy_set_new();
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_load_default(set, &err), 0);
	json_t *v = NULL;
	assert_int_equal(scan_policy_evaluate(set, deploy, &v, &err), 0);
	assert_true(scan_policy_blocks(v, SCAN_POLICY_STAGE_DEPLOY));
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equals),
		cmocka_unit_test(test_regex_is_anchored_ere),
		cmocka_unit_test(test_number_comparisons),
		cmocka_unit_test(test_severity_comparisons),
		cmocka_unit_test(test_exists),
		cmocka_unit_test(test_values_or_and_all),
		cmocka_unit_test(test_criteria_and_on_one_entity),
		cmocka_unit_test(test_siblings_each_need_a_match),
		cmocka_unit_test(test_sections_are_ored),
		cmocka_unit_test(test_negation),
		cmocka_unit_test(test_not_judged_never_matches),
		cmocka_unit_test(test_images_without_a_workload),
		cmocka_unit_test(test_message_cap),
		cmocka_unit_test(test_stages_and_disabled),
		cmocka_unit_test(test_blocks_and_refusal),
		cmocka_unit_test(test_facts_refused),
		cmocka_unit_test(test_facts_helper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
