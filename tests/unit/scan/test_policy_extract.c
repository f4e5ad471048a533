/* scan/policy_extract.c: every field read from a scan report, against the facts of policy_facts.h
 * and variations: the image's references (docker.io and library/ for short names, latest for none),
 * its config (User, created, ExposedPorts), its OS, whether it was scanned, and one finding, package,
 * malware, secret or misconfiguration; members of the wrong type refused. */
#include "policy_facts.h"
#include "policy_unit.h"

#include <errno.h>

#define F_GZIP  "CVE-2022-1271 (high, CVSS 8.8) in gzip 1.10-4, fixed in 1.12-1"
#define F_CURL1 "CVE-2023-0001 (critical, CVSS 9.8) in curl 7.88.1-10, no fix yet"
#define F_CURL2 "CVE-2023-0002 (low) in curl 7.88.1-10, fixed in 7.88.1-11"
#define INIT    "container \"init\", image busybox@" DIGEST
#define APP     "container \"app\", image registry.example/team/app:1.2"
#define SIDECAR "container \"sidecar\", image nginx"

/* Build facts of a report whose image has one tag and the config given (JSON text). */
static char *config_facts(const char *config)
{
	return cc_xasprintf("{\"stage\": \"build\", \"now\": \"2025-01-01T00:00:00Z\", \"image\": {\"image\": "
			    "{\"repo_tags\": [\"app:1\"], \"config\": %s}}}",
			    config);
}

static void eval_refused(const char *criterion, const char *stages, const char *facts, const char *word)
{
	char *yaml = unit_policy_yaml(stages, criterion, NULL);
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = unit_policies(yaml);
	free(yaml);
	_cleanup_json_ json_t *f = unit_json(facts);
	json_t *v = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_evaluate(set, f, &v, &err), -EINVAL);
	assert_null(v);
	if (!strstr(err.message, word))
		fail_msg("`%s` not in: %s", word, err.message);
}

static void test_image_registry_and_remote(void **state)
{
	(void)state;
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Registry, values: [docker.io]}", NULL),
	    INIT " is from registry docker.io", SIDECAR " is from registry docker.io", NULL);
	/* Registries compare without case. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Registry, values: [Registry.Example]}", NULL),
	    APP " is from registry registry.example", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Remote, values: [library/nginx, team/app]}", NULL),
	    APP " is named team/app", SIDECAR " is named library/nginx", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Remote, values: [library/busybox]}", NULL),
	    INIT " is named library/busybox", NULL);
	/* A registry of its own does not get library/. */
	_cleanup_free_ char *facts = config_facts("{}");
	unit_assert_messages(unit_messages("[build]", facts, "{field: Image Remote, values: [library/app]}", NULL),
			     "image app:1 is named library/app", NULL);
	unit_assert_no_match(unit_messages(
	    "[build]", "{\"stage\": \"build\", \"image\": {\"image\": {\"repo_tags\": [\"localhost:5000/app:1\"]}}}",
	    "{field: Image Remote, values: [library/app]}", NULL));
}

static void test_image_tag_and_digest(void **state)
{
	(void)state;
	/* Build: every tag the image was given. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Image Tag, values: [latest]}", NULL),
			     "image has tag latest", NULL);
	_cleanup_free_ char *facts = config_facts("{}");
	unit_assert_messages(unit_messages("[build]", facts, "{field: Image Tag, values: ['1']}", NULL),
			     "image app:1 has tag 1", NULL);
	/* Deploy: no tag means latest; a digest alone has no tag. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Tag, values: [latest]}", NULL),
			     SIDECAR " has tag latest", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Tag, operator: exists, negate: true}", NULL),
	    INIT " has no tag", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Referenced By Digest, values: [true]}", NULL),
	    INIT " is referenced by digest", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Referenced By Digest, values: [false]}", NULL),
	    APP " is not referenced by digest", SIDECAR " is not referenced by digest", NULL);
	/* Not a reference: nothing to say of it. */
	unit_assert_no_match(unit_messages(
	    "[build]", "{\"stage\": \"build\", \"image\": {\"image\": {\"repo_tags\": [\"Not A Reference\"]}}}",
	    "{field: Image Tag, operator: exists}", NULL));
}

