/* Prometheus text format 0.0.4: escapes, numbers, histograms (bounds are "le", cumulative, _count
 * equal to the +Inf bucket), and labelled families (first-seen order, a size limit that refuses and
 * counts, counters that only go up, updates from several threads). */
#include "lib/base/cleanup.h"
#include "lib/metrics/prometheus.h"
#include "unit.h"

#include <math.h>
#include <pthread.h>

static char *number(double v)
{
	static char text[64];
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_write_number(&b, v);
	snprintf(text, sizeof(text), "%s", b.data);
	cc_buf_free(&b);
	return text;
}

static void test_numbers(void **state)
{
	assert_string_equal(number(0), "0");
	assert_string_equal(number(-0.0), "0");
	assert_string_equal(number(42), "42");
	assert_string_equal(number(-7), "-7");
	assert_string_equal(number(1e15), "1000000000000000");
	assert_string_equal(number(0.005), "0.005");
	assert_string_equal(number(1.25), "1.25");
	assert_string_equal(number(1.5e-7), "1.5e-07");
	assert_string_equal(number(1e300), "1e+300");
	assert_string_equal(number(0.1 + 0.2), "0.30000000000000004"); /* 17 digits when 15 do not read back */
	assert_string_equal(number(INFINITY), "+Inf");
	assert_string_equal(number(-INFINITY), "-Inf");
	assert_string_equal(number(NAN), "NaN");
}

static void test_header_and_escapes(void **state)
{
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_write_header(&b, "x_total", CC_PROM_COUNTER, "a \\ back\nslash \"quoted\"");
	cc_prom_write_header(&b, "y", CC_PROM_GAUGE, NULL);
	static const char *const names[] = { "path", "code", NULL };
	cc_prom_write_sample(&b, "x_total", names, (const char *[]){ "a\"b\\c\nd", "200" }, 3);
	cc_prom_write_sample(&b, "y", NULL, NULL, 0.5);
	assert_string_equal(b.data, "# HELP x_total a \\\\ back\\nslash \"quoted\"\n"
				    "# TYPE x_total counter\n"
				    "# TYPE y gauge\n"
				    "x_total{path=\"a\\\"b\\\\c\\nd\",code=\"200\"} 3\n"
				    "y 0.5\n");
	cc_buf_free(&b);
}

static void test_histogram(void **state)
{
	static const double bounds[] = { 0.25, 1, 10 };
	struct cc_prom_histogram h;
	cc_prom_histogram_init(&h, bounds, 3);
	cc_prom_histogram_observe(&h, 0.125);
	cc_prom_histogram_observe(&h, 0.25); /* on the bound: in its bucket (le) */
	cc_prom_histogram_observe(&h, 5);
	cc_prom_histogram_observe(&h, 100);
	struct cc_buf b = CC_BUF_INIT;
	static const char *const names[] = { "verb", NULL };
	cc_prom_write_histogram(&b, "d_seconds", names, (const char *[]){ "GET" }, &h);
	assert_string_equal(b.data, "d_seconds_bucket{verb=\"GET\",le=\"0.25\"} 2\n"
				    "d_seconds_bucket{verb=\"GET\",le=\"1\"} 2\n"
				    "d_seconds_bucket{verb=\"GET\",le=\"10\"} 3\n"
				    "d_seconds_bucket{verb=\"GET\",le=\"+Inf\"} 4\n"
				    "d_seconds_sum{verb=\"GET\"} 105.375\n"
				    "d_seconds_count{verb=\"GET\"} 4\n");
	cc_buf_reset(&b);
	cc_prom_histogram_init(&h, bounds, 3);
	cc_prom_write_histogram(&b, "e", NULL, NULL, &h);
	assert_string_equal(b.data, "e_bucket{le=\"0.25\"} 0\ne_bucket{le=\"1\"} 0\ne_bucket{le=\"10\"} 0\n"
				    "e_bucket{le=\"+Inf\"} 0\ne_sum 0\ne_count 0\n");
	cc_buf_free(&b);
}

