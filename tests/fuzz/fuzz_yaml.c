/* libFuzzer target: YAML streams (libyaml events -> JSON tree), including anchors, aliases and merge keys. */
#include "lib/base/error.h"
#include "lib/json/yaml.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *docs;
	if (cc_yaml_parse_stream((const char *)data, size, "fuzz", &docs, &err) == 0)
		json_decref(docs);
	return 0;
}
