/* The VulnerabilityReport's report section made from a scan report: the counts by severity (all
 * findings), the list sorted worst first and cut at the limit, trivy's severity names, the masked
 * secrets only. */
#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "platform/vuln_reports.h"
#include "unit.h"

static json_t *finding(const char *id, const char *severity, const char *fixed)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s, s:s, s:s, s:s}", "id", id, "package", "gzip",
			 "source_package", "gzip", "installed_version", "1.10-4", "fixed_version", fixed, "status",
			 fixed ? "fixed" : "unfixed", "severity", severity, "title", "t", "data_source",
			 "debian-tracker");
}

static json_t *scan_report(json_t *findings)
{
	return json_pack("{s:o, s:[{s:s, s:s, s:s}], s:[{s:s, s:i, s:s, s:s}], s:[], s:{s:s, s:s}, s:{s:s, s:s}, s:s}",
			 "findings", findings, "malware", "path", "/eicar.com", "signature", "Eicar-Test-Signature",
			 "engine", "clamav", "secrets", "path", "/app/credentials", "line", 1, "rule",
			 "aws-access-key-id", "match", "AKIA****", "misconfigurations", "os", "id", "debian",
			 "version_id", "12", "image", "digest", "sha256:abc", "id", "sha256:def", "scanned_at",
			 "2026-11-30T20:00:00Z");
}

static json_int_t count(const json_t *section, const char *key)
{
	return json_integer_value(json_object_get(json_object_get(section, "summary"), key));
}

static void test_counts_and_order(void **state)
{
	(void)state;
	json_t *findings = json_array();
	json_array_append_new(findings, finding("CVE-2099-0001", "low", "1.12-1"));
	json_array_append_new(findings, finding("CVE-2099-0002", "critical", NULL));
	json_array_append_new(findings, finding("CVE-2099-0003", "negligible", NULL));
	json_array_append_new(findings, finding("GHSA-xxxx-yyyy-zzzz", "high", "1.11"));
	json_array_append_new(findings, finding("CVE-2099-0004", "unknown", NULL));
	_cleanup_json_ json_t *report = scan_report(findings);
	_cleanup_json_ json_t *s = platform_vuln_report_section(report);
	assert_int_equal(count(s, "criticalCount"), 1);
	assert_int_equal(count(s, "highCount"), 1);
	assert_int_equal(count(s, "mediumCount"), 0);
	assert_int_equal(count(s, "lowCount"), 1);
	assert_int_equal(count(s, "noneCount"), 1);
	assert_int_equal(count(s, "unknownCount"), 1);
	assert_int_equal(count(s, "fixableCount"), 2);
	assert_int_equal(count(s, "malwareCount"), 1);
	assert_int_equal(count(s, "secretCount"), 1);
	const json_t *v = json_object_get(s, "vulnerabilities");
	assert_int_equal(json_array_size(v), 5);
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "severity")), "CRITICAL");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "fixedVersion")), "");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "vulnerabilityID")),
			    "GHSA-xxxx-yyyy-zzzz");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "primaryLink")),
			    "https://osv.dev/vulnerability/GHSA-xxxx-yyyy-zzzz");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 1), "fixedVersion")), "1.11");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 3), "severity")), "NONE");
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 4), "severity")), "UNKNOWN");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "os"), "family")), "debian");
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "artifact"), "digest")), "sha256:abc");
	assert_string_equal(json_string_value(json_object_get(s, "updateTimestamp")), "2026-11-30T20:00:00Z");
	const json_t *secret = json_array_get(json_object_get(s, "secrets"), 0);
	assert_string_equal(json_string_value(json_object_get(secret, "match")), "AKIA****");
}

static void test_list_is_cut_counts_are_not(void **state)
{
	(void)state;
	json_t *findings = json_array();
	for (int i = 0; i < PLATFORM_VULN_REPORT_MAX_ITEMS + 500; i++) {
		char id[32];
		snprintf(id, sizeof(id), "CVE-2099-%05d", i);
		json_array_append_new(
		    findings, finding(id, i == PLATFORM_VULN_REPORT_MAX_ITEMS + 499 ? "critical" : "low", NULL));
	}
	_cleanup_json_ json_t *report = scan_report(findings);
	_cleanup_json_ json_t *s = platform_vuln_report_section(report);
	const json_t *v = json_object_get(s, "vulnerabilities");
	assert_int_equal(json_array_size(v), PLATFORM_VULN_REPORT_MAX_ITEMS);
	assert_int_equal(count(s, "lowCount"), PLATFORM_VULN_REPORT_MAX_ITEMS + 499);
	assert_int_equal(count(s, "criticalCount"), 1);
	/* the worst is kept whatever its place in the scan */
	assert_string_equal(json_string_value(json_object_get(json_array_get(v, 0), "severity")), "CRITICAL");
}

static void test_empty_report(void **state)
{
	(void)state;
	_cleanup_json_ json_t *report = json_object();
	_cleanup_json_ json_t *s = platform_vuln_report_section(report);
	assert_int_equal(json_array_size(json_object_get(s, "vulnerabilities")), 0);
	assert_int_equal(count(s, "criticalCount"), 0);
	assert_string_equal(json_string_value(json_object_get(json_object_get(s, "os"), "family")), "");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts_and_order),
		cmocka_unit_test(test_list_is_cut_counts_are_not),
		cmocka_unit_test(test_empty_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
