/* The scan report as a SARIF 2.1.0 log (OASIS SARIF v2.1.0, errata01), the form code scanning
 * dashboards read. One run; tool.driver is cocoon with one rule per advisory id, malware signature,
 * secret rule and misconfiguration check; one result per finding, malware hit, secret and
 * misconfiguration of the report.
 *
 *   level      critical and high -> error, medium -> warning, low, negligible and unknown -> note
 *              (§3.27.10); malware, which has no severity, is an error
 *   locations  the file: a package's database (var/lib/dpkg/status), the file that holds malware or
 *              a secret (with the secret's line); a misconfiguration with no path has none
 *   partialFingerprints["cocoon/v1"]  what the result is about without versions or lines that move
 *              (a vulnerability: package type, name and id), so a dashboard follows it from scan to
 *              scan (§3.27.17)
 *
 * rules[].properties["security-severity"] is the score GitHub's code scanning ranks by; the feeds
 * give words, so each word stands for a score inside its CVSS band. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/json/json.h"
#include "scan/purl.h"
#include "scan/report.h"
#include "scan/report_formats.h"

#include <stdlib.h>
#include <string.h>

/* a non-empty string member, or NULL */
#define str(obj, key) cc_json_nonempty_string(obj, key)

static const char * or (const char *s, const char *otherwise)
{
	return s ? s : otherwise;
}

static const char *level(const char *severity)
{
	int rank = scan_severity_rank(severity);
	return rank >= scan_severity_rank("high") ? "error" : rank == scan_severity_rank("medium") ? "warning" : "note";
}

static const char *security_severity(const char *severity)
{
	static const struct {
		const char *word, *score;
	} scores[] = {
		{ "critical", "9.5" }, { "high", "8.0" }, { "medium", "5.5" }, { "low", "2.0" }, { "negligible", "0.1" }
	};
	for (size_t i = 0; severity && i < CC_ARRAY_SIZE(scores); i++)
		if (strcmp(severity, scores[i].word) == 0)
			return scores[i].score;
	return NULL;
}

/* §3.4.3: a relative reference; every byte outside RFC 3986's unreserved characters, sub-delims,
 * "/" and "@" is %XX (":" too, which in a first segment would read as a scheme). */
static char *path_uri(const char *path)
{
	static const char hex[] = "0123456789ABCDEF";
	_cleanup_buf_ struct cc_buf uri = CC_BUF_INIT;
	while (*path == '/')
		path++;
	for (const unsigned char *c = (const unsigned char *)path; *c; c++) {
		if ((*c >= 'A' && *c <= 'Z') || (*c >= 'a' && *c <= 'z') || (*c >= '0' && *c <= '9') ||
		    strchr("-._~/!$&'()*+,;=@", *c))
			cc_buf_append(&uri, c, 1);
		else
			cc_buf_append(&uri, (char[]){ '%', hex[*c >> 4], hex[*c & 15] }, 3);
	}
	return cc_buf_steal(&uri, NULL);
}

struct run {
	json_t *rules; /* the driver's rules */
	json_t *by_id; /* rule id -> its index */
	json_t *results;
};

/* The index of the rule called id, made on first use; a later result of a higher severity raises
 * the rule's default level. */
static size_t rule(struct run *run, const char *id, const char *title, const char *severity, const char *help_uri,
		   const char *tag)
{
	json_t *at = json_object_get(run->by_id, id);
	if (!at) {
		json_t *r = json_pack("{s:s, s:{s:s}, s:{s:s}, s:{s:[s, s]}}", "id", id, "shortDescription", "text",
				      or (title, id), "defaultConfiguration", "level", level(severity), "properties",
				      "tags", "security", tag);
		if (help_uri)
			json_object_set_new(r, "helpUri", json_string(help_uri));
		if (security_severity(severity))
			json_object_set_new(json_object_get(r, "properties"), "security-severity",
					    json_string(security_severity(severity)));
		json_object_set_new(json_object_get(r, "properties"), "severity",
				    json_string(or (severity, "unknown")));
		at = json_integer((json_int_t)json_array_size(run->rules));
		json_array_append_new(run->rules, r);
		json_object_set_new(run->by_id, id, at);
		return (size_t)json_integer_value(at);
	}
	size_t index = (size_t)json_integer_value(at);
	json_t *r = json_array_get(run->rules, index), *properties = json_object_get(r, "properties");
	if (scan_severity_rank(severity) > scan_severity_rank(str(properties, "severity"))) {
		json_object_set_new(json_object_get(r, "defaultConfiguration"), "level", json_string(level(severity)));
		json_object_set_new(properties, "severity", json_string(severity));
		if (security_severity(severity))
			json_object_set_new(properties, "security-severity", json_string(security_severity(severity)));
	}
	return index;
}

