/* One rpm header as rpmdb stores it: the header structure of rpm's lib/header.c without the 8-byte
 * magic ("header blob"):
 *   be32 il (index entries), be32 dl (data bytes), il entries of be32 tag, type, offset, count,
 *   then dl bytes of data that the entries point into.
 * Every blob is untrusted, so before anything is read from it the whole blob is checked the way rpm's
 * hdrblobInit() checks one (hdrblobVerifyRegion, hdrblobVerifyInfo): rpm's limits on il and dl, the
 * exact size, the immutable region's tag and trailer, and for every entry a known type, an aligned
 * offset, data inside the store, strings NUL-terminated inside it, and data laid out in order
 * without overlap (as headerExport writes it). The last rule also bounds the work to one pass over
 * the data, however many entries point at it. */
#include "lib/base/bytes.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/inventory.h"
#include "scan/inventory_parse.h"

#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

/* rpm's limits (lib/header.c): HEADER_TAGS_MAX, HEADER_DATA_MAX and headerMaxbytes. */
#define HEADER_TAGS_MAX  0xffffu
#define HEADER_DATA_MAX  0x0fffffffu
#define HEADER_BYTES_MAX ((uint64_t)256 << 20)

#define ENTRY_SIZE       16u
#define REGION_TAG_COUNT 16u /* a region entry's data: a copy of an index entry, the trailer */

enum rpm_tag {
	RPMTAG_HEADERIMAGE = 61,
	RPMTAG_HEADERSIGNATURES = 62,
	RPMTAG_HEADERIMMUTABLE = 63,
	RPMTAG_HEADERI18NTABLE = 100, /* the smallest tag of a header's own data */
	RPMTAG_NAME = 1000,
	RPMTAG_VERSION = 1001,
	RPMTAG_RELEASE = 1002,
	RPMTAG_EPOCH = 1003,
	RPMTAG_LICENSE = 1014,
	RPMTAG_ARCH = 1022,
	RPMTAG_SOURCERPM = 1044,
};

enum rpm_type {
	RPM_NULL_TYPE = 0,
	RPM_CHAR_TYPE = 1,
	RPM_INT8_TYPE = 2,
	RPM_INT16_TYPE = 3,
	RPM_INT32_TYPE = 4,
	RPM_INT64_TYPE = 5,
	RPM_STRING_TYPE = 6,
	RPM_BIN_TYPE = 7,
	RPM_STRING_ARRAY_TYPE = 8,
	RPM_I18NSTRING_TYPE = 9,
	RPM_TYPE_MAX = 9,
};

/* typeSizes and typeAlign of lib/header.c; 0 for the string types, whose size is their contents. */
static const uint8_t type_size[RPM_TYPE_MAX + 1] = { 0, 1, 1, 2, 4, 8, 0, 1, 0, 0 };
static const uint8_t type_align[RPM_TYPE_MAX + 1] = { 1, 1, 1, 2, 4, 8, 1, 1, 1, 1 };

static const char *const gpg_pubkey_name = "gpg-pubkey";

struct entry {
	uint32_t tag, type, offset, count;
};

struct header {
	const uint8_t *index;
	const uint8_t *data;
	uint32_t il, dl;
	uint32_t first; /* the first entry of the header's own data: 1 after a region entry, else 0 */
	uint32_t rdl;   /* the end of the region's data (its trailer included); 0 without a region */
};

static struct entry entry_at(const struct header *h, uint32_t i)
{
	const uint8_t *p = h->index + (size_t)i * ENTRY_SIZE;
	return (struct entry){ cc_be32(p), cc_be32(p + 4), cc_be32(p + 8), cc_be32(p + 12) };
}

static bool region_tag(uint32_t tag)
{
	return tag == RPMTAG_HEADERIMAGE || tag == RPMTAG_HEADERSIGNATURES || tag == RPMTAG_HEADERIMMUTABLE;
}

/* ---- Checking the blob ---- */