static void test_image_user(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Image User, values: [root]}", NULL),
			     "image runs as user root", NULL);
	static const struct {
		const char *config, *user;
	} cases[] = {
		{ "{\"config\": {\"User\": \"1000:1000\"}}", "1000" },
		{ "{\"config\": {\"User\": \"nginx\"}}", "nginx" },
		{ "{\"config\": {\"User\": \"0\"}}", "0" },
		{ "{\"config\": {\"User\": \":100\"}}", "root" }, /* a group alone: the user is root */
		{ "{\"config\": {}}", "root" },
		{ "{}", "root" }, /* OCI: config is optional */
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
		_cleanup_free_ char *facts = config_facts(cases[i].config);
		_cleanup_free_ char *want = cc_xasprintf("image app:1 runs as user %s", cases[i].user);
		unit_assert_messages(unit_messages("[build]", facts, "{field: Image User, operator: exists}", NULL),
				     want, NULL);
	}
	_cleanup_free_ char *bad = config_facts("{\"config\": {\"User\": 0}}");
	eval_refused("{field: Image User, values: [root]}", "[build]", bad, "`User` is not a string");
	_cleanup_free_ char *bad_config = config_facts("[]");
	eval_refused("{field: Image User, values: [root]}", "[build]", bad_config, "`config` is not an object");
}

static void test_image_age(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Image Age, values: [366]}", NULL),
			     "image was created 366 days ago", NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Image Age, values: ['> 365']}", NULL),
			     "image was created 366 days ago", NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Image Age, values: ['> 366']}", NULL));
	/* Created tomorrow: a negative age. */
	_cleanup_free_ char *future = config_facts("{\"created\": \"2025-01-01T12:00:00+00:00\"}");
	unit_assert_messages(unit_messages("[build]", future, "{field: Image Age, values: ['< 0']}", NULL),
			     "image app:1 was created -1 days ago", NULL);
	/* Go's zero time (before 1678) and no `created`: not judged. */
	_cleanup_free_ char *zero = config_facts("{\"created\": \"0001-01-01T00:00:00Z\"}");
	unit_assert_no_match(unit_messages("[build]", zero, "{field: Image Age, values: ['>= 0']}", NULL));
	_cleanup_free_ char *none = config_facts("{}");
	unit_assert_no_match(
	    unit_messages("[build]", none, "{field: Image Age, values: ['>= 0'], negate: true}", NULL));
	_cleanup_free_ char *bad = config_facts("{\"created\": 5}");
	eval_refused("{field: Image Age, values: [1]}", "[build]", bad, "`created` is not a string");
}

static void test_exposed_port_os_scanned(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Exposed Port, values: [22, 443]}", NULL),
			     "image exposes port 22", NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Exposed Port, values: ['>= 1024']}", NULL),
			     "image exposes port 8080", NULL);
	_cleanup_free_ char *udp = config_facts("{\"config\": {\"ExposedPorts\": {\"53/udp\": {}, \"9000\": {}}}}");
	unit_assert_messages(unit_messages("[build]", udp, "{field: Exposed Port, operator: exists}", NULL),
			     "image app:1 exposes port 53, exposes port 9000", NULL);
	_cleanup_free_ char *bad = config_facts("{\"config\": {\"ExposedPorts\": {\"http/tcp\": {}}}}");
	eval_refused("{field: Exposed Port, values: [80]}", "[build]", bad, "`http/tcp` is not PORT/PROTOCOL");
	_cleanup_free_ char *big = config_facts("{\"config\": {\"ExposedPorts\": {\"70000/tcp\": {}}}}");
	eval_refused("{field: Exposed Port, values: [80]}", "[build]", big, "`70000/tcp` is not PORT/PROTOCOL");

	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Image OS, values: ['debian:12']}", NULL),
			     "image runs debian:12", NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS,
					   "{field: Image OS, operator: regex, values: ['debian:(11|12)']}", NULL),
			     "image runs debian:12", NULL);
	unit_assert_no_match(unit_messages("[build]", "{\"stage\": \"build\", \"image\": {\"os\": null}}",
					   "{field: Image OS, operator: exists}", NULL));
	unit_assert_messages(unit_messages("[build]",
					   "{\"stage\": \"build\", \"image\": {\"os\": {\"id\": \"alpine\"}}}",
					   "{field: Image OS, operator: exists}", NULL),
			     "image runs alpine", NULL);

	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Image Scanned, values: [true]}", NULL),
			     APP " has a scan report", NULL);
}

