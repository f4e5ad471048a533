/* The Debian security tracker's JSON (security-tracker.debian.org/tracker/data/json):
 *
 *   { source package: { id: { "description": text,
 *                             "releases": { codename: { "status", "fixed_version", "urgency",
 *                                                       "repositories" } } } } }
 *
 * What one release's entry means:
 *   resolved, fixed_version "0"  the release's package was never affected: not stored (skipped)
 *   resolved, fixed_version V    affected before V, fixed in V
 *   open                         affected, no fix yet (fixed_version NULL)
 *   undetermined                 not triaged yet: stored as open with severity "unknown", as Trivy
 *                                does, so a scan reports it instead of missing it
 * Any other status means the tracker's format changed: the import is refused, naming the entry,
 * and the data imported before stays. Ids are CVE-... or TEMP-... (the tracker's own ids for issues
 * without a CVE yet); both are kept. The urgency maps to a severity after its trailing stars (which
 * mark a guess made before triage) are dropped; "not yet assigned" and "end-of-life" are "unknown".
 * Codenames map to VERSION_ID majors (feed_debian_release); an unknown one is skipped.
 *
 * The full feed is about 60 MB, and as one jansson tree it would take ten times that in memory. The
 * top-level object is therefore read one package at a time: jansson's JSON_DISABLE_EOF_CHECK stops
 * after one value and says how far it read, so memory is the file plus one package's tree. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "scan/feed.h"

#include <errno.h>
#include <string.h>

static const struct {
	const char *codename;
	const char *release;
} debian_releases[] = {
	{ "jessie", "8" },  { "stretch", "9" }, { "buster", "10" }, { "bullseye", "11" },  { "bookworm", "12" },
	{ "trixie", "13" }, { "forky", "14" },  { "duke", "15" },   { "sid", "unstable" },
};

const char *feed_debian_release(const char *codename)
{
	for (size_t i = 0; codename && i < CC_ARRAY_SIZE(debian_releases); i++)
		if (strcmp(codename, debian_releases[i].codename) == 0)
			return debian_releases[i].release;
	return NULL;
}

static int read_release(struct feed_writer *w, const char *package, const char *id, const char *codename,
			const json_t *entry, struct cc_error *err)
{
	if (!json_is_object(entry))
		return cc_error_set(err, EINVAL, "expected an object with a status");
	const char *status = NULL, *fixed = NULL, *urgency = NULL;
	int r;
	if ((r = cc_json_get_string(entry, "status", true, &status, err)) < 0 ||
	    (r = cc_json_get_string(entry, "fixed_version", false, &fixed, err)) < 0 ||
	    (r = cc_json_get_string(entry, "urgency", false, &urgency, err)) < 0)
		return r;
	size_t stars = urgency ? strlen(urgency) : 0;
	while (stars > 0 && urgency[stars - 1] == '*')
		stars--;
	const char *severity = feed_severity(urgency, stars);
	if (strcmp(status, "resolved") == 0) {
		if (!fixed)
			return cc_error_set(err, EINVAL, "status `resolved` without a fixed_version");
		if (strcmp(fixed, "0") == 0) {
			feed_count_skipped(w); /* not affected */
			return 0;
		}
	} else if (strcmp(status, "open") == 0) {
		fixed = NULL;
	} else if (strcmp(status, "undetermined") == 0) {
		fixed = NULL;
		severity = "unknown";
	} else {
		char q[FEED_QUOTE_SIZE];
		return cc_error_set(err, EINVAL,
				    "status `%s` is none of the tracker's (resolved, open, undetermined): has its "
				    "format changed?",
				    feed_quote(status, q));
	}
	const char *release = feed_debian_release(codename);
	if (!release) {
		feed_count_skipped(w); /* a release before jessie, or one newer than this cocoon */
		return 0;
	}
	return feed_write_advisory(w,
				   &(struct feed_advisory){ .distro = "debian",
							    .release = release,
							    .package = package,
							    .id = id,
							    .fixed_version = fixed,
							    .severity = severity },
				   err);
}

