/* The report formats of a scan (see report.h). */
#include "scan/report.h"

#include "lib/base/cleanup.h"
#include "scan/image_config.h"
#include "scan/scan.h"

#include <stdlib.h>
#include <string.h>

static const char *const severities[] = { "unknown", "negligible", "low", "medium", "high", "critical" };

int scan_severity_rank(const char *severity)
{
	for (size_t i = 0; severity && i < CC_ARRAY_SIZE(severities); i++)
		if (strcmp(severity, severities[i]) == 0)
			return (int)i;
	return -1;
}

static json_t *os_json(const struct scan_os *os)
{
	if (!os->id)
		return json_null();
	return json_pack("{s:s, s:s?, s:s?, s:s?}", "id", os->id, "version_id", os->version_id, "version_codename",
			 os->version_codename, "pretty_name", os->pretty_name);
}

static json_t *packages_json(const struct scan_inventory *inv)
{
	json_t *out = json_array();
	for (size_t i = 0; i < inv->n_packages; i++) {
		const struct scan_package *p = &inv->packages[i];
		json_array_append_new(out,
				      json_pack("{s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:s?}", "type",
						scan_package_type_name(p->type), "name", p->name, "version", p->version,
						"arch", p->arch, "source_name", p->source_name, "source_version",
						p->source_version, "license", p->license, "db_path", p->db_path));
	}
	return out;
}

static json_t *summary_json(const struct scan_result *r)
{
	json_int_t counts[CC_ARRAY_SIZE(severities)] = { 0 }, fixable = 0;
	size_t i;
	json_t *f;
	json_array_foreach (r->findings, i, f) {
		int rank = scan_severity_rank(json_string_value(json_object_get(f, "severity")));
		counts[rank < 0 ? 0 : rank]++;
		fixable += !json_is_null(json_object_get(f, "fixed_version"));
	}
	json_t *s =
	    json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "packages", (json_int_t)r->inventory.n_packages, "findings",
		      (json_int_t)json_array_size(r->findings), "fixable", fixable, "malware",
		      (json_int_t)json_array_size(r->malware), "secrets", (json_int_t)json_array_size(r->secrets),
		      "misconfigurations", (json_int_t)json_array_size(r->misconfigurations));
	for (size_t k = 0; k < CC_ARRAY_SIZE(severities); k++)
		json_object_set_new(s, severities[k], json_integer(counts[k]));
	return s;
}

/* What the content scanners covered, so a clean result can be told from a scan that did not look. */
static json_t *scanned_json(const struct scan_result *r)
{
	json_t *malware = json_null(), *secrets = json_null();
	if (r->content.malware_scanned)
		malware =
		    json_pack("{s:s, s:I, s:I, s:I, s:I}", "engine", "clamav", "signatures",
			      (json_int_t)r->content.malware_signatures, "files", (json_int_t)r->content.malware_files,
			      "too_large", (json_int_t)r->content.malware_too_large, "errors",
			      (json_int_t)r->content.malware_errors);
	if (r->content.secrets_scanned)
		secrets = json_pack("{s:I}", "files", (json_int_t)r->content.secret_files);
	return json_pack("{s:o, s:o}", "malware", malware, "secrets", secrets);
}

json_t *scan_report_json(const struct scan_result *r)
{
	const struct scan_image *img = &r->image;
	json_t *image =
	    json_pack("{s:s?, s:s?, s:s?, s:O, s:O, s:I, s:I, s:o?}", "format", img->format, "id", img->id, "digest",
		      img->digest, "repo_tags", img->repo_tags, "layers", img->layers, "files", (json_int_t)img->files,
		      "bytes", (json_int_t)img->bytes, "config", scan_image_config_redacted(img->config));
	json_t *doc = json_pack("{s:s, s:o, s:o, s:s?, s:o, s:O, s:O, s:O, s:O, s:o, s:o, s:O}", "target", r->target,
				"image", image, "os", os_json(&r->inventory.os), "release", r->release_key, "packages",
				packages_json(&r->inventory), "findings", r->findings, "malware", r->malware, "secrets",
				r->secrets, "misconfigurations", r->misconfigurations, "scanned", scanned_json(r),
				"summary", summary_json(r), "warnings", r->warnings);
	if (r->policy_violations)
		json_object_set(doc, "policy_violations", r->policy_violations);
	return doc;
}

static int by_severity(const void *a, const void *b)
{
	json_t *x = *(json_t *const *)a, *y = *(json_t *const *)b;
	int d = scan_severity_rank(json_string_value(json_object_get(y, "severity"))) -
		scan_severity_rank(json_string_value(json_object_get(x, "severity")));
	if (d)
		return d;
	d = strcmp(json_string_value(json_object_get(x, "package")), json_string_value(json_object_get(y, "package")));
	return d ? d : strcmp(json_string_value(json_object_get(x, "id")), json_string_value(json_object_get(y, "id")));
}

static const char *str(json_t *obj, const char *key, const char *none)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s ? s : none;
}

