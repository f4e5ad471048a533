/* The vulnerability database (src/scan/vulndb.c and the feed readers feed_*.c): the sample feeds of
 * tests/fixtures/vulndb imported and looked up, replacement on re-import, rollback of a malformed
 * feed, OSV as a file, a directory, an array and a zip (made here with libarchive), the bounds on
 * what a feed may say, files that are not the database, and release keys. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"
#include "scan/vulndb.h"
#include "unit.h"

#include <archive.h>
#include <archive_entry.h>
#include <dirent.h>
#include <errno.h>
#include <sqlite3.h>
#include <sys/stat.h>

/* ---- Helpers ----------------------------------------------------------------------------------- */

static char *fixture(const char *relative)
{
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (!root)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson (it sets it)");
	return cc_xasprintf("%s/tests/fixtures/vulndb/%s", root, relative);
}

struct row {
	char id[160];
	char fixed[300];
	char introduced[300];
	char severity[16];
	char source[32];
	char summary[1100];
	bool has_fixed, has_introduced, has_summary;
};

struct found {
	size_t n;
	struct row rows[16];
};

static void copy(char *out, size_t size, const char *s, bool *has)
{
	snprintf(out, size, "%s", s ? s : "");
	if (has)
		*has = s != NULL;
}

static int collect(void *ctx, const struct scan_advisory *a)
{
	struct found *f = ctx;
	if (f->n == CC_ARRAY_SIZE(f->rows))
		return -E2BIG;
	struct row *r = &f->rows[f->n++];
	copy(r->id, sizeof(r->id), a->id, NULL);
	copy(r->fixed, sizeof(r->fixed), a->fixed_version, &r->has_fixed);
	copy(r->introduced, sizeof(r->introduced), a->introduced, &r->has_introduced);
	copy(r->severity, sizeof(r->severity), a->severity, NULL);
	copy(r->source, sizeof(r->source), a->source, NULL);
	copy(r->summary, sizeof(r->summary), a->summary, &r->has_summary);
	return 0;
}

static size_t lookup(struct scan_vulndb *db, const char *distro, const char *release, const char *package,
		     struct found *f)
{
	memset(f, 0, sizeof(*f));
	struct cc_error err = { 0 };
	int r = scan_vulndb_lookup(db, distro, release, package, collect, f, &err);
	if (r < 0)
		fail_msg("lookup %s %s %s: %s", distro, release, package, cc_error_message(&err));
	assert_int_equal((size_t)r, f->n);
	return f->n;
}

/* Counts how often each of a few ids is found, and whether an id with a '?' is. */
struct seen {
	const char *ids[3];
	int count[3];
	bool odd;
};

static int count_ids(void *ctx, const struct scan_advisory *a)
{
	struct seen *seen = ctx;
	for (size_t i = 0; i < CC_ARRAY_SIZE(seen->ids); i++)
		if (strcmp(a->id, seen->ids[i]) == 0)
			seen->count[i]++;
	if (strchr(a->id, '?'))
		seen->odd = true;
	return 0;
}

/* The n-th row with this id (0 first), or NULL. */
static const struct row *row_of(const struct found *f, const char *id, size_t nth)
{
	for (size_t i = 0; i < f->n; i++)
		if (strcmp(f->rows[i].id, id) == 0 && nth-- == 0)
			return &f->rows[i];
	return NULL;
}

static void import_ok(struct scan_vulndb *db, enum scan_feed_format format, const char *path,
		      struct scan_import_stats *stats)
{
	struct cc_error err = { 0 };
	if (scan_vulndb_import(db, format, path, stats, &err) < 0)
		fail_msg("import %s: %s", path, cc_error_message(&err));
}

static void import_fixture(struct scan_vulndb *db, enum scan_feed_format format, const char *relative,
			   struct scan_import_stats *stats)
{
	_cleanup_free_ char *path = fixture(relative);
	import_ok(db, format, path, stats);
}

static void write_text(const char *dir, const char *name, const char *text)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, name);
	assert_int_equal(cc_write_file_atomic(path, text, strlen(text), 0644, NULL), 0);
}

static json_t *status_of(struct scan_vulndb *db)
{
	json_t *status = NULL;
	struct cc_error err = { 0 };
	if (scan_vulndb_status(db, &status, &err) < 0)
		fail_msg("status: %s", cc_error_message(&err));
	return status;
}

struct fixture {
	char *dir;
	char *db_path;
	struct scan_vulndb *db;
};

