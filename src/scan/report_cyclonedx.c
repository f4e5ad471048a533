/* The scan report as a CycloneDX 1.5 BOM in JSON (cyclonedx.org/docs/1.5/json, the schema
 * bom-1.5.schema.json):
 *
 *   metadata.component  the image: type container, named by its first repo tag (else the target),
 *                       version its ID (the config's digest)
 *   components          the OS (operating-system) and one library per package, bom-ref its purl
 *   dependencies        image -> OS -> packages: what contains what; what a package depends on is
 *                       not read, so packages have no entry of their own (unknown, not none)
 *   vulnerabilities     one per advisory id and source package: the packages built from it that are
 *                       affected, the feed's severity, and the fixed version as the recommendation
 *
 * Everything cocoon knows that CycloneDX has no field for is a property named cocoon:... */
#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "scan/purl.h"
#include "scan/report_formats.h"
#include "scan/spdx_license.h"

#include <stdlib.h>
#include <string.h>

#define IMAGE_REF "image"
#define OS_REF    "os"

/* a non-empty string member, or NULL */
#define str(obj, key) cc_json_nonempty_string(obj, key)

static void add_property(json_t *properties, const char *name, const char *value)
{
	if (value)
		json_array_append_new(properties, json_pack("{s:s, s:s}", "name", name, "value", value));
}

/* Sets key to the array when it has something in it (the schema's arrays may not be empty in
 * spirit, and an empty one says nothing). */
static void set_nonempty(json_t *obj, const char *key, json_t *array)
{
	if (json_array_size(array))
		json_object_set_new(obj, key, array);
	else
		json_decref(array);
}

static json_t *metadata(const json_t *report, const struct scan_report_meta *meta)
{
	char timestamp[32];
	scan_report_timestamp(meta, timestamp);
	const json_t *image = json_object_get(report, "image");
	json_t *component = json_pack("{s:s, s:s, s:s}", "type", "container", "bom-ref", IMAGE_REF, "name",
				      scan_report_image_name(report));
	if (str(image, "id"))
		json_object_set_new(component, "version", json_string(str(image, "id")));
	json_t *properties = json_array();
	add_property(properties, "cocoon:scan:target", str(report, "target"));
	add_property(properties, "cocoon:image:format", str(image, "format"));
	size_t i;
	const json_t *w;
	json_array_foreach (json_object_get(report, "warnings"), i, w)
		add_property(properties, "cocoon:scan:warning", json_string_value(w));
	json_t *m = json_pack("{s:s, s:{s:[{s:s, s:s, s:s}]}, s:o}", "timestamp", timestamp, "tools", "components",
			      "type", "application", "name", "cocoon", "version",
			      meta->tool_version ? meta->tool_version : "unknown", "component", component);
	set_nonempty(m, "properties", properties);
	return m;
}

/* A valid SPDX expression as the one expression the schema allows; anything else as a named
 * license, which asserts only what the database says. */
static json_t *licenses(const char *declared)
{
	if (!declared)
		return NULL;
	_cleanup_free_ char *expression = scan_spdx_license_expression(declared);
	if (expression)
		return json_pack("[{s:s}]", "expression", expression);
	return json_pack("[{s:{s:s}}]", "license", "name", declared);
}

static json_t *package_component(const json_t *p, const char *ref, const char *purl)
{
	json_t *c = json_pack("{s:s, s:s, s:s}", "type", "library", "bom-ref", ref, "name",
			      str(p, "name") ? str(p, "name") : "unknown");
	if (str(p, "version"))
		json_object_set_new(c, "version", json_string(str(p, "version")));
	if (purl)
		json_object_set_new(c, "purl", json_string(purl));
	json_t *l = licenses(str(p, "license"));
	if (l)
		json_object_set_new(c, "licenses", l);
	json_t *properties = json_array();
	add_property(properties, "cocoon:package:type", str(p, "type"));
	add_property(properties, "cocoon:package:arch", str(p, "arch"));
	add_property(properties, "cocoon:package:source_name", str(p, "source_name"));
	add_property(properties, "cocoon:package:source_version", str(p, "source_version"));
	add_property(properties, "cocoon:package:db_path", str(p, "db_path"));
	set_nonempty(c, "properties", properties);
	return c;
}

/* The packages as components, and each package's bom-ref by position: its purl, or where two
 * packages share one (or there is none) a name of its position. */
static json_t *package_components(const json_t *report, json_t *refs)
{
	json_t *components = json_array(), *seen = json_object();
	const json_t *os = json_object_get(report, "os");
	size_t i;
	const json_t *p;
	json_array_foreach (json_object_get(report, "packages"), i, p) {
		_cleanup_free_ char *purl = scan_purl_from_report(p, os);
		_cleanup_free_ char *ref =
		    purl && !json_object_get(seen, purl) ? cc_xstrdup(purl) : cc_xasprintf("package-%zu", i);
		json_object_set_new(seen, ref, json_true());
		json_array_append_new(refs, json_string(ref));
		json_array_append_new(components, package_component(p, ref, purl));
	}
	json_decref(seen);
	return components;
}

static json_t *os_component(const json_t *os)
{
	if (!str(os, "id"))
		return NULL;
	json_t *c = json_pack("{s:s, s:s, s:s}", "type", "operating-system", "bom-ref", OS_REF, "name", str(os, "id"));
	if (str(os, "version_id"))
		json_object_set_new(c, "version", json_string(str(os, "version_id")));
	if (str(os, "pretty_name"))
		json_object_set_new(c, "description", json_string(str(os, "pretty_name")));
	json_t *properties = json_array();
	add_property(properties, "cocoon:os:version_codename", str(os, "version_codename"));
	set_nonempty(c, "properties", properties);
	return c;
}

