/* rpm's SQLite database (rpm >= 4.16: Fedora 33+, RHEL 9, Amazon Linux 2023, ...):
 * /var/lib/rpm/rpmdb.sqlite (/usr/lib/sysimage/rpm/ on Fedora 36+), whose Packages table
 * (hnum INTEGER PRIMARY KEY, blob BLOB) holds one header blob per installed package (rpm_header.c);
 * the other tables are indexes rpm rebuilds from them.
 *
 * The file comes from an image layer, so it is treated as hostile SQLite: it is opened from a private
 * in-memory copy (sqlite3_deserialize, read-only: nothing is ever written, on disk or back to the
 * caller's bytes), with SQLite's defences for untrusted databases on (defensive mode, the schema
 * untrusted, no triggers or views, cell size checks), and only the Packages table is read, after
 * checking it is one.
 *
 * The -wal file that may sit beside rpmdb.sqlite is ignored: rpm keeps the database in WAL mode but
 * checkpoints when it closes it, so an image's WAL is empty or absent unless rpm was killed mid-way;
 * the main file alone is the database as of the last checkpoint. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <sqlite3.h>
#include <string.h>

/* SQLite's file format (fileformat2.html §1.3): the header string, and the read/write version bytes
 * that say 2 for WAL mode. */
#define SQLITE_HEADER_SIZE      100
#define SQLITE_WRITE_VERSION_AT 18
#define SQLITE_READ_VERSION_AT  19
static const char sqlite_magic[16] = "SQLite format 3";

static void sqlite_closep(sqlite3 **db)
{
	sqlite3_close(*db);
}

static void sqlite_finalizep(sqlite3_stmt **stmt)
{
	sqlite3_finalize(*stmt);
}

static int sqlite_problem(sqlite3 *db, const char *what, const char *doing, struct cc_error *err)
{
	return cc_error_set(err, EBADMSG, "%s: %s: %s", what, doing, sqlite3_errmsg(db));
}

/* A private copy of the file that SQLite owns (freed on close), in rollback-journal mode: the
 * in-memory VFS has no shared memory for a WAL, and there is nothing in one to read anyway. */
static unsigned char *database_copy(const void *data, size_t len)
{
	unsigned char *copy = sqlite3_malloc64(len);
	if (!copy) {
		fprintf(stderr, "cocoon: out of memory allocating %zu bytes\n", len);
		abort();
	}
	memcpy(copy, data, len);
	if (copy[SQLITE_WRITE_VERSION_AT] == 2 && copy[SQLITE_READ_VERSION_AT] == 2)
		copy[SQLITE_WRITE_VERSION_AT] = copy[SQLITE_READ_VERSION_AT] = 1;
	return copy;
}

static int open_untrusted(const void *data, size_t len, const char *what, sqlite3 **ret, struct cc_error *err)
{
	_cleanup_(sqlite_closep) sqlite3 *db = NULL;
	if (sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK)
		return cc_error_set(err, ENOMEM, "%s: cannot open an in-memory SQLite database: %s", what,
				    db ? sqlite3_errmsg(db) : "out of memory");
	/* sqlite.org/security.html, "untrusted SQLite database files" */
	sqlite3_db_config(db, SQLITE_DBCONFIG_DEFENSIVE, 1, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_TRUSTED_SCHEMA, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_TRIGGER, 0, NULL);
	sqlite3_db_config(db, SQLITE_DBCONFIG_ENABLE_VIEW, 0, NULL);
	sqlite3_limit(db, SQLITE_LIMIT_LENGTH, (int)SCAN_INVENTORY_DB_MAX);
	unsigned char *copy = database_copy(data, len);
	if (sqlite3_deserialize(db, "main", copy, (sqlite3_int64)len, (sqlite3_int64)len,
				SQLITE_DESERIALIZE_FREEONCLOSE | SQLITE_DESERIALIZE_READONLY) != SQLITE_OK)
		return sqlite_problem(db, what, "cannot load the database", err);
	if (sqlite3_exec(db, "PRAGMA cell_size_check = ON", NULL, NULL, NULL) != SQLITE_OK)
		return sqlite_problem(db, what, "PRAGMA cell_size_check", err);
	*ret = CC_TAKE_PTR(db);
	return 0;
}

