/* scan/rpm_sqlite.c: the rpmdb.sqlite rpm itself wrote (tests/fixtures/rpmdb, see make.sh there)
 * compared with what `rpm -qa` said of it (expected.txt), its WAL-mode header, databases made here
 * that are not rpmdbs or hold bad rows, and corrupted files. */
#include "inventory_unit.h"

#include <errno.h>
#include <sqlite3.h>

static const char db_path[] = "/var/lib/rpm/rpmdb.sqlite";

static void parse_refused(const void *data, size_t len, const char *word)
{
	struct scan_inventory inv = { 0 };
	scan_inventory_add(&inv, &(struct scan_package){ .name = "before", .version = "1" });
	struct cc_error err = { 0 };
	int r = scan_rpm_sqlite_parse(data, len, db_path, &inv, &err);
	unit_assert_refused(r, EBADMSG, &err, word);
	assert_int_equal(inv.n_packages, 1);
	scan_inventory_free(&inv);
}

/* expected.txt: NAME EPOCH VERSION RELEASE ARCH SOURCERPM LICENSE... as rpm -qa printed them. */
static void assert_as_rpm_says(const struct scan_inventory *inv)
{
	size_t len;
	char *expected = unit_fixture("tests/fixtures/rpmdb/expected.txt", &len);
	size_t packages = 0;
	for (char *save = NULL, *line = strtok_r(expected, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char name[256], epoch[64], version[256], release[256], arch[64], srpm[512];
		int license_at = 0;
		if (sscanf(line, "%255s %63s %255s %255s %63s %511s %n", name, epoch, version, release, arch, srpm,
			   &license_at) != 6)
			fail_msg("expected.txt: %s", line);
		if (strcmp(name, "gpg-pubkey") == 0)
			continue;
		packages++;
		const struct scan_package *p = unit_package(inv, name);
		char want[1024];
		if (strcmp(epoch, "(none)") == 0)
			snprintf(want, sizeof(want), "%s-%s", version, release);
		else
			snprintf(want, sizeof(want), "%s:%s-%s", epoch, version, release);
		unit_assert_str(p->version, want);
		unit_assert_str(p->arch, arch);
		unit_assert_str(p->license, line + license_at);
		/* SOURCERPM is source_name-source_version(less the epoch).src.rpm */
		const char *colon = strchr(p->source_version, ':');
		snprintf(want, sizeof(want), "%s-%s.src.rpm", p->source_name, colon ? colon + 1 : p->source_version);
		unit_assert_str(srpm, want);
		unit_assert_str(p->db_path, db_path);
	}
	assert_int_equal(inv->n_packages, packages);
	assert_int_equal(packages, 4);
	free(expected);
}

static void test_fixture(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/rpmdb/rpmdb.sqlite", &len);
	/* rpm keeps its database in WAL mode: the header says so (file format bytes 18 and 19) */
	assert_int_equal(data[18], 2);
	assert_int_equal(data[19], 2);
	char *before = malloc(len);
	memcpy(before, data, len);

	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	if (scan_rpm_sqlite_parse(data, len, db_path, &inv, &err) != 0)
		fail_msg("%s", err.message);
	assert_as_rpm_says(&inv);
	unit_assert_str(unit_package(&inv, "cocoon-suite-libs")->source_name, "cocoon-suite");
	unit_assert_str(unit_package(&inv, "cocoon-epoch")->version, "2:3.4.5~rc1-7.fc40");
	scan_inventory_free(&inv);
	assert_memory_equal(data, before, len); /* the caller's bytes are not touched */

	/* the same database in rollback-journal mode */
	data[18] = data[19] = 1;
	assert_int_equal(scan_rpm_sqlite_parse(data, len, db_path, &inv, &err), 0);
	assert_as_rpm_says(&inv);
	scan_inventory_free(&inv);
	free(before);
	free(data);
}

/* ---- Databases made here ---- */

static void *serialize(sqlite3 *db, size_t *ret_len)
{
	sqlite3_int64 size = 0;
	unsigned char *image = sqlite3_serialize(db, "main", &size, 0);
	assert_non_null(image);
	void *copy = malloc((size_t)size);
	memcpy(copy, image, (size_t)size);
	sqlite3_free(image);
	*ret_len = (size_t)size;
	return copy;
}

static sqlite3 *made(const char *sql)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(":memory:", &db), SQLITE_OK);
	char *message = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &message) != SQLITE_OK)
		fail_msg("%s: %s", sql, message);
	return db;
}

