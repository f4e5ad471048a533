#include "lib/net/grpc.h"
#include "unit.h"

#include <errno.h>

static void test_decode_unary(void **state)
{
	struct cc_grpc_call call = { 0 };
	const uint8_t *msg;
	size_t len;
	const uint8_t ok[] = { 0, 0, 0, 0, 3, 'a', 'b', 'c' };
	assert_int_equal(cc_grpc_decode_unary(ok, sizeof(ok), 100, false, &msg, &len, &call), CC_GRPC_OK);
	assert_int_equal(len, 3);
	assert_memory_equal(msg, "abc", 3);
	const uint8_t empty[] = { 0, 0, 0, 0, 0 };
	assert_int_equal(cc_grpc_decode_unary(empty, 5, 100, false, &msg, &len, &call), CC_GRPC_OK);
	assert_int_equal(len, 0);
	assert_int_equal(cc_grpc_decode_unary(ok, 3, 100, false, &msg, &len, &call), CC_GRPC_INTERNAL);
	assert_int_equal(cc_grpc_decode_unary(ok, 7, 100, false, &msg, &len, &call), CC_GRPC_INTERNAL);
	const uint8_t two[] = { 0, 0, 0, 0, 1, 'a', 0, 0, 0, 0, 1, 'b' };
	assert_int_equal(cc_grpc_decode_unary(two, sizeof(two), 100, false, &msg, &len, &call), CC_GRPC_UNIMPLEMENTED);
	const uint8_t compressed[] = { 1, 0, 0, 0, 1, 'a' };
	assert_int_equal(cc_grpc_decode_unary(compressed, 6, 100, false, &msg, &len, &call), CC_GRPC_UNIMPLEMENTED);
	const uint8_t flags[] = { 7, 0, 0, 0, 1, 'a' };
	assert_int_equal(cc_grpc_decode_unary(flags, 6, 100, false, &msg, &len, &call), CC_GRPC_INTERNAL);
	const uint8_t huge[] = { 0, 0xff, 0xff, 0xff, 0xff };
	assert_int_equal(cc_grpc_decode_unary(huge, 5, CC_GRPC_DEFAULT_MAX_MESSAGE, false, &msg, &len, &call),
			 CC_GRPC_RESOURCE_EXHAUSTED);
	assert_non_null(strstr(call.message, "larger than max"));
}

static void test_frame_message(void **state)
{
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(cc_grpc_frame_message(&out, (const uint8_t *)"xyz", 3), 0);
	assert_int_equal(out.len, 8);
	assert_memory_equal(out.data, "\0\0\0\0\3xyz", 8);
	cc_buf_free(&out);
}

static void test_percent_encode(void **state)
{
	char out[64];
	cc_grpc_percent_encode("ok 100% \xc3\xa9\n", out, sizeof(out));
	assert_string_equal(out, "ok 100%25 %C3%A9%0A");
	cc_grpc_percent_encode("abcdefgh", out, 5);
	assert_true(strlen(out) < 5);
	cc_grpc_percent_encode("\n\n\n", out, 5);
	assert_string_equal(out, "%0A");
}

static void test_timeout(void **state)
{
	assert_int_equal(cc_grpc_parse_timeout("5S"), 5000);
	assert_int_equal(cc_grpc_parse_timeout("100m"), 100);
	assert_int_equal(cc_grpc_parse_timeout("1H"), 3600000);
	assert_int_equal(cc_grpc_parse_timeout("1500u"), 2);
	assert_int_equal(cc_grpc_parse_timeout("1n"), 1);
	assert_int_equal(cc_grpc_parse_timeout("123456789S"), -EINVAL);
	assert_int_equal(cc_grpc_parse_timeout("S"), -EINVAL);
	assert_int_equal(cc_grpc_parse_timeout("5x"), -EINVAL);
	assert_int_equal(cc_grpc_parse_timeout("5SS"), -EINVAL);
}

static void test_code_names(void **state)
{
	assert_string_equal(cc_grpc_code_name(CC_GRPC_UNAUTHENTICATED), "UNAUTHENTICATED");
	assert_string_equal(cc_grpc_code_name(CC_GRPC_CODE_MAX), "INVALID");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_unary),   cmocka_unit_test(test_frame_message),
		cmocka_unit_test(test_percent_encode), cmocka_unit_test(test_timeout),
		cmocka_unit_test(test_code_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
