#include "lib/base/error.h"
#include "lib/base/stop.h"
#include "unit.h"

#include <errno.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

struct service {
	atomic_bool stop;
	atomic_int stops; /* calls of stop */
	bool signal_self; /* run sends SIGTERM to the process, as `kill -TERM` would */
};

static int run(void *ctx, struct cc_error *err)
{
	struct service *s = ctx;
	if (!s->signal_self)
		return 7; /* done by itself */
	kill(getpid(), SIGTERM);
	for (int i = 0; i < 500 && !s->stop; i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	return s->stop ? 0 : cc_error_set(err, ETIMEDOUT, "never asked to stop");
}

static void stop(void *ctx)
{
	struct service *s = ctx;
	s->stops++;
	s->stop = true;
}

static void test_run_that_finishes_is_not_stopped(void **state)
{
	struct service s = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(cc_run_until_stopped(run, stop, &s, &err), 7);
	assert_int_equal(s.stops, 0);
}

static void test_sigterm_calls_stop_once_and_waits_for_run(void **state)
{
	struct service s = { .signal_self = true };
	struct cc_error err = { 0 };
	/* The process survives SIGTERM (it is blocked and taken by signalfd), stop runs once. */
	assert_int_equal(cc_run_until_stopped(run, stop, &s, &err), 0);
	assert_int_equal(s.stops, 1);
	/* and it stays blocked: a later one waits, pending, instead of ending the process */
	sigset_t pending, mask;
	kill(getpid(), SIGINT);
	sigpending(&pending);
	assert_true(sigismember(&pending, SIGINT));
	pthread_sigmask(SIG_BLOCK, NULL, &mask);
	assert_true(sigismember(&mask, SIGTERM));
	struct service again = { .signal_self = true };
	assert_int_equal(cc_run_until_stopped(run, stop, &again, &err), 0); /* the pending SIGINT stops it */
	assert_int_equal(again.stops, 1);
}

int main(void)
{
	cc_stop_signals_block(); /* before cmocka or anything else starts a thread */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_run_that_finishes_is_not_stopped),
		cmocka_unit_test(test_sigterm_calls_stop_once_and_waits_for_run),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
