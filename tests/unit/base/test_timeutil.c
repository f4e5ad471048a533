#include "lib/base/timeutil.h"
#include "unit.h"

#include <errno.h>
#include <stdio.h>
#include <time.h>

static void test_format_round_trip(void **state)
{
	char text[CC_TIME_RFC3339_MAX];
	int64_t t = 1795851078123456789LL;
	cc_time_format_rfc3339(t, text, sizeof(text));
	assert_string_equal(text, "2026-11-28T07:31:18.123456789Z");
	int64_t back;
	assert_int_equal(cc_time_parse_rfc3339(text, &back), 0);
	assert_true(back == t);
	/* Edges of the hand-written digits: the epoch, just before it, the last four-digit year. */
	cc_time_format_rfc3339(0, text, sizeof(text));
	assert_string_equal(text, "1970-01-01T00:00:00.000000000Z");
	cc_time_format_rfc3339(-1, text, sizeof(text));
	assert_string_equal(text, "1969-12-31T23:59:59.999999999Z");
	cc_time_format_rfc3339(INT64_MAX, text, sizeof(text));
	assert_string_equal(text, "2262-04-11T23:47:16.854775807Z");
	/* The date arithmetic against gmtime_r, a day and a bit at a time from 1900 to 2261. */
	for (int64_t secs = -2208988800LL; secs < 9200000000LL; secs += 86400 + 3607) {
		struct tm tm;
		time_t when = (time_t)secs;
		gmtime_r(&when, &tm);
		char want[64];
		snprintf(want, sizeof(want), "%04d-%02d-%02dT%02d:%02d:%02d.000000000Z", tm.tm_year + 1900,
			 tm.tm_mon + 1, tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
		cc_time_format_rfc3339(secs * 1000000000LL, text, sizeof(text));
		assert_string_equal(text, want);
	}
}

static void test_format_whole_seconds(void **state)
{
	char text[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339_seconds(1795851078999999999LL, text, sizeof(text));
	assert_string_equal(text, "2026-11-28T07:31:18Z"); /* rounded down, as Kubernetes truncates */
	cc_time_format_rfc3339_seconds(-1, text, sizeof(text));
	assert_string_equal(text, "1969-12-31T23:59:59Z");
	char small[20]; /* one short of the 21 bytes it needs: empty, never cut */
	cc_time_format_rfc3339_seconds(0, small, sizeof(small));
	assert_string_equal(small, "");
}

static void test_parse_offsets_and_fractions(void **state)
{
	int64_t a, b;
	assert_int_equal(cc_time_parse_rfc3339("2026-11-28T09:31:18+02:00", &a), 0);
	assert_int_equal(cc_time_parse_rfc3339("2026-11-28T07:31:18Z", &b), 0);
	assert_true(a == b);
	assert_int_equal(cc_time_parse_rfc3339("2026-11-28T07:31:18.5Z", &a), 0);
	assert_true(a - b == 500000000LL);
	/* Kubernetes audit events use microseconds. */
	assert_int_equal(cc_time_parse_rfc3339("2026-11-28T07:31:18.000001Z", &a), 0);
	assert_true(a - b == 1000LL);
}

static void test_parse_rejects_malformed(void **state)
{
	int64_t t;
	const char *bad[] = { "",
			      "2026-11-28",
			      "2026-11-28T07:31:18",
			      "2026-13-01T00:00:00Z",
			      "2026-02-30T00:00:00Z",
			      "2026-11-28T25:00:00Z",
			      "2026-11-28T07:31:18.Z",
			      "2026-11-28T07:31:18Zjunk",
			      "2026-11-28T07:31:18+0200",
			      "20261128T073118Z" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (cc_time_parse_rfc3339(bad[i], &t) == 0)
			fail_msg("accepted `%s`", bad[i]);
}

static void test_parse_refuses_unrepresentable_years(void **state)
{
	int64_t t;
	/* int64 nanoseconds reach from 1677 to 2262 (found by fuzz_event: year 0000 overflowed). */
	assert_int_equal(cc_time_parse_rfc3339("0000-01-01T00:00:00Z", &t), -ERANGE);
	assert_int_equal(cc_time_parse_rfc3339("9999-12-31T23:59:59Z", &t), -ERANGE);
	assert_int_equal(cc_time_parse_rfc3339("1970-01-01T00:00:00Z", &t), 0);
	assert_true(t == 0);
}

static void test_monotonic_advances(void **state)
{
	int64_t a = cc_time_monotonic_ms();
	usleep(20000);
	assert_true(cc_time_monotonic_ms() - a >= 19);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_format_round_trip),
		cmocka_unit_test(test_format_whole_seconds),
		cmocka_unit_test(test_parse_offsets_and_fractions),
		cmocka_unit_test(test_parse_rejects_malformed),
		cmocka_unit_test(test_parse_refuses_unrepresentable_years),
		cmocka_unit_test(test_monotonic_advances),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
