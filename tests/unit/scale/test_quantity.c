/* scale/quantity.c: the cpu and memory forms Kubernetes writes, and the ones refused with a reason. */
#include "lib/base/error.h"
#include "scale/quantity.h"
#include "unit.h"

static int64_t cpu(const char *s)
{
	int64_t v = -1;
	struct cc_error err = { 0 };
	if (scale_parse_cpu(s, &v, &err) < 0)
		fail_msg("cpu `%s` refused: %s", s, err.message);
	return v;
}

static int64_t memory(const char *s)
{
	int64_t v = -1;
	struct cc_error err = { 0 };
	if (scale_parse_memory(s, &v, &err) < 0)
		fail_msg("memory `%s` refused: %s", s, err.message);
	return v;
}

static void refused(int (*parse)(const char *, int64_t *, struct cc_error *), const char *s, const char *word)
{
	int64_t v = 12345;
	struct cc_error err = { 0 };
	assert_true(parse(s, &v, &err) < 0);
	assert_int_equal(v, 12345);
	if (!strstr(err.message, word))
		fail_msg("`%s`: `%s` not in: %s", s, word, err.message);
}

static void test_cpu(void **state)
{
	assert_int_equal(cpu("4000m"), 4000);
	assert_int_equal(cpu("4"), 4000);
	assert_int_equal(cpu("0.5"), 500);
	assert_int_equal(cpu("0.0001"), 1); /* rounded up to a millicore */
	assert_int_equal(cpu("0"), 0);
	refused(scale_parse_cpu, "-1", "negative");
	refused(scale_parse_cpu, "", "empty");
	refused(scale_parse_cpu, "4 cores", "not a cpu quantity");
	assert_int_equal(cpu("1.5m"), 2); /* below a millicore: rounded up */
	refused(scale_parse_cpu, "1.5mm", "not a cpu quantity");
	refused(scale_parse_cpu, "m", "start with a digit");
	refused(scale_parse_cpu, "99999999999999999999999", "too large");
}

static void test_memory(void **state)
{
	assert_int_equal(memory("8Gi"), INT64_C(8) << 30);
	assert_int_equal(memory("512Mi"), INT64_C(512) << 20);
	assert_int_equal(memory("1G"), 1000000000);
	assert_int_equal(memory("1500"), 1500);
	assert_int_equal(memory("1.5Gi"), INT64_C(3) << 29);
	assert_int_equal(memory("1k"), 1000);
	refused(scale_parse_memory, "512m", "milli-bytes");
	refused(scale_parse_memory, "1e3", "exponents");
	refused(scale_parse_memory, "8GB", "unknown suffix");
	refused(scale_parse_memory, "1.5", "fraction of a byte");
	refused(scale_parse_memory, "-8Gi", "negative");
	refused(scale_parse_memory, "2Ei", "too large");
}

static void test_format(void **state)
{
	char buf[32];
	scale_format_cpu(4000, buf, sizeof(buf));
	assert_string_equal(buf, "4");
	scale_format_cpu(4500, buf, sizeof(buf));
	assert_string_equal(buf, "4500m");
	scale_format_memory(INT64_C(8) << 30, buf, sizeof(buf));
	assert_string_equal(buf, "8Gi");
	scale_format_memory(1500, buf, sizeof(buf));
	assert_string_equal(buf, "1500");
}

static void test_json(void **state)
{
	int64_t v = 0;
	struct cc_error err = { 0 };
	json_t *n = json_real(0.25);
	assert_int_equal(scale_json_cpu(n, "cpu", &v, &err), 0);
	assert_int_equal(v, 250);
	json_decref(n);
	n = json_integer(-3);
	assert_true(scale_json_memory(n, "pod `a/b` requests.memory", &v, &err) < 0);
	assert_non_null(strstr(err.message, "requests.memory"));
	json_decref(n);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu),
		cmocka_unit_test(test_memory),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_json),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