static void table_malware(FILE *out, json_t *malware)
{
	if (!json_array_size(malware))
		return;
	fprintf(out, "\n%-40s %-60s %s\n", "MALWARE", "PATH", "LAYER");
	size_t i;
	json_t *m;
	json_array_foreach (malware, i, m)
		fprintf(out, "%-40s %-60s %.19s\n", str(m, "signature", "?"), str(m, "path", "?"),
			str(m, "layer", "-"));
}

static void table_secrets(FILE *out, json_t *secrets)
{
	if (!json_array_size(secrets))
		return;
	fprintf(out, "\n%-24s %-10s %-50s %-6s %s\n", "SECRET", "SEVERITY", "PATH", "LINE", "MATCH");
	size_t i;
	json_t *x;
	json_array_foreach (secrets, i, x)
		fprintf(out, "%-24s %-10s %-50s %-6lld %s\n", str(x, "rule", "?"), str(x, "severity", "?"),
			str(x, "path", "?"), (long long)json_integer_value(json_object_get(x, "line")),
			str(x, "match", ""));
}

static void table_misconfigurations(FILE *out, json_t *items)
{
	if (!json_array_size(items))
		return;
	fprintf(out, "\n%-18s %-10s %s\n", "MISCONFIGURATION", "SEVERITY", "MESSAGE");
	size_t i;
	json_t *x;
	json_array_foreach (items, i, x)
		fprintf(out, "%-18s %-10s %s\n", str(x, "id", "?"), str(x, "severity", "?"), str(x, "message", ""));
}

static void table_policies(FILE *out, json_t *violations)
{
	if (!json_array_size(violations))
		return;
	fprintf(out, "\n%-32s %-10s %-8s %s\n", "POLICY", "SEVERITY", "ACTION", "WHY");
	size_t i;
	json_t *v;
	json_array_foreach (violations, i, v)
		fprintf(out, "%-32s %-10s %-8s %s\n", str(v, "policy", "?"), str(v, "severity", "?"),
			str(v, "enforcement", "?"),
			json_string_value(json_array_get(json_object_get(v, "messages"), 0)) ?: "");
}

void scan_report_table(FILE *out, const struct scan_result *r)
{
	const struct scan_os *os = &r->inventory.os;
	size_t n = json_array_size(r->findings);
	fprintf(out, "%s (%s%s%s)\n", r->target,
		os->pretty_name ? os->pretty_name
		: os->id        ? os->id
				: "unknown OS",
		r->image.id ? ", " : "", r->image.id ? r->image.id : "");
	json_t *summary = summary_json(r);
	fprintf(out,
		"Packages: %lld  Findings: %zu (critical %lld, high %lld, medium %lld, low %lld, negligible %lld, "
		"unknown %lld; %lld fixable)\n",
		(long long)r->inventory.n_packages, n, json_integer_value(json_object_get(summary, "critical")),
		json_integer_value(json_object_get(summary, "high")),
		json_integer_value(json_object_get(summary, "medium")),
		json_integer_value(json_object_get(summary, "low")),
		json_integer_value(json_object_get(summary, "negligible")),
		json_integer_value(json_object_get(summary, "unknown")),
		json_integer_value(json_object_get(summary, "fixable")));
	fprintf(out, "Malware: %s  Secrets: %s  Misconfigurations: %zu\n",
		r->content.malware_scanned ? (json_array_size(r->malware) ? "FOUND" : "none found") : "not scanned",
		r->content.secrets_scanned ? (json_array_size(r->secrets) ? "FOUND" : "none found") : "not scanned",
		json_array_size(r->misconfigurations));
	json_decref(summary);
	size_t i;
	json_t *w;
	json_array_foreach (r->warnings, i, w)
		fprintf(out, "Warning: %s\n", json_string_value(w));
	table_malware(out, r->malware);
	table_secrets(out, r->secrets);
	table_misconfigurations(out, r->misconfigurations);
	table_policies(out, r->policy_violations);
	if (n == 0)
		return;
	json_t **rows = cc_xcalloc(n, sizeof(rows[0]));
	for (i = 0; i < n; i++)
		rows[i] = json_array_get(r->findings, i);
	qsort(rows, n, sizeof(rows[0]), by_severity);
	fprintf(out, "\n%-28s %-20s %-10s %-8s %-26s %-26s %s\n", "PACKAGE", "VULNERABILITY", "SEVERITY", "STATUS",
		"INSTALLED", "FIXED", "TITLE");
	for (i = 0; i < n; i++) {
		json_t *f = rows[i];
		const char *title = str(f, "title", "");
		fprintf(out, "%-28s %-20s %-10s %-8s %-26s %-26s %.60s%s\n", str(f, "package", "?"), str(f, "id", "?"),
			str(f, "severity", "unknown"), str(f, "status", "?"), str(f, "installed_version", "?"),
			str(f, "fixed_version", "-"), title, strlen(title) > 60 ? "..." : "");
	}
	free(rows);
}