/* A result of rule index: its level, message, the file it is in (line from 1, 0: none) and its
 * fingerprint; the caller adds properties. */
static json_t *result(struct run *run, size_t index, const char *severity, json_t *message, const char *path,
		      json_int_t line, json_t *fingerprint)
{
	json_t *r =
	    json_pack("{s:s, s:I, s:s, s:{s:o}, s:{s:o}}", "ruleId", str(json_array_get(run->rules, index), "id"),
		      "ruleIndex", (json_int_t)index, "level", severity ? level(severity) : "error", "message", "text",
		      message, "partialFingerprints", "cocoon/v1", fingerprint);
	if (path) {
		_cleanup_free_ char *uri = path_uri(path);
		json_t *physical = json_pack("{s:{s:s}}", "artifactLocation", "uri", uri);
		if (line > 0)
			json_object_set_new(physical, "region", json_pack("{s:I}", "startLine", line));
		json_object_set_new(r, "locations", json_pack("[{s:o}]", "physicalLocation", physical));
	}
	json_array_append_new(run->results, r);
	return r;
}

/* Copies the members of from that are present into a property bag. */
static json_t *properties(const json_t *from, const char *const *keys, size_t n)
{
	json_t *bag = json_object();
	for (size_t i = 0; i < n; i++) {
		json_t *v = json_object_get(from, keys[i]);
		if (v && !json_is_null(v))
			json_object_set(bag, keys[i], v);
	}
	return bag;
}

static void findings(struct run *run, const json_t *report)
{
	static const char *const keys[] = { "package", "package_type",   "installed_version", "fixed_version",
					    "status",  "source_package", "data_source" };
	_cleanup_json_ json_t *index = scan_report_package_index(json_object_get(report, "packages"));
	size_t i;
	const json_t *f;
	json_array_foreach (json_object_get(report, "findings"), i, f) {
		const char *id = or (str(f, "id"), "unknown"), *severity = or (str(f, "severity"), "unknown");
		const char *package = or (str(f, "package"), "?"), *fixed = str(f, "fixed_version");
		_cleanup_free_ char *help = scan_report_advisory_url(id, NULL);
		if (!help)
			help = scan_report_advisory_url(id, str(f, "data_source"));
		size_t r = rule(run, id, str(f, "title"), severity, help, "vulnerability");
		int64_t at = scan_report_finding_package(index, f);
		const json_t *p = at < 0 ? NULL : json_array_get(json_object_get(report, "packages"), (size_t)at);
		json_t *message =
		    json_sprintf("%s %s is affected by %s (%s): %s%s", package, or (str(f, "installed_version"), "?"),
				 id, severity, fixed ? "fixed in " : "no fixed version yet", or (fixed, ""));
		json_t *res =
		    result(run, r, severity, message, p ? str(p, "db_path") : NULL, 0,
			   json_sprintf("vulnerability/%s/%s/%s", or (str(f, "package_type"), "?"), package, id));
		json_t *bag = properties(f, keys, CC_ARRAY_SIZE(keys));
		_cleanup_free_ char *purl = p ? scan_purl_from_report(p, json_object_get(report, "os")) : NULL;
		if (purl)
			json_object_set_new(bag, "purl", json_string(purl));
		json_object_set_new(res, "properties", bag);
	}
}

