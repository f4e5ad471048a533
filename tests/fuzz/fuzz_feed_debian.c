/* libFuzzer target: the Debian security tracker's JSON (src/scan/feed_debian.c, which reads it one
 * package at a time), imported into an in-memory vulnerability database. An import either
 * succeeds, and the database then answers a status and a lookup, or is refused with a message and
 * leaves the database as it was (one transaction, rolled back). */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed(SCAN_FEED_DEBIAN_TRACKER, "debian.json", "debian", "12", data, size);
	return 0;
}