/* hdrblobInit: rpm's bounds on il and dl, and the blob exactly as long as they say. */
static int check_intro(const uint8_t *blob, size_t len, struct header *h, struct cc_error *err)
{
	if (len < 8)
		return cc_error_set(err, EBADMSG, "%zu bytes, shorter than the 8 of a header's counts", len);
	h->il = cc_be32(blob);
	h->dl = cc_be32(blob + 4);
	if (h->il < 1 || h->il > HEADER_TAGS_MAX)
		return cc_error_set(err, EBADMSG, "%" PRIu32 " index entries, outside rpm's 1..%u", h->il,
				    HEADER_TAGS_MAX);
	if (h->dl > HEADER_DATA_MAX)
		return cc_error_set(err, EBADMSG, "%" PRIu32 " data bytes, more than rpm's %u", h->dl, HEADER_DATA_MAX);
	uint64_t want = 8 + (uint64_t)h->il * ENTRY_SIZE + h->dl;
	if (want >= HEADER_BYTES_MAX)
		return cc_error_set(err, EBADMSG, "%" PRIu64 " bytes, more than rpm's %" PRIu64, want,
				    HEADER_BYTES_MAX);
	if (want != len)
		return cc_error_set(err, EBADMSG,
				    "%zu bytes, but %" PRIu32 " index entries and %" PRIu32 " data bytes make %" PRIu64,
				    len, h->il, h->dl, want);
	h->index = blob + 8;
	h->data = h->index + (size_t)h->il * ENTRY_SIZE;
	return 0;
}

/* hdrblobVerifyRegion: a header that starts with a region entry (rpmdb's have the immutable one)
 * points it at a trailer, a copy of the entry whose negative offset is the region's index size. */
static int check_region(struct header *h, struct cc_error *err)
{
	struct entry e = entry_at(h, 0);
	if (!region_tag(e.tag))
		return 0;
	if (e.type != RPM_BIN_TYPE || e.count != REGION_TAG_COUNT)
		return cc_error_set(err, EBADMSG,
				    "region entry (tag %" PRIu32 "): type %" PRIu32 " count %" PRIu32
				    ", not a %u-byte trailer",
				    e.tag, e.type, e.count, REGION_TAG_COUNT);
	if ((uint64_t)e.offset + REGION_TAG_COUNT > h->dl)
		return cc_error_set(err, EBADMSG, "region entry: trailer at offset %" PRIu32 " is past the data",
				    e.offset);
	const uint8_t *t = h->data + e.offset;
	struct entry trailer = { cc_be32(t), cc_be32(t + 4), cc_be32(t + 8), cc_be32(t + 12) };
	int64_t region_index_size = -(int64_t)(int32_t)trailer.offset;
	if (trailer.tag != e.tag || trailer.type != RPM_BIN_TYPE || trailer.count != REGION_TAG_COUNT)
		return cc_error_set(err, EBADMSG, "region trailer does not repeat the region entry");
	if (region_index_size < 0 || region_index_size % ENTRY_SIZE != 0 ||
	    region_index_size / ENTRY_SIZE > (int64_t)h->il)
		return cc_error_set(err, EBADMSG,
				    "region trailer: index size %" PRId64 " does not fit %" PRIu32 " entries",
				    region_index_size, h->il);
	h->first = 1;
	h->rdl = e.offset + REGION_TAG_COUNT;
	return 0;
}

/* dataLength (on disk): how many bytes an entry's data takes, or 0 when it does not fit. */
static uint64_t data_length(const struct header *h, const struct entry *e)
{
	uint64_t room = h->dl - e->offset;
	if (e->type == RPM_STRING_TYPE || e->type == RPM_STRING_ARRAY_TYPE || e->type == RPM_I18NSTRING_TYPE) {
		if (e->type == RPM_STRING_TYPE && e->count != 1)
			return 0;
		/* count strings, each NUL-terminated inside the data; each takes a byte at least, so a
		 * huge count fails when the data runs out. */
		uint64_t used = 0;
		for (uint32_t i = 0; i < e->count; i++) {
			const uint8_t *s = h->data + e->offset + used;
			const uint8_t *nul = used < room ? memchr(s, '\0', room - used) : NULL;
			if (!nul)
				return 0;
			used += (uint64_t)(nul - s) + 1;
		}
		return used;
	}
	uint64_t length = (uint64_t)type_size[e->type] * e->count;
	return length <= room ? length : 0;
}

static int entry_problem(const struct header *h, uint32_t i, const struct entry *e, const char *problem,
			 struct cc_error *err)
{
	return cc_error_set(err, EBADMSG,
			    "index entry %" PRIu32 " (tag %" PRIu32 " type %" PRIu32 " offset %" PRIu32
			    " count %" PRIu32 "): %s (the data is %" PRIu32 " bytes)",
			    i, e->tag, e->type, e->offset, e->count, problem, h->dl);
}

