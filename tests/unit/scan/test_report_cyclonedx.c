/* scan/report_cyclonedx.c: the BOM of a report with packages of three package managers, findings
 * of which two share a source package, and the edges of the format (no OS, no packages, members
 * missing). The schema itself is checked in tests/integration/scan_formats.bats. */
#include "report_unit.h"

static json_t *bom_of(json_t *report)
{
	struct scan_report_meta meta = unit_meta();
	json_t *bom = scan_report_cyclonedx(report, &meta);
	assert_non_null(bom);
	return bom;
}

static const char *property(const json_t *obj, const char *name)
{
	return json_string_value(json_object_get(unit_find(json_object_get(obj, "properties"), "name", name), "value"));
}

static void test_document(void **state)
{
	(void)state;
	json_t *report = unit_report(), *bom = bom_of(report);
	unit_assert_str(json_string_value(json_object_get(bom, "bomFormat")), "CycloneDX");
	unit_assert_str(json_string_value(json_object_get(bom, "specVersion")), "1.5");
	/* The serial number: the first half of the seed, version 8 since the meta is reproducible. */
	unit_assert_str(json_string_value(json_object_get(bom, "serialNumber")),
			"urn:uuid:00010203-0405-8607-8809-0a0b0c0d0e0f");
	json_t *metadata = json_object_get(bom, "metadata");
	unit_assert_str(json_string_value(json_object_get(metadata, "timestamp")), "2023-11-14T22:13:20Z");
	json_t *tool = json_array_get(json_object_get(json_object_get(metadata, "tools"), "components"), 0);
	unit_assert_str(json_string_value(json_object_get(tool, "name")), "cocoon");
	unit_assert_str(json_string_value(json_object_get(tool, "version")), "0.1.0");
	json_t *image = json_object_get(metadata, "component");
	unit_assert_str(json_string_value(json_object_get(image, "type")), "container");
	unit_assert_str(json_string_value(json_object_get(image, "name")), "localhost/scan-test:1");
	unit_assert_str(json_string_value(json_object_get(image, "version")), "sha256:0123abcd");
	unit_assert_str(property(metadata, "cocoon:scan:warning"), "an rpm database in a format not read");
	json_decref(bom);
	json_decref(report);
}

static void test_components(void **state)
{
	(void)state;
	json_t *report = unit_report(), *bom = bom_of(report);
	json_t *components = json_object_get(bom, "components");
	/* The OS first, then the seven packages. */
	assert_int_equal(json_array_size(components), 8);
	json_t *os = json_array_get(components, 0);
	unit_assert_str(json_string_value(json_object_get(os, "type")), "operating-system");
	unit_assert_str(json_string_value(json_object_get(os, "name")), "debian");
	unit_assert_str(json_string_value(json_object_get(os, "version")), "12");

	json_t *bash = unit_find(components, "name", "bash");
	unit_assert_str(json_string_value(json_object_get(bash, "type")), "library");
	unit_assert_str(json_string_value(json_object_get(bash, "purl")),
			"pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2");
	unit_assert_str(json_string_value(json_object_get(bash, "bom-ref")),
			json_string_value(json_object_get(bash, "purl")));
	unit_assert_str(property(bash, "cocoon:package:source_version"), "5.2.15-2");
	unit_assert_str(property(bash, "cocoon:package:db_path"), "/var/lib/dpkg/status");
	assert_null(json_object_get(bash, "licenses")); /* dpkg keeps none */

	/* An SPDX expression is the one expression, in the list's case; other words a named license. */
	json_t *busybox = unit_find(components, "name", "busybox");
	unit_assert_str(
	    json_string_value(json_object_get(json_array_get(json_object_get(busybox, "licenses"), 0), "expression")),
	    "GPL-2.0-only");
	json_t *nm = unit_find(components, "name", "NetworkManager");
	json_t *named = json_object_get(json_array_get(json_object_get(nm, "licenses"), 0), "license");
	unit_assert_str(json_string_value(json_object_get(named, "name")), "GPLv2+ and LGPLv2+");
	unit_assert_str(json_string_value(json_object_get(nm, "purl")),
			"pkg:rpm/debian/NetworkManager@1.46.0-1.fc40?arch=x86_64&distro=debian-12&epoch=1");

	/* The image contains the OS, the OS every package. */
	json_t *deps = json_object_get(bom, "dependencies");
	json_t *image = unit_find(deps, "ref", "image");
	assert_int_equal(json_array_size(json_object_get(image, "dependsOn")), 1);
	unit_assert_str(json_string_value(json_array_get(json_object_get(image, "dependsOn"), 0)), "os");
	json_t *on = json_object_get(unit_find(deps, "ref", "os"), "dependsOn");
	assert_int_equal(json_array_size(on), 7);
	unit_assert_str(json_string_value(json_array_get(on, 1)), json_string_value(json_object_get(bash, "bom-ref")));
	json_decref(bom);
	json_decref(report);
}

