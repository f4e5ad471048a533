/* scan/rpm_header.c: the real header blobs of tests/fixtures/rpmdb/rpmdb.sqlite (made by rpm itself,
 * see make.sh there), headers built here to reach each check, and corruption: offsets out of range,
 * unterminated strings, huge counts, misalignment, overlaps, a broken region, every byte flipped. */
#include "inventory_unit.h"

#include <errno.h>
#include <sqlite3.h>

static const char db_path[] = "/var/lib/rpm/rpmdb.sqlite";

/* ---- Real blobs ---- */

/* The blob of Packages row hnum, read from the fixture without writing beside it (immutable=1: no
 * -shm or -wal files in the source tree). */
static uint8_t *real_blob(int hnum, size_t *ret_len)
{
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (!root)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson (it sets it)");
	char uri[4096];
	snprintf(uri, sizeof(uri), "file:%s/tests/fixtures/rpmdb/rpmdb.sqlite?immutable=1", root);
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(uri, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL), SQLITE_OK);
	sqlite3_stmt *stmt = NULL;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT blob FROM Packages WHERE hnum = ?", -1, &stmt, NULL),
			 SQLITE_OK);
	sqlite3_bind_int(stmt, 1, hnum);
	uint8_t *blob = NULL;
	*ret_len = 0;
	if (sqlite3_step(stmt) == SQLITE_ROW) {
		*ret_len = (size_t)sqlite3_column_bytes(stmt, 0);
		blob = malloc(*ret_len);
		memcpy(blob, sqlite3_column_blob(stmt, 0), *ret_len);
	}
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	return blob;
}

static uint32_t get_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* The index entry of tag in a blob (its 16 bytes). */
static uint8_t *entry_of(uint8_t *blob, uint32_t tag, uint32_t *ret_i)
{
	uint32_t il = get_be32(blob);
	for (uint32_t i = 0; i < il; i++)
		if (get_be32(blob + 8 + 16 * i) == tag) {
			if (ret_i)
				*ret_i = i;
			return blob + 8 + 16 * i;
		}
	fail_msg("no tag %u", tag);
	return NULL;
}

static void parse_refused(const void *blob, size_t len, const char *word)
{
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	int r = scan_rpm_header_parse(blob, len, db_path, &inv, &err);
	unit_assert_refused(r, EBADMSG, &err, word);
	assert_int_equal(inv.n_packages, 0);
	if (strncmp(err.message, "/var/lib/rpm/rpmdb.sqlite: rpm header: ", 39) != 0)
		fail_msg("the message does not name the database: %s", err.message);
}

static void test_real_headers(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	int blobs = 0;
	for (int hnum = 1; hnum < 100; hnum++) {
		size_t len;
		uint8_t *blob = real_blob(hnum, &len);
		if (!blob)
			break;
		blobs++;
		struct cc_error err = { 0 };
		if (scan_rpm_header_parse(blob, len, db_path, &inv, &err) != 0)
			fail_msg("hnum %d: %s", hnum, err.message);
		free(blob);
	}
	assert_int_equal(blobs, 5);
	assert_int_equal(inv.n_packages, 4); /* the gpg-pubkey is not a package */
	for (size_t i = 0; i < inv.n_packages; i++)
		assert_string_not_equal(inv.packages[i].name, "gpg-pubkey");

	const struct scan_package *epoch = unit_package(&inv, "cocoon-epoch");
	assert_int_equal(epoch->type, SCAN_PACKAGE_RPM);
	unit_assert_str(epoch->version, "2:3.4.5~rc1-7.fc40");
	unit_assert_str(epoch->arch, "x86_64");
	unit_assert_str(epoch->source_name, "cocoon-epoch");
	unit_assert_str(epoch->source_version, "2:3.4.5~rc1-7.fc40");
	unit_assert_str(epoch->license, "GPL-2.0-or-later AND (MIT OR Apache-2.0)");
	unit_assert_str(epoch->db_path, db_path);

	const struct scan_package *libs = unit_package(&inv, "cocoon-suite-libs"); /* a subpackage */
	unit_assert_str(libs->version, "0.9-2");
	unit_assert_str(libs->arch, "noarch");
	unit_assert_str(libs->source_name, "cocoon-suite");
	unit_assert_str(libs->source_version, "0.9-2");
	unit_assert_str(libs->license, "BSD-3-Clause");
	unit_assert_str(unit_package(&inv, "cocoon-hello")->version, "1.0-1");
	scan_inventory_free(&inv);
}

