/* Objects as server-side apply sees them (platform/object_fields.h): the field set of a Deployment as
 * kube-apiserver records it, refusals of lists whose items cannot be told apart, comparison, the merge
 * of an applied configuration and the pruning of what an applier gave up. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "platform/object_fields.h"
#include "unit.h"
#include "unit_json.h"

#include <errno.h>

static void assert_fields(const struct platform_field_set *set, const char *want_text)
{
	json_t *got = platform_field_set_to_fields_v1(set);
	unit_assert_json(got, want_text);
	json_decref(got);
}

static struct platform_field_set *fields_of(const char *text, const char *kind)
{
	struct cc_error err = { 0 };
	json_t *v = unit_json_parse(text);
	struct platform_field_set *set = NULL;
	if (platform_object_fields(v, kind, &set, &err) < 0)
		fail_msg("fields failed: %s", err.message);
	json_decref(v);
	return set;
}

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

static const char deployment[] =
    "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"labels\":{\"app\":"
    "\"web\"}},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
    "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":[{\"name\":\"nginx\",\"image\":"
    "\"nginx:1\",\"args\":[\"-g\"],\"ports\":[{\"containerPort\":80}],\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}],"
    "\"nodeSelector\":{\"disk\":\"ssd\"}}}}}";

static void test_fields_of_a_deployment(void **state)
{
	(void)state;
	struct platform_field_set *set = fields_of(deployment, "Deployment");
	/* What kube-apiserver records for `kubectl apply --server-side` of this: the selector and the node
	 * selector whole, containers by name, ports by number and (defaulted) protocol, env by name, args
	 * (an atomic list) whole. apiVersion, kind and metadata.name are stripped later, by the record. */
	assert_fields(
	    set, "{\"f:apiVersion\":{},\"f:kind\":{},\"f:metadata\":{\"f:name\":{},\"f:labels\":{\"f:app\":{}}},"
		 "\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{\"f:metadata\":{\"f:labels\":"
		 "{\"f:app\":{}}},\"f:spec\":{\"f:nodeSelector\":{},\"f:containers\":{\"k:{\\\"name\\\":"
		 "\\\"nginx\\\"}\":{\".\":{},\"f:name\":{},\"f:image\":{},\"f:args\":{},\"f:ports\":{"
		 "\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},\"f:containerPort\":{}}},"
		 "\"f:env\":{\"k:{\\\"name\\\":\\\"A\\\"}\":{\".\":{},\"f:name\":{},\"f:value\":{}}}}}}}}}");
	platform_field_set_free(set);

	/* Set lists by value; Service ports by port and protocol; an empty map sets nothing. */
	set =
	    fields_of("{\"metadata\":{\"finalizers\":[\"a\",\"b\"],\"annotations\":{}},\"spec\":{\"ports\":[{\"port\":"
		      "53,\"protocol\":\"UDP\"}],\"selector\":{\"app\":\"x\"}}}",
		      "Service");
	assert_fields(set, "{\"f:metadata\":{\"f:finalizers\":{\"v:\\\"a\\\"\":{},\"v:\\\"b\\\"\":{}}},\"f:spec\":{"
			   "\"f:ports\":{\"k:{\\\"port\\\":53,\\\"protocol\\\":\\\"UDP\\\"}\":{\".\":{},\"f:port\":{},"
			   "\"f:protocol\":{}}},\"f:selector\":{}}}");
	platform_field_set_free(set);

	/* A key that is no field name (a label with dots) is never matched against the rules. */
	set = fields_of("{\"metadata\":{\"labels\":{\"spec.selector\":\"x\"}}}", "Pod");
	assert_fields(set, "{\"f:metadata\":{\"f:labels\":{\"f:spec.selector\":{}}}}");
	platform_field_set_free(set);
}

static void expect_refused(const char *text, const char *words)
{
	struct cc_error err = { 0 };
	json_t *v = unit_json_parse(text);
	struct platform_field_set *set = NULL;
	assert_int_equal(platform_object_fields(v, "Pod", &set, &err), -EINVAL);
	if (!strstr(err.message, words))
		fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
	json_decref(v);
}

static void test_lists_that_cannot_be_told_apart(void **state)
{
	(void)state;
	expect_refused("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"a\",\"image\":\"x\"}]}}",
		       "spec.containers: duplicate entries for key [name=\"a\"]");
	expect_refused("{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", "omits the key field \"name\"");
	expect_refused("{\"spec\":{\"containers\":[\"x\"]}}", "is not an object");
	expect_refused("{\"metadata\":{\"finalizers\":[{\"a\":1}]}}", "not a scalar");
	expect_refused("{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":1},"
		       "{\"containerPort\":1,\"protocol\":\"TCP\"}]}]}}",
		       "duplicate entries");
}

