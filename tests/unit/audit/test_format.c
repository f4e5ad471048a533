#include "audit/chain.h"
#include "audit/format.h"
#include "audit/verify.h"
#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "unit.h"

static struct cc_event *sample(void)
{
	struct cc_event *ev;
	assert_int_equal(cc_event_new("attest", "key.release", &ev, NULL), 0);
	snprintf(ev->id, sizeof(ev->id), "00000000-0000-4000-8000-000000000001");
	ev->time_ns = 1795851078123456789LL;
	cc_event_set_node(ev, "node 1");
	cc_event_set_actor(ev, "al\"ice]\\");
	cc_event_set_object(ev, "vol|a=b");
	cc_event_set_reason(ev, "line1\nline2\ttab|pipe=eq\\back");
	cc_event_set_verdict(ev, CC_VERDICT_DENY, CC_SEVERITY_WARNING);
	return ev;
}

static char *format(enum audit_format f, struct cc_event *ev)
{
	struct audit_chain chain;
	audit_chain_init(&chain);
	char *json, hash[AUDIT_HASH_MAX];
	uint64_t seq;
	assert_int_equal(audit_chain_append(&chain, ev, &json, hash, &seq, NULL), 0);
	struct audit_record rec = { .event = ev, .seq = seq, .hash = hash, .json = json };
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(audit_formatter(f)->format(&rec, &out), 0);
	free(json);
	assert_null(strchr(out.data, '\n')); /* one event, one line, whatever the input */
	return cc_buf_steal(&out, NULL);
}

static void test_rfc5424(void **state)
{
	struct cc_event *ev = sample();
	char *line = format(AUDIT_FORMAT_RFC5424, ev);
	/* facility 13 (log audit) * 8 + severity 4 (warning) = 108; microseconds only; spaces in
	 * header fields replaced; SD-PARAM values escape '"', '\' and ']'. */
	assert_true(strncmp(line, "<108>1 2026-11-28T07:31:18.123456Z node_1 cocoon attest key.release [cocoon@32473 ",
			    80) == 0);
	assert_non_null(strstr(line, " actor=\"al\\\"ice\\]\\\\\""));
	assert_non_null(strstr(line, "] \xEF\xBB\xBF{\"event\":"));
	free(line);
	/* A '{' inside structured data must not confuse verify (found by fuzz_audit_line). */
	const char *tricky[] = { "system:{odd", "a] \xEF\xBB\xBF{\"x\":1}", "b\\] \xEF\xBB\xBF{", "new\nline" };
	for (size_t i = 0; i < sizeof(tricky) / sizeof(tricky[0]); i++) {
		cc_event_set_actor(ev, tricky[i]);
		line = format(AUDIT_FORMAT_RFC5424, ev);
		struct audit_verifier v;
		audit_verifier_init(&v, NULL, 0);
		audit_verifier_line(&v, "t", 1, line, strlen(line));
		if (v.problems)
			fail_msg("actor `%s`: %s", tricky[i], v.report.data);
		audit_verifier_free(&v);
		free(line);
	}
	cc_event_free(ev);
}

static void test_cef(void **state)
{
	struct cc_event *ev = sample();
	char *line = format(AUDIT_FORMAT_CEF, ev);
	assert_true(strncmp(line, "CEF:0|cocoon|cocoon|", 20) == 0);
	/* Header: '|' and '\' escaped, newline flattened. Extension: '=', '\' and newline escaped. */
	assert_non_null(strstr(line, "|key.release|line1 line2\ttab\\|pipe=eq\\\\back|4|"));
	assert_non_null(strstr(line, " msg=line1\\nline2\ttab|pipe\\=eq\\\\back "));
	assert_non_null(strstr(line, " cs1=vol|a\\=b "));
	assert_non_null(strstr(line, "rt=1795851078123 "));
	free(line);
	cc_event_free(ev);
}

static void test_leef(void **state)
{
	struct cc_event *ev = sample();
	char *line = format(AUDIT_FORMAT_LEEF, ev);
	assert_true(strncmp(line, "LEEF:2.0|cocoon|cocoon|", 23) == 0);
	assert_non_null(strstr(line, "|key.release|x09|devTime="));
	assert_non_null(strstr(line, "\treason=line1\\nline2\\ttab|pipe=eq\\\\back\t"));
	assert_non_null(strstr(line, "\tsev=4\t"));
	free(line);
	cc_event_free(ev);
}

static void test_json_and_severity(void **state)
{
	struct cc_event *ev = sample();
	char *line = format(AUDIT_FORMAT_JSON, ev);
	assert_true(strncmp(line, "{\"event\":{", 10) == 0);
	assert_non_null(strstr(line, "\"seq\":0"));
	free(line);
	cc_event_free(ev);
	assert_int_equal(audit_severity_0_to_10(CC_SEVERITY_EMERGENCY), 10);
	assert_int_equal(audit_severity_0_to_10(CC_SEVERITY_DEBUG), 0);
	assert_int_equal(audit_format_from_string("cef"), AUDIT_FORMAT_CEF);
	assert_int_equal(audit_format_from_string("xml"), AUDIT_FORMAT_MAX);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc5424),
		cmocka_unit_test(test_cef),
		cmocka_unit_test(test_leef),
		cmocka_unit_test(test_json_and_severity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
