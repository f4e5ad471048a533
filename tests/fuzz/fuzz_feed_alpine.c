/* libFuzzer target: Alpine's secdb, JSON or YAML (src/scan/feed_alpine.c), imported into an in-
 * memory vulnerability database. An import either succeeds, and the database then answers a status
 * and a lookup, or is refused with a message and leaves the database as it was (one transaction,
 * rolled back). */
#include "fuzz_feed.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_feed(SCAN_FEED_ALPINE_SECDB, "main.json", "alpine", "3.18", data, size);
	return 0;
}
