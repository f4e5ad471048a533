#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>

static void test_parse_and_canonical(void **state)
{
	struct cc_error err = { 0 };
	json_t *v;
	const char *text = "{ \"b\": 1, \"a\": [true, null, \"\\u00e9\"], \"c\": {\"z\": 1.5, \"y\": -2} }";
	assert_int_equal(cc_json_parse(text, strlen(text), 1024, "t", &v, &err), 0);
	char *canonical = cc_json_canonical(v);
	assert_string_equal(canonical, "{\"a\":[true,null,\"\xc3\xa9\"],\"b\":1,\"c\":{\"y\":-2,\"z\":1.5}}");
	free(canonical);
	json_decref(v);
}

static void test_parse_errors_name_position(void **state)
{
	struct cc_error err = { 0 };
	json_t *v;
	const char *text = "{\n  \"a\": 1,\n  \"b\": }";
	assert_int_equal(cc_json_parse(text, strlen(text), 1024, "config.json", &v, &err), -EINVAL);
	assert_non_null(strstr(err.message, "config.json: invalid JSON at line 3"));
}

static void test_rejects_duplicates_size_and_depth(void **state)
{
	struct cc_error err = { 0 };
	json_t *v;
	const char *dup = "{\"a\":1,\"a\":2}";
	assert_int_equal(cc_json_parse(dup, strlen(dup), 1024, "t", &v, &err), -EINVAL);
	assert_int_equal(cc_json_parse("[1,2,3]", 7, 6, "t", &v, &err), -EMSGSIZE);
	char deep[600];
	memset(deep, '[', 300);
	memset(deep + 300, ']', 300);
	assert_int_equal(cc_json_parse(deep, 600, 1024, "t", &v, &err), -EINVAL);
	assert_non_null(strstr(err.message, "nesting"));
	/* Brackets inside strings do not count as nesting. */
	char in_string[400];
	in_string[0] = '"';
	memset(in_string + 1, '[', 397);
	in_string[398] = '"';
	assert_int_equal(cc_json_parse(in_string, 399, 1024, "t", &v, &err), 0);
	json_decref(v);
	/* Invalid UTF-8 is refused. */
	assert_int_equal(cc_json_parse("\"\xff\"", 3, 1024, "t", &v, &err), -EINVAL);
	/* NUL escapes inside strings are refused by jansson by default. */
	const char *nul = "\"a\\u0000b\"";
	assert_int_equal(cc_json_parse(nul, strlen(nul), 1024, "t", &v, &err), -EINVAL);
	/* A raw NUL after a literal, which jansson alone would skip, is refused too. */
	assert_int_equal(cc_json_parse("[true\0]", 7, 1024, "t", &v, &err), -EINVAL);
	assert_non_null(strstr(err.message, "NUL byte at offset 5"));
}

static void test_typed_getters(void **state)
{
	struct cc_error err = { 0 };
	json_t *v;
	const char *text = "{\"s\":\"x\",\"i\":7,\"b\":true,\"o\":{},\"a\":[],\"n\":null}";
	assert_int_equal(cc_json_parse(text, strlen(text), 1024, "t", &v, &err), 0);
	const char *s;
	int64_t i;
	bool b;
	json_t *o;
	assert_int_equal(cc_json_get_string(v, "s", true, &s, &err), 0);
	assert_string_equal(s, "x");
	assert_int_equal(cc_json_get_int(v, "i", true, &i, &err), 0);
	assert_int_equal(i, 7);
	assert_int_equal(cc_json_get_bool(v, "b", true, &b, &err), 0);
	assert_true(b);
	assert_int_equal(cc_json_get_object(v, "o", true, &o, &err), 0);
	assert_int_equal(cc_json_get_array(v, "a", true, &o, &err), 0);
	assert_int_equal(cc_json_get_string(v, "missing", true, &s, &err), -ENOENT);
	assert_non_null(strstr(err.message, "`missing`"));
	assert_int_equal(cc_json_get_string(v, "missing", false, &s, &err), 0);
	assert_null(s);
	assert_int_equal(cc_json_get_string(v, "n", false, &s, &err), 0);
	assert_null(s);
	assert_int_equal(cc_json_get_int(v, "s", true, &i, &err), -EINVAL);
	assert_non_null(strstr(err.message, "must be an integer, not a string"));
	assert_int_equal(cc_json_depth(v), 2);
	json_decref(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_and_canonical),
		cmocka_unit_test(test_parse_errors_name_position),
		cmocka_unit_test(test_rejects_duplicates_size_and_depth),
		cmocka_unit_test(test_typed_getters),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
