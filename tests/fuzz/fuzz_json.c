/* libFuzzer target: JSON parsing with cocoon's limits (cc_json_parse) and canonical output. */
#include "base/error.h"
#include "json/json.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *value;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &value, &err) == 0) {
		char *canonical = cc_json_canonical(value);
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
