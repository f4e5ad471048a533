/* libFuzzer target: dpkg's status file and status.d files (src/scan/dpkg_db.c). */
#include "fuzz_inventory.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	int r = scan_dpkg_parse((const char *)data, size, "/fuzz", &inv, &err);
	fuzz_check_parse(r, &err, &inv, SCAN_PACKAGE_DEB);
	scan_inventory_free(&inv);
	return 0;
}
