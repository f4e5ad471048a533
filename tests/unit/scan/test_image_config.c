/* scan/image_config.c: each check on configs that pass and configs that do not, as `podman save`
 * and OCI layouts give them. */
#include "lib/base/cleanup.h"
#include "scan/image_config.h"
#include "scan/image_files.h"
#include "unit.h"

#include <string.h>

/* The ids found for a config ("config" object as JSON text) and repo tags, sorted, joined by spaces. */
static char *ids(const char *config, const char *tags)
{
	struct scan_image img = { .id = "sha256:0123",
				  .config = json_pack("{s:o}", "config", json_loads(config, 0, NULL)),
				  .repo_tags = json_loads(tags, 0, NULL) };
	assert_non_null(img.repo_tags);
	json_t *out = json_array();
	scan_image_config_check(&img, out);
	char buf[512] = "";
	size_t i;
	json_t *m;
	json_array_foreach (out, i, m) {
		assert_string_equal(json_string_value(json_object_get(m, "category")), "image-config");
		assert_non_null(json_string_value(json_object_get(m, "message")));
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s/%s", i ? " " : "",
			 json_string_value(json_object_get(m, "id")),
			 json_string_value(json_object_get(m, "severity")));
	}
	json_decref(out);
	json_decref(img.config);
	json_decref(img.repo_tags);
	return strdup(buf);
}

static void expect(const char *config, const char *tags, const char *want)
{
	_cleanup_free_ char *got = ids(config, tags);
	if (strcmp(got, want) != 0)
		fail_msg("config %s tags %s: got <%s>, want <%s>", config, tags, got, want);
}

static void test_user(void **state)
{
	(void)state;
	expect("{}", "[]", "IMG-ROOT-USER/high");
	expect("{\"User\": \"\"}", "[]", "IMG-ROOT-USER/high");
	expect("{\"User\": \"root\"}", "[]", "IMG-ROOT-USER/high");
	expect("{\"User\": \"0:0\"}", "[]", "IMG-ROOT-USER/high");
	expect("{\"User\": \"root:wheel\"}", "[]", "IMG-ROOT-USER/high");
	expect("{\"User\": \"1000\"}", "[]", "");
	expect("{\"User\": \"00\"}", "[]", ""); /* not how a runtime reads 0, and not root's name */
	expect("{\"User\": \"rootless\"}", "[]", "");
	expect("{\"User\": \"app:0\"}", "[]", ""); /* group root is not user root */
}

static void test_tags(void **state)
{
	(void)state;
	expect("{\"User\": \"1\"}", "[\"localhost/app:1.2\"]", "IMG-NO-DIGEST/low");
	expect("{\"User\": \"1\"}", "[\"localhost/app:latest\"]", "IMG-LATEST-TAG/medium IMG-NO-DIGEST/low");
	expect("{\"User\": \"1\"}", "[\"localhost:5000/app\"]", "IMG-LATEST-TAG/medium IMG-NO-DIGEST/low");
	expect("{\"User\": \"1\"}", "[\"app:1\", \"app@sha256:abcd\"]", "");
}

static void test_env_and_ports(void **state)
{
	(void)state;
	expect("{\"User\": \"1\", \"Env\": [\"PATH=/bin\", \"DB_PASSWORD=x\"]}", "[]", "IMG-SECRET-ENV/high");
	expect("{\"User\": \"1\", \"Env\": [\"DB_PASSWORD=\"]}", "[]", ""); /* declared, no value baked in */
	expect("{\"User\": \"1\", \"Env\": [\"X=AKIAZ3MSJV4WWNKWW5FG\"]}", "[]", "IMG-SECRET-ENV/critical");
	expect("{\"User\": \"1\", \"Env\": [\"LANG=C.UTF-8\", 7, \"NOEQUALS\"]}", "[]", "");
	expect("{\"User\": \"1\", \"ExposedPorts\": {\"22/tcp\": {}, \"80/tcp\": {}}}", "[]", "IMG-SSH-PORT/medium");
	expect("{\"User\": \"1\", \"ExposedPorts\": {\"2222/tcp\": {}}}", "[]", "");
}

static void test_no_config(void **state)
{
	(void)state;
	struct scan_image img = { 0 };
	json_t *out = json_array();
	scan_image_config_check(&img, out);
	assert_int_equal(json_array_size(out), 0);
	json_decref(out);
}

static void test_redacted_config(void **state)
{
	(void)state;
	json_t *config = json_pack("{s:{s:[s, s, s, s], s:[s]}, s:[{s:s}], s:{s:[s]}}", "config", "Env", "PATH=/bin",
				   "DB_PASSWORD=hunter2", "X=AKIAZ3MSJV4WWNKWW5FG", "EMPTY_TOKEN=", "Cmd",
				   "--password=hunter2", "history", "created_by", "ENV DB_PASSWORD=hunter2",
				   "container_config", "Env", "DB_PASSWORD=hunter2");
	json_t *shown = scan_image_config_redacted(config);
	_cleanup_free_ char *text = json_dumps(shown, JSON_COMPACT);
	assert_string_equal(text, "{\"config\":{\"Env\":[\"PATH=/bin\",\"DB_PASSWORD=<redacted>\",\"X=<redacted>\","
				  "\"EMPTY_TOKEN=\"]}}");
	/* the original is left as it was */
	assert_string_equal(
	    json_string_value(json_array_get(json_object_get(json_object_get(config, "config"), "Env"), 1)),
	    "DB_PASSWORD=hunter2");
	assert_null(scan_image_config_redacted(NULL));
	json_decref(shown);
	json_decref(config);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_user),
		cmocka_unit_test(test_tags),
		cmocka_unit_test(test_env_and_ports),
		cmocka_unit_test(test_no_config),
		cmocka_unit_test(test_redacted_config),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