static int setup(void **state)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	fx->dir = unit_tmpdir();
	/* A directory that does not exist yet: opening with create makes it. */
	fx->db_path = cc_xasprintf("%s/var/scan/vulndb.sqlite", fx->dir);
	struct cc_error err = { 0 };
	if (scan_vulndb_open(fx->db_path, true, &fx->db, &err) < 0)
		fail_msg("open: %s", cc_error_message(&err));
	*state = fx;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *fx = *state;
	scan_vulndb_close(fx->db);
	unit_rmdir(fx->dir);
	free(fx->db_path);
	free(fx);
	return 0;
}

/* ---- Formats and opening ----------------------------------------------------------------------- */

static void test_format_names(void **state)
{
	(void)state;
	static const char *const names[] = { "debian-tracker", "alpine-secdb", "osv" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
		enum scan_feed_format f;
		assert_int_equal(scan_feed_format_parse(names[i], &f), 0);
		assert_string_equal(scan_feed_format_name(f), names[i]);
	}
	enum scan_feed_format f;
	assert_int_equal(scan_feed_format_parse("debian", &f), -EINVAL);
	assert_int_equal(scan_feed_format_parse(NULL, &f), -EINVAL);
}

static void test_open_refuses_what_is_not_the_database(void **state)
{
	struct fixture *fx = *state;
	struct scan_vulndb *db = NULL;
	struct cc_error err = { 0 };

	_cleanup_free_ char *missing = cc_xasprintf("%s/missing.sqlite", fx->dir);
	assert_int_equal(scan_vulndb_open(missing, false, &db, &err), -ENOENT);
	assert_non_null(strstr(err.message, "import a feed first"));
	assert_int_equal(access(missing, F_OK), -1); /* not created by a reader */

	_cleanup_free_ char *feed = fixture("debian-tracker/debian.json");
	cc_error_clear(&err);
	assert_true(scan_vulndb_open(feed, true, &db, &err) < 0);
	assert_non_null(strstr(err.message, "not a vulnerability database"));

	/* Another program's SQLite file. */
	_cleanup_free_ char *other = cc_xasprintf("%s/other.sqlite", fx->dir);
	sqlite3 *raw = NULL;
	assert_int_equal(sqlite3_open(other, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_exec(raw, "CREATE TABLE t (x)", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(raw);
	cc_error_clear(&err);
	assert_true(scan_vulndb_open(other, true, &db, &err) < 0);
	assert_non_null(strstr(err.message, "not cocoon's vulnerability database"));

	/* An empty file: refused to a reader, made the database by an importer. */
	_cleanup_free_ char *empty = cc_xasprintf("%s/empty.sqlite", fx->dir);
	write_text(fx->dir, "empty.sqlite", "");
	cc_error_clear(&err);
	assert_int_equal(scan_vulndb_open(empty, false, &db, &err), -ENOENT);
	assert_non_null(strstr(err.message, "is empty"));
	assert_int_equal(scan_vulndb_open(empty, true, &db, &err), 0);
	scan_vulndb_close(db);
	assert_int_equal(scan_vulndb_open(empty, false, &db, &err), 0);
	scan_vulndb_close(db);

	/* A directory. */
	cc_error_clear(&err);
	assert_int_equal(scan_vulndb_open(fx->dir, true, &db, &err), -EINVAL);
}

static void test_memory_database_starts_empty(void **state)
{
	(void)state;
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(scan_vulndb_open(":memory:", true, &db, &err), 0);
	_cleanup_json_ json_t *status = status_of(db);
	assert_int_equal(json_array_size(json_object_get(status, "sources")), 0);
	assert_true(json_is_null(json_object_get(status, "newest_import")));
	struct found f;
	assert_int_equal(lookup(db, "debian", "12", "openssl", &f), 0);
}

/* ---- Debian tracker ---------------------------------------------------------------------------- */

static void test_debian_tracker_sample(void **state)
{
	struct fixture *fx = *state;
	struct scan_import_stats stats;
	import_fixture(fx->db, SCAN_FEED_DEBIAN_TRACKER, "debian-tracker/debian.json", &stats);
	/* Counted independently (tests/fixtures/vulndb/README.md). */
	assert_int_equal(stats.vulnerabilities, 7);
	assert_int_equal(stats.advisories, 21);
	assert_int_equal(stats.skipped, 4);

	struct found f;
	/* buster: fixed, urgency "high**" */
	assert_int_equal(lookup(fx->db, "debian", "10", "prototypejs", &f), 1);
	const struct row *r = row_of(&f, "CVE-2008-7220", 0);
	assert_non_null(r);
	assert_string_equal(r->fixed, "1.6.0.2-1");
	assert_string_equal(r->severity, "high");
	assert_string_equal(r->source, "debian-tracker");
	assert_false(r->has_introduced);
	assert_true(r->has_summary);
	assert_non_null(strstr(r->summary, "Prototype JavaScript framework"));
	/* CVE-2007-2383 is resolved with fixed_version "0" (not affected): never stored. */
	assert_null(row_of(&f, "CVE-2007-2383", 0));

	assert_int_equal(lookup(fx->db, "debian", "9", "txt2man", &f), 1);
	assert_string_equal(f.rows[0].severity, "low");
	assert_int_equal(lookup(fx->db, "debian", "8", "backupninja", &f), 1);
	assert_string_equal(f.rows[0].severity, "medium");

	/* open (end-of-life in buster): no fix, severity unknown */
	assert_int_equal(lookup(fx->db, "debian", "10", "chromium", &f), 1);
	assert_false(f.rows[0].has_fixed);
	assert_string_equal(f.rows[0].severity, "unknown");
	assert_int_equal(lookup(fx->db, "debian", "12", "chromium", &f), 1);
	assert_string_equal(f.rows[0].fixed, "98.0.4758.80-1");
	assert_int_equal(lookup(fx->db, "debian", "11", "chromium", &f), 1);
	assert_string_equal(f.rows[0].fixed, "98.0.4758.80-1~deb11u1");

	/* sid is "unstable"; trixie is 13 */
	assert_int_equal(lookup(fx->db, "debian", "unstable", "sope", &f), 1);
	assert_string_equal(f.rows[0].fixed, "5.12.1-2");
	assert_int_equal(lookup(fx->db, "debian", "13", "sope", &f), 1);
	/* "releases": [] names nothing */
	assert_int_equal(lookup(fx->db, "debian", "12", "chromium-browser", &f), 0);
	/* not another distribution's */
	assert_int_equal(lookup(fx->db, "ubuntu", "12", "sope", &f), 0);
}

static const char small_tracker[] = "{\"newpkg\": {\"TEMP-0000001-ABCDEF\": {\"description\": \"new\", \"releases\": {"
				    "\"bookworm\": {\"status\": \"undetermined\", \"urgency\": \"high\"},"
				    "\"trixie\": {\"status\": \"open\", \"urgency\": \"unimportant\"},"
				    "\"hamm\": {\"status\": \"open\", \"urgency\": \"low\"}}}}}";

static void test_reimport_replaces_the_rows_of_the_same_file(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *sample = fixture("debian-tracker/debian.json"), *data = NULL;
	size_t len;
	assert_int_equal(cc_read_file(sample, 1 << 20, &data, &len, NULL), 0);
	write_text(fx->dir, "debian.json", data);
	_cleanup_free_ char *path = cc_xasprintf("%s/debian.json", fx->dir);
	struct scan_import_stats stats;
	import_ok(fx->db, SCAN_FEED_DEBIAN_TRACKER, path, &stats);
	struct found f;
	assert_int_equal(lookup(fx->db, "debian", "10", "prototypejs", &f), 1);

	write_text(fx->dir, "debian.json", small_tracker);
	import_ok(fx->db, SCAN_FEED_DEBIAN_TRACKER, path, &stats);
	assert_int_equal(stats.vulnerabilities, 1);
	assert_int_equal(stats.advisories, 2);
	assert_int_equal(stats.skipped, 1); /* hamm: a codename the database does not keep */
	assert_int_equal(lookup(fx->db, "debian", "10", "prototypejs", &f), 0);
	/* undetermined: open, severity unknown whatever the urgency; TEMP- ids are kept */
	assert_int_equal(lookup(fx->db, "debian", "12", "newpkg", &f), 1);
	assert_string_equal(f.rows[0].id, "TEMP-0000001-ABCDEF");
	assert_false(f.rows[0].has_fixed);
	assert_string_equal(f.rows[0].severity, "unknown");
	assert_int_equal(lookup(fx->db, "debian", "13", "newpkg", &f), 1);
	assert_string_equal(f.rows[0].severity, "negligible");

	_cleanup_json_ json_t *status = status_of(fx->db);
	json_t *sources = json_object_get(status, "sources");
	assert_int_equal(json_array_size(sources), 1);
	json_t *s = json_array_get(sources, 0);
	assert_string_equal(json_string_value(json_object_get(s, "file")), "debian.json");
	assert_string_equal(json_string_value(json_object_get(s, "format")), "debian-tracker");
	assert_int_equal(json_integer_value(json_object_get(s, "advisories")), 2);
	assert_int_equal(strlen(json_string_value(json_object_get(s, "sha256"))), 64);
	json_t *distributions = json_object_get(status, "distributions");
	assert_int_equal(json_array_size(distributions), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(distributions, 0), "release")), "12");
	assert_non_null(json_string_value(json_object_get(status, "newest_import")));
}

/* Each malformed version of the file fails naming where, and leaves the first import as it was. */
static void test_malformed_feed_changes_nothing(void **state)
{
	struct fixture *fx = *state;
	write_text(fx->dir, "debian.json", small_tracker);
	_cleanup_free_ char *path = cc_xasprintf("%s/debian.json", fx->dir);
	import_ok(fx->db, SCAN_FEED_DEBIAN_TRACKER, path, NULL);
	_cleanup_json_ json_t *before = status_of(fx->db);
	_cleanup_free_ char *long_id = cc_xasprintf("{\"p\": {\"CVE-%0150d\": {\"releases\": {}}}}", 1);
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"open\"}}}}, \"p\": [1, }",
		  "invalid JSON at line 1" },
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"weird\"}}}}}",
		  "package `newpkg`, CVE-1: release `bookworm`: status `weird`" },
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"status\": \"resolved\"}}}}}",
		  "without a fixed_version" },
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": {\"bookworm\": {\"urgency\": \"low\"}}}}}",
		  "`status` is missing" },
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": [\"bookworm\"]}}}", "must be an object of codenames" },
		{ "{\"newpkg\": [\"CVE-1\"]}", "package `newpkg`: expected an object" },
		{ "[]", "expected an object of source packages" },
		{ "{\"newpkg\": {}} trailing", "data after the end" },
		{ "{\"new pkg\": {\"CVE-1\": {\"releases\": {\"sid\": {\"status\": \"open\"}}}}}",
		  "package name has a space" },
		{ "{\"newpkg\": {\"CVE-1\": {\"releases\": {\"sid\": {\"status\": \"resolved\", \"fixed_version\": "
		  "\"1.0\\u001b[31m\"}}}}}",
		  "fixed version has a space or a control character" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases) + 1; i++) {
		const char *text = i < CC_ARRAY_SIZE(cases) ? cases[i].text : long_id;
		const char *message = i < CC_ARRAY_SIZE(cases) ? cases[i].message : "longer than 128 bytes";
		write_text(fx->dir, "debian.json", text);
		struct cc_error err = { 0 };
		assert_true(scan_vulndb_import(fx->db, SCAN_FEED_DEBIAN_TRACKER, path, NULL, &err) < 0);
		if (!strstr(err.message, message) || !strstr(err.message, "debian-tracker feed `"))
			fail_msg("case %zu: `%s` does not say `%s`", i, err.message, message);
		_cleanup_json_ json_t *after = status_of(fx->db);
		assert_true(json_equal(before, after));
		struct found f;
		assert_int_equal(lookup(fx->db, "debian", "12", "newpkg", &f), 1);
		assert_string_equal(f.rows[0].id, "TEMP-0000001-ABCDEF");
	}
}

