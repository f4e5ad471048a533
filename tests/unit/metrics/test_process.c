/* The process collector against what the test process knows of itself. */
#include "lib/base/cleanup.h"
#include "lib/metrics/process.h"
#include "unit.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <time.h>

static void test_stats(void **state)
{
	struct cc_process_stats before, after;
	assert_int_equal(cc_process_stats_read(&before), 0);
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	assert_true(fd >= 0);
	/* Burn a little CPU so the counter has something to count. */
	volatile double x = 0;
	for (int i = 0; i < 20000000; i++)
		x += i * 0.5;
	assert_int_equal(cc_process_stats_read(&after), 0);
	close(fd);
	assert_int_equal(after.open_fds, before.open_fds + 1);
	assert_true(after.cpu_seconds >= before.cpu_seconds);
	assert_true(after.cpu_seconds > 0);
	struct rlimit lim;
	assert_int_equal(getrlimit(RLIMIT_NOFILE, &lim), 0);
	assert_int_equal(after.max_fds, lim.rlim_cur);
	assert_true(after.resident_bytes > 100 * 1024);
	assert_true(after.virtual_bytes >= after.resident_bytes);
	double now = (double)time(NULL);
	assert_true(after.start_time_seconds <= now + 1);
	assert_true(after.start_time_seconds > now - 600); /* this test started moments ago */
}

static void test_exposition(void **state)
{
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_write_process(&b);
	static const char *const names[] = { "process_cpu_seconds_total",
					     "process_open_fds",
					     "process_max_fds",
					     "process_virtual_memory_bytes",
					     "process_resident_memory_bytes",
					     "process_start_time_seconds" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(names); i++) {
		char type[128], sample[128];
		snprintf(type, sizeof(type), "# TYPE %s ", names[i]);
		snprintf(sample, sizeof(sample), "\n%s ", names[i]);
		assert_non_null(strstr(b.data, type));
		assert_non_null(strstr(b.data, sample));
	}
	assert_non_null(strstr(b.data, "# TYPE process_cpu_seconds_total counter\n"));
	cc_buf_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stats),
		cmocka_unit_test(test_exposition),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