/* ---- Built headers ---- */

struct builder {
	uint8_t index[16 * 64];
	uint8_t data[8192];
	uint32_t il, dl;
};

static void b_entry(struct builder *b, uint32_t tag, uint32_t type, uint32_t offset, uint32_t count)
{
	assert_true(b->il < 64);
	uint8_t *e = b->index + 16 * b->il++;
	put_be32(e, tag);
	put_be32(e + 4, type);
	put_be32(e + 8, offset);
	put_be32(e + 12, count);
}

static uint32_t b_data(struct builder *b, const void *p, size_t n, uint32_t align)
{
	while (b->dl % align)
		b->data[b->dl++] = 0;
	assert_true(b->dl + n <= sizeof(b->data));
	uint32_t offset = b->dl;
	memcpy(b->data + b->dl, p, n);
	b->dl += (uint32_t)n;
	return offset;
}

static void b_string(struct builder *b, uint32_t tag, const char *s)
{
	b_entry(b, tag, 6, b_data(b, s, strlen(s) + 1, 1), 1);
}

static void b_int32(struct builder *b, uint32_t tag, uint32_t v)
{
	uint8_t be[4];
	put_be32(be, v);
	b_entry(b, tag, 4, b_data(b, be, 4, 4), 1);
}

/* A blob of exactly its size (so a read past it is a read past the allocation). */
static uint8_t *b_blob(const struct builder *b, size_t *ret_len)
{
	size_t len = 8 + 16 * (size_t)b->il + b->dl;
	uint8_t *blob = malloc(len);
	put_be32(blob, b->il);
	put_be32(blob + 4, b->dl);
	memcpy(blob + 8, b->index, 16 * (size_t)b->il);
	memcpy(blob + 8 + 16 * b->il, b->data, b->dl);
	*ret_len = len;
	return blob;
}

static void b_package(struct builder *b, const char *name)
{
	*b = (struct builder){ 0 };
	b_string(b, 1000, name);
	b_string(b, 1001, "2.0");
	b_string(b, 1002, "3.el9");
}

static struct scan_inventory parse_built(const struct builder *b)
{
	size_t len;
	uint8_t *blob = b_blob(b, &len);
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	if (scan_rpm_header_parse(blob, len, NULL, &inv, &err) != 0)
		fail_msg("%s", err.message);
	free(blob);
	return inv;
}

static void refused_built(const struct builder *b, const char *word)
{
	size_t len;
	uint8_t *blob = b_blob(b, &len);
	parse_refused(blob, len, word);
	free(blob);
}

static void test_built_header(void **state)
{
	(void)state;
	struct builder b;
	b_package(&b, "my-pkg-name");
	b_int32(&b, 1003, 7);
	b_string(&b, 1014, "MIT");
	b_string(&b, 1022, "aarch64");
	b_string(&b, 1044, "my-pkg-name-src-2.0-3.el9.src.rpm");
	struct scan_inventory inv = parse_built(&b);
	assert_int_equal(inv.n_packages, 1);
	unit_assert_str(inv.packages[0].name, "my-pkg-name");
	unit_assert_str(inv.packages[0].version, "7:2.0-3.el9");
	unit_assert_str(inv.packages[0].source_name, "my-pkg-name-src"); /* split from the right */
	unit_assert_str(inv.packages[0].source_version, "7:2.0-3.el9");
	unit_assert_str(inv.packages[0].arch, "aarch64");
	assert_null(inv.packages[0].db_path);
	scan_inventory_free(&inv);

	/* no ARCH, LICENSE or SOURCERPM (a source package's own header has none) */
	b_package(&b, "bare");
	inv = parse_built(&b);
	unit_assert_str(inv.packages[0].version, "2.0-3.el9");
	unit_assert_str(inv.packages[0].source_name, "bare");
	unit_assert_str(inv.packages[0].source_version, "2.0-3.el9");
	assert_null(inv.packages[0].arch);
	assert_null(inv.packages[0].license);
	scan_inventory_free(&inv);

	b_package(&b, "nosrc");
	b_string(&b, 1044, "nosrc-1.0-1.nosrc.rpm");
	inv = parse_built(&b);
	unit_assert_str(inv.packages[0].source_version, "1.0-1");
	scan_inventory_free(&inv);
}