/* hdrblobVerifyInfo, for the entries after the region entry. */
static int check_entries(const struct header *h, struct cc_error *err)
{
	uint64_t end = 0;
	for (uint32_t i = h->first; i < h->il; i++) {
		struct entry e = entry_at(h, i);
		if (e.offset < end)
			return entry_problem(h, i, &e, "its data overlaps the data of the entry before it", err);
		if (e.tag < RPMTAG_HEADERI18NTABLE)
			return entry_problem(h, i, &e, "not a tag of a header's data", err);
		if (e.type > RPM_TYPE_MAX)
			return entry_problem(h, i, &e, "no such type", err);
		if (e.offset % type_align[e.type] != 0)
			return entry_problem(h, i, &e, "the offset is not aligned for the type", err);
		if (e.offset > h->dl)
			return entry_problem(h, i, &e, "the offset is past the data", err);
		uint64_t length = data_length(h, &e);
		if (length == 0)
			return entry_problem(h, i, &e, "the data does not fit (or a string is not terminated)", err);
		end = e.offset + length;
		if (h->rdl && end > h->rdl - REGION_TAG_COUNT && e.offset < h->rdl)
			return entry_problem(h, i, &e, "the data overlaps the region trailer", err);
	}
	return 0;
}

/* ---- Reading the tags ---- */

/* The entry of tag, if any (index in *ret_i); a tag found twice is refused, since rpm and this
 * reader could then take different ones. */
static int find_tag(const struct header *h, uint32_t tag, uint32_t type, struct entry *ret, struct cc_error *err)
{
	bool found = false;
	for (uint32_t i = h->first; i < h->il; i++) {
		struct entry e = entry_at(h, i);
		if (e.tag != tag)
			continue;
		if (found)
			return entry_problem(h, i, &e, "the tag appears twice", err);
		if (e.type != type)
			return entry_problem(h, i, &e, type == RPM_INT32_TYPE ? "not INT32" : "not STRING", err);
		found = true;
		*ret = e;
	}
	return found ? 1 : 0;
}

/* A STRING tag's value (checked to be kept), NULL when absent. */
static int string_tag(const struct header *h, uint32_t tag, const char *tag_name, char **ret, struct cc_error *err)
{
	struct entry e;
	int r = find_tag(h, tag, RPM_STRING_TYPE, &e, err);
	if (r <= 0) {
		*ret = NULL;
		return r;
	}
	/* check_entries found its NUL inside the data */
	const char *s = (const char *)h->data + e.offset;
	size_t n = strlen(s);
	const char *problem = scan_value_problem(s, n);
	if (problem)
		return cc_error_set(err, EBADMSG, "%s has %s", tag_name, problem);
	*ret = n ? cc_xstrndup(s, n) : NULL;
	return 0;
}

static int epoch_tag(const struct header *h, bool *ret_has, uint32_t *ret, struct cc_error *err)
{
	struct entry e;
	int r = find_tag(h, RPMTAG_EPOCH, RPM_INT32_TYPE, &e, err);
	if (r < 0)
		return r;
	*ret_has = r > 0;
	if (r > 0 && e.count != 1)
		return cc_error_set(err, EBADMSG, "EPOCH has %" PRIu32 " values, not one", e.count);
	*ret = r > 0 ? cc_be32(h->data + e.offset) : 0;
	return 0;
}

/* SOURCERPM is the file name of the source package: name-version-release.src.rpm (or .nosrc.rpm),
 * split from the right since names have dashes and versions and releases do not. */
static int split_sourcerpm(const char *srpm, char **ret_name, char **ret_version_release, struct cc_error *err)
{
	size_t n = strlen(srpm);
	static const char *const suffixes[] = { ".src.rpm", ".nosrc.rpm" };
	size_t stem = 0;
	for (size_t i = 0; i < CC_ARRAY_SIZE(suffixes) && !stem; i++) {
		size_t sl = strlen(suffixes[i]);
		if (n > sl && memcmp(srpm + n - sl, suffixes[i], sl) == 0)
			stem = n - sl;
	}
	const char *release_dash = stem ? memrchr(srpm, '-', stem) : NULL;
	const char *version_dash = release_dash ? memrchr(srpm, '-', (size_t)(release_dash - srpm)) : NULL;
	if (!version_dash || version_dash == srpm || release_dash == version_dash + 1 ||
	    release_dash + 1 == srpm + stem)
		return cc_error_set(err, EBADMSG, "SOURCERPM `%s` is not name-version-release.src.rpm", srpm);
	*ret_name = cc_xstrndup(srpm, (size_t)(version_dash - srpm));
	*ret_version_release = cc_xstrndup(version_dash + 1, (size_t)(srpm + stem - version_dash - 1));
	return 0;
}

