#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

static void test_set_returns_negative_errno(void **state)
{
	struct cc_error err = { 0 };
	assert_int_equal(cc_error_set(&err, ENOENT, "file `%s` missing", "x"), -ENOENT);
	assert_int_equal(err.code, ENOENT);
	assert_string_equal(cc_error_message(&err), "file `x` missing");
}

static void test_null_error_still_returns_code(void **state)
{
	assert_int_equal(cc_error_set(NULL, EINVAL, "ignored"), -EINVAL);
}

static void test_zero_code_becomes_eio(void **state)
{
	struct cc_error err = { 0 };
	assert_int_equal(cc_error_set(&err, 0, "odd"), -EIO);
}

static void test_errno_suffix(void **state)
{
	struct cc_error err = { 0 };
	cc_error_set_errno(&err, EACCES, "open `%s`", "/secret");
	assert_string_equal(err.message, "open `/secret`: Permission denied");
}

static void test_prefix_chains_context(void **state)
{
	struct cc_error err = { 0 };
	cc_error_set(&err, EINVAL, "line 3: bad");
	assert_int_equal(cc_error_prefix(&err, "load `%s`", "a.yaml"), -EINVAL);
	assert_string_equal(err.message, "load `a.yaml`: line 3: bad");
}

static void test_prefix_truncates_safely(void **state)
{
	struct cc_error err = { 0 };
	char long_text[2000];
	memset(long_text, 'a', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	cc_error_set(&err, EINVAL, "%s", long_text);
	cc_error_prefix(&err, "ctx");
	assert_int_equal(strlen(err.message), CC_ERROR_MESSAGE_MAX - 1);
	assert_memory_equal(err.message, "ctx: aaa", 8);
	cc_error_prefix(&err, "%s", long_text);
	assert_int_equal(strlen(err.message), CC_ERROR_MESSAGE_MAX - 1);
}

static void test_clear_and_message_of_empty(void **state)
{
	struct cc_error err = { 0 };
	assert_string_equal(cc_error_message(&err), "no error");
	cc_error_set(&err, EPERM, "x");
	cc_error_clear(&err);
	assert_int_equal(err.code, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_set_returns_negative_errno), cmocka_unit_test(test_null_error_still_returns_code),
		cmocka_unit_test(test_zero_code_becomes_eio),      cmocka_unit_test(test_errno_suffix),
		cmocka_unit_test(test_prefix_chains_context),      cmocka_unit_test(test_prefix_truncates_safely),
		cmocka_unit_test(test_clear_and_message_of_empty),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
