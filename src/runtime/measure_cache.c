/* The measurement cache (see measure_cache.h for its layout and why it is one). */
#include "runtime/measure_cache.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/file.h"

#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define CACHE_MAGIC   "COCOONMC"
#define CACHE_VERSION 1
/* More entries than any image has: past it the cache starts again from what the last walk saw. */
#define CACHE_MAX_RECORDS 200000u

enum { KIND_DIGEST = 1, KIND_LINK = 2 };

struct header {
	char magic[8];
	uint32_t version;
	uint32_t count;
	uint64_t strings_len;
};

struct record {
	uint64_t dev;
	uint64_t ino;
	int64_t size;
	int64_t ctime_sec;
	uint32_t ctime_nsec;
	uint8_t kind;
	uint8_t pad[3];
	union {
		uint8_t sha256[32];
		struct {
			uint32_t offset;
			uint32_t length;
			uint8_t zero[24];
		} link;
	} value;
};

_Static_assert(sizeof(struct header) == 24, "the cache header is 24 bytes");
_Static_assert(sizeof(struct record) == 72, "a cache record is 72 bytes");

/* What a walk remembered, to be merged in at the save. */
struct added {
	struct record record;
	char *target; /* a link's, NUL-terminated */
};

struct measure_cache {
	void *map;
	size_t map_len;
	const struct record *records;
	size_t count;
	const char *strings;
	uint64_t strings_len;
	int64_t settled_before;
	struct added *added;
	size_t added_count, added_cap;
};

/* Maps the file when it is exactly a cache; otherwise the cache stays empty. */
static void load(struct measure_cache *c, const char *path)
{
	_cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size < sizeof(struct header))
		return;
	size_t len = (size_t)st.st_size;
	void *map = mmap(NULL, len, PROT_READ, MAP_PRIVATE, fd, 0);
	if (map == MAP_FAILED)
		return;
	const struct header *h = map;
	uint64_t records_len = (uint64_t)h->count * sizeof(struct record);
	if (memcmp(h->magic, CACHE_MAGIC, sizeof(h->magic)) != 0 || h->version != CACHE_VERSION ||
	    h->count > CACHE_MAX_RECORDS || h->strings_len > (uint64_t)h->count * PATH_MAX ||
	    sizeof(struct header) + records_len + h->strings_len != len) {
		munmap(map, len);
		return;
	}
	c->map = map;
	c->map_len = len;
	c->records = (const struct record *)((const char *)map + sizeof(struct header));
	c->count = h->count;
	c->strings = (const char *)map + sizeof(struct header) + records_len;
	c->strings_len = h->strings_len;
}

struct measure_cache *measure_cache_open(const char *path, int64_t settled_before)
{
	struct measure_cache *c = cc_xcalloc(1, sizeof(*c));
	c->settled_before = settled_before;
	if (path)
		load(c, path);
	return c;
}

static int compare_key(uint64_t dev, uint64_t ino, uint8_t kind, const struct record *r)
{
	if (dev != r->dev)
		return dev < r->dev ? -1 : 1;
	if (ino != r->ino)
		return ino < r->ino ? -1 : 1;
	return kind == r->kind ? 0 : kind < r->kind ? -1 : 1;
}

/* Whether the inode is as it was when the record was made: ctime changes with every write. */
static bool unchanged(const struct record *r, const struct stat *st)
{
	return r->size == (int64_t)st->st_size && r->ctime_sec == (int64_t)st->st_ctim.tv_sec &&
	       r->ctime_nsec == (uint32_t)st->st_ctim.tv_nsec;
}

