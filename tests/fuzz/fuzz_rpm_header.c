/* libFuzzer target: one rpm header blob as rpmdb stores it (src/scan/rpm_header.c). At most one
 * package comes out of a header. */
#include "fuzz_inventory.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	int r = scan_rpm_header_parse(data, size, "/fuzz", &inv, &err);
	fuzz_check_parse(r, &err, &inv, SCAN_PACKAGE_RPM);
	if (inv.n_packages > 1)
		abort();
	scan_inventory_free(&inv);
	return 0;
}
