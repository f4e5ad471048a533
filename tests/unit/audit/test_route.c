#include "audit/route.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

static void test_redact_top_level_and_nested_without_touching_shared_trees(void **state)
{
	struct cc_event *ev;
	assert_int_equal(cc_event_new("k8s", "get", &ev, NULL), 0);
	cc_event_set_actor(ev, "alice");
	json_t *shared = json_pack("{s:{s:s, s:i}}", "requestObject", "data", "secret", "n", 1);
	cc_event_set_extra(ev, "k8s", json_incref(shared));
	audit_redact(ev, "actor");
	audit_redact(ev, "extra.k8s.requestObject.data");
	audit_redact(ev, "extra.nothing.here");
	assert_string_equal(ev->actor, "[REDACTED]");
	json_t *ro = json_object_get(json_object_get(ev->extra, "k8s"), "requestObject");
	assert_string_equal(json_string_value(json_object_get(ro, "data")), "[REDACTED]");
	assert_int_equal(json_integer_value(json_object_get(ro, "n")), 1);
	/* The caller's tree is unchanged. */
	assert_string_equal(json_string_value(json_object_get(json_object_get(shared, "requestObject"), "data")),
			    "secret");
	json_decref(shared);
	cc_event_free(ev);
}

static void test_route_parse_and_match(void **state)
{
	struct audit_route r;
	struct cc_error err = { 0 };
	assert_int_equal(audit_route_parse("min-severity=warning&component=runtime,attest&tenant=a", &r, &err), 0);
	struct cc_event *ev;
	assert_int_equal(cc_event_new("attest", "x", &ev, NULL), 0);
	cc_event_set_tenant(ev, "a");
	cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_ERROR);
	assert_true(audit_route_match(&r, ev));
	cc_event_set_verdict(ev, CC_VERDICT_ALLOW, CC_SEVERITY_INFO);
	assert_false(audit_route_match(&r, ev));
	cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_ERROR);
	cc_event_set_tenant(ev, "b");
	assert_false(audit_route_match(&r, ev));
	audit_route_free(&r);
	cc_event_free(ev);
	assert_int_equal(audit_route_parse("min-severity=loud", &r, &err), -EINVAL);
	assert_int_equal(audit_route_parse("colour=red", &r, &err), -EINVAL);
	assert_int_equal(audit_route_parse("component", &r, &err), -EINVAL);
	assert_int_equal(audit_route_parse("", &r, &err), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_redact_top_level_and_nested_without_touching_shared_trees),
		cmocka_unit_test(test_route_parse_and_match),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