/* The record of st's inode and kind, when its size and ctime are still st's. */
static const struct record *find(const struct measure_cache *c, const struct stat *st, uint8_t kind)
{
	size_t lo = 0, hi = c->count;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct record *r = &c->records[mid];
		int cmp = compare_key((uint64_t)st->st_dev, (uint64_t)st->st_ino, kind, r);
		if (cmp == 0)
			return unchanged(r, st) ? r : NULL;
		if (cmp < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

bool measure_cache_digest(const struct measure_cache *c, const struct stat *st, uint8_t out[32])
{
	const struct record *r = find(c, st, KIND_DIGEST);
	if (!r)
		return false;
	memcpy(out, r->value.sha256, 32);
	return true;
}

const char *measure_cache_link(const struct measure_cache *c, const struct stat *st)
{
	const struct record *r = find(c, st, KIND_LINK);
	if (!r || (uint64_t)r->value.link.offset + r->value.link.length > c->strings_len ||
	    (off_t)r->value.link.length != st->st_size)
		return NULL;
	const char *target = c->strings + r->value.link.offset;
	/* readlink never returns a NUL: one here is a damaged file, not a target. */
	return memchr(target, '\0', r->value.link.length) ? NULL : target;
}

static struct added *remember(struct measure_cache *c, const struct stat *st, uint8_t kind)
{
	if (st->st_ctim.tv_sec >= c->settled_before)
		return NULL;
	if (c->added_count == c->added_cap) {
		c->added_cap = c->added_cap ? 2 * c->added_cap : 64;
		c->added = cc_xrealloc(c->added, c->added_cap * sizeof(*c->added));
	}
	struct added *a = &c->added[c->added_count++];
	*a = (struct added){ .record = { .dev = (uint64_t)st->st_dev,
					 .ino = (uint64_t)st->st_ino,
					 .size = (int64_t)st->st_size,
					 .ctime_sec = (int64_t)st->st_ctim.tv_sec,
					 .ctime_nsec = (uint32_t)st->st_ctim.tv_nsec,
					 .kind = kind } };
	return a;
}

void measure_cache_remember_digest(struct measure_cache *c, const struct stat *st, const uint8_t digest[32])
{
	struct added *a = remember(c, st, KIND_DIGEST);
	if (a)
		memcpy(a->record.value.sha256, digest, 32);
}

void measure_cache_remember_link(struct measure_cache *c, const struct stat *st, const char *target, size_t len)
{
	struct added *a = remember(c, st, KIND_LINK);
	if (a) {
		a->target = cc_xstrndup(target, len);
		a->record.value.link.length = (uint32_t)len; /* its offset is set when saved */
	}
}

/* A record to write, and where its link target is (NULL for a digest). */
struct entry {
	struct record record;
	const char *target;
	size_t order; /* what was remembered last wins among equal keys */
};

static int compare_entries(const void *a, const void *b)
{
	const struct entry *x = a, *y = b;
	int cmp = compare_key(x->record.dev, x->record.ino, x->record.kind, &y->record);
	if (cmp != 0)
		return cmp;
	return x->order < y->order ? 1 : x->order > y->order ? -1 : 0;
}

/* The old records still readable and the new ones, sorted, one per key. */
static struct entry *merged_entries(const struct measure_cache *c, size_t *ret_count)
{
	size_t keep = c->count + c->added_count <= CACHE_MAX_RECORDS ? c->count : 0;
	struct entry *entries = cc_xcalloc(keep + c->added_count, sizeof(*entries));
	size_t n = 0;
	for (size_t i = 0; i < keep; i++) {
		const struct record *r = &c->records[i];
		if (r->kind == KIND_LINK && (uint64_t)r->value.link.offset + r->value.link.length > c->strings_len)
			continue;
		entries[n] = (struct entry){ .record = *r, .order = n };
		if (r->kind == KIND_LINK)
			entries[n].target = c->strings + r->value.link.offset;
		n++;
	}
	for (size_t i = 0; i < c->added_count && i < CACHE_MAX_RECORDS; i++, n++)
		entries[n] = (struct entry){ .record = c->added[i].record, .target = c->added[i].target, .order = n };
	qsort(entries, n, sizeof(*entries), compare_entries);
	size_t unique = 0;
	for (size_t i = 0; i < n; i++)
		if (unique == 0 || compare_key(entries[i].record.dev, entries[i].record.ino, entries[i].record.kind,
					       &entries[unique - 1].record) != 0)
			entries[unique++] = entries[i];
	*ret_count = unique;
	return entries;
}

void measure_cache_save(struct measure_cache *c, const char *path)
{
	if (!path || c->added_count == 0)
		return;
	size_t count;
	_cleanup_free_ struct entry *entries = merged_entries(c, &count);
	_cleanup_buf_ struct cc_buf strings = CC_BUF_INIT;
	_cleanup_buf_ struct cc_buf file = CC_BUF_INIT;
	struct header h = { .version = CACHE_VERSION, .count = (uint32_t)count };
	memcpy(h.magic, CACHE_MAGIC, sizeof(h.magic));
	cc_buf_append(&file, &h, sizeof(h));
	for (size_t i = 0; i < count; i++) {
		struct record r = entries[i].record;
		if (r.kind == KIND_LINK) {
			size_t len = r.value.link.length;
			memset(&r.value, 0, sizeof(r.value));
			r.value.link.offset = (uint32_t)strings.len;
			r.value.link.length = (uint32_t)len;
			cc_buf_append(&strings, entries[i].target, len);
		}
		cc_buf_append(&file, &r, sizeof(r));
	}
	struct header *written = (struct header *)file.data;
	written->strings_len = strings.len;
	cc_buf_append(&file, strings.data, strings.len);
	/* Synced: a file cut by a crash must not read back as zeros under valid lengths. It is written
	 * only when a walk found something new. */
	cc_write_file_atomic(path, file.data, file.len, 0600, NULL);
}

void measure_cache_close(struct measure_cache *c)
{
	if (!c)
		return;
	if (c->map)
		munmap(c->map, c->map_len);
	for (size_t i = 0; i < c->added_count; i++)
		free(c->added[i].target);
	free(c->added);
	free(c);
}
