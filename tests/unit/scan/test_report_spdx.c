/* scan/report_spdx.c: the SPDX 2.3 document of a report: what SPDX requires of every package, valid
 * and unique SPDXIDs (names with "+" in them, two packages of one name), licenses only as valid
 * expressions, purls and advisories as external references, DESCRIBES and CONTAINS. */
#include "report_unit.h"

static json_t *document_of(json_t *report)
{
	struct scan_report_meta meta = unit_meta();
	json_t *doc = scan_report_spdx(report, &meta);
	assert_non_null(doc);
	return doc;
}

/* SPDX 2.3 §7.2's idstring after "SPDXRef-". */
static bool valid_spdxid(const char *id)
{
	if (!id || strncmp(id, "SPDXRef-", 8) != 0 || !id[8])
		return false;
	for (const char *c = id + 8; *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.' ||
		      *c == '-'))
			return false;
	return true;
}

static json_t *package_named(json_t *doc, const char *name)
{
	return unit_find(json_object_get(doc, "packages"), "name", name);
}

static void test_document(void **state)
{
	(void)state;
	json_t *report = unit_report(), *doc = document_of(report);
	unit_assert_str(json_string_value(json_object_get(doc, "spdxVersion")), "SPDX-2.3");
	unit_assert_str(json_string_value(json_object_get(doc, "dataLicense")), "CC0-1.0");
	unit_assert_str(json_string_value(json_object_get(doc, "SPDXID")), "SPDXRef-DOCUMENT");
	unit_assert_str(json_string_value(json_object_get(doc, "name")), "localhost/scan-test:1");
	/* The second half of the seed; the name encoded, no "#". */
	unit_assert_str(
	    json_string_value(json_object_get(doc, "documentNamespace")),
	    "https://spdx.org/spdxdocs/cocoon-scan-localhost%2Fscan-test:1-10111213-1415-8617-9819-1a1b1c1d1e1f");
	json_t *info = json_object_get(doc, "creationInfo");
	unit_assert_str(json_string_value(json_object_get(info, "created")), "2023-11-14T22:13:20Z");
	unit_assert_str(json_string_value(json_array_get(json_object_get(info, "creators"), 0)), "Tool: cocoon-0.1.0");
	assert_non_null(strstr(json_string_value(json_object_get(info, "comment")), "format not read"));
	json_decref(doc);
	json_decref(report);
}

static void test_packages(void **state)
{
	(void)state;
	json_t *report = unit_report(), *doc = document_of(report);
	json_t *packages = json_object_get(doc, "packages");
	/* The image, the OS and seven packages. */
	assert_int_equal(json_array_size(packages), 9);
	json_t *seen = json_object();
	size_t i;
	json_t *p;
	json_array_foreach (packages, i, p) {
		const char *id = json_string_value(json_object_get(p, "SPDXID"));
		if (!valid_spdxid(id))
			fail_msg("`%s` is not an SPDXID", id);
		assert_null(json_object_get(seen, id));
		json_object_set_new(seen, id, json_true());
		unit_assert_str(json_string_value(json_object_get(p, "downloadLocation")), "NOASSERTION");
		assert_true(json_is_false(json_object_get(p, "filesAnalyzed")));
		unit_assert_str(json_string_value(json_object_get(p, "licenseConcluded")), "NOASSERTION");
		assert_non_null(json_object_get(p, "primaryPackagePurpose"));
	}
	json_decref(seen);
	unit_assert_str(json_string_value(json_object_get(json_array_get(packages, 0), "primaryPackagePurpose")),
			"CONTAINER");
	unit_assert_str(json_string_value(json_object_get(json_array_get(packages, 0), "versionInfo")),
			"sha256:0123abcd");
	unit_assert_str(json_string_value(json_object_get(json_array_get(packages, 1), "primaryPackagePurpose")),
			"OPERATING-SYSTEM");

	json_t *libstdcxx = package_named(doc, "libstdc++6");
	assert_non_null(
	    strstr(json_string_value(json_object_get(libstdcxx, "SPDXID")), "SPDXRef-Package-deb-libstdc--6-"));
	unit_assert_str(json_string_value(json_object_get(libstdcxx, "versionInfo")), "12.2.0-14");
	json_t *purl = json_array_get(json_object_get(libstdcxx, "externalRefs"), 0);
	unit_assert_str(json_string_value(json_object_get(purl, "referenceCategory")), "PACKAGE-MANAGER");
	unit_assert_str(json_string_value(json_object_get(purl, "referenceType")), "purl");
	unit_assert_str(json_string_value(json_object_get(purl, "referenceLocator")),
			"pkg:deb/debian/libstdc%2B%2B6@12.2.0-14?arch=amd64&distro=debian-12&upstream=gcc-12");
	unit_assert_str(json_string_value(json_object_get(libstdcxx, "sourceInfo")),
			"read from the package database /var/lib/dpkg/status; built from the source package gcc-12 "
			"12.2.0-14");

	/* Licenses: an expression of listed identifiers is declared; other words are only a comment. */
	unit_assert_str(json_string_value(json_object_get(package_named(doc, "busybox"), "licenseDeclared")),
			"GPL-2.0-only");
	json_t *nm = package_named(doc, "NetworkManager");
	unit_assert_str(json_string_value(json_object_get(nm, "licenseDeclared")), "NOASSERTION");
	assert_non_null(strstr(json_string_value(json_object_get(nm, "licenseComments")), "GPLv2+ and LGPLv2+"));
	unit_assert_str(json_string_value(json_object_get(package_named(doc, "bash"), "licenseDeclared")),
			"NOASSERTION");
	json_decref(doc);
	json_decref(report);
}

