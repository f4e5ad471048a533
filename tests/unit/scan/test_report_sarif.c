/* scan/report_sarif.c: the SARIF 2.1.0 log of a report: rules and results for findings, malware,
 * secrets and misconfigurations, the severity-to-level mapping, locations and fingerprints, and
 * entries with members missing. */
#include "report_unit.h"

static json_t *run_of(json_t *report, json_t **ret_log)
{
	struct scan_report_meta meta = unit_meta();
	json_t *log = scan_report_sarif(report, &meta);
	assert_non_null(log);
	unit_assert_str(json_string_value(json_object_get(log, "version")), "2.1.0");
	assert_int_equal(json_array_size(json_object_get(log, "runs")), 1);
	*ret_log = log;
	return json_array_get(json_object_get(log, "runs"), 0);
}

static json_t *rules(json_t *run)
{
	return json_object_get(json_object_get(json_object_get(run, "tool"), "driver"), "rules");
}

static json_t *result_of(json_t *run, const char *rule_id, size_t nth)
{
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(run, "results"), i, r)
		if (strcmp(json_string_value(json_object_get(r, "ruleId")), rule_id) == 0 && nth-- == 0)
			return r;
	fail_msg("no result %zu of rule `%s`", nth, rule_id);
	return NULL;
}

static const char *uri(json_t *result)
{
	json_t *physical = json_object_get(json_array_get(json_object_get(result, "locations"), 0), "physicalLocation");
	return json_string_value(json_object_get(json_object_get(physical, "artifactLocation"), "uri"));
}

static void test_driver_and_rules(void **state)
{
	(void)state;
	json_t *report = unit_report(), *log, *run = run_of(report, &log);
	json_t *driver = json_object_get(json_object_get(run, "tool"), "driver");
	unit_assert_str(json_string_value(json_object_get(driver, "name")), "cocoon");
	unit_assert_str(json_string_value(json_object_get(driver, "version")), "0.1.0");
	/* Three advisory ids, a signature, a secret rule, a check. */
	assert_int_equal(json_array_size(rules(run)), 6);
	json_t *cve = unit_find(rules(run), "id", "CVE-2022-1271");
	unit_assert_str(json_string_value(json_object_get(json_object_get(cve, "shortDescription"), "text")),
			"zgrep writes files");
	unit_assert_str(json_string_value(json_object_get(cve, "helpUri")),
			"https://nvd.nist.gov/vuln/detail/CVE-2022-1271");
	unit_assert_str(json_string_value(json_object_get(json_object_get(cve, "defaultConfiguration"), "level")),
			"error");
	unit_assert_str(json_string_value(json_object_get(json_object_get(cve, "properties"), "security-severity")),
			"8.0");
	/* Without a title the id describes the rule; a tracker id's page is the tracker's. */
	json_t *temp = unit_find(rules(run), "id", "TEMP-0000000-A1B2C3");
	unit_assert_str(json_string_value(json_object_get(json_object_get(temp, "shortDescription"), "text")),
			"TEMP-0000000-A1B2C3");
	unit_assert_str(json_string_value(json_object_get(temp, "helpUri")),
			"https://security-tracker.debian.org/tracker/TEMP-0000000-A1B2C3");
	unit_assert_str(json_string_value(json_object_get(json_object_get(temp, "defaultConfiguration"), "level")),
			"note");
	unit_assert_str(
	    json_string_value(json_object_get(
		json_object_get(unit_find(rules(run), "id", "CVE-2023-5678"), "defaultConfiguration"), "level")),
	    "warning");
	unit_find(rules(run), "id", "malware/Cocoon.Test.ClamExe");
	unit_find(rules(run), "id", "secret/aws-access-key-id");
	unit_find(rules(run), "id", "IMG-ROOT-USER");
	unit_assert_str(
	    json_string_value(json_object_get(json_array_get(json_object_get(run, "invocations"), 0), "endTimeUtc")),
	    "2023-11-14T22:13:20Z");
	json_decref(log);
	json_decref(report);
}