static void test_summary_is_cut_at_a_character(void **state)
{
	struct fixture *fx = *state;
	/* 700 two-byte characters: 1400 bytes, cut to 512 characters (1024 bytes). */
	struct cc_buf text = CC_BUF_INIT;
	cc_buf_append_str(&text, "{\"p\": {\"CVE-1\": {\"description\": \"");
	for (int i = 0; i < 700; i++)
		cc_buf_append_str(&text, "\xc3\xa9");
	cc_buf_append_str(&text, "\", \"releases\": {\"sid\": {\"status\": \"open\"}}}}}");
	struct cc_error err = { 0 };
	assert_int_equal(
	    scan_vulndb_import_data(fx->db, SCAN_FEED_DEBIAN_TRACKER, "long.json", text.data, text.len, NULL, &err), 0);
	cc_buf_free(&text);
	struct found f;
	assert_int_equal(lookup(fx->db, "debian", "unstable", "p", &f), 1);
	assert_int_equal(strlen(f.rows[0].summary), 1024);
	assert_true(cc_utf8_valid(f.rows[0].summary, 1024, NULL));
}

/* ---- Alpine secdb ------------------------------------------------------------------------------ */

static void test_alpine_branches_with_one_file_name(void **state)
{
	struct fixture *fx = *state;
	struct scan_import_stats stats;
	import_fixture(fx->db, SCAN_FEED_ALPINE_SECDB, "alpine-secdb/v3.10/main.yaml", &stats);
	assert_int_equal(stats.vulnerabilities, 1201);
	assert_int_equal(stats.advisories, 1269);
	assert_int_equal(stats.skipped, 0);
	import_fixture(fx->db, SCAN_FEED_ALPINE_SECDB, "alpine-secdb/v3.11/main.yaml", &stats);
	assert_int_equal(stats.vulnerabilities, 1221);
	assert_int_equal(stats.advisories, 1297);
	/* Again: replaces itself, not the other branch. */
	import_fixture(fx->db, SCAN_FEED_ALPINE_SECDB, "alpine-secdb/v3.10/main.yaml", &stats);

	_cleanup_json_ json_t *status = status_of(fx->db);
	json_t *sources = json_object_get(status, "sources");
	assert_int_equal(json_array_size(sources), 2);
	assert_string_equal(json_string_value(json_object_get(json_array_get(sources, 0), "scope")), "v3.10/main");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sources, 1), "scope")), "v3.11/main");
	assert_string_equal(json_string_value(json_object_get(json_array_get(sources, 1), "file")), "main.yaml");

	struct found f;
	/* Fixed in two versions (a backport to 1.29 and the branch's own 1.30 fix): both rows. */
	lookup(fx->db, "alpine", "3.10", "busybox", &f);
	assert_non_null(row_of(&f, "CVE-2019-5747", 0));
	assert_non_null(row_of(&f, "CVE-2019-5747", 1));
	assert_null(row_of(&f, "CVE-2019-5747", 2));
	assert_string_equal(row_of(&f, "CVE-2019-5747", 0)->fixed, "1.29.3-r10");
	assert_string_equal(row_of(&f, "CVE-2019-5747", 1)->fixed, "1.30.1-r2");
	assert_string_equal(f.rows[0].severity, "unknown");
	assert_string_equal(f.rows[0].source, "alpine-secdb");

	/* "CVE-2018-3665   XSA-267": two ids; "CVE-????-?????  XSA-295": one */
	struct seen seen = { .ids = { "CVE-2018-3665", "XSA-267", "XSA-295" } };
	struct cc_error err = { 0 };
	assert_true(scan_vulndb_lookup(fx->db, "alpine", "3.11", "xen", count_ids, &seen, &err) > 16);
	for (size_t i = 0; i < 3; i++)
		assert_int_equal(seen.count[i], 1);
	assert_false(seen.odd);
}

