/* The scan report as an SPDX 2.3 document in JSON (spdx.github.io/spdx-spec/v2.3, the schema
 * schemas/spdx-schema.json of spdx-spec):
 *
 *   SPDXRef-DOCUMENT  DESCRIBES the image (primaryPackagePurpose CONTAINER), which CONTAINS the OS
 *                     (OPERATING-SYSTEM) and every package (LIBRARY)
 *   a package         its purl as a PACKAGE-MANAGER reference, each advisory that applies to it as a
 *                     SECURITY advisory reference, and in sourceInfo the database it was read from
 *                     and the source package it was built from
 *
 * Nothing was downloaded and no file was analysed: downloadLocation is NOASSERTION and
 * filesAnalyzed false. licenseDeclared is the database's license when that is a valid SPDX
 * expression of listed identifiers (spdx_license.h), else NOASSERTION with the database's words in
 * licenseComments; licenseConcluded is always NOASSERTION, since nobody concluded anything. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "scan/purl.h"
#include "scan/report_formats.h"
#include "scan/spdx_license.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NOASSERTION "NOASSERTION"
#define IMAGE_ID    "SPDXRef-Image"
#define OS_ID       "SPDXRef-OperatingSystem"

/* a non-empty string member, or NULL */
#define str(obj, key) cc_json_nonempty_string(obj, key)

/* The fields every package of ours has: nothing downloaded, no file analysed, nothing asserted. */
static json_t *new_package(const char *id, const char *name, const char *version, const char *purpose)
{
	json_t *p =
	    json_pack("{s:s, s:s, s:s, s:b, s:s, s:s, s:s, s:s, s:s}", "SPDXID", id, "name", name, "downloadLocation",
		      NOASSERTION, "filesAnalyzed", 0, "licenseConcluded", NOASSERTION, "licenseDeclared", NOASSERTION,
		      "copyrightText", NOASSERTION, "supplier", NOASSERTION, "primaryPackagePurpose", purpose);
	if (version)
		json_object_set_new(p, "versionInfo", json_string(version));
	return p;
}

static void relate(json_t *relationships, const char *from, const char *type, const char *to)
{
	json_array_append_new(relationships, json_pack("{s:s, s:s, s:s}", "spdxElementId", from, "relationshipType",
						       type, "relatedSpdxElement", to));
}

