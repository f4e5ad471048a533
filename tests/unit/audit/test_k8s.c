#include "audit/k8s.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Maps through the tree (the webhook's path) and the one-pass line reader (the log file's path):
 * both must agree, to the byte. Returns the tree path's result and event. */
static int map(const char *text, struct cc_event **ev, struct cc_error *err)
{
	json_t *doc;
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, "k8s", &doc, err), 0);
	int r = audit_k8s_to_event(doc, ev, err);
	struct cc_event *fast = NULL;
	struct cc_error fast_err = { 0 };
	assert_int_equal(audit_k8s_line_to_event(text, strlen(text), &fast, &fast_err), r);
	if (r == 0) {
		char *a = cc_event_canonical(*ev), *b = cc_event_canonical(fast), *original = cc_json_canonical(doc);
		assert_string_equal(a, b);
		assert_string_equal(fast->extra_text, original);
		free(a);
		free(b);
		free(original);
	} else {
		assert_string_equal(fast_err.message, err->message);
	}
	cc_event_free(fast);
	json_decref(doc);
	return r;
}

/* JSON that jansson refuses, the line reader refuses too, with a reason. */
static void test_line_refusals(void **state)
{
	const char *bad[] = {
		"{\"auditID\":\"a\",\"verb\":\"get\",\"verb\":\"list\"}", /* duplicate key */
		"{\"auditID\":\"a\",\"verb\":\"g\\u0000t\"}",             /* NUL */
		"{\"auditID\":\"a\",\"verb\":\"g\xc3\x28t\"}",            /* invalid UTF-8 */
		"{\"auditID\":\"a\",\"verb\":\"g\\ud800t\"}",             /* lone surrogate */
		"{\"auditID\":\"a\",\"verb\":\"get\",\"n\":99999999999999999999}",
		"{\"auditID\":\"a\",\"verb\":\"get\",\"n\":1e999}",
		"{\"auditID\":\"a\",\"verb\":\"get\",\"n\":01}",
		"{\"auditID\":\"a\",\"verb\":\"get\"} x",
		"{\"auditID\":\"a\",\"verb\":\"get\",}",
		"{\"auditID\":\"a\",\"verb\":\"get\",\"s\":\"tab\there\"}",
		"{\"auditID\":\"a\",\"verb\":\"get\"",
		"",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct cc_error err = { 0 };
		struct cc_event *ev = NULL;
		json_t *doc = NULL;
		assert_int_not_equal(cc_json_parse(bad[i], strlen(bad[i]), 1 << 20, "k8s", &doc, &err), 0);
		assert_int_equal(audit_k8s_line_to_event(bad[i], strlen(bad[i]), &ev, &err), -EINVAL);
		assert_non_null(strstr(err.message, "invalid JSON"));
	}
	/* Nesting: 128 levels pass, 129 do not, as with cc_json_parse. */
	char deep[400] = "{\"auditID\":\"a\",\"verb\":\"get\",\"stageTimestamp\":\"2026-11-28T07:31:18Z\",\"d\":";
	size_t n = strlen(deep);
	for (int i = 0; i < 127; i++)
		deep[n++] = '[';
	memset(deep + n, ']', 127);
	strcpy(deep + n + 127, "}");
	struct cc_error err = { 0 };
	struct cc_event *ev = NULL;
	assert_int_equal(map(deep, &ev, &err), 0);
	cc_event_free(ev);
	memmove(deep + n + 1, deep + n, strlen(deep + n) + 1);
	deep[n] = '[';
	memmove(deep + n + 128 + 1, deep + n + 128, strlen(deep + n + 128) + 1);
	deep[n + 128] = ']';
	assert_int_equal(audit_k8s_line_to_event(deep, strlen(deep), &ev, &err), -EINVAL);
	assert_non_null(strstr(err.message, "nesting"));
	(void)state;
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
	assert_non_null(json_object_get(ev->extra, "sourceIPs"));
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
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mapping),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_line_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
