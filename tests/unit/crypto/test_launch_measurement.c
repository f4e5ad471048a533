/* The launch measurement v2: a known answer (computed with Python's hashlib over the documented
 * encoding), the parts as JSON and back, and refusals of malformed parts. */
#include "lib/base/error.h"
#include "lib/crypto/launch_measurement.h"
#include "unit.h"

#include <errno.h>
#include <string.h>

#define CONFIG                                                                                                         \
	"sha384:"                                                                                                      \
	"abababababababababababababababababababababababababababababababababababababababababababababababab"
#define IMAGE "image:sha256:cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd"

static void test_known_answer(void **state)
{
	(void)state;
	struct cc_launch_parts parts = { .config = CONFIG, .rootfs = IMAGE, .profile = "confidential" };
	char out[CC_LAUNCH_MEASUREMENT_SIZE];
	struct cc_error err = { 0 };
	assert_int_equal(cc_launch_measurement(&parts, out, &err), 0);
	assert_string_equal(out,
			    "sha384:0a8a4fc7ba9a1a192761c99a40bc823c92e8418ed70aae47bd894ffe11a97a7ece9a01df80bd71fa"
			    "f749fff2f8b3fc44");
	json_t *j = cc_launch_parts_json(&parts);
	struct cc_launch_parts back;
	assert_int_equal(cc_launch_parts_from_json(j, &back, &err), 0);
	char again[CC_LAUNCH_MEASUREMENT_SIZE];
	assert_int_equal(cc_launch_measurement(&back, again, &err), 0);
	assert_string_equal(out, again);
	json_decref(j);
}

static void test_refusals(void **state)
{
	(void)state;
	struct {
		struct cc_launch_parts parts;
		const char *message;
	} cases[] = {
		{ { NULL, IMAGE, "none" }, "config part" },
		{ { "sha384:AB", IMAGE, "none" }, "config part" },
		{ { "sha256:" CONFIG, IMAGE, "none" }, "config part" },
		{ { CONFIG, "layers:x", "none" }, "rootfs part" },
		{ { CONFIG, "tree:sha384:00", "none" }, "rootfs part" },
		{ { CONFIG, IMAGE, "" }, "profile part" },
		{ { CONFIG, IMAGE, NULL }, "profile part" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char out[CC_LAUNCH_MEASUREMENT_SIZE];
		struct cc_error err = { 0 };
		assert_int_equal(cc_launch_measurement(&cases[i].parts, out, &err), -EINVAL);
		assert_non_null(strstr(cc_error_message(&err), cases[i].message));
	}
	struct cc_launch_parts p;
	struct cc_error err = { 0 };
	json_t *not_object = json_string("x");
	assert_int_equal(cc_launch_parts_from_json(not_object, &p, &err), -EINVAL);
	json_decref(not_object);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_known_answer),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
