#include "lib/base/ratelimit.h"
#include "unit.h"

#include <time.h>

static void test_burst_then_held_back_then_counted(void **state)
{
	struct cc_ratelimit rl = CC_RATELIMIT_INIT(200, 3);
	uint64_t suppressed = 99;
	for (int i = 0; i < 3; i++) {
		assert_true(cc_ratelimit_allow(&rl, &suppressed));
		assert_int_equal(suppressed, 0);
	}
	for (int i = 0; i < 10; i++)
		assert_false(cc_ratelimit_allow(&rl, &suppressed));
	nanosleep(&(struct timespec){ 0, 250 * 1000 * 1000 }, NULL);
	assert_true(cc_ratelimit_allow(&rl, &suppressed));
	assert_int_equal(suppressed, 10); /* the first one after the window says how many were not logged */
	assert_true(cc_ratelimit_allow(&rl, &suppressed));
	assert_int_equal(suppressed, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_burst_then_held_back_then_counted),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
