/* libFuzzer target: the three PATCH bodies of the Kubernetes API (platform/patch.h). The input is
 * one JSON value; an array [doc, patch] is applied as a JSON patch, a merge patch and a strategic merge
 * patch (with the default schema). Besides never crashing: no patch changes its inputs, and a merge
 * patch applied twice gives what it gave once (RFC 7386 patches are idempotent). */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/patch.h"

#include <stdint.h>
#include <stdlib.h>

static void check_untouched(const json_t *value, const json_t *copy)
{
	if (!json_equal(value, copy))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *input;
	if (cc_json_parse((const char *)data, size, 1u << 20, "fuzz", &input, &err) < 0)
		return 0;
	json_t *doc = json_array_get(input, 0), *patch = json_array_get(input, 1);
	if (!json_is_array(input) || !doc || !patch) {
		json_decref(input);
		return 0;
	}
	json_t *doc_copy = json_deep_copy(doc), *patch_copy = json_deep_copy(patch), *out, *again;

	if (platform_json_patch(doc, patch, &out, &err) == 0)
		json_decref(out);
	if (platform_merge_patch(doc, patch, &out, &err) == 0) {
		if (platform_merge_patch(out, patch, &again, &err) != 0 || !json_equal(out, again))
			abort();
		json_decref(again);
		json_decref(out);
	}
	if (platform_strategic_merge_patch(doc, patch, platform_patch_schema_default(), &out, &err) == 0)
		json_decref(out);
	if (platform_strategic_merge_patch(doc, patch, NULL, &out, &err) == 0)
		json_decref(out);
	check_untouched(doc, doc_copy);
	check_untouched(patch, patch_copy);

	json_decref(doc_copy);
	json_decref(patch_copy);
	json_decref(input);
	return 0;
}
