#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/json/json.h"
#include "unit.h"

static void test_levels_and_formats_parse(void **state)
{
	assert_int_equal(cc_log_level_from_string("debug"), CC_LOG_DEBUG);
	assert_int_equal(cc_log_level_from_string("WARN"), CC_LOG_WARNING);
	assert_int_equal(cc_log_level_from_string("loud"), CC_LOG_LEVEL_MAX);
	assert_int_equal(cc_log_format_from_string("json"), CC_LOG_JSON);
	assert_int_equal(cc_log_format_from_string("xml"), CC_LOG_FORMAT_MAX);
}

static void test_json_lines_are_valid_and_filtered(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *path = cc_xasprintf("%s/log", dir);
	assert_int_equal(cc_log_setup("unit", CC_LOG_INFO, CC_LOG_JSON, path), 0);
	cc_debug("hidden");
	cc_info("quote \" and newline \n and tab \t");
	cc_err("second");
	cc_log_close();
	char *data;
	size_t len;
	struct cc_error err = { 0 };
	assert_int_equal(cc_read_file(path, 1 << 20, &data, &len, &err), 0);
	assert_null(strstr(data, "hidden"));
	char *line2 = strchr(data, '\n');
	assert_non_null(line2);
	*line2++ = '\0';
	json_t *first;
	assert_int_equal(cc_json_parse(data, strlen(data), 4096, "log", &first, &err), 0);
	assert_string_equal(json_string_value(json_object_get(first, "msg")), "quote \" and newline \n and tab \t");
	assert_string_equal(json_string_value(json_object_get(first, "level")), "info");
	assert_string_equal(json_string_value(json_object_get(first, "program")), "unit");
	json_decref(first);
	assert_non_null(strstr(line2, "\"second\""));
	free(data);
	cc_log_setup("unit", CC_LOG_INFO, CC_LOG_TEXT, NULL);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_levels_and_formats_parse),
		cmocka_unit_test(test_json_lines_are_valid_and_filtered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
