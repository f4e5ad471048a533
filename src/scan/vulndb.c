/* The vulnerability database (vulndb.h): the schema, opening a file and refusing one that is not
 * ours, the import transaction the feed readers write into (feed.h), the status and the lookup.
 *
 * Schema (version 1; docs/scan.md, "Vulnerability data"):
 *   sources          one row per imported file: format, file name, scope, sha256, time, counts
 *   vulnerabilities  (source, id) -> summary: every id a file names, affected or not
 *   advisories       (source, distro, release, package, id, introduced, fixed version) -> severity,
 *                    indexed on (distro, release, package) for the lookup a scan makes per package;
 *                    "no introduced" and "no fix" are '' (key columns of a WITHOUT ROWID table are
 *                    NOT NULL) and NULL again in a lookup's answer
 * The fixed version is part of the key because a feed may list one id as fixed in two versions of
 * one package (Alpine's secdb names a fix backported to an older branch beside the branch's own):
 * both rows are kept, and a package is affected while any row applies, which needs no version
 * comparison here and never reports less than the higher fix would.
 * The file is marked with PRAGMA application_id, so a path that names anything else (another
 * program's SQLite file, a feed given as --db by mistake) is refused rather than written into.
 *
 * An import is one write transaction: the new source row is added with no scope (NULL, which no
 * reader counts), the feed's rows are written against it, and only at the end are the rows of the
 * source it replaces deleted and its scope set, so a failure anywhere rolls back to the old data.
 * The journal is WAL, so scans keep reading the old data while a long import runs. */
#include "scan/vulndb.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/base/utf8.h"
#include "lib/crypto/digest.h"
#include "lib/json/json.h"
#include "scan/feed.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define VULNDB_APPLICATION_ID 0x63637664 /* "ccvd" */
#define VULNDB_SCHEMA_VERSION 1
#define SCOPE_PARTS_MAX       16
#define SCOPE_PART_MAX        128
#define SOURCE_NAME_MAX       255
#define SHA256_HEX_SIZE       (2 * 32 + 1)

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS sources ("
    " id INTEGER PRIMARY KEY,"
    " format TEXT NOT NULL,"      /* debian-tracker, alpine-secdb, osv */
    " file TEXT NOT NULL,"        /* base name of the file or directory imported */
    " scope TEXT,"                /* what the file covers beyond its name; NULL while importing */
    " sha256 TEXT NOT NULL,"      /* of the file; of its entries' names and digests for a directory */
    " imported INTEGER NOT NULL," /* Unix seconds */
    " vulnerabilities INTEGER NOT NULL, advisories INTEGER NOT NULL, skipped INTEGER NOT NULL,"
    " UNIQUE (format, file, scope));"
    "CREATE TABLE IF NOT EXISTS vulnerabilities ("
    " source_id INTEGER NOT NULL, id TEXT NOT NULL, summary TEXT,"
    " PRIMARY KEY (source_id, id)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS advisories ("
    " source_id INTEGER NOT NULL, distro TEXT NOT NULL, release_key TEXT NOT NULL, package TEXT NOT NULL,"
    " vuln_id TEXT NOT NULL,"
    " introduced TEXT NOT NULL DEFAULT '',"    /* '': from the first version on */
    " fixed_version TEXT NOT NULL DEFAULT ''," /* '': no fix yet */
    " severity TEXT NOT NULL,"
    " PRIMARY KEY (source_id, distro, release_key, package, vuln_id, introduced, fixed_version))"
    " WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS advisories_lookup ON advisories (distro, release_key, package);";

struct scan_vulndb {
	sqlite3 *db;
	char *path;
	sqlite3_stmt *lookup; /* prepared on the first lookup: a scan makes one per installed package */
};

struct feed_writer {
	struct scan_vulndb *db;
	const char *format; /* the source's format and file name, as the import was given them */
	const char *file;
	sqlite3_int64 source_id;
	sqlite3_stmt *advisory;
	sqlite3_stmt *vulnerability;
	struct scan_import_stats stats;
	char sha256[SHA256_HEX_SIZE];
	char *scope[SCOPE_PARTS_MAX]; /* sorted, unique */
	size_t n_scope;
};

/* The formats, in enum order: their names and readers (one file each, feed.h). */
static const struct feed_format {
	const char *name;
	int (*read)(struct feed_writer *w, const char *data, size_t len, struct cc_error *err);
} formats[] = {
	[SCAN_FEED_DEBIAN_TRACKER] = { "debian-tracker", feed_debian_read },
	[SCAN_FEED_ALPINE_SECDB] = { "alpine-secdb", feed_alpine_read },
	[SCAN_FEED_OSV] = { "osv", feed_osv_read },
};

int scan_feed_format_parse(const char *name, enum scan_feed_format *ret)
{
	for (size_t i = 0; name && i < CC_ARRAY_SIZE(formats); i++)
		if (strcmp(name, formats[i].name) == 0) {
			*ret = (enum scan_feed_format)i;
			return 0;
		}
	return -EINVAL;
}

const char *scan_feed_format_name(enum scan_feed_format format)
{
	return (size_t)format < CC_ARRAY_SIZE(formats) ? formats[format].name : "unknown";
}

static int db_error(struct scan_vulndb *db, struct cc_error *err, const char *what)
{
	int code = sqlite3_errcode(db->db);
	int errnum = code == SQLITE_BUSY || code == SQLITE_LOCKED      ? EBUSY
		     : code == SQLITE_CORRUPT || code == SQLITE_NOTADB ? EUCLEAN
		     : code == SQLITE_FULL                             ? ENOSPC
		     : code == SQLITE_READONLY                         ? EROFS
		     : code == SQLITE_CANTOPEN                         ? EACCES
								       : EIO;
	return cc_error_set(err, errnum, "vulnerability database `%s`: %s: %s", db->path, what, sqlite3_errmsg(db->db));
}

static int exec(struct scan_vulndb *db, const char *sql, const char *what, struct cc_error *err)
{
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK)
		return db_error(db, err, what);
	return 0;
}

