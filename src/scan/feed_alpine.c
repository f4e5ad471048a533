/* Alpine's secdb (secdb.alpinelinux.org/vX.Y/{main,community}.json; the alpine-secdb repository
 * kept the same shape as YAML until 2020, and both are read):
 *
 *   distroversion: v3.18        the branch: release key "3.18" ("edge" stays "edge")
 *   reponame: main
 *   packages:
 *     - pkg:
 *         name: openssl         the origin (source) package
 *         secfixes:
 *           3.1.4-r1:           fixed in this version ...
 *             - CVE-2023-5678   ... these ids
 *           "0":                never affected in this branch: skipped
 *             - CVE-2022-1234
 *
 * secdb lists fixes only, so nothing read here is open, and it has no severities: every advisory
 * is "unknown". An item may hold several ids and a remark ("CVE-2018-3665 XSA-267",
 * "CVE-2018-16301 (was fixed in libpcap)", "CVE-????-????? XSA-295"): it is split on spaces and
 * commas and the words that look like ids are kept (looks_like_id).
 *
 * Every branch names its files main.json and community.json, so the branch and repository are the
 * import's scope ("v3.18/main"): importing v3.19's main.json does not replace v3.18's. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "scan/feed.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#define REPONAME_MAX 64

/* PREFIX-rest: an upper-case prefix (CVE, GHSA, XSA, ALPINE, ...), a dash, then letters, digits and
 * . _ : - (GHSA-xxxx-xxxx-xxxx has lower-case letters). */
static bool looks_like_id(const char *s, size_t len)
{
	size_t i = 0;
	while (i < len && (isupper((unsigned char)s[i]) || (i > 0 && isdigit((unsigned char)s[i]))))
		i++;
	if (i < 2 || i >= len - 1 || s[i] != '-' || len > FEED_ID_MAX)
		return false;
	if (!isalnum((unsigned char)s[i + 1]))
		return false;
	for (i += 2; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("._:-", s[i]))
			return false;
	return true;
}

/* "v3.18" -> "3.18"; "edge" -> "edge"; false for anything else. */
bool feed_alpine_release(const char *distroversion, char out[FEED_RELEASE_MAX + 1])
{
	if (strcmp(distroversion, "edge") == 0) {
		strcpy(out, "edge");
		return true;
	}
	const char *v = distroversion;
	if (*v++ != 'v')
		return false;
	size_t major = strspn(v, "0123456789");
	if (major == 0 || major > 4 || v[major] != '.')
		return false;
	size_t minor = strspn(v + major + 1, "0123456789");
	if (minor == 0 || minor > 4 || v[major + 1 + minor] != '\0')
		return false;
	memcpy(out, v, major + 1 + minor + 1);
	return true;
}

static bool valid_reponame(const char *s)
{
	size_t len = strlen(s);
	if (len == 0 || len > REPONAME_MAX)
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* The ids of one secfixes item, each fixed in version ("0": not affected). */
static int read_item(struct feed_writer *w, const char *release, const char *package, const char *version,
		     const char *item, struct cc_error *err)
{
	const char *p = item;
	while (*p) {
		size_t skip = strspn(p, " \t\r\n,");
		p += skip;
		size_t len = strcspn(p, " \t\r\n,");
		if (len == 0)
			break;
		if (looks_like_id(p, len)) {
			char id[FEED_ID_MAX + 1];
			memcpy(id, p, len);
			id[len] = '\0';
			int r = feed_note_vulnerability(w, id, NULL, err);
			if (r < 0)
				return r;
			if (strcmp(version, "0") == 0)
				feed_count_skipped(w);
			else if ((r = feed_write_advisory(w,
							  &(struct feed_advisory){ .distro = "alpine",
										   .release = release,
										   .package = package,
										   .id = id,
										   .fixed_version = version,
										   .severity = "unknown" },
							  err)) < 0)
				return r;
		}
		p += len;
	}
	return 0;
}

static int read_package(struct feed_writer *w, const char *release, const json_t *entry, struct cc_error *err)
{
	json_t *pkg = NULL, *secfixes = NULL;
	const char *name = NULL;
	int r;
	if (!json_is_object(entry))
		return cc_error_set(err, EINVAL, "expected a mapping with `pkg`");
	if ((r = cc_json_get_object(entry, "pkg", true, &pkg, err)) < 0 ||
	    (r = cc_json_get_string(pkg, "name", true, &name, err)) < 0 ||
	    (r = cc_json_get_object(pkg, "secfixes", false, &secfixes, err)) < 0)
		return r;
	const char *version;
	json_t *items;
	json_object_foreach (secfixes, version, items) {
		char qn[FEED_QUOTE_SIZE], qv[FEED_QUOTE_SIZE];
		if (json_is_null(items))
			continue;
		if (!json_is_array(items))
			return cc_error_set(err, EINVAL, "package `%s`, version `%s`: expected a list of ids",
					    feed_quote(name, qn), feed_quote(version, qv));
		size_t i;
		json_t *item;
		json_array_foreach (items, i, item) {
			if (!json_is_string(item))
				return cc_error_set(err, EINVAL, "package `%s`, version `%s`: item %zu is not a string",
						    feed_quote(name, qn), feed_quote(version, qv), i);
			if ((r = read_item(w, release, name, version, json_string_value(item), err)) < 0)
				return cc_error_prefix(err, "package `%s`, version `%s`", feed_quote(name, qn),
						       feed_quote(version, qv));
		}
	}
	return 0;
}

static int parse(const char *data, size_t len, json_t **ret, struct cc_error *err)
{
	size_t start = 0;
	while (start < len && (data[start] == ' ' || data[start] == '\t' || data[start] == '\r' || data[start] == '\n'))
		start++;
	if (start < len && data[start] == '{')
		return cc_json_parse(data, len, FEED_FILE_MAX_SIZE, "JSON", ret, err);
	return cc_yaml_parse_one(data, len, "YAML", ret, err);
}

int feed_alpine_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = parse(data, len, &doc, err);
	if (r < 0)
		return r;
	const char *distroversion = NULL, *reponame = NULL;
	json_t *packages = NULL;
	if (!json_is_object(doc) || (r = cc_json_get_string(doc, "distroversion", true, &distroversion, err)) < 0 ||
	    (r = cc_json_get_string(doc, "reponame", false, &reponame, err)) < 0 ||
	    (r = cc_json_get_array(doc, "packages", false, &packages, err)) < 0) {
		if (!json_is_object(doc))
			cc_error_set(err, EINVAL, "expected a mapping with distroversion and packages");
		return cc_error_prefix(err, "not an Alpine secdb");
	}
	char release[FEED_RELEASE_MAX + 1], q[FEED_QUOTE_SIZE];
	if (!feed_alpine_release(distroversion, release))
		return cc_error_set(err, EINVAL, "distroversion `%s` is neither vMAJOR.MINOR nor edge",
				    feed_quote(distroversion, q));
	if (reponame && !valid_reponame(reponame))
		return cc_error_set(err, EINVAL, "reponame `%s` is not a repository name", feed_quote(reponame, q));
	char scope[8 + FEED_RELEASE_MAX + REPONAME_MAX];
	snprintf(scope, sizeof(scope), "%s%s%s", distroversion, reponame ? "/" : "", reponame ? reponame : "");
	feed_add_scope(w, scope);
	size_t i;
	json_t *entry;
	json_array_foreach (packages, i, entry) {
		if ((r = read_package(w, release, entry, err)) < 0)
			return cc_error_prefix(err, "packages[%zu]", i);
	}
	return 0;
}
