/* libFuzzer target: the SQLite rpmdb (src/scan/rpm_sqlite.c), a hostile SQLite file opened in
 * memory. The input must come back untouched: the parser works on its own copy. */
#include "fuzz_inventory.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *before = malloc(size ? size : 1);
	if (!before)
		return 0;
	memcpy(before, data, size);
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	int r = scan_rpm_sqlite_parse(data, size, "/fuzz", &inv, &err);
	fuzz_check_parse(r, &err, &inv, SCAN_PACKAGE_RPM);
	if (memcmp(before, data, size) != 0)
		abort();
	scan_inventory_free(&inv);
	free(before);
	return 0;
}