static void test_advisories_and_relationships(void **state)
{
	(void)state;
	json_t *report = unit_report(), *doc = document_of(report);
	json_t *refs = json_object_get(package_named(doc, "gzip"), "externalRefs");
	assert_int_equal(json_array_size(refs), 2);
	json_t *advisory = unit_find(refs, "referenceCategory", "SECURITY");
	unit_assert_str(json_string_value(json_object_get(advisory, "referenceType")), "advisory");
	unit_assert_str(json_string_value(json_object_get(advisory, "referenceLocator")),
			"https://security-tracker.debian.org/tracker/CVE-2022-1271");
	unit_assert_str(json_string_value(json_object_get(advisory, "comment")),
			"CVE-2022-1271 (high): fixed in 1.12-1");
	/* A package no advisory names has only its purl. */
	assert_int_equal(json_array_size(json_object_get(package_named(doc, "busybox"), "externalRefs")), 1);

	json_t *rels = json_object_get(doc, "relationships");
	/* DESCRIBES the image; the image CONTAINS the OS and the seven packages. */
	assert_int_equal(json_array_size(rels), 9);
	json_t *describes = unit_find(rels, "relationshipType", "DESCRIBES");
	unit_assert_str(json_string_value(json_object_get(describes, "spdxElementId")), "SPDXRef-DOCUMENT");
	unit_assert_str(json_string_value(json_object_get(describes, "relatedSpdxElement")), "SPDXRef-Image");
	size_t i;
	json_t *r;
	json_t *packages = json_object_get(doc, "packages");
	json_array_foreach (rels, i, r) {
		if (i == 0)
			continue;
		unit_assert_str(json_string_value(json_object_get(r, "relationshipType")), "CONTAINS");
		unit_assert_str(json_string_value(json_object_get(r, "spdxElementId")), "SPDXRef-Image");
		unit_find(packages, "SPDXID", json_string_value(json_object_get(r, "relatedSpdxElement")));
	}
	json_decref(doc);
	json_decref(report);
}

static void test_sparse_report(void **state)
{
	(void)state;
	/* Two packages of one purl get two SPDXIDs; a package without a purl has no references; no OS,
	 * no OS package. */
	json_t *report = json_pack("{s:s, s:n, s:[{s:s, s:s, s:s}, {s:s, s:s, s:s}, {s:s, s:s}]}", "target", "x", "os",
				   "packages", "type", "apk", "name", "musl", "version", "1", "type", "apk", "name",
				   "musl", "version", "1", "type", "npm", "name", "@scope/pkg");
	json_t *doc = document_of(report);
	json_t *packages = json_object_get(doc, "packages");
	assert_int_equal(json_array_size(packages), 4);
	const char *a = json_string_value(json_object_get(json_array_get(packages, 1), "SPDXID"));
	const char *b = json_string_value(json_object_get(json_array_get(packages, 2), "SPDXID"));
	assert_string_not_equal(a, b);
	assert_true(valid_spdxid(a) && valid_spdxid(b));
	json_t *npm = json_array_get(packages, 3);
	assert_true(valid_spdxid(json_string_value(json_object_get(npm, "SPDXID"))));
	assert_null(json_object_get(npm, "externalRefs"));
	assert_null(json_object_get(npm, "versionInfo"));
	json_decref(doc);
	json_decref(report);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_document),
		cmocka_unit_test(test_packages),
		cmocka_unit_test(test_advisories_and_relationships),
		cmocka_unit_test(test_sparse_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
