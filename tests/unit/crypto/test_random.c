#include "lib/base/error.h"
#include "lib/crypto/random.h"
#include "unit.h"

static void test_uuid_format_and_uniqueness(void **state)
{
	char a[37], b[37];
	struct cc_error err = { 0 };
	assert_int_equal(cc_random_uuid(a, &err), 0);
	assert_int_equal(cc_random_uuid(b, &err), 0);
	assert_int_equal(strlen(a), 36);
	assert_int_equal(a[14], '4');
	assert_true(strchr("89ab", a[19]) != NULL);
	assert_int_equal(a[8], '-');
	assert_string_not_equal(a, b);
}

static void test_random_bytes_fill(void **state)
{
	uint8_t buf[4096] = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(cc_random_bytes(buf, sizeof(buf), &err), 0);
	int zeros = 0;
	for (size_t i = 0; i < sizeof(buf); i++)
		zeros += buf[i] == 0;
	assert_true(zeros < 64); /* about 16 expected */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_uuid_format_and_uniqueness),
		cmocka_unit_test(test_random_bytes_fill),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
