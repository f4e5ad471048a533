/* cc_process_run with real children (/bin/sh): output, status, stdin, the timeout, and own_group,
 * where a timeout kills the grandchildren too and an exited child's lingering children do not hold
 * the answer up. */
#include "lib/base/error.h"
#include "lib/base/process.h"
#include "lib/base/timeutil.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void run_sh(const char *script, const struct cc_process_options *o, struct cc_process_result *res)
{
	const char *argv[] = { "/bin/sh", "-c", script, NULL };
	struct cc_error err = { 0 };
	assert_int_equal(cc_process_run(argv, o, res, &err), 0);
}

static void test_output_status_input(void **state)
{
	(void)state;
	struct cc_process_result res;
	struct cc_process_options o = { .input = "ping\n", .input_len = 5 };
	run_sh("read x; echo \"got $x\"; echo oops >&2; exit 3", &o, &res);
	assert_int_equal(res.status, 3);
	assert_string_equal(res.out, "got ping\n");
	assert_string_equal(cc_process_message(&res), "oops");
	cc_process_result_clear(&res);
}

static void test_timeout_kills_child(void **state)
{
	(void)state;
	struct cc_process_result res;
	struct cc_process_options o = { .timeout_ms = 200 };
	int64_t t0 = cc_time_monotonic_ms();
	run_sh("exec sleep 30", &o, &res);
	assert_true(res.timed_out);
	assert_int_equal(res.status, 128 + SIGKILL);
	assert_true(cc_time_monotonic_ms() - t0 < 5000);
	cc_process_result_clear(&res);
}

static void test_own_group(void **state)
{
	(void)state;
	char pidfile[] = "/tmp/cocoon-process-XXXXXX";
	int fd = mkstemp(pidfile);
	assert_true(fd >= 0);
	close(fd);
	/* a grandchild that keeps the pipes open: the timeout kills the whole group */
	char script[256];
	snprintf(script, sizeof(script), "sleep 30 & echo $! > %s; wait", pidfile);
	struct cc_process_result res;
	struct cc_process_options o = { .timeout_ms = 300, .own_group = 1 };
	run_sh(script, &o, &res);
	assert_true(res.timed_out);
	cc_process_result_clear(&res);
	FILE *f = fopen(pidfile, "r");
	int grandchild = 0;
	assert_int_equal(fscanf(f, "%d", &grandchild), 1);
	fclose(f);
	unlink(pidfile);
	int64_t until = cc_time_monotonic_ms() + 2000;
	while (kill(grandchild, 0) == 0 && cc_time_monotonic_ms() < until)
		usleep(10000);
	assert_int_equal(kill(grandchild, 0), -1);
	/* the child exits at once, a grandchild lingers with the pipes: the answer does not wait */
	struct cc_process_options o2 = { .timeout_ms = 10000, .own_group = 1 };
	int64_t t0 = cc_time_monotonic_ms();
	run_sh("(sleep 5) & echo done; exit 0", &o2, &res);
	assert_false(res.timed_out);
	assert_int_equal(res.status, 0);
	assert_string_equal(res.out, "done\n");
	assert_true(cc_time_monotonic_ms() - t0 < 3000);
	cc_process_result_clear(&res);
	/* a child that closes its pipes and sleeps on: the timeout still holds */
	struct cc_process_options o3 = { .timeout_ms = 300, .own_group = 1 };
	run_sh("exec >&- 2>&-; sleep 30", &o3, &res);
	assert_true(res.timed_out);
	cc_process_result_clear(&res);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_output_status_input),
		cmocka_unit_test(test_timeout_kills_child),
		cmocka_unit_test(test_own_group),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
