/* What the SBOM and SARIF converters share (see report_formats.h): the table of formats, the
 * documents' time and identifiers, names, advisory addresses and the package index. */
#include "scan/report_formats.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"
#include "scan/purl.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct scan_report_format formats[] = {
	{ "cyclonedx", "CycloneDX 1.5 SBOM (JSON)", scan_report_cyclonedx },
	{ "spdx", "SPDX 2.3 SBOM (JSON)", scan_report_spdx },
	{ "sarif", "SARIF 2.1.0 log", scan_report_sarif },
};

const struct scan_report_format *scan_report_format_find(const char *name)
{
	for (size_t i = 0; name && i < CC_ARRAY_SIZE(formats); i++)
		if (strcmp(name, formats[i].name) == 0)
			return &formats[i];
	return NULL;
}

/* The last second whose nanoseconds (lib/base/timeutil.h counts in them) fit in 64 bits: 2262. */
#define EPOCH_MAX (INT64_MAX / 1000000000)

static int source_date_epoch(const char *value, int64_t *ret, struct cc_error *err)
{
	char *end;
	errno = 0;
	long long v = strtoll(value, &end, 10);
	if (!*value || *end || errno || v < 0 || v > EPOCH_MAX || strspn(value, "0123456789") != strlen(value))
		return cc_error_set(err, EINVAL, "SOURCE_DATE_EPOCH=`%.32s` is not a number of seconds since 1970",
				    value);
	*ret = v;
	return 0;
}

int scan_report_meta_init(struct scan_report_meta *ret, const json_t *report, const char *tool_version,
			  struct cc_error *err)
{
	struct scan_report_meta meta = { .tool_version = tool_version };
	const char *epoch = getenv("SOURCE_DATE_EPOCH");
	int r;
	if (!epoch) {
		meta.timestamp = cc_time_now_ns() / 1000000000;
		r = cc_random_bytes(meta.seed, sizeof(meta.seed), err);
	} else if ((r = source_date_epoch(epoch, &meta.timestamp, err)) == 0) {
		/* The report says what was scanned, so two images scanned at one SOURCE_DATE_EPOCH still get
		 * documents of their own. */
		_cleanup_buf_ struct cc_buf text = CC_BUF_INIT;
		cc_json_canonical_append(&text, report);
		cc_buf_appendf(&text, "\nSOURCE_DATE_EPOCH=%lld", (long long)meta.timestamp);
		meta.reproducible = true;
		r = cc_digest(CC_DIGEST_SHA256, text.data, text.len, meta.seed, err);
	}
	if (r < 0)
		return r;
	*ret = meta;
	return 0;
}

void scan_report_uuid(const struct scan_report_meta *meta, enum scan_report_uuid_use use, char out[37])
{
	uint8_t b[16];
	memcpy(b, meta->seed + (use == SCAN_REPORT_UUID_SPDX ? 16 : 0), sizeof(b));
	b[6] = (uint8_t)((b[6] & 0x0f) | (meta->reproducible ? 0x80 : 0x40)); /* version */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80);                               /* variant 10 */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

void scan_report_timestamp(const struct scan_report_meta *meta, char out[32])
{
	cc_time_format_rfc3339_seconds(meta->timestamp * 1000000000, out, 32);
}

const char *scan_report_image_name(const json_t *report)
{
	const char *tag =
	    json_string_value(json_array_get(json_object_get(json_object_get(report, "image"), "repo_tags"), 0));
	const char *target = json_string_value(json_object_get(report, "target"));
	return tag && *tag ? tag : target && *target ? target : "image";
}

/* Each feed's page for one id. */
static const struct {
	const char *data_source;
	const char *prefix;
} feed_pages[] = {
	{ "debian-tracker", "https://security-tracker.debian.org/tracker/" },
	{ "alpine-secdb", "https://security.alpinelinux.org/vuln/" },
	{ "osv", "https://osv.dev/vulnerability/" },
};

char *scan_report_advisory_url(const char *id, const char *data_source)
{
	const char *prefix = NULL;
	if (!id || !*id)
		return NULL;
	if (!data_source && strncmp(id, "CVE-", 4) == 0)
		prefix = "https://nvd.nist.gov/vuln/detail/";
	for (size_t i = 0; data_source && i < CC_ARRAY_SIZE(feed_pages); i++)
		if (strcmp(data_source, feed_pages[i].data_source) == 0)
			prefix = feed_pages[i].prefix;
	if (!prefix)
		return NULL;
	_cleanup_buf_ struct cc_buf url = CC_BUF_INIT;
	cc_buf_append_str(&url, prefix);
	scan_purl_encode(&url, id); /* the same unreserved characters as a URI path segment, and ':' */
	return cc_buf_steal(&url, NULL);
}

static char *package_key(const char *type, const char *name, const char *version)
{
	return cc_xasprintf("%s\n%s\n%s", type ? type : "", name ? name : "", version ? version : "");
}

json_t *scan_report_package_index(const json_t *packages)
{
	json_t *index = json_object();
	size_t i;
	const json_t *p;
	json_array_foreach (packages, i, p) {
		_cleanup_free_ char *key = package_key(json_string_value(json_object_get(p, "type")),
						       json_string_value(json_object_get(p, "name")),
						       json_string_value(json_object_get(p, "version")));
		if (!json_object_get(index, key)) /* the first of two equal entries */
			json_object_set_new(index, key, json_integer((json_int_t)i));
	}
	return index;
}

int64_t scan_report_finding_package(const json_t *index, const json_t *finding)
{
	_cleanup_free_ char *key = package_key(json_string_value(json_object_get(finding, "package_type")),
					       json_string_value(json_object_get(finding, "package")),
					       json_string_value(json_object_get(finding, "installed_version")));
	const json_t *at = json_object_get(index, key);
	return at ? (int64_t)json_integer_value(at) : -1;
}
