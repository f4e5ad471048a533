/* libFuzzer target: the runtime's measurement cache file (runtime/measure_cache.h). It lives under
 * the runtime's root, but a cache left by another version or cut short by a crash must only ever be
 * an empty cache: loading, looking up every record's key, merging in a new record and saving must
 * neither crash nor read outside the file. */
#include "runtime/measure_cache.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The key of the record at i, if the input has that many bytes for it (the layout's offsets). */
static bool key_at(const uint8_t *data, size_t size, size_t i, struct stat *st)
{
	size_t at = 24 + 72 * i;
	if (at + 40 > size)
		return false;
	uint64_t dev, ino;
	int64_t len, sec;
	uint32_t nsec;
	memcpy(&dev, data + at, 8);
	memcpy(&ino, data + at + 8, 8);
	memcpy(&len, data + at + 16, 8);
	memcpy(&sec, data + at + 24, 8);
	memcpy(&nsec, data + at + 32, 4);
	*st = (struct stat){ 0 };
	st->st_dev = (dev_t)dev;
	st->st_ino = (ino_t)ino;
	st->st_size = (off_t)len;
	st->st_ctim.tv_sec = (time_t)sec;
	st->st_ctim.tv_nsec = (long)nsec;
	return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char path[64], saved[72];
	snprintf(path, sizeof(path), "/dev/shm/fuzz-measure-cache.%d", (int)getpid());
	snprintf(saved, sizeof(saved), "%s.saved", path);
	FILE *f = fopen(path, "wb");
	if (!f)
		return 0;
	fwrite(data, 1, size, f);
	fclose(f);
	struct measure_cache *cache = measure_cache_open(path, INT64_MAX);
	struct stat st;
	uint8_t md[32] = { 0 };
	for (size_t i = 0; i < 64 && key_at(data, size, i, &st); i++) {
		volatile char sink = 0;
		const char *target = st.st_size > 0 && st.st_size < 4096 ? measure_cache_link(cache, &st) : NULL;
		for (off_t k = 0; target && k < st.st_size; k++)
			sink ^= target[k];
		(void)sink;
		measure_cache_digest(cache, &st, md);
	}
	struct stat added = { .st_dev = 1, .st_ino = 2, .st_size = 3 };
	measure_cache_remember_link(cache, &added, "abc", 3);
	measure_cache_remember_digest(cache, &added, md);
	measure_cache_save(cache, saved);
	measure_cache_close(cache);
	/* What was saved is a cache that has the new records. */
	cache = measure_cache_open(saved, INT64_MAX);
	if (!measure_cache_link(cache, &added) || !measure_cache_digest(cache, &added, md))
		abort();
	measure_cache_close(cache);
	unlink(path);
	unlink(saved);
	return 0;
}
