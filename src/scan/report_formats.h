/* The scan report as the documents other tools read: CycloneDX 1.5 and SPDX 2.3 SBOMs (JSON) and
 * SARIF 2.1.0 (docs/scan.md, "Outputs"). Each is made from the report's JSON document
 * (scan_report_json(), report.h), never from the C structs, so anything that produces that
 * document (an image scan, a host scan, a stored report) converts the same way. Every converter
 * tolerates a member that is missing or null and an array that is empty. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_error;

struct scan_report_meta {
	const char *tool_version; /* cocoon's version, as the documents name the tool */
	int64_t timestamp;        /* the documents' creation time, Unix seconds */
	bool reproducible;        /* timestamp and seed come from SOURCE_DATE_EPOCH and the report */
	uint8_t seed[32];         /* the documents' UUIDs are made of it */
};

/* The meta of one scan's documents. With SOURCE_DATE_EPOCH set (reproducible-builds.org) the
 * timestamp is its value and the seed the SHA-256 of the report and that value, so the same
 * report gives the same bytes; otherwise the time now and random bytes. -EINVAL when
 * SOURCE_DATE_EPOCH is not a number of seconds. */
int scan_report_meta_init(struct scan_report_meta *ret, const json_t *report, const char *tool_version,
			  struct cc_error *err);

/* The converters: a new document, or NULL when report is not a JSON object. */
json_t *scan_report_cyclonedx(const json_t *report, const struct scan_report_meta *meta);
json_t *scan_report_spdx(const json_t *report, const struct scan_report_meta *meta);
json_t *scan_report_sarif(const json_t *report, const struct scan_report_meta *meta);

/* The formats by their --format names, one table. */
struct scan_report_format {
	const char *name;        /* "cyclonedx", "spdx", "sarif" */
	const char *description; /* for --help */
	json_t *(*convert)(const json_t *report, const struct scan_report_meta *meta);
};

/* The format called name; NULL for any other. */
const struct scan_report_format *scan_report_format_find(const char *name);

/* What the converters share. */

enum scan_report_uuid_use {
	SCAN_REPORT_UUID_CYCLONEDX, /* the BOM's serialNumber */
	SCAN_REPORT_UUID_SPDX,      /* the document namespace */
};

/* A UUID of 36 lower-case characters plus NUL made of one half of meta's seed: version 4 (RFC 9562
 * §5.4) of random bytes, or version 8 (§5.8) of the SHA-256 a reproducible meta's seed is. */
void scan_report_uuid(const struct scan_report_meta *meta, enum scan_report_uuid_use use, char out[37]);

/* meta's timestamp in RFC 3339 UTC, whole seconds ("2026-11-30T14:03:35Z"), as the three formats
 * want it. */
void scan_report_timestamp(const struct scan_report_meta *meta, char out[32]);

/* What the image is called: its first repo tag, else the target as given, else "image". */
const char *scan_report_image_name(const json_t *report);

/* Where one advisory is published, malloc'd: with data_source, that feed's page for the id
 * (Debian's security tracker, Alpine's secdb, osv.dev); without, NVD's page for a CVE. NULL when
 * there is no such page. */
char *scan_report_advisory_url(const char *id, const char *data_source);

/* An index of the report's packages: "type\nname\nversion" -> position in the packages array, so
 * a finding ({package_type, package, installed_version}) finds its package: its position, or -1. */
json_t *scan_report_package_index(const json_t *packages);
int64_t scan_report_finding_package(const json_t *index, const json_t *finding);
