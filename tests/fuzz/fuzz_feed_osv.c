/* libFuzzer target: OSV records, one, an array or a zip of them (src/scan/feed_osv.c; libarchive
 * reads the zip), imported into an in-memory vulnerability database. An import either succeeds,
 * and the database then answers a status and a lookup, or is refused with a message and leaves the
 * database as it was (one transaction, rolled back). */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed(SCAN_FEED_OSV, "all.zip", "debian", "12", data, size);
	return 0;
}
