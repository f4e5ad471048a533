/* libFuzzer target: os-release(5) (src/scan/os_release.c). What is kept is text, and an empty value
 * is absent rather than "". */
#include "fuzz_inventory.h"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scan_os os = { 0 };
	struct cc_error err = { 0 };
	int r = scan_os_release_parse((const char *)data, size, &os, &err);
	if (r < 0) {
		if (!err.code || !err.message[0] || os.id || os.version_id || os.version_codename || os.pretty_name)
			abort();
		return 0;
	}
	const char *values[] = { os.id, os.version_id, os.version_codename, os.pretty_name };
	for (size_t i = 0; i < 4; i++)
		if (values[i] && (!values[i][0] || scan_value_problem(values[i], strlen(values[i]))))
			abort();
	scan_os_clear(&os);
	return 0;
}
