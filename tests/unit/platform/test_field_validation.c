/* The field walker of server-side field validation (platform/field_validation.c) against the embedded
 * OpenAPI documents (platform/openapi.c) and small hand-written schemas. */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_validation.h"
#include "platform/openapi.h"
#include "unit.h"

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s", err.message);
	return v;
}

/* The unknown fields of object (JSON) as kind apiVersion/kind, joined with spaces. */
static char *unknown_of(const char *api_version, const char *kind, const char *object, bool patch)
{
	const json_t *schemas = NULL;
	const json_t *schema = platform_openapi_kind_schema(api_version, kind, &schemas);
	assert_non_null(schema);
	json_t *value = parse(object);
	json_t *paths = json_array();
	size_t n = platform_field_unknown(schemas, schema, value, patch, paths);
	assert_int_equal(n, json_array_size(paths));
	static char joined[4096];
	joined[0] = '\0';
	size_t i;
	json_t *p;
	json_array_foreach (paths, i, p) {
		strncat(joined, i ? " " : "", sizeof(joined) - strlen(joined) - 1);
		strncat(joined, json_string_value(p), sizeof(joined) - strlen(joined) - 1);
	}
	json_decref(paths);
	json_decref(value);
	return joined;
}

static void test_modes(void **state)
{
	(void)state;
	assert_int_equal(platform_field_validation_from_string(NULL), PLATFORM_FIELD_VALIDATION_WARN);
	assert_int_equal(platform_field_validation_from_string("Strict"), PLATFORM_FIELD_VALIDATION_STRICT);
	assert_int_equal(platform_field_validation_from_string("Warn"), PLATFORM_FIELD_VALIDATION_WARN);
	assert_int_equal(platform_field_validation_from_string("Ignore"), PLATFORM_FIELD_VALIDATION_IGNORE);
	assert_int_equal(platform_field_validation_from_string("strict"), PLATFORM_FIELD_VALIDATION_MAX);
	assert_int_equal(platform_field_validation_from_string(""), PLATFORM_FIELD_VALIDATION_MAX);
}