static int stop_at_first(void *ctx, const struct scan_advisory *a)
{
	(void)a;
	++*(int *)ctx;
	return -ECANCELED;
}

static void test_lookup_stops_when_asked(void **state)
{
	struct fixture *fx = *state;
	import_fixture(fx->db, SCAN_FEED_DEBIAN_TRACKER, "debian-tracker/debian.json", NULL);
	int calls = 0;
	struct cc_error err = { 0 };
	assert_int_equal(scan_vulndb_lookup(fx->db, "debian", "12", "chromium", stop_at_first, &calls, &err),
			 -ECANCELED);
	assert_int_equal(calls, 1);
	assert_non_null(strstr(err.message, "stopped"));
	/* The statement is reset: the next lookup starts afresh. */
	struct found f;
	assert_int_equal(lookup(fx->db, "debian", "12", "chromium", &f), 1);
}

static void test_alpine_ids_and_json(void **state)
{
	struct fixture *fx = *state;
	static const char secdb[] =
	    "{\"distroversion\": \"v3.18\", \"reponame\": \"community\", \"packages\": ["
	    "{\"pkg\": {\"name\": \"xen\", \"secfixes\": {"
	    "\"4.17.2-r0\": [\"CVE-2018-3665   XSA-267\", \"CVE-?\?\?\?-?\?\?\?\?  XSA-295\"],"
	    "\"4.17.1-r0\": [\"CVE-2018-16301 (was fixed in libpcap)\", \"GHSA-abcd-1234-wxyz,ALPINE-13661\"],"
	    "\"0\": [\"CVE-2020-0001\"]}}},"
	    "{\"pkg\": {\"name\": \"empty\"}}]}";
	struct scan_import_stats stats;
	struct cc_error err = { 0 };
	assert_int_equal(scan_vulndb_import_data(fx->db, SCAN_FEED_ALPINE_SECDB, "community.json", secdb,
						 sizeof(secdb) - 1, &stats, &err),
			 0);
	assert_int_equal(stats.vulnerabilities, 7);
	assert_int_equal(stats.advisories, 6);
	assert_int_equal(stats.skipped, 1);
	struct found f;
	assert_int_equal(lookup(fx->db, "alpine", "3.18", "xen", &f), 6);
	static const char *const ids[] = { "ALPINE-13661",        "CVE-2018-16301", "CVE-2018-3665",
					   "GHSA-abcd-1234-wxyz", "XSA-267",        "XSA-295" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(ids); i++)
		assert_string_equal(f.rows[i].id, ids[i]);
	assert_string_equal(f.rows[2].fixed, "4.17.2-r0");

	static const struct {
		const char *text;
		const char *message;
	} bad[] = {
		{ "{\"reponame\": \"main\", \"packages\": []}", "not an Alpine secdb: required field `distroversion`" },
		{ "{\"distroversion\": \"3.18\", \"packages\": []}", "distroversion `3.18` is neither" },
		{ "{\"distroversion\": \"v3.18\", \"packages\": [{\"pkg\": {\"secfixes\": {}}}]}",
		  "packages[0]: required field `name`" },
		{ "{\"distroversion\": \"v3.18\", \"packages\": [{\"pkg\": {\"name\": \"a\", \"secfixes\": {\"1.0\": "
		  "\"CVE-1\"}}}]}",
		  "package `a`, version `1.0`: expected a list" },
		{ "distroversion: v3.18\npackages:\n  - pkg: {name: a, secfixes: {\"1 0\": [CVE-2020-1]}}\n",
		  "package `a`, version `1 0`: the fixed version has a space" },
		{ "packages: [unclosed\n", "YAML" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		cc_error_clear(&err);
		assert_true(scan_vulndb_import_data(fx->db, SCAN_FEED_ALPINE_SECDB, "community.json", bad[i].text,
						    strlen(bad[i].text), NULL, &err) < 0);
		if (!strstr(err.message, bad[i].message))
			fail_msg("case %zu: `%s` does not say `%s`", i, err.message, bad[i].message);
		assert_int_equal(lookup(fx->db, "alpine", "3.18", "xen", &f), 6);
	}
}

/* ---- OSV --------------------------------------------------------------------------------------- */

/* What the records of tests/fixtures/vulndb/osv say, however they are read. */
static void check_osv_rows(struct scan_vulndb *db)
{
	struct found f;
	assert_int_equal(lookup(db, "debian", "12", "examplelib", &f), 1);
	assert_string_equal(f.rows[0].id, "DEBIAN-CVE-2024-0001");
	assert_string_equal(f.rows[0].fixed, "1.2-1+deb12u1");
	assert_string_equal(f.rows[0].severity, "high"); /* ecosystem_specific.urgency "high*" */
	assert_string_equal(f.rows[0].summary, "Buffer overflow in examplelib's header parser.");
	assert_string_equal(f.rows[0].source, "osv");
	assert_false(f.rows[0].has_introduced);
	assert_int_equal(lookup(db, "debian", "13", "examplelib", &f), 1);
	assert_false(f.rows[0].has_fixed);
	assert_string_equal(f.rows[0].severity, "unknown");

	/* two introduced..fixed pairs; last_affected is stored as open */
	assert_int_equal(lookup(db, "debian", "11", "multilib", &f), 2);
	assert_string_equal(f.rows[0].fixed, "1.0-2");
	assert_false(f.rows[0].has_introduced);
	assert_string_equal(f.rows[1].introduced, "1.5-1");
	assert_string_equal(f.rows[1].fixed, "1.5-3");
	assert_string_equal(f.rows[1].severity, "medium");
	assert_string_equal(f.rows[1].summary, "multilib - security update");
	assert_int_equal(lookup(db, "debian", "12", "multilib", &f), 1);
	assert_false(f.rows[0].has_fixed);

	assert_int_equal(lookup(db, "alpine", "3.18", "openssl", &f), 1);
	assert_string_equal(f.rows[0].fixed, "3.1.4-r1"); /* the ECOSYSTEM range, not the SEMVER one */
	assert_int_equal(lookup(db, "alpine", "3.19", "openssl", &f), 1);
	assert_false(f.rows[0].has_fixed);
	assert_int_equal(lookup(db, "alpine", "3.20", "openssl", &f), 0);

	assert_int_equal(lookup(db, "ubuntu", "22.04", "curl", &f), 1);
	assert_string_equal(f.rows[0].fixed, "7.81.0-1ubuntu1.16"); /* not the FIPS build */
	assert_string_equal(f.rows[0].severity, "medium");          /* the record's Ubuntu priority */
	assert_int_equal(lookup(db, "ubuntu", "18.04", "curl", &f), 1);
	assert_string_equal(f.rows[0].fixed, "7.58.0-2ubuntu3.24+esm4");

	/* withdrawn, and npm */
	assert_int_equal(lookup(db, "debian", "12", "examplelib", &f), 1);
	assert_int_equal(lookup(db, "npm", "", "left-pad-example", &f), 0);
}

static void check_osv_stats(const struct scan_import_stats *stats)
{
	assert_int_equal(stats->vulnerabilities, 4);
	assert_int_equal(stats->advisories, 9);
	assert_int_equal(stats->skipped, 4);
}

static void test_osv_directory(void **state)
{
	struct fixture *fx = *state;
	struct scan_import_stats stats;
	import_fixture(fx->db, SCAN_FEED_OSV, "osv", &stats);
	check_osv_stats(&stats);
	check_osv_rows(fx->db);
	_cleanup_json_ json_t *status = status_of(fx->db);
	json_t *s = json_array_get(json_object_get(status, "sources"), 0);
	assert_string_equal(json_string_value(json_object_get(s, "file")), "osv");
	assert_string_equal(json_string_value(json_object_get(s, "scope")), "Alpine,Debian,Ubuntu");
	assert_int_equal(strlen(json_string_value(json_object_get(s, "sha256"))), 64);

	/* A directory is only OSV's. */
	_cleanup_free_ char *dir = fixture("osv");
	struct cc_error err = { 0 };
	assert_int_equal(scan_vulndb_import(fx->db, SCAN_FEED_DEBIAN_TRACKER, dir, NULL, &err), -EISDIR);
}

static void test_osv_single_files(void **state)
{
	struct fixture *fx = *state;
	struct scan_import_stats stats;
	import_fixture(fx->db, SCAN_FEED_OSV, "osv/UBUNTU-CVE-2024-0003.json", &stats);
	assert_int_equal(stats.vulnerabilities, 1);
	assert_int_equal(stats.advisories, 2);
	assert_int_equal(stats.skipped, 1);
	import_fixture(fx->db, SCAN_FEED_OSV, "osv/GHSA-2222-3333-4444.json", &stats);
	assert_int_equal(stats.vulnerabilities, 0);
	assert_int_equal(stats.skipped, 1);

	/* An array of records; a record that is not one fails naming it and changes nothing. */
	static const char array[] =
	    "[{\"id\": \"DSA-1-1\", \"affected\": [{\"package\": {\"ecosystem\": \"Debian:sid\","
	    " \"name\": \"a\"}, \"ranges\": [{\"type\": \"ECOSYSTEM\", \"events\": ["
	    "{\"introduced\": \"0\"}, {\"fixed\": \"2\"}]}]}]}, {\"id\": \"DSA-2-1\"}]";
	struct cc_error err = { 0 };
	assert_int_equal(
	    scan_vulndb_import_data(fx->db, SCAN_FEED_OSV, "array.json", array, sizeof(array) - 1, &stats, &err), 0);
	struct found f;
	assert_int_equal(lookup(fx->db, "debian", "unstable", "a", &f), 1);
	static const char broken[] = "[{\"id\": \"DSA-1-1\"}, {\"id\": \"DSA-3-1\", \"affected\": [{\"package\": "
				     "{\"ecosystem\": \"Debian:12\", \"name\": \"b\"}, \"ranges\": [{\"type\": "
				     "\"ECOSYSTEM\", \"events\": [{\"introduced\": 0}]}]}]}]";
	assert_int_equal(
	    scan_vulndb_import_data(fx->db, SCAN_FEED_OSV, "array.json", broken, sizeof(broken) - 1, NULL, &err),
	    -EINVAL);
	assert_non_null(strstr(err.message, "[1]: record `DSA-3-1`: affected[0]: ranges[0].events[0]"));
	assert_int_equal(lookup(fx->db, "debian", "unstable", "a", &f), 1);
}

/* A zip of the fixture records, made with libarchive; *ret is malloc'd. */
static size_t make_zip(char **ret)
{
	_cleanup_free_ char *dir_path = fixture("osv");
	size_t size = 1 << 20, used = 0;
	char *buf = calloc(1, size);
	struct archive *a = archive_write_new();
	archive_write_set_format_zip(a);
	assert_int_equal(archive_write_open_memory(a, buf, size, &used), ARCHIVE_OK);
	DIR *dir = opendir(dir_path);
	assert_non_null(dir);
	struct dirent *e;
	while ((e = readdir(dir))) {
		if (e->d_name[0] == '.')
			continue;
		_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir_path, e->d_name), *data = NULL;
		size_t len;
		assert_int_equal(cc_read_file(path, 1 << 20, &data, &len, NULL), 0);
		struct archive_entry *entry = archive_entry_new();
		_cleanup_free_ char *name = cc_xasprintf("osv/%s", e->d_name);
		archive_entry_set_pathname(entry, name);
		archive_entry_set_filetype(entry, AE_IFREG);
		archive_entry_set_perm(entry, 0644);
		archive_entry_set_size(entry, (la_int64_t)len);
		assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
		assert_int_equal(archive_write_data(a, data, len), (la_ssize_t)len);
		archive_entry_free(entry);
	}
	closedir(dir);
	/* A directory entry and a file that is not a record are passed over. */
	struct archive_entry *entry = archive_entry_new();
	archive_entry_set_pathname(entry, "osv/README.txt");
	archive_entry_set_filetype(entry, AE_IFREG);
	archive_entry_set_perm(entry, 0644);
	archive_entry_set_size(entry, 5);
	assert_int_equal(archive_write_header(a, entry), ARCHIVE_OK);
	assert_int_equal(archive_write_data(a, "hello", 5), 5);
	archive_entry_free(entry);
	assert_int_equal(archive_write_close(a), ARCHIVE_OK);
	archive_write_free(a);
	*ret = buf;
	return used;
}