static char *evr(bool has_epoch, uint32_t epoch, const char *version_release)
{
	return has_epoch ? cc_xasprintf("%" PRIu32 ":%s", epoch, version_release) : cc_xstrdup(version_release);
}

static int read_package(const struct header *h, const char *db_path, struct scan_inventory *inv, const char *what,
			struct cc_error *err)
{
	_cleanup_free_ char *name = NULL, *version = NULL, *release = NULL, *arch = NULL, *srpm = NULL, *license = NULL,
			    *source_name = NULL, *source_vr = NULL, *full_version = NULL, *full_source_version = NULL,
			    *version_release = NULL;
	int r = string_tag(h, RPMTAG_NAME, "NAME", &name, err);
	if (r < 0)
		return r;
	if (!name)
		return cc_error_set(err, EBADMSG, "no NAME");
	if (strcmp(name, gpg_pubkey_name) == 0)
		return 0; /* an imported signing key, not a package */
	bool has_epoch = false;
	uint32_t epoch = 0;
	if ((r = string_tag(h, RPMTAG_VERSION, "VERSION", &version, err)) < 0 ||
	    (r = string_tag(h, RPMTAG_RELEASE, "RELEASE", &release, err)) < 0 ||
	    (r = string_tag(h, RPMTAG_ARCH, "ARCH", &arch, err)) < 0 ||
	    (r = string_tag(h, RPMTAG_SOURCERPM, "SOURCERPM", &srpm, err)) < 0 ||
	    (r = string_tag(h, RPMTAG_LICENSE, "LICENSE", &license, err)) < 0 ||
	    (r = epoch_tag(h, &has_epoch, &epoch, err)) < 0)
		return r;
	if (!version || !release)
		return cc_error_set(err, EBADMSG, "package `%s` has no %s", name, version ? "RELEASE" : "VERSION");
	if (srpm && (r = split_sourcerpm(srpm, &source_name, &source_vr, err)) < 0)
		return r;
	version_release = cc_xasprintf("%s-%s", version, release);
	full_version = evr(has_epoch, epoch, version_release);
	full_source_version = source_vr ? evr(has_epoch, epoch, source_vr) : NULL;
	const char *problem = scan_value_problem(full_version, strlen(full_version));
	if (!problem && full_source_version)
		problem = scan_value_problem(full_source_version, strlen(full_source_version));
	if (problem)
		return cc_error_set(err, EBADMSG, "package `%s`: its version has %s", name, problem);
	if ((r = scan_inventory_room(inv, what, err)) < 0)
		return r;
	scan_inventory_add(inv, &(struct scan_package){
				    .type = SCAN_PACKAGE_RPM,
				    .name = name,
				    .version = full_version,
				    .arch = arch,
				    .source_name = source_name ? source_name : name,
				    .source_version = full_source_version ? full_source_version : full_version,
				    .license = license,
				    .db_path = (char *)db_path,
				});
	return 0;
}

int scan_rpm_header_read(const void *blob, size_t len, const char *db_path, struct scan_inventory *inv,
			 struct cc_error *err)
{
	struct header h = { 0 };
	int r;
	if ((r = check_intro(blob, len, &h, err)) < 0 || (r = check_region(&h, err)) < 0 ||
	    (r = check_entries(&h, err)) < 0)
		return r;
	return read_package(&h, db_path, inv, db_path ? db_path : "rpm header", err);
}

int scan_rpm_header_parse(const void *blob, size_t len, const char *db_path, struct scan_inventory *inv,
			  struct cc_error *err)
{
	const char *what = db_path ? db_path : "rpm header";
	int r = scan_db_size_check(len, SCAN_INVENTORY_DB_MAX, what, err);
	if (r < 0)
		return r;
	r = scan_rpm_header_read(blob, len, db_path, inv, err);
	if (r < 0)
		cc_error_prefix(err, "%s: rpm header", what);
	return r;
}