static void test_findings(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVE, values: [CVE-2023-0002]}", NULL),
			     F_CURL2, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Severity, values: [critical]}", NULL),
			     F_CURL1, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: CVSS, operator: exists}", NULL), F_GZIP,
			     F_CURL1, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Fixable, values: [false]}", NULL), F_CURL1,
			     NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Fixable, values: [true]}", NULL), F_GZIP,
			     F_CURL2, NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Fixed By, values: ['7.88.1-11']}", NULL),
			     F_CURL2, NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Fixed By, operator: regex, values: ['1\\..*']}", NULL),
	    F_GZIP, NULL);
	/* A severity the scale does not know counts as unknown; status fixed is fixable, "" is not. */
	const char *odd = "{\"stage\": \"build\", \"image\": {\"findings\": ["
			  "{\"id\": \"A\", \"severity\": \"bogus\", \"status\": \"fixed\"},"
			  "{\"id\": \"B\", \"severity\": \"low\", \"fixed_version\": \"\", \"cvss\": null}]}}";
	unit_assert_messages(unit_messages("[build]", odd, "{field: Severity, values: [unknown]}", NULL),
			     "A (bogus) in ? ?, no fix yet", NULL);
	unit_assert_messages(unit_messages("[build]", odd, "{field: Fixable, values: [true]}", NULL),
			     "A (bogus) in ? ?, no fix yet", NULL);
	unit_assert_no_match(unit_messages("[build]", odd, "{field: CVSS, operator: exists}", NULL));
	eval_refused("{field: CVSS, values: [1]}", "[build]",
		     "{\"stage\": \"build\", \"image\": {\"findings\": [{\"id\": \"A\", \"cvss\": \"high\"}]}}",
		     "`cvss` is not a number");
	eval_refused(
	    "{field: CVSS, values: [1]}", "[build]",
	    "{\"stage\": \"build\", \"image\": {\"findings\": [{\"id\": \"A\", \"cvss\": {\"score\": \"9\"}}]}}",
	    "`score` is not a number");
	eval_refused("{field: Fixable, values: [true]}", "[build]",
		     "{\"stage\": \"build\", \"image\": {\"findings\": [{\"id\": \"A\", \"status\": 1}]}}",
		     "`status` is not a string");
}

static void test_packages(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Package Name, values: [gzip]}", NULL),
			     "package gzip 1.10-4", NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Package Version, values: ['7.88.1-10']}", NULL),
	    "package curl 7.88.1-10", NULL);
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Package Name, values: [gzip]}",
					   "{field: Package Version, values: ['1.10-4']}", NULL),
			     "package gzip 1.10-4", NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Package Name, values: [gzip]}",
					   "{field: Package Version, values: ['7.88.1-10']}", NULL));
	/* Beside a finding field: the finding's package and installed version. */
	unit_assert_messages(unit_messages("[build]", BUILD_FACTS, "{field: Package Version, values: ['1.10-4']}",
					   "{field: CVE, operator: exists}", NULL),
			     F_GZIP, NULL);
	eval_refused("{field: Package Name, values: [x]}", "[build]",
		     "{\"stage\": \"build\", \"image\": {\"packages\": [{\"name\": [\"x\"]}]}}",
		     "`name` is not a string");
}

static void test_malware_secrets_misconfigurations(void **state)
{
	(void)state;
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Malware, values: [Eicar-Test-Signature]}", NULL),
	    "malware Eicar-Test-Signature in /tmp/eicar.com", NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Malware, operator: regex, values: ['Eicar.*']}", NULL),
	    "malware Eicar-Test-Signature in /tmp/eicar.com", NULL);
	unit_assert_no_match(unit_messages("[build]", BUILD_FACTS, "{field: Malware, values: [Win.Trojan]}", NULL));
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Secret, values: [aws-access-key-id]}", NULL),
	    "secret aws-access-key-id (AWS Access Key ID) in /app/.env line 3", NULL);
	const char *m = "misconfiguration IMG-ROOT-USER (medium): config.User is empty: the image runs as root";
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Misconfiguration, values: [IMG-ROOT-USER]}", NULL), m, NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Misconfiguration Category, values: [image-config]}", NULL),
	    m, NULL);
	unit_assert_messages(
	    unit_messages("[build]", BUILD_FACTS, "{field: Misconfiguration Severity, values: ['>= medium']}", NULL), m,
	    NULL);
	unit_assert_no_match(
	    unit_messages("[build]", BUILD_FACTS, "{field: Misconfiguration Severity, values: ['>= high']}", NULL));
	/* An empty list and an absent one: nothing found. */
	unit_assert_no_match(unit_messages("[build]", "{\"stage\": \"build\", \"image\": {\"malware\": []}}",
					   "{field: Malware, operator: exists}", NULL));
	unit_assert_no_match(unit_messages("[build]", "{\"stage\": \"build\", \"image\": {}}",
					   "{field: Secret, operator: exists}", NULL));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_image_registry_and_remote),
		cmocka_unit_test(test_image_tag_and_digest),
		cmocka_unit_test(test_image_user),
		cmocka_unit_test(test_image_age),
		cmocka_unit_test(test_exposed_port_os_scanned),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_packages),
		cmocka_unit_test(test_malware_secrets_misconfigurations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