static json_t *dependencies(bool has_os, const json_t *refs)
{
	json_t *packages = json_deep_copy(refs);
	if (!has_os)
		return json_pack("[{s:s, s:o}]", "ref", IMAGE_REF, "dependsOn", packages);
	return json_pack("[{s:s, s:[s]}, {s:s, s:o}]", "ref", IMAGE_REF, "dependsOn", OS_REF, "ref", OS_REF,
			 "dependsOn", packages);
}

/* CycloneDX's severities are critical, high, medium, low, info, none and unknown: Debian's
 * negligible ("no real security impact") is info. */
static const char *severity(const char *s)
{
	static const char *const same[] = { "critical", "high", "medium", "low", "unknown" };
	for (size_t i = 0; s && i < CC_ARRAY_SIZE(same); i++)
		if (strcmp(s, same[i]) == 0)
			return same[i];
	return s && strcmp(s, "negligible") == 0 ? "info" : "unknown";
}

static json_t *new_vulnerability(const json_t *f)
{
	const char *id = str(f, "id"), *source = str(f, "data_source"), *fixed = str(f, "fixed_version");
	const char *source_package = str(f, "source_package") ? str(f, "source_package") : str(f, "package");
	json_t *v = json_pack("{s:s, s:[{s:s}], s:[]}", "id", id ? id : "unknown", "ratings", "severity",
			      severity(str(f, "severity")), "affects");
	json_t *rating = json_array_get(json_object_get(v, "ratings"), 0);
	json_object_set_new(rating, "method", json_string("other"));
	if (source) {
		json_t *s = json_pack("{s:s}", "name", source);
		_cleanup_free_ char *url = scan_report_advisory_url(id, source);
		if (url)
			json_object_set_new(s, "url", json_string(url));
		json_object_set(v, "source", s);
		json_object_set_new(rating, "source", s);
	}
	_cleanup_free_ char *nvd = scan_report_advisory_url(id, NULL);
	if (nvd)
		json_object_set_new(v, "advisories", json_pack("[{s:s}]", "url", nvd));
	if (str(f, "title"))
		json_object_set_new(v, "description", json_string(str(f, "title")));
	if (fixed && source_package) {
		json_object_set_new(
		    v, "recommendation",
		    json_sprintf("Upgrade the packages built from %s to %s or later", source_package, fixed));
		json_object_set_new(v, "analysis",
				    json_pack("{s:[s], s:s++}", "response", "update", "detail", source_package,
					      " has a fixed version: ", fixed));
	}
	json_t *properties = json_array();
	add_property(properties, "cocoon:finding:source_package", source_package);
	add_property(properties, "cocoon:finding:status", str(f, "status"));
	add_property(properties, "cocoon:finding:fixed_version", fixed);
	set_nonempty(v, "properties", properties);
	return v;
}

/* One vulnerability per id, source package, fix, severity and feed, affecting every package built
 * from that source: libssl3 and openssl share an OpenSSL advisory. */
static json_t *vulnerabilities(const json_t *report, const json_t *refs)
{
	json_t *out = json_array(), *by_key = json_object();
	_cleanup_json_ json_t *index = scan_report_package_index(json_object_get(report, "packages"));
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(report, "findings"), i, f) {
		int64_t at = scan_report_finding_package(index, f);
		const char *ref = at < 0 ? NULL : json_string_value(json_array_get(refs, (size_t)at));
		if (!ref)
			continue; /* a finding for no listed package: nothing in the BOM it could affect */
		_cleanup_free_ char *key = cc_xasprintf("%s\n%s\n%s\n%s\n%s", str(f, "id") ? str(f, "id") : "",
							str(f, "source_package") ? str(f, "source_package") : "",
							str(f, "fixed_version") ? str(f, "fixed_version") : "",
							str(f, "severity") ? str(f, "severity") : "",
							str(f, "data_source") ? str(f, "data_source") : "");
		json_t *v = json_object_get(by_key, key);
		if (!v) {
			v = new_vulnerability(f);
			json_array_append_new(out, v);
			json_object_set(by_key, key, v);
		}
		json_t *affects = json_object_get(v, "affects");
		json_t *a = json_pack("{s:s, s:[{s:s, s:s}]}", "ref", ref, "versions", "version",
				      str(f, "installed_version") ? str(f, "installed_version") : "unknown", "status",
				      "affected");
		bool present = false;
		size_t k;
		const json_t *old;
		json_array_foreach (affects, k, old)
			present = present || json_equal(old, a);
		if (present)
			json_decref(a);
		else
			json_array_append_new(affects, a);
	}
	json_decref(by_key);
	return out;
}

json_t *scan_report_cyclonedx(const json_t *report, const struct scan_report_meta *meta)
{
	if (!json_is_object(report))
		return NULL;
	char serial[37];
	scan_report_uuid(meta, SCAN_REPORT_UUID_CYCLONEDX, serial);
	_cleanup_json_ json_t *refs = json_array();
	json_t *components = package_components(report, refs);
	json_t *os = os_component(json_object_get(report, "os"));
	if (os)
		json_array_insert_new(components, 0, os);
	json_t *bom =
	    json_pack("{s:s, s:s, s:s, s:s+, s:i, s:o, s:o, s:o}", "$schema",
		      "http://cyclonedx.org/schema/bom-1.5.schema.json", "bomFormat", "CycloneDX", "specVersion", "1.5",
		      "serialNumber", "urn:uuid:", serial, "version", 1, "metadata", metadata(report, meta),
		      "components", components, "dependencies", dependencies(os != NULL, refs));
	set_nonempty(bom, "vulnerabilities", vulnerabilities(report, refs));
	return bom;
}