static void test_gpg_pubkey_skipped(void **state)
{
	(void)state;
	struct builder b = { 0 };
	b_string(&b, 1000, "gpg-pubkey"); /* as rpm --import writes it: no ARCH, no SOURCERPM */
	b_string(&b, 1001, "d3782d45");
	b_string(&b, 1002, "6b0d7fc8");
	size_t len;
	uint8_t *blob = b_blob(&b, &len);
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_rpm_header_parse(blob, len, db_path, &inv, &err), 0);
	assert_int_equal(inv.n_packages, 0);
	free(blob);
}

static void test_built_refused(void **state)
{
	(void)state;
	struct builder b;

	b_package(&b, "a");
	b_entry(&b, 1014, 6, b_data(&b, "MIT", 3, 1), 1); /* the data ends before the string's NUL */
	refused_built(&b, "not terminated");

	b_package(&b, "a");
	b_entry(&b, 1118, 8, b_data(&b, "x\0y", 4, 1), 0xffffffffu); /* a huge string count */
	refused_built(&b, "does not fit");

	b_package(&b, "a");
	b_entry(&b, 1100, 4, b_data(&b, "\0\0\0\0", 4, 4), 0x40000001u); /* INT32 count * 4 overflows 32 bits */
	refused_built(&b, "does not fit");

	b_package(&b, "a");
	b_entry(&b, 1100, 4, b_data(&b, "\0\0\0\0\0", 5, 1) + 1, 1); /* INT32 at an odd offset */
	refused_built(&b, "not aligned");

	b_package(&b, "a");
	b_entry(&b, 1100, 10, b_data(&b, "x", 1, 1), 1);
	refused_built(&b, "no such type");

	b_package(&b, "a");
	b_entry(&b, 50, 7, b_data(&b, "x", 1, 1), 1);
	refused_built(&b, "not a tag");

	b_package(&b, "a");
	b_entry(&b, 1100, 0, b_data(&b, "x", 1, 1), 1); /* NULL type: no data */
	refused_built(&b, "does not fit");

	b_package(&b, "a");
	b_entry(&b, 1014, 6, 0, 1); /* points back at NAME's data */
	refused_built(&b, "overlaps");

	b_package(&b, "a");
	b_string(&b, 1000, "b");
	refused_built(&b, "appears twice");

	b = (struct builder){ 0 };
	b_int32(&b, 1000, 1);
	refused_built(&b, "not STRING");

	b_package(&b, "a");
	b_string(&b, 1003, "1");
	refused_built(&b, "not INT32");

	b_package(&b, "a");
	b_entry(&b, 1003, 4, b_data(&b, "\0\0\0\1\0\0\0\2", 8, 4), 2);
	refused_built(&b, "EPOCH has 2 values");

	b = (struct builder){ 0 };
	b_string(&b, 1001, "1");
	refused_built(&b, "no NAME");

	b = (struct builder){ 0 };
	b_string(&b, 1000, "a");
	b_string(&b, 1002, "1");
	refused_built(&b, "has no VERSION");

	b_package(&b, "a\x1b[2Jb");
	refused_built(&b, "NAME has a control character");

	const char *bad_srpms[] = { "a.src.rpm",    "a-1.src.rpm",  "a-1-2.rpm", "-1-2.src.rpm",
				    "a--2.src.rpm", "a-1-.src.rpm", ".src.rpm",  "a-1-2.src.rpm.gz" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad_srpms); i++) {
		b_package(&b, "a");
		b_string(&b, 1044, bad_srpms[i]);
		refused_built(&b, "SOURCERPM");
	}
}

/* ---- Corrupting a real blob ---- */

static uint8_t *real_copy(size_t *ret_len)
{
	uint8_t *blob = real_blob(1, ret_len);
	assert_non_null(blob);
	return blob;
}

