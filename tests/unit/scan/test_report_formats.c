/* scan/report_formats.c: the table of formats, SOURCE_DATE_EPOCH and the documents' UUIDs, the
 * image's name, advisory addresses and the index from findings to packages. */
#include "report_unit.h"

#include <errno.h>
#include <stdlib.h>

static void test_format_table(void **state)
{
	(void)state;
	assert_ptr_equal(scan_report_format_find("cyclonedx")->convert, scan_report_cyclonedx);
	assert_ptr_equal(scan_report_format_find("spdx")->convert, scan_report_spdx);
	assert_ptr_equal(scan_report_format_find("sarif")->convert, scan_report_sarif);
	assert_null(scan_report_format_find("json"));
	assert_null(scan_report_format_find("CycloneDX"));
	assert_null(scan_report_format_find(NULL));
	/* Every converter refuses what is not a report, whatever the format. */
	struct scan_report_meta meta = unit_meta();
	json_t *array = json_array();
	assert_null(scan_report_cyclonedx(array, &meta));
	assert_null(scan_report_spdx(array, &meta));
	assert_null(scan_report_sarif(NULL, &meta));
	json_decref(array);
}

static bool uuid_shaped(const char *u, char version)
{
	if (strlen(u) != 36 || u[8] != '-' || u[13] != '-' || u[18] != '-' || u[23] != '-' || u[14] != version ||
	    !strchr("89ab", u[19]))
		return false;
	for (const char *c = u; *c; c++)
		if (*c != '-' && !strchr("0123456789abcdef", *c))
			return false;
	return true;
}

static void test_source_date_epoch(void **state)
{
	(void)state;
	json_t *report = unit_report(), *other = unit_report();
	json_object_set_new(other, "target", json_string("another.tar"));
	struct scan_report_meta a, b, c;
	struct cc_error err = { 0 };
	setenv("SOURCE_DATE_EPOCH", "1700000000", 1);
	assert_int_equal(scan_report_meta_init(&a, report, "0.1.0", &err), 0);
	assert_int_equal(scan_report_meta_init(&b, report, "0.1.0", &err), 0);
	assert_int_equal(scan_report_meta_init(&c, other, "0.1.0", &err), 0);
	assert_true(a.reproducible);
	assert_int_equal(a.timestamp, 1700000000);
	/* The same report, the same seed; another report, another. */
	assert_memory_equal(a.seed, b.seed, sizeof(a.seed));
	assert_memory_not_equal(a.seed, c.seed, sizeof(a.seed));
	char ts[32], u1[37], u2[37];
	scan_report_timestamp(&a, ts);
	assert_string_equal(ts, "2023-11-14T22:13:20Z");
	scan_report_uuid(&a, SCAN_REPORT_UUID_CYCLONEDX, u1);
	scan_report_uuid(&a, SCAN_REPORT_UUID_SPDX, u2);
	assert_true(uuid_shaped(u1, '8'));
	assert_true(uuid_shaped(u2, '8'));
	assert_string_not_equal(u1, u2);

	static const char *const bad[] = { "", "-1", "12x", " 12", "1e9", "9223372037", "99999999999999999999" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("SOURCE_DATE_EPOCH", bad[i], 1);
		struct scan_report_meta untouched = { .timestamp = 42 };
		cc_error_clear(&err);
		assert_int_equal(scan_report_meta_init(&untouched, report, "0.1.0", &err), -EINVAL);
		assert_non_null(strstr(err.message, "SOURCE_DATE_EPOCH"));
		assert_int_equal(untouched.timestamp, 42);
	}

	/* Without it: now, random, version 4. */
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(scan_report_meta_init(&a, report, "0.1.0", &err), 0);
	assert_int_equal(scan_report_meta_init(&b, report, "0.1.0", &err), 0);
	assert_false(a.reproducible);
	assert_true(a.timestamp > 1700000000);
	assert_memory_not_equal(a.seed, b.seed, sizeof(a.seed));
	scan_report_uuid(&a, SCAN_REPORT_UUID_SPDX, u1);
	assert_true(uuid_shaped(u1, '4'));
	json_decref(report);
	json_decref(other);
}

static void test_names_and_addresses(void **state)
{
	(void)state;
	json_t *report = unit_report();
	assert_string_equal(scan_report_image_name(report), "localhost/scan-test:1");
	json_array_clear(json_object_get(json_object_get(report, "image"), "repo_tags"));
	assert_string_equal(scan_report_image_name(report), "docker.tar");
	json_object_del(report, "target");
	assert_string_equal(scan_report_image_name(report), "image");
	json_decref(report);

	char *url = scan_report_advisory_url("CVE-2022-1271", NULL);
	assert_string_equal(url, "https://nvd.nist.gov/vuln/detail/CVE-2022-1271");
	free(url);
	url = scan_report_advisory_url("CVE-2022-1271", "debian-tracker");
	assert_string_equal(url, "https://security-tracker.debian.org/tracker/CVE-2022-1271");
	free(url);
	url = scan_report_advisory_url("GHSA-xxxx-yyyy-zzzz", "osv");
	assert_string_equal(url, "https://osv.dev/vulnerability/GHSA-xxxx-yyyy-zzzz");
	free(url);
	url = scan_report_advisory_url("CVE-2019-5747", "alpine-secdb");
	assert_string_equal(url, "https://security.alpinelinux.org/vuln/CVE-2019-5747");
	free(url);
	/* An id is one path segment, whatever it holds. */
	url = scan_report_advisory_url("TEMP-1/../x y", "debian-tracker");
	assert_string_equal(url, "https://security-tracker.debian.org/tracker/TEMP-1%2F..%2Fx%20y");
	free(url);
	assert_null(scan_report_advisory_url("TEMP-0000000-A1B2C3", NULL));
	assert_null(scan_report_advisory_url("X-1", "another-feed"));
	assert_null(scan_report_advisory_url(NULL, "osv"));
}

static void test_package_index(void **state)
{
	(void)state;
	json_t *report = unit_report();
	json_t *index = scan_report_package_index(json_object_get(report, "packages"));
	json_t *findings = json_object_get(report, "findings");
	/* openssl's advisory: libssl3 is the third package, openssl the fourth. */
	assert_int_equal(scan_report_finding_package(index, json_array_get(findings, 1)), 2);
	assert_int_equal(scan_report_finding_package(index, json_array_get(findings, 2)), 3);
	/* The version must match too, and the type. */
	json_t *f = json_deep_copy(json_array_get(findings, 0));
	json_object_set_new(f, "installed_version", json_string("1.12-1"));
	assert_int_equal(scan_report_finding_package(index, f), -1);
	json_object_set_new(f, "installed_version", json_string("1.10-4"));
	json_object_set_new(f, "package_type", json_string("apk"));
	assert_int_equal(scan_report_finding_package(index, f), -1);
	json_object_clear(f);
	assert_int_equal(scan_report_finding_package(index, f), -1);
	json_decref(f);
	json_decref(index);
	/* No packages at all. */
	index = scan_report_package_index(NULL);
	assert_int_equal(json_object_size(index), 0);
	json_decref(index);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_table),
		cmocka_unit_test(test_source_date_epoch),
		cmocka_unit_test(test_names_and_addresses),
		cmocka_unit_test(test_package_index),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
