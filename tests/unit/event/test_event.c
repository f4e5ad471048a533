#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/event/event.h"
#include "lib/json/json.h"
#include "unit.h"

#include <errno.h>

static void test_new_and_canonical(void **state)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	assert_int_equal(cc_event_new("attest", "key.release", &ev, &err), 0);
	assert_int_equal(strlen(ev->id), 36);
	cc_event_set_actor(ev, "system:node:n1");
	cc_event_set_object(ev, "tenant-a/volumes/db");
	cc_event_set_tenant(ev, "tenant-a");
	cc_event_set_verdict(ev, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE);
	cc_event_set_reason(ev, "TPM quote verified (PCR %d)", 10);
	cc_event_set_extra(ev, "pcr", json_integer(10));
	ev->time_ns = 1795851078000000000LL;
	cc_event_set_node(ev, "n1");
	snprintf(ev->id, sizeof(ev->id), "00000000-0000-4000-8000-000000000001");
	char *text = cc_event_canonical(ev);
	assert_string_equal(text,
			    "{\"action\":\"key.release\",\"actor\":\"system:node:n1\",\"component\":\"attest\","
			    "\"extra\":{\"pcr\":10},\"id\":\"00000000-0000-4000-8000-000000000001\",\"node\":\"n1\","
			    "\"object\":\"tenant-a/volumes/db\",\"reason\":\"TPM quote verified (PCR 10)\","
			    "\"schema\":\"cocoon.event/v1\",\"severity\":\"notice\",\"tenant\":\"tenant-a\","
			    "\"time\":\"2026-11-28T07:31:18.000000000Z\",\"verdict\":\"allow\"}");
	/* Parsing the canonical form gives back the same canonical form. */
	struct cc_event *back;
	assert_int_equal(cc_event_parse(text, strlen(text), &back, &err), 0);
	char *again = cc_event_canonical(back);
	assert_string_equal(again, text);
	free(again);
	free(text);
	cc_event_free(back);
	cc_event_free(ev);
}

static void test_long_fields_are_cut_on_utf8_boundary(void **state)
{
	struct cc_error err = { 0 };
	struct cc_event *ev;
	assert_int_equal(cc_event_new("node", "exec", &ev, &err), 0);
	size_t n = CC_EVENT_FIELD_MAX + 100;
	char *big = malloc(n + 1);
	for (size_t i = 0; i + 1 < n; i += 2)
		memcpy(big + i, "\xc3\xa9", 2); /* é */
	big[n] = '\0';
	cc_event_set_object(ev, big);
	assert_true(strlen(ev->object) <= CC_EVENT_FIELD_MAX + 1);
	/* The reason is formatted: an odd prefix puts the 4096th byte inside a character. */
	cc_event_set_reason(ev, "x%s", big);
	assert_true(strlen(ev->reason) <= CC_EVENT_FIELD_MAX + 1);
	json_t *j = cc_event_to_json(ev); /* jansson refuses invalid UTF-8: the cut must be clean */
	assert_non_null(json_object_get(j, "object"));
	assert_non_null(json_object_get(j, "reason"));
	json_decref(j);
	free(big);
	cc_event_free(ev);
}

static void expect_invalid(const char *text, const char *why)
{
	struct cc_error err = { 0 };
	struct cc_event *ev = NULL;
	if (cc_event_parse(text, strlen(text), &ev, &err) == 0)
		fail_msg("accepted %s", text);
	if (!strstr(err.message, why))
		fail_msg("message `%s` lacks `%s`", err.message, why);
}

static void test_parse_rejects(void **state)
{
	expect_invalid("[]", "must be a JSON object");
	expect_invalid("{\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\"}", "`id`");
	expect_invalid("{\"id\":\"x y\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\"}",
		       "id must be");
	expect_invalid("{\"id\":\"x\",\"time\":\"yesterday\",\"component\":\"c\",\"action\":\"a\"}", "RFC 3339");
	expect_invalid("{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"action\":\"a\"}", "`component`");
	expect_invalid("{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\","
		       "\"verdict\":\"maybe\"}",
		       "verdict");
	expect_invalid("{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\","
		       "\"severity\":\"meh\"}",
		       "severity");
	expect_invalid(
	    "{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\",\"extra\":[]}",
	    "`extra`");
	expect_invalid(
	    "{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\",\"schema\":\"v0\"}",
	    "schema");
	expect_invalid("{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":7,\"action\":\"a\"}", "string");
	expect_invalid("{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"a\\u0000b\",\"action\":\"a\"}",
		       "invalid JSON");
}

static void test_size_limit(void **state)
{
	struct cc_buf b = CC_BUF_INIT;
	cc_buf_append_str(
	    &b, "{\"id\":\"x\",\"time\":\"2026-11-28T07:31:18Z\",\"component\":\"c\",\"action\":\"a\",\"extra\":{");
	for (int i = 0; i < 40; i++)
		cc_buf_appendf(&b, "%s\"k%d\":\"%02000d\"", i ? "," : "", i, 0);
	cc_buf_append_str(&b, "}}");
	struct cc_error err = { 0 };
	struct cc_event *ev;
	assert_int_equal(cc_event_parse(b.data, b.len, &ev, &err), -EMSGSIZE);
	assert_non_null(strstr(err.message, "more than the limit of 65536"));
	cc_buf_free(&b);
}

static void test_enum_names(void **state)
{
	assert_string_equal(cc_event_severity_to_string(CC_SEVERITY_WARNING), "warning");
	assert_int_equal(cc_event_severity_from_string("critical"), CC_SEVERITY_CRITICAL);
	assert_int_equal(CC_SEVERITY_NOTICE, 5); /* RFC 5424 numbering */
	assert_string_equal(cc_event_verdict_to_string(CC_VERDICT_DENY), "deny");
	assert_int_equal(cc_event_verdict_from_string("nope"), CC_VERDICT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_and_canonical), cmocka_unit_test(test_long_fields_are_cut_on_utf8_boundary),
		cmocka_unit_test(test_parse_rejects),     cmocka_unit_test(test_size_limit),
		cmocka_unit_test(test_enum_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