static void *made_bytes(const char *sql, size_t *ret_len)
{
	sqlite3 *db = made(sql);
	void *bytes = serialize(db, ret_len);
	sqlite3_close(db);
	return bytes;
}

static void insert_blob(sqlite3 *db, int hnum, const void *blob, size_t len)
{
	sqlite3_stmt *stmt = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO Packages VALUES (?, ?)", -1, &stmt, NULL), SQLITE_OK);
	sqlite3_bind_int(stmt, 1, hnum);
	sqlite3_bind_blob(stmt, 2, blob, (int)len, SQLITE_TRANSIENT);
	assert_int_equal(sqlite3_step(stmt), SQLITE_DONE);
	sqlite3_finalize(stmt);
}

/* Row hnum of the fixture's Packages, read with SQLite itself (immutable: nothing written beside it). */
static void *fixture_blob(int hnum, size_t *ret_len)
{
	char uri[4096];
	snprintf(uri, sizeof(uri), "file:%s/tests/fixtures/rpmdb/rpmdb.sqlite?immutable=1",
		 getenv("COCOON_SOURCE_ROOT"));
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
	sqlite3_stmt *stmt = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT blob FROM Packages WHERE hnum = ?", -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(stmt, 1, hnum);
	assert_int_equal(sqlite3_step(stmt), SQLITE_ROW);
	*ret_len = (size_t)sqlite3_column_bytes(stmt, 0);
	void *blob = malloc(*ret_len);
	memcpy(blob, sqlite3_column_blob(stmt, 0), *ret_len);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return blob;
}

static const char packages_table[] =
    "CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)";

static void test_not_an_rpmdb(void **state)
{
	(void)state;
	const char *status = "Package: bash\nStatus: install ok installed\nVersion: 5.2.15-2+b8\n"
			     "Description: GNU Bourne Again SHell\n This is a long enough file to pass 100 bytes.\n";
	parse_refused(status, strlen(status), "not an SQLite database");
	parse_refused("SQLite format 3", 16, "not an SQLite database"); /* shorter than SQLite's header */
	/* Berkeley DB's hash magic at offset 12, as rpm < 4.16's Packages has it */
	unsigned char bdb[4096] = { 0 };
	memcpy(bdb + 12, "\x61\x15\x06\x00", 4);
	parse_refused(bdb, sizeof(bdb), "Berkeley DB");

	size_t len;
	void *bytes = made_bytes("CREATE TABLE Other (x)", &len);
	parse_refused(bytes, len, "no Packages table");
	free(bytes);

	/* a view named Packages: views are off for an untrusted schema, and it is not a table anyway */
	bytes = made_bytes("CREATE TABLE t (hnum INTEGER PRIMARY KEY, blob BLOB);"
			   "CREATE VIEW Packages AS SELECT hnum, blob FROM t",
			   &len);
	parse_refused(bytes, len, "Packages is not a table");
	free(bytes);
}

