/* libFuzzer target: Kubernetes protobuf request bodies (platform/protobuf.h). The seeds are bodies
 * kubectl 1.33 sent. Besides never crashing: a failure is one of the three documented codes with a
 * message; a success is an object with its apiVersion and kind that cocoond's own JSON parser takes
 * back unchanged (valid UTF-8, no NUL, within the nesting limit), and decoding is deterministic. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/protobuf.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_round_trip(const json_t *out)
{
	struct cc_error err = { 0 };
	json_t *again;
	char *text = json_dumps(out, JSON_COMPACT | JSON_ENCODE_ANY);
	if (!text || cc_json_parse(text, strlen(text), 64u << 20, "fuzz", &again, &err) != 0)
		abort();
	if (!json_equal(out, again))
		abort();
	json_decref(again);
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_error err = { 0 };
	json_t *out = NULL, *second = NULL;
	int r = platform_protobuf_decode(data, size, &out, &err);
	if (r < 0) {
		if ((r != -EINVAL && r != -ENOTSUP && r != -E2BIG) || out || err.message[0] == '\0')
			abort();
		return 0;
	}
	if (r != 0 || !json_is_object(out) || !json_is_string(json_object_get(out, "apiVersion")) ||
	    !json_is_string(json_object_get(out, "kind")) || cc_json_depth(out) > CC_JSON_MAX_DEPTH)
		abort();
	check_round_trip(out);
	if (platform_protobuf_decode(data, size, &second, &err) != 0 || !json_equal(out, second))
		abort();
	json_decref(second);
	json_decref(out);
	return 0;
}
