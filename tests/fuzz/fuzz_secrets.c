/* libFuzzer target: the secret rules (src/scan/secrets.c) on any content. No read past the data
 * (ASan), every finding well formed, and no finding's match longer than the mask allows. */
#include "scan/secrets.h"

#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read one past the end is caught. */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	json_t *out = json_array();
	size_t n =
	    scan_secrets_find(copy, size, size && data[0] == 'd' ? "root/.docker/config.json" : "app/x", NULL, out);
	if (n != json_array_size(out))
		abort();
	size_t i;
	json_t *s;
	json_array_foreach (out, i, s) {
		const char *match = json_string_value(json_object_get(s, "match"));
		json_int_t line = json_integer_value(json_object_get(s, "line"));
		if (!match || strlen(match) > 96 || !strstr(match, "********") || line < 1 || (size_t)line > size + 1)
			abort();
	}
	json_decref(out);
	free(copy);
	return 0;
}