/* The Packages table, a table (not a view or anything else a crafted schema might name so). */
static int check_schema(sqlite3 *db, const char *what, struct cc_error *err)
{
	_cleanup_(sqlite_finalizep) sqlite3_stmt *stmt = NULL;
	if (sqlite3_prepare_v2(db, "SELECT type FROM sqlite_schema WHERE name = 'Packages' COLLATE NOCASE", -1, &stmt,
			       NULL) != SQLITE_OK)
		return sqlite_problem(db, what, "reading the schema", err);
	int step = sqlite3_step(stmt);
	if (step == SQLITE_DONE)
		return cc_error_set(err, EBADMSG, "%s: no Packages table: not an rpmdb.sqlite", what);
	if (step != SQLITE_ROW)
		return sqlite_problem(db, what, "reading the schema", err);
	const unsigned char *type = sqlite3_column_text(stmt, 0);
	if (!type || strcmp((const char *)type, "table") != 0)
		return cc_error_set(err, EBADMSG, "%s: Packages is not a table: not an rpmdb.sqlite", what);
	return 0;
}

static int read_packages(sqlite3 *db, const char *db_path, const char *what, struct scan_inventory *inv,
			 struct cc_error *err)
{
	_cleanup_(sqlite_finalizep) sqlite3_stmt *stmt = NULL;
	/* In rpm's schema hnum is the rowid, so the rows come in its order without a sort (which a crafted
	 * schema could make cost a copy of every blob). */
	if (sqlite3_prepare_v2(db, "SELECT hnum, blob FROM Packages", -1, &stmt, NULL) != SQLITE_OK)
		return sqlite_problem(db, what, "reading Packages", err);
	int step;
	while ((step = sqlite3_step(stmt)) == SQLITE_ROW) {
		sqlite3_int64 hnum = sqlite3_column_int64(stmt, 0);
		if (sqlite3_column_type(stmt, 1) != SQLITE_BLOB)
			return cc_error_set(err, EBADMSG, "%s: Packages hnum %lld: the header is not a BLOB", what,
					    (long long)hnum);
		const void *blob = sqlite3_column_blob(stmt, 1);
		int len = sqlite3_column_bytes(stmt, 1);
		int r = scan_rpm_header_read(blob ? blob : "", blob ? (size_t)len : 0, db_path, inv, err);
		if (r < 0) {
			cc_error_prefix(err, "%s: Packages hnum %lld", what, (long long)hnum);
			return r;
		}
	}
	if (step != SQLITE_DONE)
		return sqlite_problem(db, what, "reading Packages", err);
	return 0;
}

int scan_rpm_sqlite_parse(const void *data, size_t len, const char *db_path, struct scan_inventory *inv,
			  struct cc_error *err)
{
	const char *what = db_path ? db_path : "rpmdb.sqlite";
	int r = scan_db_size_check(len, SCAN_INVENTORY_DB_MAX, what, err);
	if (r < 0)
		return r;
	if (len < SQLITE_HEADER_SIZE || memcmp(data, sqlite_magic, sizeof(sqlite_magic)) != 0)
		return cc_error_set(err, EBADMSG,
				    "%s: not an SQLite database (an rpmdb of rpm before 4.16 is a Berkeley DB "
				    "`Packages`, which is not read)",
				    what);
	_cleanup_(sqlite_closep) sqlite3 *db = NULL;
	if ((r = open_untrusted(data, len, what, &db, err)) < 0 || (r = check_schema(db, what, err)) < 0)
		return r;
	size_t before = inv->n_packages;
	r = read_packages(db, db_path, what, inv, err);
	if (r < 0)
		scan_inventory_truncate(inv, before);
	return r;
}