static void test_results(void **state)
{
	(void)state;
	json_t *report = unit_report(), *log, *run = run_of(report, &log);
	/* Four findings, one malware, one secret, one misconfiguration. */
	assert_int_equal(json_array_size(json_object_get(run, "results")), 7);
	json_t *gzip = result_of(run, "CVE-2022-1271", 0);
	unit_assert_str(json_string_value(json_object_get(gzip, "level")), "error");
	unit_assert_str(uri(gzip), "var/lib/dpkg/status");
	unit_assert_str(json_string_value(json_object_get(json_object_get(gzip, "message"), "text")),
			"gzip 1.10-4 is affected by CVE-2022-1271 (high): fixed in 1.12-1");
	unit_assert_str(json_string_value(json_object_get(json_object_get(gzip, "partialFingerprints"), "cocoon/v1")),
			"vulnerability/deb/gzip/CVE-2022-1271");
	json_t *props = json_object_get(gzip, "properties");
	unit_assert_str(json_string_value(json_object_get(props, "purl")),
			"pkg:deb/debian/gzip@1.10-4?arch=amd64&distro=debian-12");
	unit_assert_str(json_string_value(json_object_get(props, "fixed_version")), "1.12-1");
	/* ruleIndex points at the rule. */
	json_t *ssl = result_of(run, "CVE-2023-5678", 1);
	json_t *rule = json_array_get(rules(run), (size_t)json_integer_value(json_object_get(ssl, "ruleIndex")));
	unit_assert_str(json_string_value(json_object_get(rule, "id")), "CVE-2023-5678");
	unit_assert_str(json_string_value(json_object_get(json_object_get(ssl, "properties"), "package")), "openssl");
	unit_assert_str(json_string_value(json_object_get(result_of(run, "TEMP-0000000-A1B2C3", 0), "level")), "note");

	json_t *malware = result_of(run, "malware/Cocoon.Test.ClamExe", 0);
	unit_assert_str(json_string_value(json_object_get(malware, "level")), "error");
	unit_assert_str(uri(malware), "usr/bin/clam.exe");
	unit_assert_str(json_string_value(json_object_get(json_object_get(malware, "properties"), "layer")),
			"sha256:aa");

	json_t *secret = result_of(run, "secret/aws-access-key-id", 0);
	unit_assert_str(json_string_value(json_object_get(secret, "level")), "error");
	unit_assert_str(uri(secret), "root/.aws/credentials");
	json_t *region = json_object_get(
	    json_object_get(json_array_get(json_object_get(secret, "locations"), 0), "physicalLocation"), "region");
	assert_int_equal(json_integer_value(json_object_get(region, "startLine")), 2);
	unit_assert_str(json_string_value(json_object_get(json_object_get(secret, "message"), "text")),
			"AWS access key ID in /root/.aws/credentials, line 2");

	/* No path: no location; the check's message is the result's. */
	json_t *root = result_of(run, "IMG-ROOT-USER", 0);
	assert_null(json_object_get(root, "locations"));
	unit_assert_str(json_string_value(json_object_get(json_object_get(root, "message"), "text")),
			"the image sets no USER");
	unit_assert_str(json_string_value(json_object_get(json_object_get(root, "properties"), "field")),
			"config.User");
	json_decref(log);
	json_decref(report);
}

static void test_levels_and_missing_members(void **state)
{
	(void)state;
	/* Entries with almost nothing in them; one rule whose later result is more severe; a path
	 * that needs encoding; severities of every word. */
	json_t *report =
	    json_pack("{s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}, {s:s}],"
		      " s:[{}],"
		      " s:[{s:s, s:s}, {s:s, s:s, s:s}],"
		      " s:[{}, {s:s, s:s, s:s}]}",
		      "findings", "id", "CVE-1", "severity", "low", "id", "CVE-1", "severity", "critical", "id",
		      "CVE-2", "severity", "medium", "id", "CVE-3", "malware", "secrets", "rule", "r", "path",
		      "/a dir/fi#le:1", "rule", "r2", "severity", "negligible", "path", "x", "misconfigurations", "id",
		      "CHECK", "severity", "unknown", "path", "/etc/ssh/sshd_config");
	json_t *log, *run = run_of(report, &log);
	assert_int_equal(json_array_size(json_object_get(run, "results")), 9);
	json_t *cve1 = unit_find(rules(run), "id", "CVE-1");
	unit_assert_str(json_string_value(json_object_get(json_object_get(cve1, "defaultConfiguration"), "level")),
			"error");
	unit_assert_str(json_string_value(json_object_get(json_object_get(cve1, "properties"), "security-severity")),
			"9.5");
	unit_assert_str(json_string_value(json_object_get(result_of(run, "CVE-1", 0), "level")), "note");
	unit_assert_str(json_string_value(json_object_get(result_of(run, "CVE-1", 1), "level")), "error");
	unit_assert_str(json_string_value(json_object_get(result_of(run, "CVE-2", 0), "level")), "warning");
	/* A finding without a severity is unknown: a note, no score. */
	unit_assert_str(json_string_value(json_object_get(result_of(run, "CVE-3", 0), "level")), "note");
	assert_null(
	    json_object_get(json_object_get(unit_find(rules(run), "id", "CVE-3"), "properties"), "security-severity"));
	/* A finding of no known package has no location. */
	assert_null(json_object_get(result_of(run, "CVE-3", 0), "locations"));
	/* Malware without anything: still an error, of signature "unknown", nowhere. */
	json_t *m = result_of(run, "malware/unknown", 0);
	unit_assert_str(json_string_value(json_object_get(m, "level")), "error");
	assert_null(json_object_get(m, "locations"));
	json_t *s = result_of(run, "secret/r", 0);
	unit_assert_str(uri(s), "a%20dir/fi%23le%3A1");
	unit_assert_str(json_string_value(json_object_get(s, "level")), "note");
	assert_null(json_object_get(
	    json_object_get(json_array_get(json_object_get(s, "locations"), 0), "physicalLocation"), "region"));
	unit_assert_str(json_string_value(json_object_get(result_of(run, "secret/r2", 0), "level")), "note");
	/* A check without an id or anything else. */
	unit_find(rules(run), "id", "misconfiguration");
	unit_assert_str(uri(result_of(run, "CHECK", 0)), "etc/ssh/sshd_config");
	json_decref(log);
	json_decref(report);

	report = json_object();
	run = run_of(report, &log);
	assert_int_equal(json_array_size(json_object_get(run, "results")), 0);
	assert_int_equal(json_array_size(rules(run)), 0);
	json_decref(log);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_driver_and_rules),
		cmocka_unit_test(test_results),
		cmocka_unit_test(test_levels_and_missing_members),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
