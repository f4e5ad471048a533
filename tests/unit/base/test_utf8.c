#include "lib/base/utf8.h"
#include "unit.h"

static void test_valid(void **state)
{
	const char *ok[] = {
		"", "ascii", "caf\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x94\x92", "\xef\xbf\xbf", "\xf4\x8f\xbf\xbf"
	};
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		assert_true(cc_utf8_valid(ok[i], strlen(ok[i]), NULL));
	assert_true(cc_utf8_valid("a\0b", 3, NULL)); /* NUL is valid UTF-8; callers that mind check it */
}

static void test_invalid_with_offset(void **state)
{
	struct {
		const char *s;
		size_t offset;
	} bad[] = {
		{ "ab\xff", 2 },           /* never valid */
		{ "\xc0\xaf", 0 },         /* overlong '/' */
		{ "\xe0\x80\xaf", 0 },     /* overlong */
		{ "\xed\xa0\x80", 0 },     /* surrogate U+D800 */
		{ "\xf4\x90\x80\x80", 0 }, /* above U+10FFFF */
		{ "x\xc3", 1 },            /* truncated */
		{ "x\xe2\x82", 1 },        /* truncated */
		{ "\xe2\x28\xa1", 0 },     /* bad continuation */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		size_t offset = 99;
		assert_false(cc_utf8_valid(bad[i].s, strlen(bad[i].s), &offset));
		assert_int_equal(offset, bad[i].offset);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_valid), cmocka_unit_test(test_invalid_with_offset) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