static void test_vulnerabilities(void **state)
{
	(void)state;
	json_t *report = unit_report(), *bom = bom_of(report);
	json_t *vulns = json_object_get(bom, "vulnerabilities");
	/* openssl's advisory is one vulnerability affecting libssl3 and openssl. */
	assert_int_equal(json_array_size(vulns), 3);
	json_t *gzip = unit_find(vulns, "id", "CVE-2022-1271");
	json_t *source = json_object_get(gzip, "source");
	unit_assert_str(json_string_value(json_object_get(source, "name")), "debian-tracker");
	unit_assert_str(json_string_value(json_object_get(source, "url")),
			"https://security-tracker.debian.org/tracker/CVE-2022-1271");
	unit_assert_str(
	    json_string_value(json_object_get(json_array_get(json_object_get(gzip, "advisories"), 0), "url")),
	    "https://nvd.nist.gov/vuln/detail/CVE-2022-1271");
	json_t *rating = json_array_get(json_object_get(gzip, "ratings"), 0);
	unit_assert_str(json_string_value(json_object_get(rating, "severity")), "high");
	unit_assert_str(json_string_value(json_object_get(gzip, "description")), "zgrep writes files");
	assert_non_null(strstr(json_string_value(json_object_get(gzip, "recommendation")), "1.12-1"));
	unit_assert_str(
	    json_string_value(json_array_get(json_object_get(json_object_get(gzip, "analysis"), "response"), 0)),
	    "update");
	json_t *affects = json_object_get(gzip, "affects");
	assert_int_equal(json_array_size(affects), 1);
	unit_assert_str(json_string_value(json_object_get(json_array_get(affects, 0), "ref")),
			"pkg:deb/debian/gzip@1.10-4?arch=amd64&distro=debian-12");
	json_t *version = json_array_get(json_object_get(json_array_get(affects, 0), "versions"), 0);
	unit_assert_str(json_string_value(json_object_get(version, "version")), "1.10-4");
	unit_assert_str(json_string_value(json_object_get(version, "status")), "affected");

	json_t *ssl = unit_find(vulns, "id", "CVE-2023-5678");
	assert_int_equal(json_array_size(json_object_get(ssl, "affects")), 2);
	unit_assert_str(property(ssl, "cocoon:finding:source_package"), "openssl");

	/* Unfixed: no recommendation, no analysis; negligible is CycloneDX's info; an empty title none. */
	json_t *bash = unit_find(vulns, "id", "TEMP-0000000-A1B2C3");
	assert_null(json_object_get(bash, "recommendation"));
	assert_null(json_object_get(bash, "analysis"));
	assert_null(json_object_get(bash, "advisories"));
	assert_null(json_object_get(bash, "description"));
	unit_assert_str(
	    json_string_value(json_object_get(json_array_get(json_object_get(bash, "ratings"), 0), "severity")),
	    "info");
	json_decref(bom);
	json_decref(report);
}

static void test_sparse_report(void **state)
{
	(void)state;
	/* No OS, no image id or tags, no findings, a finding whose package is not listed, a package
	 * of another package manager, two packages with one purl. */
	json_t *report = json_pack("{s:s, s:{s:s}, s:n, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}],"
				   " s:[{s:s, s:s, s:s, s:s}]}",
				   "target", "rootfs", "image", "format", "rootfs-dir", "os", "packages", "type", "deb",
				   "name", "zlib1g", "version", "1", "type", "deb", "name", "zlib1g", "version", "1",
				   "type", "npm", "name", "left-pad", "findings", "id", "CVE-1", "package", "gone",
				   "package_type", "deb", "installed_version", "1");
	json_t *bom = bom_of(report);
	json_t *components = json_object_get(bom, "components");
	assert_int_equal(json_array_size(components), 3);
	unit_assert_str(json_string_value(json_object_get(json_array_get(components, 0), "bom-ref")),
			"pkg:deb/zlib1g@1");
	unit_assert_str(json_string_value(json_object_get(json_array_get(components, 1), "bom-ref")), "package-1");
	unit_assert_str(json_string_value(json_object_get(json_array_get(components, 2), "bom-ref")), "package-2");
	assert_null(json_object_get(json_array_get(components, 2), "purl"));
	json_t *image = json_object_get(json_object_get(bom, "metadata"), "component");
	unit_assert_str(json_string_value(json_object_get(image, "name")), "rootfs");
	assert_null(json_object_get(image, "version"));
	/* Without an OS the image holds the packages itself. */
	json_t *deps = json_object_get(bom, "dependencies");
	assert_int_equal(json_array_size(deps), 1);
	assert_int_equal(json_array_size(json_object_get(json_array_get(deps, 0), "dependsOn")), 3);
	assert_null(json_object_get(bom, "vulnerabilities"));
	json_decref(bom);
	json_decref(report);

	report = json_object();
	bom = bom_of(report);
	assert_int_equal(json_array_size(json_object_get(bom, "components")), 0);
	json_decref(bom);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_components),
		cmocka_unit_test(test_vulnerabilities),
		cmocka_unit_test(test_sparse_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
