/* metadata.managedFields (platform/managed_fields.h): entries read with kube-apiserver's validation,
 * written in its order, the `[{}]` reset, field manager names, and the bookkeeping of Updates. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "platform/managed_fields.h"
#include "unit.h"
#include "unit_json.h"

#include <errno.h>

/* Decoding list fails with one cause naming field and holding words. */
static void expect_refused(const char *list_text, const char *field, const char *words)
{
	struct cc_error err = { 0 };
	json_t *list = unit_json_parse(list_text), *causes = json_array();
	struct platform_managed_fields m;
	assert_int_equal(platform_managed_fields_decode(list, &m, causes, &err), -EINVAL);
	assert_int_equal(json_array_size(causes), 1);
	json_t *cause = json_array_get(causes, 0);
	assert_string_equal(json_string_value(json_object_get(cause, "field")), field);
	const char *message = json_string_value(json_object_get(cause, "message"));
	if (!strstr(message, words))
		fail_msg("cause \"%s\" lacks \"%s\"", message, words);
	assert_non_null(strstr(err.message, field));
	json_decref(list);
	json_decref(causes);
}

static void test_decode_and_validation(void **state)
{
	(void)state;
	expect_refused("[{\"manager\":\"a\",\"operation\":\"Patch\"}]", "metadata.managedFields[0].operation",
		       "must be `Apply` or `Update`");
	expect_refused("[{\"manager\":\"a\",\"operation\":\"Apply\",\"fieldsType\":\"FieldsV2\"}]",
		       "metadata.managedFields[0].fieldsType", "must be `FieldsV1`");
	expect_refused("[{\"manager\":\"a\",\"operation\":\"Update\"},{\"manager\":\"b\",\"operation\":\"Update\","
		       "\"fieldsV1\":{\"f:data\":{\"q:x\":{}}}}]",
		       "metadata.managedFields[1].fieldsV1", "`f:data.q:x`: not a path element");
	expect_refused("[{\"manager\":\"a\\u0001\",\"operation\":\"Update\"}]", "metadata.managedFields[0].manager",
		       "invalid character U+0001");
	expect_refused("[{\"manager\":\"a\",\"operation\":\"Update\",\"time\":\"yesterday\"}]",
		       "metadata.managedFields[0].time", "RFC 3339");
	expect_refused("[{\"manager\":1,\"operation\":\"Update\"}]", "metadata.managedFields[0]", "object of strings");
	expect_refused("[3]", "metadata.managedFields[0]", "object of strings");

	/* Two entries of one identity are one owner. */
	struct cc_error err = { 0 };
	json_t *list = unit_json_parse(
	    "[{\"manager\":\"a\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsV1\":{\"f:data\":"
	    "{\"f:x\":{}}}},{\"manager\":\"a\",\"operation\":\"Apply\",\"apiVersion\":\"v2\",\"fieldsV1\":"
	    "{\"f:data\":{\"f:y\":{}}}}]");
	_cleanup_managed_fields_ struct platform_managed_fields m = { 0 };
	assert_int_equal(platform_managed_fields_decode(list, &m, NULL, &err), 0);
	assert_int_equal(m.n, 1);
	json_t *out = platform_managed_fields_encode(&m);
	unit_assert_json(
	    out, "[{\"manager\":\"a\",\"operation\":\"Apply\",\"apiVersion\":\"v1\",\"fieldsType\":\"FieldsV1\","
		 "\"fieldsV1\":{\"f:data\":{\"f:x\":{},\"f:y\":{}}}}]");
	json_decref(out);
	json_decref(list);
}