static int query_int(struct scan_vulndb *db, const char *sql, sqlite3_int64 *ret)
{
	sqlite3_stmt *stmt = NULL;
	int rc = sqlite3_prepare_v2(db->db, sql, -1, &stmt, NULL);
	if (rc == SQLITE_OK && (rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		*ret = sqlite3_column_int64(stmt, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(stmt);
	return rc == SQLITE_OK ? 0 : -EIO;
}

/* ---- Opening ---------------------------------------------------------------------------------- */

/* Before SQLite sees path: a missing file is created only when asked (with its directory), and
 * what is there must be a regular file. */
static int check_path(const char *path, bool create, struct cc_error *err)
{
	if (strcmp(path, ":memory:") == 0)
		return 0;
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return cc_error_set(err, EINVAL, "vulnerability database `%s` is not a regular file", path);
		return 0;
	}
	if (errno != ENOENT)
		return cc_error_set_errno(err, errno, "vulnerability database `%s`", path);
	if (!create)
		return cc_error_set(err, ENOENT,
				    "no vulnerability database at `%s`: import a feed first (cocoon scan db import)",
				    path);
	_cleanup_free_ char *dir = cc_xstrdup(path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	return cc_mkdir_p(dir, 0755, err);
}

static int create_schema(struct scan_vulndb *db, struct cc_error *err)
{
	/* WAL is a property of the file, so it is set once here; ":memory:" answers "memory". */
	sqlite3_exec(db->db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL);
	char sql[sizeof(schema_sql) + 200];
	snprintf(sql, sizeof(sql), "BEGIN IMMEDIATE; %s PRAGMA application_id=%d; PRAGMA user_version=%d; COMMIT;",
		 schema_sql, VULNDB_APPLICATION_ID, VULNDB_SCHEMA_VERSION);
	if (sqlite3_exec(db->db, sql, NULL, NULL, NULL) != SQLITE_OK) {
		int r = db_error(db, err, "create the schema");
		sqlite3_exec(db->db, "ROLLBACK", NULL, NULL, NULL);
		return r;
	}
	return 0;
}

/* Ours (and of this schema version), empty (then created when asked), or refused. */
static int identify(struct scan_vulndb *db, bool create, struct cc_error *err)
{
	sqlite3_int64 app = 0, version = 0, objects = 0;
	if (query_int(db, "PRAGMA application_id", &app) < 0 || query_int(db, "PRAGMA user_version", &version) < 0 ||
	    query_int(db, "SELECT count(*) FROM sqlite_master", &objects) < 0) {
		if (sqlite3_errcode(db->db) == SQLITE_NOTADB)
			return cc_error_set(err, EINVAL,
					    "`%s` is not a vulnerability database (not an SQLite file): give --db the "
					    "database's path or a new one",
					    db->path);
		return db_error(db, err, "read the header");
	}
	if (app == VULNDB_APPLICATION_ID) {
		if (version != VULNDB_SCHEMA_VERSION)
			return cc_error_set(err, EPROTO,
					    "vulnerability database `%s` has schema version %lld and this cocoon reads "
					    "version %d: import the feeds into a new file",
					    db->path, (long long)version, VULNDB_SCHEMA_VERSION);
		return 0;
	}
	if (app != 0 || objects != 0)
		return cc_error_set(
		    err, EINVAL,
		    "`%s` is an SQLite database but not cocoon's vulnerability database (application_id "
		    "%#llx): give --db another path",
		    db->path, (unsigned long long)app);
	if (!create)
		return cc_error_set(err, ENOENT,
				    "vulnerability database `%s` is empty: import a feed first (cocoon scan db import)",
				    db->path);
	return create_schema(db, err);
}

int scan_vulndb_open(const char *path, bool create, struct scan_vulndb **ret, struct cc_error *err)
{
	if (!path || !*path)
		return cc_error_set(err, EINVAL, "no path for the vulnerability database");
	int r = check_path(path, create, err);
	if (r < 0)
		return r;
	_cleanup_(scan_vulndb_closep) struct scan_vulndb *db = cc_xcalloc(1, sizeof(*db));
	db->path = cc_xstrdup(path);
	int flags = SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0) | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(path, &db->db, flags, NULL) != SQLITE_OK) {
		if (!db->db)
			return cc_error_set(err, ENOMEM, "vulnerability database `%s`: cannot open", path);
		return db_error(db, err, "open");
	}
	sqlite3_extended_result_codes(db->db, 0);
	/* An import holds the write lock for seconds; a second importer waits for it. */
	sqlite3_busy_timeout(db->db, 30000);
	/* Rebuilt from the feeds at will: losing the last import to a power cut is acceptable. A
	 * larger cache keeps a big import's index pages in memory. */
	sqlite3_exec(db->db, "PRAGMA synchronous=NORMAL; PRAGMA cache_size=-65536", NULL, NULL, NULL);
	r = identify(db, create, err);
	if (r < 0)
		return r;
	*ret = CC_TAKE_PTR(db);
	return 0;
}

void scan_vulndb_close(struct scan_vulndb *db)
{
	if (!db)
		return;
	sqlite3_finalize(db->lookup);
	sqlite3_close(db->db);
	free(db->path);
	free(db);
}

/* ---- The writer the feed readers use ---------------------------------------------------------- */

/* A string for a key column: present unless optional, not empty, within max bytes, and free of
 * spaces and control characters (which no id, package, release or version has, and which would
 * garble a terminal that prints them). The value is quoted only when it is safe to print. */
static int check_token(const char *value, size_t max, const char *what, bool required, struct cc_error *err)
{
	if (!value)
		return required ? cc_error_set(err, EINVAL, "the %s is missing", what) : 0;
	size_t len = strnlen(value, max + 1);
	if (len == 0)
		return cc_error_set(err, EINVAL, "the %s is empty", what);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c <= ' ' || c == 0x7f)
			return cc_error_set(err, EINVAL, "the %s has a space or a control character at byte %zu", what,
					    i);
	}
	if (len > max)
		return cc_error_set(err, EINVAL, "the %s `%.40s...` is longer than %zu bytes", what, value, max);
	return 0;
}

