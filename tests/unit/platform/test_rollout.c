#include "platform/rollout.h"
#include "unit.h"

#include <string.h>

static json_t *strategy(const char *text)
{
	json_error_t e;
	json_t *v = json_loads(text, 0, &e);
	if (!v)
		fail_msg("bad test JSON: %s", e.text);
	return v;
}

static void test_scaled_values(void **state)
{
	(void)state;
	json_t *pct = json_string("25%"), *num = json_integer(2), *bad = json_string("25"), *neg = json_integer(-1);
	assert_int_equal(platform_rollout_scaled(pct, 10, true, 0), 3); /* 2.5 up */
	assert_int_equal(platform_rollout_scaled(pct, 10, false, 0), 2);
	assert_int_equal(platform_rollout_scaled(pct, 4, false, 0), 1);
	assert_int_equal(platform_rollout_scaled(num, 10, true, 0), 2);
	assert_int_equal(platform_rollout_scaled(NULL, 10, true, 7), 7);
	assert_int_equal(platform_rollout_scaled(bad, 10, true, 0), -1);
	assert_int_equal(platform_rollout_scaled(neg, 10, true, 0), -1);
	json_decref(pct), json_decref(num), json_decref(bad), json_decref(neg);
}

/* Steps a rollout of 4 replicas from an old set to a new one, every pod becoming available as
 * soon as it exists, and checks the invariants at each step: at most 4 + surge pods, at least
 * 4 - unavailable available. Returns the number of steps taken. */
static int roll_to_end(const char *strategy_text, json_int_t surge, json_int_t unavailable)
{
	json_t *s = strategy(strategy_text);
	struct rollout_set sets[2] = { { .replicas = 4, .pods = 4, .available = 4 }, { .is_new = true } };
	int steps = 0;
	while (!(sets[0].replicas == 0 && sets[1].replicas == 4) && steps < 50) {
		json_int_t targets[2];
		platform_rollout_step(s, 4, sets, 2, targets);
		for (int i = 0; i < 2; i++) {
			sets[i].replicas = targets[i];
			sets[i].pods = sets[i].available = targets[i];
		}
		assert_true(sets[0].replicas + sets[1].replicas <= 4 + surge);
		assert_true(sets[0].available + sets[1].available >= 4 - unavailable);
		steps++;
	}
	json_decref(s);
	assert_int_equal(sets[0].replicas, 0);
	assert_int_equal(sets[1].replicas, 4);
	return steps;
}

static void test_rolling_update_keeps_bounds(void **state)
{
	(void)state;
	roll_to_end("{}", 1, 1); /* 25% of 4: surge 1, unavailable 1 */
	roll_to_end("{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":0,\"maxUnavailable\":1}}", 0, 1);
	roll_to_end("{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":\"100%\",\"maxUnavailable\":0}}", 4,
		    0);
}

static void test_new_pods_not_ready_hold_the_old_ones(void **state)
{
	(void)state;
	json_t *s = strategy("{\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":0}}");
	/* The new set has its surge pod, not yet available: nothing old may go. */
	struct rollout_set sets[2] = { { .replicas = 3, .pods = 3, .available = 3 },
				       { .replicas = 1, .pods = 1, .available = 0, .is_new = true } };
	json_int_t targets[2];
	platform_rollout_step(s, 3, sets, 2, targets);
	assert_int_equal(targets[0], 3);
	assert_int_equal(targets[1], 1);
	/* Once it is available, one old pod goes. */
	sets[1].available = 1;
	platform_rollout_step(s, 3, sets, 2, targets);
	assert_int_equal(targets[0], 2);
	json_decref(s);
}

static void test_recreate_empties_old_sets_first(void **state)
{
	(void)state;
	json_t *s = strategy("{\"type\":\"Recreate\"}");
	struct rollout_set sets[2] = { { .replicas = 2, .pods = 2, .available = 2 }, { .is_new = true } };
	json_int_t targets[2];
	platform_rollout_step(s, 2, sets, 2, targets);
	assert_int_equal(targets[0], 0);
	assert_int_equal(targets[1], 0);
	sets[0].replicas = 0; /* the old pods still exist: wait */
	platform_rollout_step(s, 2, sets, 2, targets);
	assert_int_equal(targets[1], 0);
	sets[0].pods = sets[0].available = 0;
	platform_rollout_step(s, 2, sets, 2, targets);
	assert_int_equal(targets[1], 2);
	json_decref(s);
}

static void test_scaling_without_a_rollout(void **state)
{
	(void)state;
	struct rollout_set up[1] = { { .replicas = 2, .pods = 2, .available = 2, .is_new = true } };
	json_int_t targets[1];
	platform_rollout_step(NULL, 5, up, 1, targets);
	assert_int_equal(targets[0], 5);
	platform_rollout_step(NULL, 1, up, 1, targets);
	assert_int_equal(targets[0], 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scaled_values),
		cmocka_unit_test(test_rolling_update_keeps_bounds),
		cmocka_unit_test(test_new_pods_not_ready_hold_the_old_ones),
		cmocka_unit_test(test_recreate_empties_old_sets_first),
		cmocka_unit_test(test_scaling_without_a_rollout),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
