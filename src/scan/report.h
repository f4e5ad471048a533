/* Printing a scan's result: the JSON document (the stable interface: CI and the platform read it)
 * and a table for people. */
#pragma once

#include <jansson.h>
#include <stdio.h>

struct scan_result;

/* {"target", "image": {format, id, repo_tags, layers, files, bytes, config (secrets in Env redacted)},
 *  "os": {...} | null, "release",
 *  "packages": [{type, name, version, arch, source_name, source_version, license, db_path}],
 *  "findings": [...] (match.h), "malware": [...], "secrets": [...], "misconfigurations": [...],
 *  "scanned": {"malware": {engine, signatures, files, too_large, errors} | null, "secrets": {files} | null},
 *  "summary": {"packages", "findings", "critical", "high", "medium", "low", "negligible", "unknown",
 *              "fixable", "malware", "secrets", "misconfigurations"}, "warnings": [...],
 *  "policy_violations": [...] only when the policies judged it (policy.h)} */
json_t *scan_report_json(const struct scan_result *r);

/* The findings as a table sorted by severity, then package and id; a summary line first. */
void scan_report_table(FILE *out, const struct scan_result *r);

/* The rank of a severity name: critical 5 ... negligible 1, unknown 0 (anything else: -1). */
int scan_severity_rank(const char *severity);