static bool is_severity(const char *s)
{
	static const char *const words[] = { "critical", "high", "medium", "low", "negligible", "unknown" };
	for (size_t i = 0; s && i < CC_ARRAY_SIZE(words); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

static int check_advisory(const struct feed_advisory *a, struct cc_error *err)
{
	int r;
	if ((r = check_token(a->distro, FEED_RELEASE_MAX, "distribution", true, err)) < 0 ||
	    (r = check_token(a->release, FEED_RELEASE_MAX, "release", true, err)) < 0 ||
	    (r = check_token(a->package, FEED_PACKAGE_MAX, "package name", true, err)) < 0 ||
	    (r = check_token(a->id, FEED_ID_MAX, "id", true, err)) < 0 ||
	    (r = check_token(a->introduced, FEED_VERSION_MAX, "introduced version", false, err)) < 0 ||
	    (r = check_token(a->fixed_version, FEED_VERSION_MAX, "fixed version", false, err)) < 0)
		return r;
	if (!is_severity(a->severity))
		return cc_error_set(err, EINVAL, "the severity is not one of the database's words");
	return 0;
}

int feed_write_advisory(struct feed_writer *w, const struct feed_advisory *a, struct cc_error *err)
{
	int r = check_advisory(a, err);
	if (r < 0)
		return r;
	sqlite3_stmt *s = w->advisory;
	sqlite3_bind_int64(s, 1, w->source_id);
	sqlite3_bind_text(s, 2, a->distro, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, a->release, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, a->package, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, a->id, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, a->introduced ? a->introduced : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, a->fixed_version ? a->fixed_version : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 8, a->severity, -1, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(w->db, err, "write an advisory");
	w->stats.advisories += (uint64_t)sqlite3_changes(w->db->db);
	return 0;
}

int feed_note_vulnerability(struct feed_writer *w, const char *id, const char *summary, struct cc_error *err)
{
	int r = check_token(id, FEED_ID_MAX, "id", true, err);
	if (r < 0)
		return r;
	sqlite3_stmt *s = w->vulnerability;
	sqlite3_bind_int64(s, 1, w->source_id);
	sqlite3_bind_text(s, 2, id, -1, SQLITE_STATIC);
	if (summary && *summary) {
		/* Cut at FEED_SUMMARY_MAX bytes, backing off to the start of a UTF-8 sequence. */
		size_t n = strnlen(summary, FEED_SUMMARY_MAX + 1);
		if (n > FEED_SUMMARY_MAX) {
			n = FEED_SUMMARY_MAX;
			while (n > 0 && ((unsigned char)summary[n] & 0xc0) == 0x80)
				n--;
		}
		sqlite3_bind_text(s, 3, summary, (int)n, SQLITE_STATIC);
	} else {
		sqlite3_bind_null(s, 3);
	}
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return db_error(w->db, err, "write a vulnerability");
	w->stats.vulnerabilities += (uint64_t)sqlite3_changes(w->db->db);
	return 0;
}

void feed_count_skipped(struct feed_writer *w)
{
	w->stats.skipped++;
}

void feed_add_scope(struct feed_writer *w, const char *part)
{
	size_t at = 0;
	for (; at < w->n_scope; at++) {
		int c = strncmp(part, w->scope[at], SCOPE_PART_MAX);
		if (c == 0)
			return;
		if (c < 0)
			break;
	}
	if (w->n_scope == SCOPE_PARTS_MAX)
		return; /* no reader adds this many; the scope then names the first ones */
	memmove(&w->scope[at + 1], &w->scope[at], (w->n_scope - at) * sizeof(w->scope[0]));
	w->scope[at] = cc_xstrndup(part, SCOPE_PART_MAX);
	w->n_scope++;
}

void feed_set_sha256(struct feed_writer *w, const char *hex)
{
	snprintf(w->sha256, sizeof(w->sha256), "%s", hex);
}

const char *feed_severity(const char *word, size_t len)
{
	/* The feeds' words: Debian's urgency, Ubuntu's priority, GitHub's and Red Hat's severities. */
	static const struct {
		const char *word;
		const char *severity;
	} words[] = {
		{ "critical", "critical" },     { "high", "high" },
		{ "important", "high" },        { "medium", "medium" },
		{ "moderate", "medium" },       { "low", "low" },
		{ "negligible", "negligible" }, { "unimportant", "negligible" },
	};
	for (size_t i = 0; word && i < CC_ARRAY_SIZE(words); i++)
		if (strlen(words[i].word) == len && strncasecmp(word, words[i].word, len) == 0)
			return words[i].severity;
	return "unknown";
}

const char *feed_quote(const char *s, char out[FEED_QUOTE_SIZE])
{
	if (!s)
		return "(null)";
	size_t n = strnlen(s, FEED_QUOTE_SIZE);
	bool cut = n == FEED_QUOTE_SIZE;
	if (cut) {
		n = FEED_QUOTE_SIZE - 4;
		while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
			n--;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = (unsigned char)s[i] < ' ' || s[i] == 0x7f ? '?' : s[i];
	strcpy(out + n, cut ? "..." : "");
	return out;
}

/* ---- The import transaction ------------------------------------------------------------------- */

static int prepare(struct scan_vulndb *db, const char *sql, sqlite3_stmt **ret, struct cc_error *err)
{
	if (sqlite3_prepare_v2(db->db, sql, -1, ret, NULL) != SQLITE_OK)
		return db_error(db, err, "prepare a statement");
	return 0;
}

static int import_begin(struct scan_vulndb *db, enum scan_feed_format format, const char *name, struct feed_writer *w,
			struct cc_error *err)
{
	*w = (struct feed_writer){ .db = db, .format = scan_feed_format_name(format), .file = name };
	int r = exec(db, "BEGIN IMMEDIATE", "begin the import", err);
	if (r < 0)
		return r;
	sqlite3_stmt *s = NULL;
	r = prepare(db,
		    "INSERT INTO sources (format, file, scope, sha256, imported, vulnerabilities, advisories, skipped)"
		    " VALUES (?1, ?2, NULL, '', ?3, 0, 0, 0)",
		    &s, err);
	if (r < 0)
		return r;
	sqlite3_bind_text(s, 1, w->format, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, w->file, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, cc_time_now_ns() / 1000000000);
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return db_error(db, err, "add the source");
	w->source_id = sqlite3_last_insert_rowid(db->db);
	if ((r = prepare(db,
			 "INSERT INTO advisories (source_id, distro, release_key, package, vuln_id, introduced,"
			 " fixed_version, severity) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) ON CONFLICT DO NOTHING",
			 &w->advisory, err)) < 0)
		return r;
	return prepare(db,
		       "INSERT INTO vulnerabilities (source_id, id, summary) VALUES (?1, ?2, ?3)"
		       " ON CONFLICT DO NOTHING",
		       &w->vulnerability, err);
}

static char *scope_string(const struct feed_writer *w)
{
	struct cc_buf buf = CC_BUF_INIT;
	cc_buf_append_str(&buf, "");
	for (size_t i = 0; i < w->n_scope; i++) {
		if (i)
			cc_buf_append_str(&buf, ",");
		cc_buf_append_str(&buf, w->scope[i]);
	}
	return cc_buf_steal(&buf, NULL);
}

/* Deletes what an earlier import of the same format, file and scope wrote; sets this one's row. */
static int import_replace(struct feed_writer *w, struct cc_error *err)
{
	static const char *const steps[] = {
		"DELETE FROM advisories WHERE source_id IN (SELECT id FROM sources"
		" WHERE format = ?1 AND file = ?2 AND scope = ?3 AND id <> ?4)",
		"DELETE FROM vulnerabilities WHERE source_id IN (SELECT id FROM sources"
		" WHERE format = ?1 AND file = ?2 AND scope = ?3 AND id <> ?4)",
		"DELETE FROM sources WHERE format = ?1 AND file = ?2 AND scope = ?3 AND id <> ?4",
		"UPDATE sources SET scope = ?3, sha256 = ?5, vulnerabilities = ?6, advisories = ?7, skipped = ?8"
		" WHERE id = ?4",
	};
	_cleanup_free_ char *scope = scope_string(w);
	for (size_t i = 0; i < CC_ARRAY_SIZE(steps); i++) {
		sqlite3_stmt *s = NULL;
		int r = prepare(w->db, steps[i], &s, err);
		if (r < 0)
			return r;
		sqlite3_bind_text(s, 1, w->format, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, w->file, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 3, scope, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 4, w->source_id);
		if (i == CC_ARRAY_SIZE(steps) - 1) {
			sqlite3_bind_text(s, 5, w->sha256, -1, SQLITE_STATIC);
			sqlite3_bind_int64(s, 6, (sqlite3_int64)w->stats.vulnerabilities);
			sqlite3_bind_int64(s, 7, (sqlite3_int64)w->stats.advisories);
			sqlite3_bind_int64(s, 8, (sqlite3_int64)w->stats.skipped);
		}
		int rc = sqlite3_step(s);
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return db_error(w->db, err, "replace the earlier import");
	}
	return 0;
}

/* Commits after r == 0, rolls back otherwise (and after a failed commit); frees the writer. */
static int import_end(struct feed_writer *w, int r, const char *what, struct scan_import_stats *ret,
		      struct cc_error *err)
{
	sqlite3_finalize(w->advisory);
	sqlite3_finalize(w->vulnerability);
	w->advisory = w->vulnerability = NULL;
	if (r == 0)
		r = import_replace(w, err);
	if (r == 0)
		r = exec(w->db, "COMMIT", "commit the import", err);
	if (r < 0 && !sqlite3_get_autocommit(w->db->db))
		sqlite3_exec(w->db->db, "ROLLBACK", NULL, NULL, NULL);
	for (size_t i = 0; i < w->n_scope; i++)
		free(w->scope[i]);
	if (r < 0)
		return cc_error_prefix(err, "%s feed `%s`", w->format, what);
	if (ret)
		*ret = w->stats;
	return 0;
}

static int sha256_file(const char *path, char out[SHA256_HEX_SIZE], struct cc_error *err)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s`", path);
	struct cc_digest_ctx *ctx = NULL;
	int r = cc_digest_begin(CC_DIGEST_SHA256, &ctx, err);
	if (r < 0)
		return r;
	static const size_t chunk = 1 << 16;
	_cleanup_free_ char *buf = cc_xmalloc(chunk);
	for (;;) {
		ssize_t n = read(fd, buf, chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			cc_digest_abort(ctx);
			return cc_error_set_errno(err, errno, "read `%s`", path);
		}
		if (n == 0)
			break;
		cc_digest_update(ctx, buf, (size_t)n);
	}
	return cc_digest_end_hex(ctx, out, err);
}

/* The name is shown in status tables and JSON: text, without control characters. */
static int check_name(const char *name, struct cc_error *err)
{
	size_t len = name ? strlen(name) : 0;
	if (len == 0 || len > SOURCE_NAME_MAX)
		return cc_error_set(err, EINVAL, "a feed's file name must be 1 to %d bytes", SOURCE_NAME_MAX);
	if (!cc_utf8_valid(name, len, NULL))
		return cc_error_set(err, EINVAL, "a feed's file name must be UTF-8: rename the file");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)name[i] < ' ' || name[i] == 0x7f)
			return cc_error_set(err, EINVAL, "a feed's file name must not hold control characters");
	return 0;
}

/* One feed held in memory, imported under name; what names it in messages. */
static int import_memory(struct scan_vulndb *db, enum scan_feed_format format, const char *name, const char *what,
			 const void *data, size_t len, struct scan_import_stats *ret, struct cc_error *err)
{
	struct feed_writer w;
	int r = import_begin(db, format, name, &w, err);
	if (r == 0)
		r = cc_digest_hex(CC_DIGEST_SHA256, data, len, w.sha256, err);
	if (r == 0)
		r = formats[format].read(&w, data, len, err);
	return import_end(&w, r, what, ret, err);
}

int scan_vulndb_import_data(struct scan_vulndb *db, enum scan_feed_format format, const char *name, const void *data,
			    size_t len, struct scan_import_stats *ret, struct cc_error *err)
{
	if ((size_t)format >= CC_ARRAY_SIZE(formats))
		return cc_error_set(err, EINVAL, "unknown feed format %d", (int)format);
	int r = check_name(name, err);
	if (r < 0)
		return r;
	if (len > FEED_FILE_MAX_SIZE)
		return cc_error_set(err, EFBIG, "%s feed `%s` is larger than the limit of %zu bytes",
				    formats[format].name, name, FEED_FILE_MAX_SIZE);
	return import_memory(db, format, name, name, data, len, ret, err);
}

/* The base name of what path names (of its real path, so "." and "dir/" have one). */
static char *source_name(const char *path)
{
	char real[PATH_MAX];
	const char *p = realpath(path, real) ? real : path;
	size_t end = strlen(p);
	while (end > 1 && p[end - 1] == '/')
		end--;
	size_t start = end;
	while (start > 0 && p[start - 1] != '/')
		start--;
	return end > start ? cc_xstrndup(p + start, end - start) : cc_xstrdup(p);
}

static bool file_is_zip(const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	char head[4];
	return fd >= 0 && read(fd, head, sizeof(head)) == (ssize_t)sizeof(head) && feed_osv_is_zip(head, sizeof(head));
}

int scan_vulndb_import(struct scan_vulndb *db, enum scan_feed_format format, const char *path,
		       struct scan_import_stats *ret, struct cc_error *err)
{
	if ((size_t)format >= CC_ARRAY_SIZE(formats))
		return cc_error_set(err, EINVAL, "unknown feed format %d", (int)format);
	const char *fname = formats[format].name;
	struct stat st;
	if (stat(path, &st) < 0)
		return cc_error_set_errno(err, errno, "%s feed `%s`", fname, path);
	_cleanup_free_ char *name = source_name(path);
	int r = check_name(name, err);
	if (r < 0)
		return cc_error_prefix(err, "%s feed `%s`", fname, path);
	bool dir = S_ISDIR(st.st_mode);
	if (dir && format != SCAN_FEED_OSV)
		return cc_error_set(err, EISDIR, "%s feed `%s` is a directory; only osv reads a directory of records",
				    fname, path);
	if (dir || (format == SCAN_FEED_OSV && S_ISREG(st.st_mode) && file_is_zip(path))) {
		/* Read from the file system as it goes, never whole: OSV's zips are hundreds of MB. */
		char sha[SHA256_HEX_SIZE] = "";
		if (!dir && (r = sha256_file(path, sha, err)) < 0)
			return cc_error_prefix(err, "%s feed", fname);
		struct feed_writer w;
		r = import_begin(db, format, name, &w, err);
		if (r == 0) {
			feed_set_sha256(&w, sha);
			r = dir ? feed_osv_read_dir(&w, path, err) : feed_osv_read_zip_file(&w, path, err);
		}
		return import_end(&w, r, path, ret, err);
	}
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if ((r = cc_read_file(path, FEED_FILE_MAX_SIZE, &data, &len, err)) < 0)
		return cc_error_prefix(err, "%s feed", fname);
	return import_memory(db, format, name, path, data, len, ret, err);
}

/* ---- Status ------------------------------------------------------------------------------------ */

static json_t *time_string(sqlite3_int64 unix_seconds)
{
	char text[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds((int64_t)unix_seconds * 1000000000, text, sizeof(text));
	return json_string(text);
}

static json_t *column_string(sqlite3_stmt *s, int i)
{
	const char *text = (const char *)sqlite3_column_text(s, i);
	return text ? json_string(text) : json_null();
}

static int status_sources(struct scan_vulndb *db, json_t *out, sqlite3_int64 *newest, struct cc_error *err)
{
	sqlite3_stmt *s = NULL;
	int r =
	    prepare(db,
		    "SELECT format, file, scope, sha256, imported, vulnerabilities, advisories, skipped FROM sources"
		    " WHERE scope IS NOT NULL ORDER BY format, file, scope",
		    &s, err);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		sqlite3_int64 imported = sqlite3_column_int64(s, 4);
		if (imported > *newest)
			*newest = imported;
		json_array_append_new(out, json_pack("{s:o, s:o, s:o, s:o, s:o, s:I, s:I, s:I}", "format",
						     column_string(s, 0), "file", column_string(s, 1), "scope",
						     column_string(s, 2), "sha256", column_string(s, 3), "imported",
						     time_string(imported), "vulnerabilities",
						     (json_int_t)sqlite3_column_int64(s, 5), "advisories",
						     (json_int_t)sqlite3_column_int64(s, 6), "skipped",
						     (json_int_t)sqlite3_column_int64(s, 7)));
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(db, err, "read the sources");
}

static int status_distributions(struct scan_vulndb *db, json_t *out, struct cc_error *err)
{
	sqlite3_stmt *s = NULL;
	int r = prepare(
	    db,
	    "SELECT distro, release_key, count(*) FROM advisories"
	    " GROUP BY distro, release_key"
	    /* releases in the order people count them: 8 before 10, 3.9 before 3.10, then unstable, edge */
	    " ORDER BY distro, release_key GLOB '[0-9]*' DESC, CAST(release_key AS INTEGER), length(release_key),"
	    " release_key",
	    &s, err);
	if (r < 0)
		return r;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW)
		json_array_append_new(out, json_pack("{s:o, s:o, s:I}", "distro", column_string(s, 0), "release",
						     column_string(s, 1), "advisories",
						     (json_int_t)sqlite3_column_int64(s, 2)));
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_error(db, err, "count the advisories");
}

int scan_vulndb_status(struct scan_vulndb *db, json_t **ret, struct cc_error *err)
{
	_cleanup_json_ json_t *sources = json_array(), *distributions = json_array();
	sqlite3_int64 newest = 0;
	int r = status_sources(db, sources, &newest, err);
	if (r == 0)
		r = status_distributions(db, distributions, err);
	if (r < 0)
		return r;
	*ret = json_pack("{s:O, s:O, s:o}", "sources", sources, "distributions", distributions, "newest_import",
			 json_array_size(sources) ? time_string(newest) : json_null());
	return 0;
}

/* ---- Lookup ------------------------------------------------------------------------------------ */

int scan_vulndb_lookup(struct scan_vulndb *db, const char *distro, const char *release, const char *package,
		       int (*found)(void *ctx, const struct scan_advisory *a), void *ctx, struct cc_error *err)
{
	if (!distro || !release || !package)
		return cc_error_set(err, EINVAL, "a lookup needs a distribution, a release and a package");
	if (!db->lookup) {
		int r = prepare(db,
				"SELECT a.vuln_id, a.fixed_version, a.severity, v.summary, s.format, a.introduced"
				" FROM advisories a JOIN sources s ON s.id = a.source_id"
				" LEFT JOIN vulnerabilities v ON v.source_id = a.source_id AND v.id = a.vuln_id"
				" WHERE a.distro = ?1 AND a.release_key = ?2 AND a.package = ?3"
				" ORDER BY a.vuln_id, s.format, a.introduced, a.fixed_version",
				&db->lookup, err);
		if (r < 0)
			return r;
	}
	sqlite3_stmt *s = db->lookup;
	sqlite3_bind_text(s, 1, distro, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, release, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, package, -1, SQLITE_STATIC);
	int count = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *introduced = (const char *)sqlite3_column_text(s, 5);
		const char *fixed = (const char *)sqlite3_column_text(s, 1);
		struct scan_advisory a = {
			.id = (const char *)sqlite3_column_text(s, 0),
			.fixed_version = fixed && *fixed ? fixed : NULL,
			.severity = (const char *)sqlite3_column_text(s, 2),
			.summary = (const char *)sqlite3_column_text(s, 3),
			.source = (const char *)sqlite3_column_text(s, 4),
			.introduced = introduced && *introduced ? introduced : NULL,
		};
		int r = found(ctx, &a);
		if (r < 0) {
			sqlite3_reset(s);
			if (!err || !err->code)
				cc_error_set(err, -r, "lookup of %s %s `%s` stopped: %s", distro, release, package,
					     strerror(-r));
			return r;
		}
		if (count < INT_MAX)
			count++;
	}
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? count : db_error(db, err, "look up advisories");
}

/* ---- Release keys ------------------------------------------------------------------------------ */

/* Leading decimal digits of s (at most max of them), or 0. */
static size_t digits(const char *s, size_t max)
{
	size_t n = 0;
	while (n <= max && isdigit((unsigned char)s[n]))
		n++;
	return n <= max ? n : 0;
}

char *scan_vulndb_release_key(const char *distro, const char *version_id, const char *codename)
{
	if (!distro)
		return NULL;
	if (strcmp(distro, "debian") == 0) {
		/* VERSION_ID is "12" (point releases live in /etc/debian_version); testing and sid have
		 * none and say their codename. */
		size_t n = version_id ? digits(version_id, 4) : 0;
		if (n)
			return cc_xstrndup(version_id, n);
		const char *key = codename ? feed_debian_release(codename) : NULL;
		return key ? cc_xstrdup(key) : NULL;
	}
	if (strcmp(distro, "alpine") == 0 && version_id) {
		/* "3.18.4" -> "3.18"; edge says "3.21_alpha20240807" or "3.21.0_alpha...": secdb's "edge". */
		size_t major = digits(version_id, 4);
		size_t minor = major && version_id[major] == '.' ? digits(version_id + major + 1, 4) : 0;
		if (!minor)
			return NULL;
		if (strchr(version_id, '_'))
			return cc_xstrdup("edge");
		return cc_xstrndup(version_id, major + 1 + minor);
	}
	if (strcmp(distro, "ubuntu") == 0 && version_id) {
		size_t year = digits(version_id, 4);
		size_t month = year && version_id[year] == '.' ? digits(version_id + year + 1, 2) : 0;
		if (!month || version_id[year + 1 + month] != '\0')
			return NULL;
		return cc_xstrdup(version_id);
	}
	return NULL;
}