static void test_osv_zip(void **state)
{
	struct fixture *fx = *state;
	_cleanup_free_ char *zip = NULL;
	size_t len = make_zip(&zip);
	/* From a file (read entry by entry) ... */
	_cleanup_free_ char *path = cc_xasprintf("%s/all.zip", fx->dir);
	assert_int_equal(cc_write_file_atomic(path, zip, len, 0644, NULL), 0);
	struct scan_import_stats stats;
	import_ok(fx->db, SCAN_FEED_OSV, path, &stats);
	check_osv_stats(&stats);
	check_osv_rows(fx->db);
	/* ... and from memory under another name: a second source with the same rows. */
	struct cc_error err = { 0 };
	assert_int_equal(scan_vulndb_import_data(fx->db, SCAN_FEED_OSV, "memory.zip", zip, len, &stats, &err), 0);
	check_osv_stats(&stats);
	struct found f;
	assert_int_equal(lookup(fx->db, "ubuntu", "22.04", "curl", &f), 2);

	/* A cut zip fails and leaves both. */
	assert_true(scan_vulndb_import_data(fx->db, SCAN_FEED_OSV, "memory.zip", zip, len / 2, NULL, &err) < 0);
	assert_non_null(strstr(err.message, "osv feed `memory.zip`"));
	assert_int_equal(lookup(fx->db, "ubuntu", "22.04", "curl", &f), 2);
}

