/* Field sets and fieldsV1 (platform/field_set.h): the wire form read and written back, canonical
 * elements, refusals naming the offending key, set algebra, and paths printed as kube-apiserver
 * prints them in conflicts. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "unit.h"
#include "unit_json.h"

#include <errno.h>

static struct platform_field_set *decode(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v = unit_json_parse(text);
	struct platform_field_set *set = NULL;
	if (platform_field_set_from_fields_v1(v, &set, &err) < 0)
		fail_msg("decode failed: %s", err.message);
	json_decref(v);
	return set;
}

static void assert_fields(const struct platform_field_set *set, const char *want_text)
{
	json_t *got = platform_field_set_to_fields_v1(set), *want = unit_json_parse(want_text);
	if (!json_equal(got, want)) {
		char *g = json_dumps(got, JSON_COMPACT | JSON_SORT_KEYS);
		fail_msg("got  %s\nwant %s", g, want_text);
	}
	json_decref(got);
	json_decref(want);
}

static void expect_refused(const char *text, const char *words)
{
	struct cc_error err = { 0 };
	json_t *v = unit_json_parse(text);
	struct platform_field_set *set = NULL;
	assert_int_equal(platform_field_set_from_fields_v1(v, &set, &err), -EINVAL);
	assert_null(set);
	if (!strstr(err.message, words))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
	json_decref(v);
}

static void test_round_trip(void **state)
{
	(void)state;
	const char *text = "{\"f:metadata\":{\"f:labels\":{\".\":{},\"f:app\":{}}},"
			   "\"f:spec\":{\"f:replicas\":{},\"f:template\":{\"f:spec\":{\"f:containers\":{"
			   "\"k:{\\\"name\\\":\\\"nginx\\\"}\":{\".\":{},\"f:image\":{},\"f:name\":{}}}}}}}";
	struct platform_field_set *set = decode(text);
	assert_fields(set, text);
	assert_false(platform_field_set_empty(set));
	/* f: elements come before k: elements, then by name. */
	const struct platform_field_set *child;
	assert_string_equal(platform_field_set_child_at(set, 0, &child), "f:metadata");
	assert_string_equal(platform_field_set_child_at(set, 1, &child), "f:spec");
	platform_field_set_free(set);

	/* k: and v: are made canonical: compact, keys sorted; i: as a plain number. */
	set = decode("{\"f:ports\":{\"k:{ \\\"protocol\\\": \\\"TCP\\\", \\\"containerPort\\\": 80 }\":{},"
		     "\"i:007\":{}},\"f:finalizers\":{\"v: \\\"a\\\"\":{}}}");
	assert_fields(set, "{\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{},\"i:7\":{}},"
			   "\"f:finalizers\":{\"v:\\\"a\\\"\":{}}}");
	platform_field_set_free(set);

	/* A node with only "." is a member; nodes leading nowhere are dropped; the root is no member. */
	set = decode("{\".\":{},\"f:a\":{\".\":{}},\"f:b\":{\"f:c\":{\"f:d\":{\"f:e\":{\"f:f\":{}}}}}}");
	assert_fields(set, "{\"f:a\":{},\"f:b\":{\"f:c\":{\"f:d\":{\"f:e\":{\"f:f\":{}}}}}}");
	assert_false(platform_field_set_is_member(set));
	platform_field_set_free(set);
}

static void test_refusals(void **state)
{
	(void)state;
	expect_refused("[]", "not a JSON object");
	expect_refused("{\"f:spec\":{\"x:y\":{}}}", "`f:spec.x:y`: not a path element");
	expect_refused("{\"f:spec\":{\"f:replicas\":1}}", "`f:spec.f:replicas`: the value is not an object");
	expect_refused("{\".\":[]}", "the value is not an object");
	expect_refused("{\"k:[1]\":{}}", "non-empty JSON object");
	expect_refused("{\"k:{}\":{}}", "non-empty JSON object");
	expect_refused("{\"k:{\\\"a\\\":{\\\"b\\\":1}}\":{}}", "is not a scalar");
	expect_refused("{\"k:{\\\"name\\\":\":{}}", "not valid JSON");
	expect_refused("{\"v:\":{}}", "not valid JSON");
	expect_refused("{\"i:-1\":{}}", "non-negative integer");
	expect_refused("{\"i:99999999999\":{}}", "non-negative integer");
	expect_refused("{\"\":{}}", "not a path element");
	expect_refused("{\"f\":{}}", "not a path element");
}

static int collect(const char *path, void *userdata)
{
	struct cc_buf *out = userdata;
	cc_buf_appendf(out, "%s|", path);
	return 0;
}

static void test_paths(void **state)
{
	(void)state;
	struct platform_field_set *set = decode(
	    "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"nginx\\\"}\":{"
	    "\".\":{},\"f:image\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{}}"
	    "}}}},\"f:replicas\":{}},\"f:metadata\":{\"f:finalizers\":{\"v:\\\"x\\\"\":{}}}}");
	struct cc_buf out = { 0 };
	assert_int_equal(platform_field_set_foreach(set, collect, &out), 0);
	cc_buf_append(&out, "", 1);
	/* Members of a level before what lies below it, each in element order. */
	assert_string_equal(out.data,
			    ".metadata.finalizers[=\"x\"]|.spec.replicas|"
			    ".spec.template.spec.containers[name=\"nginx\"]|"
			    ".spec.template.spec.containers[name=\"nginx\"].image|"
			    ".spec.template.spec.containers[name=\"nginx\"].ports[containerPort=80,protocol=\"TCP\"]|");
	cc_buf_free(&out);
	platform_field_set_free(set);
}

static void test_algebra(void **state)
{
	(void)state;
	struct platform_field_set *a = decode("{\"f:data\":{\"f:x\":{},\"f:y\":{}},\"f:spec\":{\"f:replicas\":{}}}");
	struct platform_field_set *b = decode("{\"f:data\":{\"f:y\":{},\"f:z\":{}}}");

	struct platform_field_set *both = platform_field_set_intersect(a, b);
	assert_fields(both, "{\"f:data\":{\"f:y\":{}}}");
	platform_field_set_free(both);

	struct platform_field_set *u = platform_field_set_copy(a);
	platform_field_set_union(u, b);
	assert_fields(u, "{\"f:data\":{\"f:x\":{},\"f:y\":{},\"f:z\":{}},\"f:spec\":{\"f:replicas\":{}}}");
	platform_field_set_subtract(u, a);
	assert_fields(u, "{\"f:data\":{\"f:z\":{}}}");
	platform_field_set_subtract(u, b);
	assert_true(platform_field_set_empty(u));
	assert_int_equal(platform_field_set_child_count(u), 0);
	platform_field_set_free(u);

	/* Subtracting a member keeps the paths below it that the set has. */
	struct platform_field_set *item =
	    decode("{\"f:c\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\".\":{},\"f:image\":{}}}}");
	struct platform_field_set *just = decode("{\"f:c\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{}}}");
	platform_field_set_subtract(item, just);
	assert_fields(item, "{\"f:c\":{\"k:{\\\"name\\\":\\\"a\\\"}\":{\"f:image\":{}}}}");
	platform_field_set_remove(item, "f:c");
	assert_true(platform_field_set_empty(item));
	platform_field_set_free(item);
	platform_field_set_free(just);
	platform_field_set_free(a);
	platform_field_set_free(b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_round_trip),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_paths),
		cmocka_unit_test(test_algebra),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
