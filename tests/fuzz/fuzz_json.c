/* libFuzzer target: JSON parsing with cocoon's limits (cc_json_parse) and canonical output. */
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *value;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &value, &err) == 0) {
		char *canonical = cc_json_canonical(value);
		/* cocoon's writer must give jansson's bytes exactly: logs hashed before it existed verify. */
		char *reference = json_dumps(value, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		if (!reference || strcmp(canonical, reference) != 0)
			abort();
		free(reference);
		json_t *again;

		/* Canonical output must parse back to an equal tree. */
		if (cc_json_parse(canonical, strlen(canonical), 1u << 22, "canonical", &again, &err) != 0 ||
		    !json_equal(value, again))
			abort();
		json_decref(again);
		free(canonical);
		json_decref(value);
	}
	return 0;
}
