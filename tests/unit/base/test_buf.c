#include "lib/base/buf.h"
#include "unit.h"

#include <errno.h>

static void test_append_and_terminate(void **state)
{
	_cleanup_buf_ struct cc_buf b = CC_BUF_INIT;
	assert_int_equal(cc_buf_append_str(&b, "hello"), 0);
	assert_int_equal(cc_buf_appendf(&b, " %d", 42), 0);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "hello 42");
}

static void test_limit_refuses_and_keeps_content(void **state)
{
	_cleanup_buf_ struct cc_buf b;
	cc_buf_init_limited(&b, 8);
	assert_int_equal(cc_buf_append_str(&b, "12345678"), 0);
	assert_int_equal(cc_buf_append_str(&b, "9"), -EMSGSIZE);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
}

static void test_overflow_is_detected(void **state)
{
	_cleanup_buf_ struct cc_buf b = CC_BUF_INIT;
	cc_buf_append_str(&b, "x");
	assert_int_equal(cc_buf_reserve(&b, SIZE_MAX), -EOVERFLOW);
}

static void test_consume(void **state)
{
	_cleanup_buf_ struct cc_buf b = CC_BUF_INIT;
	cc_buf_append_str(&b, "abcdef");
	cc_buf_consume(&b, 2);
	assert_string_equal(b.data, "cdef");
	cc_buf_consume(&b, 100);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
}

static void test_steal_empty(void **state)
{
	struct cc_buf b = CC_BUF_INIT;
	size_t len = 99;
	char *s = cc_buf_steal(&b, &len);
	assert_string_equal(s, "");
	assert_int_equal(len, 0);
	free(s);
}

static void test_large_growth(void **state)
{
	_cleanup_buf_ struct cc_buf b = CC_BUF_INIT;
	for (int i = 0; i < 100000; i++)
		assert_int_equal(cc_buf_append(&b, "0123456789", 10), 0);
	assert_int_equal(b.len, 1000000);
	assert_int_equal(b.data[b.len], '\0');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_terminate), cmocka_unit_test(test_limit_refuses_and_keeps_content),
		cmocka_unit_test(test_overflow_is_detected), cmocka_unit_test(test_consume),
		cmocka_unit_test(test_steal_empty),          cmocka_unit_test(test_large_growth),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
