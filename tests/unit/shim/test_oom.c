/* The OOM-kill counter as the kernel prints it: cgroup v2 memory.events and v1 memory.oom_control. */
#include "cmd/shim/oom.h"
#include "unit.h"

#include <unistd.h>

static void test_parse_counts(void **state)
{
	uint64_t count = 99;
	assert_true(shim_oom_parse_count("low 0\nhigh 0\nmax 12\noom 3\noom_kill 2\noom_group_kill 0\n", &count));
	assert_int_equal(count, 2);
	/* v1: oom_kill_disable comes first and is not the counter. */
	assert_true(shim_oom_parse_count("oom_kill_disable 0\nunder_oom 0\noom_kill 7\n", &count));
	assert_int_equal(count, 7);
	assert_true(shim_oom_parse_count("oom_kill 0", &count));
	assert_int_equal(count, 0);
	/* Kernels before 4.13 have no counter; garbage is no count either. */
	assert_false(shim_oom_parse_count("oom_kill_disable 0\nunder_oom 0\n", &count));
	assert_false(shim_oom_parse_count("oom_kill x\n", &count));
	assert_false(shim_oom_parse_count("oom_kill \n", &count));
	assert_false(shim_oom_parse_count("", &count));
}

static void test_watch_without_a_counter_is_quiet(void **state)
{
	/* A pid that does not exist: no counter, and never an OOM kill. */
	struct shim_oom oom;
	shim_oom_watch(&oom, 0x3ffffff0);
	assert_int_equal(oom.fd, -1);
	assert_false(shim_oom_killed(&oom));
	shim_oom_close(&oom);
	/* Our own cgroup: whatever is found, nothing has grown between two readings. */
	shim_oom_watch(&oom, getpid());
	assert_false(shim_oom_killed(&oom));
	shim_oom_close(&oom);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_counts),
		cmocka_unit_test(test_watch_without_a_counter_is_quiet),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