/* malware: {path, layer, signature} */
static void malware(struct run *run, const json_t *report)
{
	static const char *const keys[] = { "layer", "signature" };
	size_t i;
	const json_t *m;
	json_array_foreach (json_object_get(report, "malware"), i, m) {
		const char *signature = or (str(m, "signature"), "unknown"), *path = str(m, "path");
		_cleanup_free_ char *id = cc_xasprintf("malware/%s", signature);
		_cleanup_free_ char *title = cc_xasprintf("Malware: %s", signature);
		size_t r = rule(run, id, title, "critical", NULL, "malware");
		json_t *res = result(
		    run, r, NULL, json_sprintf("%s matches the malware signature %s", or (path, "a file"), signature),
		    path, 0, json_sprintf("malware/%s/%s/%s", or (str(m, "layer"), ""), or (path, ""), signature));
		json_object_set_new(res, "properties", properties(m, keys, CC_ARRAY_SIZE(keys)));
	}
}

/* secrets: {path, layer, line, rule, title, severity, match (masked)} */
static void secrets(struct run *run, const json_t *report)
{
	static const char *const keys[] = { "layer", "rule", "match" };
	size_t i;
	const json_t *s;
	json_array_foreach (json_object_get(report, "secrets"), i, s) {
		const char *name = or (str(s, "rule"), "unknown"), *path = str(s, "path");
		const char *severity = or (str(s, "severity"), "unknown"), *title = or (str(s, "title"), "Secret");
		json_int_t line = json_integer_value(json_object_get(s, "line"));
		_cleanup_free_ char *id = cc_xasprintf("secret/%s", name);
		size_t r = rule(run, id, title, severity, NULL, "secret");
		json_t *message = line > 0
				      ? json_sprintf("%s in %s, line %lld", title, or (path, "a file"), (long long)line)
				      : json_sprintf("%s in %s", title, or (path, "a file"));
		json_t *res = result(run, r, severity, message, path, line,
				     json_sprintf("secret/%s/%s/%lld", name, or (path, ""), (long long)line));
		json_object_set_new(res, "properties", properties(s, keys, CC_ARRAY_SIZE(keys)));
	}
}

/* misconfigurations: {id, title, severity, message, and what they locate: path, field, category} */
static void misconfigurations(struct run *run, const json_t *report)
{
	static const char *const keys[] = { "category", "field", "path" };
	size_t i;
	const json_t *m;
	json_array_foreach (json_object_get(report, "misconfigurations"), i, m) {
		const char *id = or (str(m, "id"), "misconfiguration"), *severity = or (str(m, "severity"), "unknown");
		const char *title = str(m, "title");
		size_t r = rule(run, id, title, severity, NULL, "misconfiguration");
		json_t *res =
		    result(run, r, severity, json_string(or (str(m, "message"), or (title, id))), str(m, "path"), 0,
			   json_sprintf("misconfiguration/%s/%s", id, or (str(m, "field"), or (str(m, "path"), ""))));
		json_object_set_new(res, "properties", properties(m, keys, CC_ARRAY_SIZE(keys)));
	}
}

json_t *scan_report_sarif(const json_t *report, const struct scan_report_meta *meta)
{
	if (!json_is_object(report))
		return NULL;
	struct run run = { .rules = json_array(), .by_id = json_object(), .results = json_array() };
	findings(&run, report);
	malware(&run, report);
	secrets(&run, report);
	misconfigurations(&run, report);
	json_decref(run.by_id);
	const json_t *image = json_object_get(report, "image"), *os = json_object_get(report, "os");
	json_t *props = json_pack("{s:s}", "image", scan_report_image_name(report));
	if (str(report, "target"))
		json_object_set_new(props, "target", json_string(str(report, "target")));
	if (str(image, "id"))
		json_object_set_new(props, "imageId", json_string(str(image, "id")));
	if (str(os, "pretty_name") || str(os, "id"))
		json_object_set_new(props, "os", json_string(or (str(os, "pretty_name"), str(os, "id"))));
	char end[32];
	scan_report_timestamp(meta, end);
	json_t *driver = json_pack("{s:s, s:s, s:o}", "name", "cocoon", "version",
				   meta->tool_version ? meta->tool_version : "unknown", "rules", run.rules);
	return json_pack("{s:s, s:s, s:[{s:{s:o}, s:[{s:b, s:s}], s:o, s:o}]}", "$schema",
			 "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json",
			 "version", "2.1.0", "runs", "tool", "driver", driver, "invocations", "executionSuccessful", 1,
			 "endTimeUtc", end, "results", run.results, "properties", props);
}