static int read_vulnerability(struct feed_writer *w, const char *package, const char *id, const json_t *entry,
			      struct cc_error *err)
{
	if (!json_is_object(entry))
		return cc_error_set(err, EINVAL, "expected an object with releases");
	const char *description = NULL;
	int r = cc_json_get_string(entry, "description", false, &description, err);
	if (r == 0)
		r = feed_note_vulnerability(w, id, description, err);
	if (r < 0)
		return r;
	json_t *releases = json_object_get(entry, "releases");
	/* No releases is written `[]` by the tracker's serialiser (an empty PHP-style array). */
	if (!releases || json_is_null(releases) || (json_is_array(releases) && json_array_size(releases) == 0))
		return 0;
	if (!json_is_object(releases))
		return cc_error_set(err, EINVAL, "field `releases` must be an object of codenames");
	const char *codename;
	json_t *release;
	json_object_foreach (releases, codename, release) {
		if ((r = read_release(w, package, id, codename, release, err)) < 0) {
			char q[FEED_QUOTE_SIZE];
			return cc_error_prefix(err, "release `%s`", feed_quote(codename, q));
		}
	}
	return 0;
}

static int read_package(struct feed_writer *w, const char *package, const json_t *entries, struct cc_error *err)
{
	char qp[FEED_QUOTE_SIZE], qi[FEED_QUOTE_SIZE];
	if (!json_is_object(entries))
		return cc_error_set(err, EINVAL, "package `%s`: expected an object of vulnerability ids",
				    feed_quote(package, qp));
	const char *id;
	json_t *entry;
	json_object_foreach ((json_t *)entries, id, entry) {
		int r = read_vulnerability(w, package, id, entry, err);
		if (r < 0)
			return cc_error_prefix(err, "package `%s`, %s", feed_quote(package, qp), feed_quote(id, qi));
	}
	return 0;
}

/* The top-level object, read by hand one member at a time. */
struct cursor {
	const char *data;
	size_t len;
	size_t pos;
};

static void skip_space(struct cursor *c)
{
	/* JSON's whitespace (RFC 8259 §2) */
	while (c->pos < c->len && (c->data[c->pos] == ' ' || c->data[c->pos] == '\t' || c->data[c->pos] == '\r' ||
				   c->data[c->pos] == '\n'))
		c->pos++;
}

static size_t line_at(const struct cursor *c, size_t pos)
{
	size_t line = 1;
	for (const char *p = c->data; (p = memchr(p, '\n', (size_t)(c->data + pos - p))); p++)
		line++;
	return line;
}

static bool at(struct cursor *c, char expected)
{
	skip_space(c);
	if (c->pos < c->len && c->data[c->pos] == expected) {
		c->pos++;
		return true;
	}
	return false;
}

/* One JSON value at the cursor. */
static int next_value(struct cursor *c, json_t **ret, struct cc_error *err)
{
	skip_space(c);
	size_t used = 0;
	if (cc_json_parse_prefix(c->data + c->pos, c->len - c->pos, line_at(c, c->pos), &used, ret, err) < 0)
		return -EINVAL;
	c->pos += used;
	return 0;
}

int feed_debian_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err)
{
	if (cc_json_check_text(data, len, len, "the tracker's JSON", err) < 0)
		return -EINVAL;
	struct cursor c = { .data = data, .len = len };
	if (!at(&c, '{'))
		return cc_error_set(err, EINVAL, "not the tracker's JSON: expected an object of source packages");
	bool more = !at(&c, '}');
	while (more) {
		_cleanup_json_ json_t *key = NULL, *value = NULL;
		size_t start = c.pos;
		int r = next_value(&c, &key, err);
		if (r < 0)
			return r;
		if (!json_is_string(key))
			return cc_error_set(err, EINVAL, "line %zu: expected a source package name",
					    line_at(&c, start));
		if (!at(&c, ':'))
			return cc_error_set(err, EINVAL, "line %zu: expected `:` after a package name",
					    line_at(&c, c.pos));
		if ((r = next_value(&c, &value, err)) < 0)
			return r;
		if ((r = read_package(w, json_string_value(key), value, err)) < 0)
			return r;
		if (!at(&c, ',')) {
			if (!at(&c, '}'))
				return cc_error_set(err, EINVAL, "line %zu: expected `,` or `}` after a package",
						    line_at(&c, c.pos));
			more = false;
		}
	}
	skip_space(&c);
	if (c.pos != c.len)
		return cc_error_set(err, EINVAL, "line %zu: data after the end of the JSON object", line_at(&c, c.pos));
	return 0;
}
