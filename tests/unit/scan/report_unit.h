/* Helpers of the report format tests (test_report_*.c): a report document in the shape
 * scan_report_json() writes (docs/scan.md), with packages of the three package managers, findings
 * (two from one source package), malware, secrets and misconfigurations, and the meta of a
 * reproducible run. */
#pragma once

#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/report_formats.h"
#include "unit.h"

#include <string.h>

/* Debian packages (one a binNMU, two from one source, one with a "+" in its name), an apk with a
 * license that is an SPDX expression and an rpm with an epoch and one that is not. */
static const char unit_report_text[] =
    "{\"target\": \"docker.tar\","
    " \"image\": {\"format\": \"docker-archive\", \"id\": \"sha256:0123abcd\", \"repo_tags\": "
    "[\"localhost/scan-test:1\"], \"layers\": [{\"digest\": \"sha256:aa\", \"size\": 10}], \"files\": 3, \"bytes\": 9},"
    " \"os\": {\"id\": \"debian\", \"version_id\": \"12\", \"version_codename\": \"bookworm\","
    " \"pretty_name\": \"Debian GNU/Linux 12 (bookworm)\"},"
    " \"release\": \"12\","
    " \"packages\": ["
    "  {\"type\": \"deb\", \"name\": \"gzip\", \"version\": \"1.10-4\", \"arch\": \"amd64\", \"source_name\": \"gzip\","
    "   \"source_version\": \"1.10-4\", \"license\": null, \"db_path\": \"/var/lib/dpkg/status\"},"
    "  {\"type\": \"deb\", \"name\": \"bash\", \"version\": \"5.2.15-2+b2\", \"arch\": \"amd64\", \"source_name\": "
    "\"bash\","
    "   \"source_version\": \"5.2.15-2\", \"license\": null, \"db_path\": \"/var/lib/dpkg/status\"},"
    "  {\"type\": \"deb\", \"name\": \"libssl3\", \"version\": \"3.0.11-1~deb12u1\", \"arch\": \"amd64\","
    "   \"source_name\": \"openssl\", \"source_version\": \"3.0.11-1~deb12u1\", \"db_path\": \"/var/lib/dpkg/status\"},"
    "  {\"type\": \"deb\", \"name\": \"openssl\", \"version\": \"3.0.11-1~deb12u1\", \"arch\": \"amd64\","
    "   \"source_name\": \"openssl\", \"source_version\": \"3.0.11-1~deb12u1\", \"db_path\": \"/var/lib/dpkg/status\"},"
    "  {\"type\": \"deb\", \"name\": \"libstdc++6\", \"version\": \"12.2.0-14\", \"arch\": \"amd64\","
    "   \"source_name\": \"gcc-12\", \"source_version\": \"12.2.0-14\", \"db_path\": \"/var/lib/dpkg/status\"},"
    "  {\"type\": \"apk\", \"name\": \"busybox\", \"version\": \"1.36.1-r5\", \"arch\": \"x86_64\", \"source_name\":"
    "   \"busybox\", \"source_version\": \"1.36.1-r5\", \"license\": \"gpl-2.0-only\", \"db_path\": "
    "\"/lib/apk/db/installed\"},"
    "  {\"type\": \"rpm\", \"name\": \"NetworkManager\", \"version\": \"1:1.46.0-1.fc40\", \"arch\": \"x86_64\","
    "   \"source_name\": \"NetworkManager\", \"source_version\": \"1:1.46.0-1.fc40\", \"license\": \"GPLv2+ and "
    "LGPLv2+\","
    "   \"db_path\": \"/var/lib/rpm/rpmdb.sqlite\"}"
    " ],"
    " \"findings\": ["
    "  {\"id\": \"CVE-2022-1271\", \"package\": \"gzip\", \"source_package\": \"gzip\", \"installed_version\": "
    "\"1.10-4\","
    "   \"fixed_version\": \"1.12-1\", \"status\": \"fixed\", \"severity\": \"high\", \"title\": \"zgrep writes "
    "files\","
    "   \"data_source\": \"debian-tracker\", \"package_type\": \"deb\"},"
    "  {\"id\": \"CVE-2023-5678\", \"package\": \"libssl3\", \"source_package\": \"openssl\", \"installed_version\":"
    "   \"3.0.11-1~deb12u1\", \"fixed_version\": \"3.0.13-1~deb12u1\", \"status\": \"fixed\", \"severity\": \"medium\","
    "   \"title\": \"DH checks\", \"data_source\": \"debian-tracker\", \"package_type\": \"deb\"},"
    "  {\"id\": \"CVE-2023-5678\", \"package\": \"openssl\", \"source_package\": \"openssl\", \"installed_version\":"
    "   \"3.0.11-1~deb12u1\", \"fixed_version\": \"3.0.13-1~deb12u1\", \"status\": \"fixed\", \"severity\": \"medium\","
    "   \"title\": \"DH checks\", \"data_source\": \"debian-tracker\", \"package_type\": \"deb\"},"
    "  {\"id\": \"TEMP-0000000-A1B2C3\", \"package\": \"bash\", \"source_package\": \"bash\", \"installed_version\":"
    "   \"5.2.15-2+b2\", \"fixed_version\": null, \"status\": \"unfixed\", \"severity\": \"negligible\", \"title\": "
    "\"\","
    "   \"data_source\": \"debian-tracker\", \"package_type\": \"deb\"}"
    " ],"
    " \"malware\": [{\"path\": \"/usr/bin/clam.exe\", \"layer\": \"sha256:aa\", \"signature\": "
    "\"Cocoon.Test.ClamExe\"}],"
    " \"secrets\": [{\"path\": \"/root/.aws/credentials\", \"layer\": \"sha256:aa\", \"line\": 2, \"rule\":"
    "  \"aws-access-key-id\", \"title\": \"AWS access key ID\", \"severity\": \"critical\", \"match\": \"AKIA****\"}],"
    " \"misconfigurations\": [{\"id\": \"IMG-ROOT-USER\", \"title\": \"Image runs as root\", \"severity\": \"high\","
    "  \"category\": \"image-config\", \"field\": \"config.User\", \"message\": \"the image sets no USER\"}],"
    " \"summary\": {\"packages\": 7, \"findings\": 4},"
    " \"warnings\": [\"an rpm database in a format not read\"]}";

