/* What the feed importers' libFuzzer targets share: the input imported into an in-memory
 * vulnerability database. An import either succeeds, and the database then answers a status and a
 * lookup, or is refused with a message and leaves the database as it was (one transaction, rolled
 * back). Each target names its format, the file name it imports under and what it looks up. */
#pragma once

#include "lib/base/error.h"
#include "scan/vulndb.h"

#include <stdint.h>
#include <stdlib.h>

static int fuzz_feed_check(void *ctx, const struct scan_advisory *a)
{
	if (!a->id || !a->severity || !a->source)
		abort();
	++*(size_t *)ctx;
	return 0;
}

/* The database is opened once: creating the schema for every input would cost more than the
 * import. Every input imports under one name, so a success replaces the last one. */
static void fuzz_feed(enum scan_feed_format format, const char *file, const char *distro, const char *release,
		      const uint8_t *data, size_t size)
{
	static struct scan_vulndb *db;
	struct cc_error err = { 0 };
	if (!db && scan_vulndb_open(":memory:", true, &db, &err) < 0)
		abort();
	json_t *before = NULL, *after = NULL;
	if (scan_vulndb_status(db, &before, &err) < 0)
		abort();
	struct scan_import_stats stats;
	if (scan_vulndb_import_data(db, format, file, data, size, &stats, &err) < 0) {
		if (!err.code || !err.message[0])
			abort();
		if (scan_vulndb_status(db, &after, &err) < 0 || !json_equal(before, after))
			abort();
	} else {
		size_t n = 0;
		if (scan_vulndb_status(db, &after, &err) < 0 ||
		    scan_vulndb_lookup(db, distro, release, "openssl", fuzz_feed_check, &n, &err) < 0)
			abort();
	}
	json_decref(before);
	json_decref(after);
}
