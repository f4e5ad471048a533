#include "unit.h"

#include "audit/k8s.h"
#include "base/error.h"
#include "json/json.h"

#include <errno.h>

static int map(const char *text, struct cc_event **ev, struct cc_error *err)
{
	json_t *doc;
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, "k8s", &doc, err), 0);
	int r = audit_k8s_to_event(doc, ev, err);
	json_decref(doc);
	return r;
}

static void test_mapping(void **state)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	assert_int_equal(map("{\"kind\":\"Event\",\"apiVersion\":\"audit.k8s.io/"
			     "v1\",\"auditID\":\"4fa3a1b2-0c77-4d3e-9b1a-2c2f6f0e1a11\","
			     "\"verb\":\"create\",\"user\":{\"username\":\"alice\"},\"sourceIPs\":[\"10.0.0.1\"],"
			     "\"objectRef\":{\"resource\":\"pods\",\"subresource\":\"exec\",\"namespace\":\"bank-a\","
			     "\"name\":\"db-0\"},"
			     "\"responseStatus\":{\"code\":403},\"stageTimestamp\":\"2026-11-28T07:31:18.123456Z\","
			     "\"annotations\":{\"authorization.k8s.io/reason\":\"no RBAC rule\"}}",
			     &ev, &err),
			 0);
	assert_string_equal(ev->id, "4fa3a1b2-0c77-4d3e-9b1a-2c2f6f0e1a11");
	assert_string_equal(ev->action, "k8s.create");
	assert_string_equal(ev->actor, "alice");
	assert_string_equal(ev->object, "pods/exec bank-a/db-0");
	assert_string_equal(ev->tenant, "bank-a");
	assert_int_equal(ev->verdict, CC_VERDICT_DENY);
	assert_string_equal(ev->reason, "no RBAC rule");
	assert_true(ev->time_ns == 1795851078123456000LL);
	assert_non_null(json_object_get(ev->extra, "k8s"));
	cc_event_free(ev);
}

static void test_rejects(void **state)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	assert_int_equal(map("{\"kind\":\"Pod\",\"auditID\":\"a\",\"verb\":\"get\"}", &ev, &err), -EINVAL);
	assert_int_equal(map("{\"kind\":\"Event\",\"verb\":\"get\"}", &ev, &err), -ENOENT);
	assert_non_null(strstr(err.message, "auditID"));
	assert_int_equal(map("{\"kind\":\"Event\",\"auditID\":\"x y\",\"verb\":\"get\"}", &ev, &err), -EINVAL);
	assert_int_equal(
	    map("{\"kind\":\"Event\",\"auditID\":\"abc\",\"verb\":\"get\",\"stageTimestamp\":\"soon\"}", &ev, &err),
	    -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(test_mapping), cmocka_unit_test(test_rejects) };
	return cmocka_run_group_tests(tests, NULL, NULL);
}