static void test_compare(void **state)
{
	(void)state;
	json_t *old = unit_json_parse(deployment);
	json_t *new = json_deep_copy(old);
	json_t *spec = json_object_get(new, "spec");
	json_object_set_new(spec, "replicas", json_integer(3));
	json_object_set_new(json_object_get(json_object_get(new, "metadata"), "labels"), "tier", json_string("web"));
	json_object_set_new(json_object_get(json_object_get(spec, "template"), "spec"), "containers", json_array());
	struct platform_field_changes c;
	platform_object_compare(old, new, "Deployment", &c);
	assert_fields(c.modified, "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_fields(c.added, "{\"f:metadata\":{\"f:labels\":{\"f:tier\":{}}}}");
	/* The removed container goes with everything below it. */
	assert_fields(c.removed,
		      "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":"
		      "\\\"nginx\\\"}\":{\".\":{},\"f:name\":{},\"f:image\":{},\"f:args\":{},\"f:ports\":{"
		      "\".\":{},\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":{\".\":{},"
		      "\"f:containerPort\":{}}},\"f:env\":{\".\":{},\"k:{\\\"name\\\":\\\"A\\\"}\":{\".\":{},"
		      "\"f:name\":{},\"f:value\":{}}}}}}}}}");
	platform_field_changes_clear(&c);

	/* A map that appears is added with what is in it; two empty values are equal leaves. */
	json_t *a = unit_json_parse("{\"data\":{}}"),
	       *b = unit_json_parse("{\"data\":{\"k\":\"v\"},\"binaryData\":{}}");
	platform_object_compare(a, b, "ConfigMap", &c);
	assert_fields(c.added, "{\"f:data\":{\"f:k\":{}},\"f:binaryData\":{}}");
	assert_true(platform_field_set_empty(c.modified));
	platform_field_changes_clear(&c);
	json_decref(a);
	json_decref(b);
	json_decref(old);
	json_decref(new);
}

static void test_merge(void **state)
{
	(void)state;
	json_t *live = unit_json_parse(
	    "{\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"1\",\"b\":\"2\"}},\"template\":{\"spec\":{"
	    "\"containers\":[{\"name\":\"side\",\"image\":\"s\"},{\"name\":\"main\",\"image\":\"m:1\","
	    "\"args\":[\"x\",\"y\"],\"terminationMessagePath\":\"/dev/t\"}]}}}}");
	json_t *config =
	    unit_json_parse("{\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"1\"}},\"template\":{\"spec\":{"
			    "\"containers\":[{\"name\":\"main\",\"image\":\"m:2\",\"args\":[\"z\"]},{\"name\":\"new\","
			    "\"image\":\"n\"}]}}}}");
	json_t *merged = platform_object_merge(live, config, "Deployment");
	/* The selector (atomic) and args (an atomic list) are config's; the containers merge by name,
	 * live's other container and fields staying. */
	unit_assert_json(
	    merged, "{\"spec\":{\"selector\":{\"matchLabels\":{\"a\":\"1\"}},\"template\":{\"spec\":{"
		    "\"containers\":[{\"name\":\"side\",\"image\":\"s\"},{\"name\":\"main\",\"image\":\"m:2\","
		    "\"args\":[\"z\"],\"terminationMessagePath\":\"/dev/t\"},{\"name\":\"new\",\"image\":\"n\"}]}}}}");
	json_decref(merged);

	/* Set lists gain config's values. */
	json_t *l2 = unit_json_parse("{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}"),
	       *c2 = unit_json_parse("{\"metadata\":{\"finalizers\":[\"c\",\"a\"]}}");
	merged = platform_object_merge(l2, c2, "ConfigMap");
	unit_assert_json(merged, "{\"metadata\":{\"finalizers\":[\"c\",\"a\",\"b\"]}}");
	json_decref(merged);
	json_decref(l2);
	json_decref(c2);
	json_decref(live);
	json_decref(config);
}

static void test_prune(void **state)
{
	(void)state;
	json_t *obj =
	    unit_json_parse("{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"},\"annotations\":{\"x\":\"1\"}},"
			    "\"data\":{\"k\":\"v\",\"unowned\":\"u\"},\"spec\":{\"containers\":[{\"name\":\"c\","
			    "\"image\":\"i\",\"args\":[\"1\"]},{\"name\":\"gone\",\"image\":\"g\"}]}}");
	struct platform_field_set *last = decode(
	    "{\"f:metadata\":{\"f:labels\":{\"f:a\":{},\"f:b\":{}},\"f:annotations\":{\"f:x\":{}}},"
	    "\"f:data\":{\"f:k\":{}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},"
	    "\"f:name\":{},\"f:image\":{},\"f:args\":{}},\"k:{\\\"name\\\":\\\"gone\\\"}\":{\".\":{},\"f:name\":{},"
	    "\"f:image\":{}}}}}");
	/* Others keep label a and the container c's image (an Update by someone else). */
	struct platform_field_set *keep =
	    decode("{\"f:metadata\":{\"f:labels\":{\"f:a\":{}}},\"f:spec\":{"
		   "\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\"f:image\":{}}}}}");
	platform_object_prune(obj, "Pod", last, keep);
	/* b goes, the annotations map the applier alone filled goes, data keeps what nobody owned, the
	 * container nobody keeps goes whole, and c stays with its key field and its kept image. */
	unit_assert_json(obj, "{\"metadata\":{\"labels\":{\"a\":\"1\"}},\"data\":{\"unowned\":\"u\"},"
			      "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
	platform_field_set_free(last);
	platform_field_set_free(keep);
	json_decref(obj);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields_of_a_deployment),
		cmocka_unit_test(test_lists_that_cannot_be_told_apart),
		cmocka_unit_test(test_compare),
		cmocka_unit_test(test_merge),
		cmocka_unit_test(test_prune),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