static void test_bad_rows(void **state)
{
	(void)state;
	size_t len;
	void *bytes = made_bytes("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);"
				 "INSERT INTO Packages VALUES (3, 'text, not a header')",
				 &len);
	parse_refused(bytes, len, "Packages hnum 3: the header is not a BLOB");
	free(bytes);

	bytes = made_bytes("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);"
			   "INSERT INTO Packages VALUES (4, NULL)",
			   &len);
	parse_refused(bytes, len, "hnum 4");
	free(bytes);

	bytes = made_bytes("CREATE TABLE Packages (hnum INTEGER PRIMARY KEY, blob BLOB);"
			   "INSERT INTO Packages VALUES (5, x'')",
			   &len);
	parse_refused(bytes, len, "hnum 5: 0 bytes, shorter than");
	free(bytes);

	/* two good headers, then a corrupt one: the error names it and the good ones are not kept */
	sqlite3 *db = made(packages_table);
	for (int hnum = 1; hnum <= 2; hnum++) {
		size_t blob_len;
		void *blob = fixture_blob(hnum, &blob_len);
		insert_blob(db, hnum, blob, blob_len);
		if (hnum == 2) {
			((unsigned char *)blob)[3] ^= 0x40; /* il */
			insert_blob(db, 7, blob, blob_len);
		}
		free(blob);
	}
	bytes = serialize(db, &len);
	sqlite3_close(db);
	parse_refused(bytes, len, "/var/lib/rpm/rpmdb.sqlite: Packages hnum 7: ");
	free(bytes);
}

static void test_empty_and_keys_only(void **state)
{
	(void)state;
	size_t len;
	void *bytes = made_bytes(packages_table, &len);
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_rpm_sqlite_parse(bytes, len, NULL, &inv, &err), 0);
	assert_int_equal(inv.n_packages, 0);
	free(bytes);

	sqlite3 *db = made(packages_table);
	size_t blob_len;
	void *blob = fixture_blob(5, &blob_len); /* the gpg-pubkey */
	insert_blob(db, 5, blob, blob_len);
	free(blob);
	bytes = serialize(db, &len);
	sqlite3_close(db);
	assert_int_equal(scan_rpm_sqlite_parse(bytes, len, NULL, &inv, &err), 0);
	assert_int_equal(inv.n_packages, 0);
	free(bytes);
}

/* Cut short, or with bytes overwritten all over: refused cleanly or read, never a crash. */
static void test_corrupted_files(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/rpmdb/rpmdb.sqlite", &len);
	size_t refused = 0, runs = 0;
	for (size_t cut = 0; cut < len; cut += 4096 - 37) {
		char *copy = malloc(cut ? cut : 1);
		memcpy(copy, data, cut);
		struct scan_inventory inv = { 0 };
		struct cc_error err = { 0 };
		int r = scan_rpm_sqlite_parse(copy, cut, db_path, &inv, &err);
		if (r < 0) {
			assert_true(err.message[0] != '\0');
			assert_int_equal(inv.n_packages, 0);
			refused++;
		}
		runs++;
		scan_inventory_free(&inv);
		free(copy);
	}
	for (size_t at = 0; at < len; at += 499) {
		char *copy = malloc(len);
		memcpy(copy, data, len);
		for (size_t i = at; i < at + 8 && i < len; i++)
			copy[i] ^= 0x5a;
		struct scan_inventory inv = { 0 };
		struct cc_error err = { 0 };
		int r = scan_rpm_sqlite_parse(copy, len, db_path, &inv, &err);
		if (r < 0) {
			assert_true(err.message[0] != '\0');
			assert_int_equal(inv.n_packages, 0);
			refused++;
		}
		runs++;
		scan_inventory_free(&inv);
		free(copy);
	}
	print_message("%zu corrupted databases, %zu refused\n", runs, refused);
	assert_true(refused > 0);
	free(data);
}

static void test_limits(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	unit_assert_refused(scan_rpm_sqlite_parse("", SCAN_INVENTORY_DB_MAX + 1, db_path, &inv, &err), EFBIG, &err,
			    db_path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),         cmocka_unit_test(test_not_an_rpmdb),
		cmocka_unit_test(test_bad_rows),        cmocka_unit_test(test_empty_and_keys_only),
		cmocka_unit_test(test_corrupted_files), cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