static void test_reset_and_order(void **state)
{
	(void)state;
	json_t *reset = unit_json_parse("[{}]"), *two = unit_json_parse("[{},{}]"), *none = unit_json_parse("[]"),
	       *mixed = unit_json_parse("[{},{\"a\":1}]");
	assert_true(platform_managed_fields_is_reset(reset));
	assert_true(platform_managed_fields_is_reset(two));
	assert_false(platform_managed_fields_is_reset(none));
	assert_false(platform_managed_fields_is_reset(mixed));
	assert_false(platform_managed_fields_is_reset(NULL));
	json_decref(reset);
	json_decref(two);
	json_decref(none);
	json_decref(mixed);

	/* Apply before Update, then by time, manager, apiVersion, subresource; empty entries left out. */
	struct cc_error err = { 0 };
	json_t *list = unit_json_parse(
	    "[{\"manager\":\"z\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
	    "\"2024-01-01T00:00:00Z\",\"fieldsV1\":{\"f:a\":{}}},{\"manager\":\"b\",\"operation\":\"Update\","
	    "\"apiVersion\":\"v1\",\"time\":\"2023-01-01T00:00:00Z\",\"fieldsV1\":{\"f:b\":{}},"
	    "\"subresource\":\"status\"},{\"manager\":\"y\",\"operation\":\"Apply\",\"apiVersion\":\"v1\","
	    "\"time\":\"2025-01-01T00:00:00Z\",\"fieldsV1\":{\"f:c\":{}}},{\"manager\":\"e\",\"operation\":"
	    "\"Update\",\"apiVersion\":\"v1\"}]");
	_cleanup_managed_fields_ struct platform_managed_fields m = { 0 };
	assert_int_equal(platform_managed_fields_decode(list, &m, NULL, &err), 0);
	json_t *out = platform_managed_fields_encode(&m);
	assert_int_equal(json_array_size(out), 3);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "manager")), "y");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "manager")), "b");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 1), "subresource")), "status");
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 2), "manager")), "z");
	json_decref(out);
	json_decref(list);
}

static void test_manager_names(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	char *name = platform_field_manager_from_user_agent("kubectl/v1.30.13 (linux/amd64) kubernetes/50af91c");
	assert_string_equal(name, "kubectl");
	free(name);
	name = platform_field_manager_from_user_agent("node-fetch\x01\x7f x/1");
	assert_string_equal(name, "node-fetch x");
	free(name);
	name = platform_field_manager_from_user_agent(NULL);
	assert_string_equal(name, "");
	free(name);
	char long_agent[300];
	memset(long_agent, 'a', sizeof(long_agent) - 1);
	long_agent[sizeof(long_agent) - 1] = '\0';
	name = platform_field_manager_from_user_agent(long_agent);
	assert_int_equal(strlen(name), 128);
	assert_int_equal(platform_field_manager_validate(name, &err), 0);
	free(name);
	/* A multi-byte character cut at 128 bytes is dropped whole. */
	memset(long_agent, 'a', 127);
	strcpy(long_agent + 127, "\xc3\xa9tail");
	name = platform_field_manager_from_user_agent(long_agent);
	assert_int_equal(strlen(name), 127);
	free(name);

	assert_int_equal(platform_field_manager_validate(long_agent, &err), -EINVAL);
	assert_non_null(strstr(err.message, "Too long"));
	assert_int_equal(platform_field_manager_validate("a\nb", &err), -EINVAL);
	assert_non_null(strstr(err.message, "U+000A (at position 1)"));
	assert_int_equal(platform_field_manager_validate("kubectl-client-side-apply", &err), 0);

	struct platform_managed_entry e = { .manager = "kubectl", .api_version = "apps/v1", .subresource = "scale" };
	struct cc_buf out = { 0 };
	platform_managed_entry_describe(&e, &out);
	e.apply = true;
	e.subresource = NULL;
	cc_buf_append_str(&out, "|");
	platform_managed_entry_describe(&e, &out);
	cc_buf_append(&out, "", 1);
	assert_string_equal(out.data, "\"kubectl\" with subresource \"scale\" using apps/v1|\"kubectl\"");
	cc_buf_free(&out);
}

static const char cm[] = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\",\"uid\":\"u\","
			 "\"resourceVersion\":\"5\",\"labels\":{\"a\":\"1\"}},\"data\":{\"x\":\"1\",\"y\":\"2\"}}";