static void test_family(void **state)
{
	static const char *const names[] = { "verb", "code", NULL };
	struct cc_prom_family *f = cc_prom_family_new("req_total", CC_PROM_COUNTER, "Requests.", names, NULL, 0, 3);
	cc_prom_family_add(f, (const char *[]){ "GET", "200" }, 1);
	cc_prom_family_add(f, (const char *[]){ "PUT", "409" }, 1);
	cc_prom_family_add(f, (const char *[]){ "GET", "200" }, 2);
	cc_prom_family_add(f, (const char *[]){ "GET", "200" }, -5); /* a counter never goes down */
	cc_prom_family_add(f, (const char *[]){ "GET", NULL }, 1);   /* NULL is the empty value */
	cc_prom_family_add(f, (const char *[]){ "POST", "201" }, 1); /* a fourth series: refused */
	cc_prom_family_add(f, (const char *[]){ "POST", "201" }, 1);
	assert_int_equal(cc_prom_family_dropped(f), 2);
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_family_write(f, &b);
	assert_string_equal(b.data, "# HELP req_total Requests.\n# TYPE req_total counter\n"
				    "req_total{verb=\"GET\",code=\"200\"} 3\n"
				    "req_total{verb=\"PUT\",code=\"409\"} 1\n"
				    "req_total{verb=\"GET\",code=\"\"} 1\n");
	cc_buf_free(&b);
	cc_prom_family_free(f);

	f = cc_prom_family_new("g", CC_PROM_GAUGE, NULL, NULL, NULL, 0, 0);
	cc_prom_family_set(f, NULL, 7);
	cc_prom_family_add(f, NULL, -2); /* a gauge goes both ways */
	cc_prom_family_write(f, &b);
	assert_string_equal(b.data, "# TYPE g gauge\ng 5\n");
	cc_buf_free(&b);
	cc_prom_family_free(f);
}

static void test_histogram_family(void **state)
{
	static const double bounds[] = { 1 };
	static const char *const names[] = { "op", NULL };
	struct cc_prom_family *f = cc_prom_family_new("t_seconds", CC_PROM_HISTOGRAM, NULL, names, bounds, 1, 0);
	cc_prom_family_observe(f, (const char *[]){ "a" }, 0.5);
	cc_prom_family_observe(f, (const char *[]){ "b" }, 2);
	cc_prom_family_observe(f, (const char *[]){ "a" }, 3);
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_family_write(f, &b);
	assert_string_equal(b.data, "# TYPE t_seconds histogram\n"
				    "t_seconds_bucket{op=\"a\",le=\"1\"} 1\nt_seconds_bucket{op=\"a\",le=\"+Inf\"} 2\n"
				    "t_seconds_sum{op=\"a\"} 3.5\nt_seconds_count{op=\"a\"} 2\n"
				    "t_seconds_bucket{op=\"b\",le=\"1\"} 0\nt_seconds_bucket{op=\"b\",le=\"+Inf\"} 1\n"
				    "t_seconds_sum{op=\"b\"} 2\nt_seconds_count{op=\"b\"} 1\n");
	cc_buf_free(&b);
	cc_prom_family_free(f);
}

/* Many series (past one hash chain each) and four threads adding at once: nothing is lost. */
static struct cc_prom_family *shared;

static void *add_many(void *arg)
{
	for (int i = 0; i < 20000; i++) {
		char value[16];
		snprintf(value, sizeof(value), "v%d", i % 500);
		cc_prom_family_add(shared, (const char *[]){ value }, 1);
	}
	return NULL;
}

static void test_family_threads(void **state)
{
	static const char *const names[] = { "k", NULL };
	shared = cc_prom_family_new("c_total", CC_PROM_COUNTER, NULL, names, NULL, 0, 0);
	pthread_t threads[4];
	for (int i = 0; i < 4; i++)
		assert_int_equal(pthread_create(&threads[i], NULL, add_many, NULL), 0);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	struct cc_buf b = CC_BUF_INIT;
	cc_prom_family_write(shared, &b);
	size_t lines = 0;
	for (const char *p = b.data; (p = strstr(p, "} 160\n")); p++)
		lines++;
	assert_int_equal(lines, 500); /* 500 series of 4 * 20000 / 500 each */
	assert_int_equal(cc_prom_family_dropped(shared), 0);
	cc_buf_free(&b);
	cc_prom_family_free(shared);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_numbers),          cmocka_unit_test(test_header_and_escapes),
		cmocka_unit_test(test_histogram),        cmocka_unit_test(test_family),
		cmocka_unit_test(test_histogram_family), cmocka_unit_test(test_family_threads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
