/* libFuzzer target: OCI config.json parsing (runtime_spec_parse) and the confidential profile. */
#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "runtime/profile.h"
#include "runtime/spec.h"

#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *json;
	if (cc_json_parse((const char *)data, size, RUNTIME_SPEC_MAX_SIZE, "config", &json, &err) < 0)
		return 0;
	struct runtime_spec *spec;
	if (runtime_spec_parse(json, "/bundle", &spec, &err) == 0) {
		struct cc_buf report = CC_BUF_INIT;
		runtime_profile_confidential(spec, &report, &err);
		cc_buf_free(&report);
		runtime_spec_free(spec);
	}
	json_decref(json);
	return 0;
}