static void test_kinds_have_schemas(void **state)
{
	(void)state;
	const json_t *schemas;
	assert_non_null(platform_openapi_kind_schema("v1", "Pod", &schemas));
	assert_non_null(json_object_get(schemas, "io.k8s.api.core.v1.Container"));
	assert_non_null(platform_openapi_kind_schema("apps/v1", "Deployment", &schemas));
	assert_non_null(platform_openapi_kind_schema("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &schemas));
	assert_non_null(platform_openapi_kind_schema("autoscaling/v1", "Scale", &schemas));
	assert_non_null(platform_openapi_kind_schema("authorization.k8s.io/v1", "SelfSubjectAccessReview", &schemas));
	assert_null(platform_openapi_kind_schema("v1", "Nonsense", &schemas));
	assert_null(platform_openapi_kind_schema("batch/v1", "Job", &schemas));
}

static void test_pod(void **state)
{
	(void)state;
	const char *good =
	    "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"name\":\"a\",\"labels\":{\"x\":\"y\"},"
	    "\"annotations\":{\"any.thing/at-all\":\"v\"}},\"spec\":{\"containers\":[{\"name\":\"c\","
	    "\"image\":\"busybox\",\"ports\":[{\"containerPort\":80}],\"resources\":{\"limits\":"
	    "{\"cpu\":\"1\",\"memory\":128}}}],\"restartPolicy\":\"Never\"}}";
	assert_string_equal(unknown_of("v1", "Pod", good, false), "");
	assert_string_equal(unknown_of("v1", "Pod",
				       "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\","
				       "\"imagePullPolicyy\":\"Always\"}],\"foo\":1},\"metadata\":{\"labelz\":{}}}",
				       false),
			    "spec.containers[1].imagePullPolicyy spec.foo metadata.labelz");
	/* Deep: a probe's httpGet inside an init container. */
	assert_string_equal(unknown_of("v1", "Pod",
				       "{\"spec\":{\"initContainers\":[{\"name\":\"i\",\"livenessProbe\":{\"httpGet\":"
				       "{\"port\":\"http\",\"pathh\":\"/\"}}}]}}",
				       false),
			    "spec.initContainers[0].livenessProbe.httpGet.pathh");
	/* managedFields' fieldsV1 is a free object. */
	assert_string_equal(unknown_of("v1", "ConfigMap",
				       "{\"metadata\":{\"managedFields\":[{\"fieldsV1\":{\"f:data\":{\"f:x\":{}}}}]},"
				       "\"data\":{\"k\":\"v\"}}",
				       false),
			    "");
}

static void test_deployment_and_patch_directives(void **state)
{
	(void)state;
	assert_string_equal(
	    unknown_of("apps/v1", "Deployment",
		       "{\"spec\":{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":1,\"maxUnavailable\":\"25%\"}},"
		       "\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"envv\":[]}]}}}}",
		       false),
	    "spec.template.spec.containers[0].envv");
	const char *smp = "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"c\"}],"
			  "\"containers\":[{\"name\":\"c\",\"$patch\":\"delete\"}]}}}}";
	assert_string_equal(unknown_of("apps/v1", "Deployment", smp, true), "");
	assert_string_equal(unknown_of("apps/v1", "Deployment", smp, false),
			    "spec.template.spec.$setElementOrder/containers spec.template.spec.containers[0].$patch");
}

static void test_hand_written_schemas(void **state)
{
	(void)state;
	json_t *schemas = parse("{\"M\":{\"type\":\"object\",\"properties\":{\"known\":{\"type\":\"string\"}}},"
				"\"Free\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true}}");
	json_t *schema =
	    parse("{\"type\":\"object\",\"properties\":{"
		  "\"map\":{\"type\":\"object\",\"additionalProperties\":{\"$ref\":\"#/components/schemas/M\"}},"
		  "\"free\":{\"allOf\":[{\"$ref\":\"#/components/schemas/Free\"}]},"
		  "\"dangling\":{\"$ref\":\"#/components/schemas/Nowhere\"},"
		  "\"elsewhere\":{\"$ref\":\"other.json#/x\"},"
		  "\"list\":{\"type\":\"array\",\"items\":{\"$ref\":\"#/components/schemas/M\"}}}}");
	json_t *value = parse("{\"map\":{\"a\":{\"known\":\"x\",\"b\":1}},\"free\":{\"anything\":{\"at\":[1]}},"
			      "\"dangling\":{\"x\":1},\"elsewhere\":{\"y\":2},\"list\":[{},{\"nope\":true}],"
			      "\"extra\":null,\"we\\\"ird\":1}");
	json_t *paths = json_array();
	assert_int_equal(platform_field_unknown(schemas, schema, value, false, paths), 4);
	assert_string_equal(json_string_value(json_array_get(paths, 0)), "map.a.b");
	assert_string_equal(json_string_value(json_array_get(paths, 1)), "list[1].nope");
	assert_string_equal(json_string_value(json_array_get(paths, 2)), "extra");
	assert_string_equal(json_string_value(json_array_get(paths, 3)), "we\"ird");
	json_decref(paths);
	json_decref(value);
	json_decref(schema);
	json_decref(schemas);
}

/* A self-referring schema and a deep value: the walk stops at its depth bound; many unknown fields:
 * the report stops at its count bound. */
static void test_bounds(void **state)
{
	(void)state;
	json_t *schemas =
	    parse("{\"N\":{\"type\":\"object\",\"properties\":{\"n\":{\"$ref\":\"#/components/schemas/N\"}}}}");
	json_t *schema = json_object_get(schemas, "N");
	json_t *value = json_object();
	json_t *at = value;
	for (int i = 0; i < 300; i++) {
		json_t *next = json_object();
		json_object_set_new(at, "n", next);
		at = next;
	}
	json_object_set_new(at, "deep", json_true());
	json_t *paths = json_array();
	assert_int_equal(platform_field_unknown(schemas, schema, value, false, paths), 0);
	json_decref(value);
	value = json_object();
	for (int i = 0; i < 500; i++) {
		char key[16];
		snprintf(key, sizeof(key), "k%d", i);
		json_object_set_new(value, key, json_true());
	}
	size_t n = platform_field_unknown(schemas, schema, value, false, paths);
	assert_true(n > 0 && n < 500);
	json_decref(paths);
	json_decref(value);
	json_decref(schemas);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modes),
		cmocka_unit_test(test_kinds_have_schemas),
		cmocka_unit_test(test_pod),
		cmocka_unit_test(test_deployment_and_patch_directives),
		cmocka_unit_test(test_hand_written_schemas),
		cmocka_unit_test(test_bounds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
