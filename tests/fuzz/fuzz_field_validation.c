/* libFuzzer target: server-side field validation (platform/field_validation.h). The input, parsed as
 * a request body would be, is walked against the embedded schemas of several kinds, as an object and
 * as a strategic merge patch: the walk must end, within its bounds, whatever the body's shape. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_validation.h"
#include "platform/openapi.h"

#include <stdint.h>
#include <stdlib.h>

static const char *const kinds[][2] = {
	{ "v1", "Pod" },
	{ "apps/v1", "Deployment" },
	{ "v1", "ConfigMap" },
	{ "rbac.authorization.k8s.io/v1", "ClusterRole" },
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *value;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &value, &err) < 0)
		return 0;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++) {
		const json_t *schemas = NULL;
		const json_t *schema = platform_openapi_kind_schema(kinds[i][0], kinds[i][1], &schemas);
		if (!schema)
			abort();
		for (int patch = 0; patch < 2; patch++) {
			json_t *paths = json_array();
			size_t n = platform_field_unknown(schemas, schema, value, patch, paths);
			if (n != json_array_size(paths) || n > 64)
				abort();
			json_decref(paths);
		}
	}
	json_decref(value);
	return 0;
}