/* ---- Release keys ------------------------------------------------------------------------------ */

static const char *or_null(const char *s)
{
	return s ? s : "(null)";
}

static void check_key(const char *distro, const char *version_id, const char *codename, const char *expected)
{
	_cleanup_free_ char *key = scan_vulndb_release_key(distro, version_id, codename);
	if (!expected) {
		if (key)
			fail_msg("%s %s %s: expected no key, got `%s`", or_null(distro), or_null(version_id),
				 or_null(codename), key);
		return;
	}
	if (!key || strcmp(key, expected) != 0)
		fail_msg("%s %s %s: expected `%s`, got `%s`", or_null(distro), or_null(version_id), or_null(codename),
			 expected, or_null(key));
}

static void test_release_keys(void **state)
{
	(void)state;
	check_key("debian", "12", "bookworm", "12");
	check_key("debian", "12.5", NULL, "12");
	check_key("debian", NULL, "trixie", "13");
	check_key("debian", NULL, "sid", "unstable");
	check_key("debian", NULL, "hamm", NULL);
	check_key("debian", NULL, NULL, NULL);
	check_key("debian", "123456", NULL, NULL);
	check_key("alpine", "3.18.4", NULL, "3.18");
	check_key("alpine", "3.10.0", NULL, "3.10");
	check_key("alpine", "3.21_alpha20240807", NULL, "edge");
	check_key("alpine", "3", NULL, NULL);
	check_key("alpine", NULL, NULL, NULL);
	check_key("ubuntu", "22.04", "jammy", "22.04");
	check_key("ubuntu", "22.04.3", NULL, NULL);
	check_key("ubuntu", "jammy", NULL, NULL);
	check_key("fedora", "39", NULL, NULL);
	check_key(NULL, "12", NULL, NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_names),
		cmocka_unit_test_setup_teardown(test_open_refuses_what_is_not_the_database, setup, teardown),
		cmocka_unit_test(test_memory_database_starts_empty),
		cmocka_unit_test_setup_teardown(test_debian_tracker_sample, setup, teardown),
		cmocka_unit_test_setup_teardown(test_reimport_replaces_the_rows_of_the_same_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_malformed_feed_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_summary_is_cut_at_a_character, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alpine_branches_with_one_file_name, setup, teardown),
		cmocka_unit_test_setup_teardown(test_alpine_ids_and_json, setup, teardown),
		cmocka_unit_test_setup_teardown(test_lookup_stops_when_asked, setup, teardown),
		cmocka_unit_test_setup_teardown(test_osv_directory, setup, teardown),
		cmocka_unit_test_setup_teardown(test_osv_single_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_osv_zip, setup, teardown),
		cmocka_unit_test(test_release_keys),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