static void test_real_corrupted(void **state)
{
	(void)state;
	size_t len;
	uint8_t *blob = real_copy(&len);
	uint32_t il = get_be32(blob), dl = get_be32(blob + 4);

	parse_refused(blob, 7, "shorter than");
	parse_refused(blob, len - 1, "make");
	put_be32(blob, 0);
	parse_refused(blob, len, "index entries");
	put_be32(blob, 0x10000);
	parse_refused(blob, len, "outside rpm's 1..65535");
	put_be32(blob, 0xffffffffu);
	parse_refused(blob, len, "index entries");
	put_be32(blob, il);
	put_be32(blob + 4, 0x10000000);
	parse_refused(blob, len, "data bytes");
	put_be32(blob + 4, 0x0fffffff);
	parse_refused(blob, len, "more than rpm's 268435456"); /* dl within rpm's limit, the whole not */
	put_be32(blob + 4, 0x0ffff000);
	parse_refused(blob, len, "make"); /* within rpm's limits, but not this blob's size */
	put_be32(blob + 4, dl);

	uint8_t *extended = malloc(len + 1);
	memcpy(extended, blob, len);
	extended[len] = 0;
	parse_refused(extended, len + 1, "make");
	free(extended);

	/* NAME's offset out of range, and then its count huge */
	uint32_t i;
	uint8_t *name = entry_of(blob, 1000, &i);
	uint32_t offset = get_be32(name + 8);
	put_be32(name + 8, dl + 1);
	char word[64];
	snprintf(word, sizeof(word), "index entry %u (tag 1000", i);
	parse_refused(blob, len, word);
	put_be32(name + 8, 0xfffffff0u);
	parse_refused(blob, len, "past the data");
	put_be32(name + 8, offset);
	put_be32(name + 12, 0xffffffffu);
	parse_refused(blob, len, "does not fit");
	put_be32(name + 12, 1);

	/* the region: its entry, its offset, its trailer */
	uint8_t *region = blob + 8;
	assert_int_equal(get_be32(region), 63);
	put_be32(region + 12, 15);
	parse_refused(blob, len, "region entry");
	put_be32(region + 12, 16);
	uint32_t trailer_at = get_be32(region + 8);
	put_be32(region + 8, dl - 8);
	parse_refused(blob, len, "past the data");
	put_be32(region + 8, trailer_at);
	uint8_t *trailer = blob + 8 + 16 * il + trailer_at;
	put_be32(trailer, 62);
	parse_refused(blob, len, "region trailer");
	put_be32(trailer, 63);
	uint32_t trailer_offset = get_be32(trailer + 8);
	put_be32(trailer + 8, (uint32_t) - (int32_t)(16 * (il + 1)));
	parse_refused(blob, len, "does not fit");
	put_be32(trailer + 8, 0x80000000u); /* INT32_MIN: its negation must not overflow */
	parse_refused(blob, len, "region trailer");
	put_be32(trailer + 8, trailer_offset);

	/* the original again */
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_rpm_header_parse(blob, len, db_path, &inv, &err), 0);
	scan_inventory_free(&inv);
	free(blob);
}

/* Each byte of each real blob flipped in turn, and each blob cut at every length: refused cleanly or
 * parsed, never a crash or a read past the blob. */
static void test_every_byte(void **state)
{
	(void)state;
	for (int hnum = 1; hnum <= 5; hnum++) {
		size_t len;
		uint8_t *blob = real_blob(hnum, &len);
		assert_non_null(blob);
		for (size_t at = 0; at < len; at++) {
			for (int pass = 0; pass < 2; pass++) {
				uint8_t *copy = malloc(len);
				memcpy(copy, blob, len);
				copy[at] = pass ? 0 : copy[at] ^ 0xff;
				struct scan_inventory inv = { 0 };
				struct cc_error err = { 0 };
				int r = scan_rpm_header_parse(copy, len, db_path, &inv, &err);
				if (r < 0) {
					assert_true(err.code != 0 && err.message[0] != '\0');
					assert_int_equal(inv.n_packages, 0);
				} else {
					assert_true(inv.n_packages <= 1);
				}
				scan_inventory_free(&inv);
				free(copy);
			}
			uint8_t *prefix = malloc(at ? at : 1);
			memcpy(prefix, blob, at);
			struct scan_inventory inv = { 0 };
			struct cc_error err = { 0 };
			assert_int_equal(scan_rpm_header_parse(prefix, at, db_path, &inv, &err), -EBADMSG);
			free(prefix);
		}
		free(blob);
	}
}

static void test_limits(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	unit_assert_refused(scan_rpm_header_parse("", SCAN_INVENTORY_DB_MAX + 1, db_path, &inv, &err), EFBIG, &err,
			    db_path);
	size_t len;
	uint8_t *blob = real_copy(&len);
	inv.n_packages = SCAN_INVENTORY_PACKAGES_MAX;
	unit_assert_refused(scan_rpm_header_parse(blob, len, db_path, &inv, &err), E2BIG, &err, "packages");
	inv.n_packages = 0;
	free(blob);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_real_headers),
		cmocka_unit_test(test_built_header),
		cmocka_unit_test(test_gpg_pubkey_skipped),
		cmocka_unit_test(test_built_refused),
		cmocka_unit_test(test_real_corrupted),
		cmocka_unit_test(test_every_byte),
		cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