/* FNV-1a, 64 bits: a short, stable tag that keeps two packages of one name (two architectures)
 * apart in their SPDXIDs. Not a digest of anything secret. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return h;
}

/* SPDX 2.3 §7.2: "SPDXRef-" then letters, digits, "." and "-" only. */
static char *package_spdxid(const json_t *p, const char *purl, json_t *taken)
{
	_cleanup_buf_ struct cc_buf id = CC_BUF_INIT;
	cc_buf_appendf(&id, "SPDXRef-Package-%s-%s", str(p, "type") ? str(p, "type") : "unknown",
		       str(p, "name") ? str(p, "name") : "unknown");
	for (char *c = id.data + strlen("SPDXRef-"); *c; c++)
		if (!((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') || *c == '.'))
			*c = '-';
	_cleanup_free_ char *identity =
	    purl ? NULL
		 : cc_xasprintf("%s\n%s\n%s", str(p, "name") ? str(p, "name") : "",
				str(p, "version") ? str(p, "version") : "", str(p, "arch") ? str(p, "arch") : "");
	cc_buf_appendf(&id, "-%016llx", (unsigned long long)fnv1a(purl ? purl : identity));
	size_t base = id.len;
	for (unsigned n = 2; json_object_get(taken, id.data); n++) {
		id.len = base;
		cc_buf_appendf(&id, "-%u", n);
	}
	json_object_set_new(taken, id.data, json_true());
	return cc_buf_steal(&id, NULL);
}

static void set_license(json_t *package, const char *declared)
{
	if (!declared)
		return;
	_cleanup_free_ char *expression = scan_spdx_license_expression(declared);
	if (expression)
		json_object_set_new(package, "licenseDeclared", json_string(expression));
	else
		json_object_set_new(package, "licenseComments",
				    json_sprintf("The package database declares \"%s\", which is not an SPDX "
						 "license expression of listed identifiers.",
						 declared));
}

static json_t *package(const json_t *p, const char *id, const char *purl)
{
	json_t *out = new_package(id, str(p, "name") ? str(p, "name") : "unknown", str(p, "version"), "LIBRARY");
	set_license(out, str(p, "license"));
	_cleanup_buf_ struct cc_buf info = CC_BUF_INIT;
	if (str(p, "db_path"))
		cc_buf_appendf(&info, "read from the package database %s", str(p, "db_path"));
	if (str(p, "source_name"))
		cc_buf_appendf(&info, "%sbuilt from the source package %s%s%s", info.len ? "; " : "",
			       str(p, "source_name"), str(p, "source_version") ? " " : "",
			       str(p, "source_version") ? str(p, "source_version") : "");
	if (info.len)
		json_object_set_new(out, "sourceInfo", json_string(info.data));
	json_t *refs = json_array();
	if (purl)
		json_array_append_new(refs, json_pack("{s:s, s:s, s:s}", "referenceCategory", "PACKAGE-MANAGER",
						      "referenceType", "purl", "referenceLocator", purl));
	json_object_set_new(out, "externalRefs", refs);
	return out;
}

/* SPDX 2.3 Annex F: a SECURITY reference of type advisory locates an advisory; the comment says what
 * it found. */
static void advisory_refs(const json_t *report, json_t *packages, size_t first_package)
{
	_cleanup_json_ json_t *index = scan_report_package_index(json_object_get(report, "packages"));
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(report, "findings"), i, f) {
		int64_t at = scan_report_finding_package(index, f);
		_cleanup_free_ char *url = scan_report_advisory_url(str(f, "id"), str(f, "data_source"));
		if (!url)
			url = scan_report_advisory_url(str(f, "id"), NULL);
		if (at < 0 || !url)
			continue;
		json_t *refs = json_object_get(json_array_get(packages, first_package + (size_t)at), "externalRefs");
		const char *fixed = str(f, "fixed_version");
		json_array_append_new(refs,
				      json_pack("{s:s, s:s, s:s, s:s}", "referenceCategory", "SECURITY",
						"referenceType", "advisory", "referenceLocator", url, "comment", ""));
		json_object_set_new(json_array_get(refs, json_array_size(refs) - 1), "comment",
				    json_sprintf("%s (%s): %s%s", str(f, "id"),
						 str(f, "severity") ? str(f, "severity") : "unknown",
						 fixed ? "fixed in " : "no fix yet", fixed ? fixed : ""));
	}
}

static char *document_namespace(const json_t *report, const struct scan_report_meta *meta)
{
	/* §6.5: a unique absolute URI without "#"; the SPDX tools' own form, with the name encoded. */
	char uuid[37];
	scan_report_uuid(meta, SCAN_REPORT_UUID_SPDX, uuid);
	_cleanup_buf_ struct cc_buf ns = CC_BUF_INIT;
	cc_buf_append_str(&ns, "https://spdx.org/spdxdocs/cocoon-scan-");
	scan_purl_encode(&ns, scan_report_image_name(report));
	cc_buf_appendf(&ns, "-%s", uuid);
	return cc_buf_steal(&ns, NULL);
}

static json_t *creation_info(const json_t *report, const struct scan_report_meta *meta)
{
	char created[32];
	scan_report_timestamp(meta, created);
	json_t *info = json_pack("{s:s, s:[s+]}", "created", created, "creators", "Tool: cocoon-",
				 meta->tool_version ? meta->tool_version : "unknown");
	_cleanup_buf_ struct cc_buf comment = CC_BUF_INIT;
	size_t i;
	const json_t *w;
	json_array_foreach (json_object_get(report, "warnings"), i, w)
		cc_buf_appendf(&comment, "%sWarning: %s", comment.len ? "\n" : "", json_string_value(w));
	if (comment.len)
		json_object_set_new(info, "comment", json_string(comment.data));
	return info;
}

json_t *scan_report_spdx(const json_t *report, const struct scan_report_meta *meta)
{
	if (!json_is_object(report))
		return NULL;
	const json_t *image = json_object_get(report, "image"), *os = json_object_get(report, "os");
	json_t *packages = json_array(), *relationships = json_array();
	json_array_append_new(packages,
			      new_package(IMAGE_ID, scan_report_image_name(report), str(image, "id"), "CONTAINER"));
	relate(relationships, "SPDXRef-DOCUMENT", "DESCRIBES", IMAGE_ID);
	if (str(os, "id")) {
		json_t *p = new_package(OS_ID, str(os, "id"), str(os, "version_id"), "OPERATING-SYSTEM");
		if (str(os, "pretty_name"))
			json_object_set_new(p, "description", json_string(str(os, "pretty_name")));
		json_array_append_new(packages, p);
		relate(relationships, IMAGE_ID, "CONTAINS", OS_ID);
	}
	size_t first_package = json_array_size(packages), i;
	_cleanup_json_ json_t *taken = json_object();
	const json_t *p;
	json_array_foreach (json_object_get(report, "packages"), i, p) {
		_cleanup_free_ char *purl = scan_purl_from_report(p, os);
		_cleanup_free_ char *id = package_spdxid(p, purl, taken);
		json_array_append_new(packages, package(p, id, purl));
		relate(relationships, IMAGE_ID, "CONTAINS", id);
	}
	advisory_refs(report, packages, first_package);
	for (i = first_package; i < json_array_size(packages); i++) {
		json_t *pkg = json_array_get(packages, i);
		if (!json_array_size(json_object_get(pkg, "externalRefs")))
			json_object_del(pkg, "externalRefs");
	}
	_cleanup_free_ char *ns = document_namespace(report, meta);
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:o}", "spdxVersion", "SPDX-2.3", "dataLicense",
			 "CC0-1.0", "SPDXID", "SPDXRef-DOCUMENT", "name", scan_report_image_name(report),
			 "documentNamespace", ns, "creationInfo", creation_info(report, meta), "packages", packages,
			 "relationships", relationships);
}