static inline json_t *unit_report(void)
{
	json_t *r = NULL;
	struct cc_error err = { 0 };
	if (cc_json_parse(unit_report_text, strlen(unit_report_text), 1 << 20, "report", &r, &err) < 0)
		fail_msg("the test report does not parse: %s", err.message);
	return r;
}

/* A reproducible meta: 2023-11-14T22:13:20Z, a seed of 0x00, 0x01, ... */
static inline struct scan_report_meta unit_meta(void)
{
	struct scan_report_meta meta = { .tool_version = "0.1.0", .timestamp = 1700000000, .reproducible = true };
	for (size_t i = 0; i < sizeof(meta.seed); i++)
		meta.seed[i] = (uint8_t)i;
	return meta;
}

/* The first element of array whose key is value. */
static inline json_t *unit_find(const json_t *array, const char *key, const char *value)
{
	size_t i;
	json_t *e;
	json_array_foreach (array, i, e)
		if (json_string_value(json_object_get(e, key)) &&
		    strcmp(json_string_value(json_object_get(e, key)), value) == 0)
			return e;
	fail_msg("no element with %s `%s`", key, value);
	return NULL;
}

static inline void unit_assert_str(const char *got, const char *want)
{
	if (!want && !got)
		return;
	if (!want || !got || strcmp(got, want) != 0)
		fail_msg("got `%s`, want `%s`", got ? got : "(null)", want ? want : "(null)");
}