static void test_updates(void **state)
{
	(void)state;
	_cleanup_managed_fields_ struct platform_managed_fields m = { 0 };
	struct platform_field_manager creator = { "kubectl-create", false, "v1", NULL };
	struct platform_field_manager editor = { "kubectl-edit", false, "v1", NULL };
	json_t *v1 = unit_json_parse(cm);
	/* A create: every field but the server's, maps that appeared with ".". */
	platform_managed_fields_update(&m, NULL, v1, "ConfigMap", &creator, "2024-01-01T00:00:00Z");
	json_t *out = platform_managed_fields_encode(&m);
	unit_assert_json(out,
			 "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
			 "\"2024-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\".\":{},"
			 "\"f:x\":{},\"f:y\":{}},\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{}}}}}]");
	json_decref(out);

	/* Another writer changes x and removes y: x is theirs, y nobody's; the creator keeps the rest. */
	json_t *v2 = json_deep_copy(v1);
	json_t *data = json_object_get(v2, "data");
	json_object_set_new(data, "x", json_string("changed"));
	json_object_del(data, "y");
	json_object_set_new(json_object_get(v2, "metadata"), "resourceVersion", json_string("6"));
	platform_managed_fields_update(&m, v1, v2, "ConfigMap", &editor, "2024-01-02T00:00:00Z");
	out = platform_managed_fields_encode(&m);
	unit_assert_json(
	    out, "[{\"manager\":\"kubectl-create\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":"
		 "\"2024-01-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:data\":{},"
		 "\"f:metadata\":{\"f:labels\":{\".\":{},\"f:a\":{}}}}},{\"manager\":\"kubectl-edit\",\"operation\":"
		 "\"Update\",\"apiVersion\":\"v1\",\"time\":\"2024-01-02T00:00:00Z\",\"fieldsType\":\"FieldsV1\","
		 "\"fieldsV1\":{\"f:data\":{\"f:x\":{}}}}]");
	json_decref(out);

	/* A write that changes nothing takes nothing and keeps the times. */
	platform_managed_fields_update(&m, v2, v2, "ConfigMap", &creator, "2030-01-01T00:00:00Z");
	out = platform_managed_fields_encode(&m);
	assert_string_equal(json_string_value(json_object_get(json_array_get(out, 0), "time")), "2024-01-01T00:00:00Z");
	json_decref(out);

	/* The status subresource records the status only; the object itself never records status. */
	json_t *s1 = unit_json_parse("{\"spec\":{\"replicas\":1},\"status\":{\"ready\":0}}");
	json_t *s2 = unit_json_parse("{\"spec\":{\"replicas\":1},\"status\":{\"ready\":1}}");
	json_t *s3 = unit_json_parse("{\"spec\":{\"replicas\":2},\"status\":{\"ready\":1}}");
	_cleanup_managed_fields_ struct platform_managed_fields st = { 0 };
	struct platform_field_manager status = { "kubelet", false, "v1", "status" };
	struct platform_field_manager main = { "kubectl", false, "v1", NULL };
	platform_managed_fields_update(&st, s1, s2, "Pod", &status, "t");
	platform_managed_fields_update(&st, s2, s3, "Pod", &main, "t");
	platform_managed_fields_update(&st, NULL, s3, "Pod", &main, "t");
	out = platform_managed_fields_encode(&st);
	unit_assert_json(out, "[{\"manager\":\"kubectl\",\"operation\":\"Update\",\"apiVersion\":\"v1\",\"time\":\"t\","
			      "\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{}}}}]");
	json_decref(out);
	json_decref(s3);
	json_decref(s1);
	json_decref(s2);
	json_decref(v1);
	json_decref(v2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode_and_validation),
		cmocka_unit_test(test_reset_and_order),
		cmocka_unit_test(test_manager_names),
		cmocka_unit_test(test_updates),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
