/* The rootfs measurement's cache: per-file content digests (SHA-256) and symlink targets, remembered
 * across launches, keyed by what the kernel changes whenever content changes: device, inode, size and
 * ctime (which no caller can set).
 *
 * A file of fixed-size records sorted by key, mapped and searched in place: a launch looks up every
 * entry of its image, and an image has thousands of them. It replaced a JSON object whose parse alone
 * took longer than the walk it saved (10 ms of a 56 ms walk of a 10,000-file tree).
 *
 * Layout (host byte order; the file never leaves the host):
 *   header   "COCOONMC", u32 version (1), u32 record count, u64 length of the string area
 *   records  count x 72 bytes: u64 dev, u64 ino, i64 size, i64 ctime seconds, u32 ctime nanoseconds,
 *            u8 kind (1: content digest, 2: link target), 3 bytes 0, then 32 bytes: the SHA-256, or
 *            u32 offset and u32 length of the target in the string area (and 24 bytes 0)
 *   strings  the link targets
 * sorted by (dev, ino, kind). A file that is not exactly that is ignored (an empty cache); a record
 * out of order is only a miss, never another record's value. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

struct measure_cache;

/* Lookups may run in several threads at once, and beside a remember call; remember calls must not
 * run beside each other, and save and close beside nothing. */

/* Opens the cache at path (NULL or a missing or malformed file: an empty one). Entries whose ctime
 * is at or after settled_before (seconds) are never remembered: a file changed again within the
 * same timestamp tick would keep its first digest. */
struct measure_cache *measure_cache_open(const char *path, int64_t settled_before);
/* The remembered content digest of the file st describes: true and out filled, or false. */
bool measure_cache_digest(const struct measure_cache *cache, const struct stat *st, uint8_t out[32]);
/* The remembered target of the symlink st describes (its length is st->st_size): a pointer into the
 * cache, valid until measure_cache_close, or NULL. */
const char *measure_cache_link(const struct measure_cache *cache, const struct stat *st);
void measure_cache_remember_digest(struct measure_cache *cache, const struct stat *st, const uint8_t digest[32]);
void measure_cache_remember_link(struct measure_cache *cache, const struct stat *st, const char *target, size_t len);
/* Writes what was remembered (merged with what was there) to path, when anything was. */
void measure_cache_save(struct measure_cache *cache, const char *path);
void measure_cache_close(struct measure_cache *cache);
