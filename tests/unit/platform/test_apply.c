/* Server-side apply (platform/apply.h): creation, conflicts in kube-apiserver's words, force, shared
 * ownership, fields an applier gives up, and refused configurations. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/apply.h"
#include "platform/managed_fields.h"
#include "unit.h"
#include "unit_json.h"

#include <errno.h>

static const char *const time_now = "2024-05-01T00:00:00Z";

/* Applies config_text by manager onto *live (replaced by the result, record included); returns the
 * code and leaves conflicts in *ret_conflicts. */
static int apply_as(json_t **live, const char *manager, const char *config_text, bool force,
		    struct platform_apply_conflicts *ret_conflicts)
{
	struct cc_error err = { 0 };
	struct platform_field_manager who = { manager, true, "apps/v1", NULL };
	json_t *config = unit_json_parse(config_text), *obj = NULL, *record = NULL;
	int r = platform_apply(*live, config, "Deployment", &who, force, time_now, &obj, &record, ret_conflicts, &err);
	json_decref(config);
	if (r < 0)
		return r;
	json_object_set_new(json_object_get(obj, "metadata"), "managedFields", record);
	json_decref(*live);
	*live = obj;
	return 0;
}

static const json_t *entry_of(const json_t *obj, const char *manager)
{
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(json_object_get(obj, "metadata"), "managedFields"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "manager")), manager) == 0)
			return e;
	}
	return NULL;
}

#define CONFIG(replicas, image)                                                                                        \
	"{\"apiVersion\":\"apps/"                                                                                      \
	"v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":" replicas                \
	",\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"" image "\"}]}}}}"

static void test_create_conflict_force(void **state)
{
	(void)state;
	struct platform_apply_conflicts c;
	json_t *live = NULL;
	assert_int_equal(apply_as(&live, "alice", CONFIG("2", "nginx:1"), false, &c), 0);
	unit_assert_json(
	    json_object_get(live, "spec"),
	    "{\"replicas\":2,\"template\":{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\"}]}}}");
	unit_assert_json(
	    json_object_get(json_object_get(live, "metadata"), "managedFields"),
	    "[{\"manager\":\"alice\",\"operation\":\"Apply\",\"apiVersion\":\"apps/v1\",\"time\":"
	    "\"2024-05-01T00:00:00Z\",\"fieldsType\":\"FieldsV1\",\"fieldsV1\":{\"f:spec\":{\"f:replicas\":{},"
	    "\"f:template\":{\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"c\\\"}\":{\".\":{},"
	    "\"f:name\":{},\"f:image\":{}}}}}}}}]");

	/* bob wants other values for two of alice's fields. */
	assert_int_equal(apply_as(&live, "bob", CONFIG("3", "nginx:2"), false, &c), -EBUSY);
	assert_int_equal(c.n, 2);
	json_t *status = platform_apply_conflict_status(&c);
	unit_assert_json(
	    status,
	    "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","
	    "\"message\":\"Apply failed with 2 conflicts: conflicts with \\\"alice\\\":\\n- .spec.replicas\\n- "
	    ".spec.template.spec.containers[name=\\\"c\\\"].image\",\"reason\":\"Conflict\",\"details\":{"
	    "\"causes\":[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with \\\"alice\\\"\","
	    "\"field\":\".spec.replicas\"},{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with "
	    "\\\"alice\\\"\",\"field\":\".spec.template.spec.containers[name=\\\"c\\\"].image\"}]},\"code\":409}");
	json_decref(status);
	platform_apply_conflicts_clear(&c);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(live, "spec"), "replicas")), 2);

	/* Same values: shared, no conflict. */
	assert_int_equal(apply_as(&live, "bob", CONFIG("2", "nginx:1"), false, &c), 0);
	assert_non_null(entry_of(live, "alice"));
	assert_non_null(entry_of(live, "bob"));

	/* Forced: bob takes replicas from alice; the image stays shared. */
	assert_int_equal(apply_as(&live, "bob", CONFIG("4", "nginx:1"), true, &c), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(live, "spec"), "replicas")), 4);
	assert_null(json_object_get(json_object_get(json_object_get(entry_of(live, "alice"), "fieldsV1"), "f:spec"),
				    "f:replicas"));
	assert_non_null(json_object_get(json_object_get(json_object_get(entry_of(live, "bob"), "fieldsV1"), "f:spec"),
					"f:replicas"));

	/* One conflict, with an Update manager: named with its subresource and apiVersion. */
	json_t *record = json_object_get(json_object_get(live, "metadata"), "managedFields");
	json_array_append_new(record,
			      unit_json_parse("{\"manager\":\"kubectl\",\"operation\":\"Update\",\"apiVersion\":"
					      "\"apps/v1\",\"subresource\":\"scale\",\"fieldsV1\":{\"f:spec\":{"
					      "\"f:replicas\":{}}}}"));
	assert_int_equal(apply_as(&live, "bob", CONFIG("5", "nginx:1"), false, &c), -EBUSY);
	status = platform_apply_conflict_status(&c);
	assert_string_equal(json_string_value(json_object_get(status, "message")),
			    "Apply failed with 1 conflict: conflict with \"kubectl\" with subresource \"scale\" using "
			    "apps/v1: .spec.replicas");
	json_decref(status);
	platform_apply_conflicts_clear(&c);
	json_decref(live);
}

static void test_fields_given_up(void **state)
{
	(void)state;
	struct platform_apply_conflicts c;
	json_t *live = NULL;
	const char *both =
	    "{\"metadata\":{\"name\":\"web\",\"labels\":{\"a\":\"1\",\"b\":\"2\"}},\"spec\":{\"paused\":true}}";
	assert_int_equal(apply_as(&live, "alice", both, false, &c), 0);
	assert_int_equal(apply_as(&live, "bob", "{\"metadata\":{\"labels\":{\"b\":\"2\"}}}", false, &c), 0);
	/* alice gives up both labels and paused: a goes, b stays (bob has it), paused goes. */
	assert_int_equal(apply_as(&live, "alice", "{\"metadata\":{\"name\":\"web\"}}", false, &c), 0);
	unit_assert_json(json_object_get(json_object_get(live, "metadata"), "labels"), "{\"b\":\"2\"}");
	assert_null(json_object_get(live, "spec"));
	/* alice owns nothing any more: her entry is gone. */
	assert_null(entry_of(live, "alice"));
	json_decref(live);
}

static void test_refused_configurations(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	struct platform_apply_conflicts c;
	struct platform_field_manager who = { "x", true, "v1", NULL };
	json_t *obj = NULL, *record = NULL;
	json_t *bad = unit_json_parse("{\"metadata\":{\"managedFields\":[]}}");
	assert_int_equal(platform_apply(NULL, bad, "ConfigMap", &who, false, time_now, &obj, &record, &c, &err),
			 -EBADMSG);
	assert_non_null(strstr(err.message, "metadata.managedFields must be nil"));
	json_decref(bad);
	bad = unit_json_parse("[1]");
	assert_int_equal(platform_apply(NULL, bad, "ConfigMap", &who, false, time_now, &obj, &record, &c, &err),
			 -EBADMSG);
	json_decref(bad);
	bad = unit_json_parse("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"a\"}]}}");
	assert_int_equal(platform_apply(NULL, bad, "Pod", &who, false, time_now, &obj, &record, &c, &err), -EINVAL);
	assert_non_null(strstr(err.message, "duplicate entries"));
	json_decref(bad);
	assert_null(obj);
	assert_null(record);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_conflict_force),
		cmocka_unit_test(test_fields_given_up),
		cmocka_unit_test(test_refused_configurations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
