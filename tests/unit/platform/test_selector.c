#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/selector.h"
#include "unit.h"

#include <errno.h>

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s", err.message);
	return v;
}

static bool selects(const char *selector, const char *labels_text)
{
	struct cc_error err = { 0 };
	_cleanup_(platform_selector_freep) struct platform_selector *sel = NULL;
	if (platform_selector_parse(selector, &sel, &err) < 0)
		fail_msg("`%s`: %s", selector, err.message);
	json_t *labels = labels_text ? parse(labels_text) : NULL;
	bool r = platform_selector_matches(sel, labels);
	json_decref(labels);
	return r;
}

/* The selector fails to parse, with each NULL-terminated word in the message. */
static void refused(const char *selector, ...)
{
	struct cc_error err = { 0 };
	struct platform_selector *sel = NULL;
	if (platform_selector_parse(selector, &sel, &err) != -EINVAL)
		fail_msg("`%s` was accepted", selector);
	assert_null(sel);
	va_list ap;
	va_start(ap, selector);
	for (const char *word; (word = va_arg(ap, const char *));)
		if (!strstr(err.message, word))
			fail_msg("`%s`: `%s` not in the message: %s", selector, word, err.message);
	va_end(ap);
}

static void test_equality_and_sets(void **state)
{
	const char *web = "{\"app\":\"web\",\"tier\":\"front\",\"n\":\"7\"}";
	assert_true(selects("app=web", web));
	assert_true(selects("app==web", web));
	assert_false(selects("app=db", web));
	assert_false(selects("app=web", "{}"));
	assert_false(selects("app=web", NULL));
	assert_true(selects("app!=db", web));
	assert_true(selects("app!=db", "{}")); /* != holds for an absent label */
	assert_false(selects("app!=web", web));
	assert_true(selects("tier in (back,front)", web));
	assert_false(selects("tier in (back)", web));
	assert_true(selects("tier notin (back)", web));
	assert_true(selects("tier notin (back)", "{}"));
	assert_false(selects("tier notin (front,x)", web));
	assert_true(selects("app", web));
	assert_false(selects("missing", web));
	assert_true(selects("!missing", web));
	assert_false(selects("!app", web));
	assert_true(selects("app=web,tier in (front),!canary", web));
	assert_false(selects("app=web,tier in (back)", web));
	assert_true(selects("  app = web ,  tier  in  ( x , front )  ", web));
	assert_true(selects("", web)); /* everything */
	assert_true(selects("", NULL));
	assert_true(selects("example.com/app-name_1.x=v", "{\"example.com/app-name_1.x\":\"v\"}"));
}

static void test_kubernetes_corners(void **state)
{
	/* `in` and `notin` are keywords only where an operator goes. */
	assert_true(selects("in in (in)", "{\"in\":\"in\"}"));
	assert_true(selects("notin=notin", "{\"notin\":\"notin\"}"));
	/* "a=" and "a in ()" mean the empty value. */
	assert_true(selects("a=", "{\"a\":\"\"}"));
	assert_false(selects("a=", "{}"));
	assert_true(selects("a in ()", "{\"a\":\"\"}"));
	assert_true(selects("a in (,x)", "{\"a\":\"\"}"));
	/* Gt and Lt compare integers, and never match a label that is not one. */
	assert_true(selects("n>5", "{\"n\":\"7\"}"));
	assert_false(selects("n>7", "{\"n\":\"7\"}"));
	assert_true(selects("n<8", "{\"n\":\"7\"}"));
	assert_false(selects("n<8", "{\"n\":\"x\"}"));
	assert_false(selects("n<8", "{}"));
	/* A value that is not a string is no label. */
	assert_false(selects("n", "{\"n\":7}"));
}

static void test_refusals(void **state)
{
	refused("a b", "unable to parse requirement", "found 'b'", NULL);
	refused("a in (x", "unable to parse requirement `a in (x`", "end of string", NULL);
	refused("a=b,", "identifier after ','", NULL);
	refused(",a", "found ','", NULL);
	refused("a in x", "expected: '('", NULL);
	refused("a=b=c", "found '='", NULL);
	refused("!a=b", "found '='", NULL);
	refused("a in ()x", "found 'x'", NULL);
	refused("a=b c", "found 'c'", NULL);
	refused("a=(b)", "found '('", NULL);
	refused("a>x", "must be an integer", NULL);
	refused("a=b c=d", NULL);
	refused("a=-1x", "value `-1x`", "valid label", NULL);
	refused("a_=b", "key `a_`", "name part must consist", NULL);
	refused("Example.com/a=b", "prefix part", NULL);
	refused("/a", "prefix part must be non-empty", NULL);
	refused("a/b/c", "qualified name", NULL);
	refused("a/", "name part must be non-empty", NULL);
	/* 63 characters are fine for a key's name and a value, 64 are not. */
	char key[64], text[160], labels[160];
	memset(key, 'k', 63);
	key[63] = '\0';
	snprintf(text, sizeof(text), "%s=%s", key, key);
	snprintf(labels, sizeof(labels), "{\"%s\":\"%s\"}", key, key);
	assert_true(selects(text, labels));
	snprintf(text, sizeof(text), "%sk=v", key);
	refused(text, "name part must be no more than 63", NULL);
	snprintf(text, sizeof(text), "k=%sv", key);
	refused(text, "value `", "must be no more than 63", NULL);
	struct cc_error err = { 0 };
	assert_int_equal(platform_label_key_check("app.kubernetes.io/name", &err), 0);
	assert_int_equal(platform_label_key_check("-a", &err), -EINVAL);
	assert_int_equal(platform_label_value_check("", &err), 0);
	assert_int_equal(platform_label_value_check("v1.2_x-y", &err), 0);
	assert_int_equal(platform_label_value_check("a.", &err), -EINVAL);
}

static char *from_json(const char *text, int want)
{
	struct cc_error err = { 0 };
	_cleanup_(platform_selector_freep) struct platform_selector *sel = NULL;
	json_t *v = text ? parse(text) : NULL;
	int r = platform_selector_from_json(v, &sel, &err);
	json_decref(v);
	if (r != want)
		fail_msg("`%s`: want %d, got %d (%s)", text, want, r, err.message);
	return r < 0 ? strdup(err.message) : platform_selector_format(sel);
}

static void test_object_form(void **state)
{
	char *s = from_json("{\"matchLabels\":{\"tier\":\"front\",\"app\":\"web\"},\"matchExpressions\":["
			    "{\"key\":\"env\",\"operator\":\"In\",\"values\":[\"prod\",\"dev\",\"prod\"]},"
			    "{\"key\":\"canary\",\"operator\":\"DoesNotExist\"},{\"key\":\"x\",\"operator\":\"NotIn\","
			    "\"values\":[\"a\"]},{\"key\":\"y\",\"operator\":\"Exists\",\"values\":[]}]}",
			    0);
	assert_string_equal(s, "app=web,!canary,env in (dev,prod),tier=front,x notin (a),y");
	free(s);
	s = from_json("{}", 0);
	assert_string_equal(s, "");
	free(s);

	struct cc_error err = { 0 };
	struct platform_selector *sel;
	json_t *labels = parse("{\"app\":\"web\",\"env\":\"prod\"}");
	json_t *v = parse("{\"matchLabels\":{\"app\":\"web\"},\"matchExpressions\":[{\"key\":\"env\",\"operator\":"
			  "\"In\",\"values\":[\"prod\"]}]}");
	assert_int_equal(platform_selector_from_json(v, &sel, &err), 0);
	assert_true(platform_selector_matches(sel, labels));
	struct platform_selector *copy = platform_selector_copy(sel);
	platform_selector_free(sel);
	assert_true(platform_selector_matches(copy, labels));
	platform_selector_free(copy);
	json_decref(v);
	/* A null selector selects nothing, an empty one everything. */
	assert_int_equal(platform_selector_from_json(NULL, &sel, &err), 0);
	assert_false(platform_selector_matches(sel, labels));
	platform_selector_free(sel);
	v = json_object();
	assert_int_equal(platform_selector_from_json(v, &sel, &err), 0);
	assert_true(platform_selector_matches(sel, labels));
	platform_selector_free(sel);
	json_decref(v);
	json_decref(labels);

	const char *bad[][2] = {
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Equals\"}]}",
		  "matchExpressions[0]: operator: \"Equals\" is not a valid label selector operator" },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\"}]}", "values set can't be empty" },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"Exists\",\"values\":[\"x\"]}]}",
		  "must be empty for exists" },
		{ "{\"matchExpressions\":[{\"operator\":\"Exists\"}]}", "key: Required value" },
		{ "{\"matchLabels\":{\"a b\":\"c\"}}", "matchLabels: key `a b`" },
		{ "{\"matchLabels\":{\"a\":1}}", "matchLabels.a is not a string" },
		{ "{\"matchExpressions\":[{\"key\":\"a\",\"operator\":\"In\",\"values\":[\"x y\"]}]}",
		  "matchExpressions[0]: value `x y`" },
		{ "[]", "not an object" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		s = from_json(bad[i][0], -EINVAL);
		if (!strstr(s, bad[i][1]))
			fail_msg("`%s` not in: %s", bad[i][1], s);
		free(s);
	}
}

static void test_format_round_trip(void **state)
{
	const char *cases[][2] = {
		{ "b=c, a in (y,x), !d, e, f!=g, h notin (), n>3, m==1",
		  "a in (x,y),b=c,!d,e,f!=g,h notin (),m=1,n>3" },
		{ "in in (in,notin)", "in in (in,notin)" },
		{ "a=", "a=" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
		struct cc_error err = { 0 };
		struct platform_selector *sel, *again;
		assert_int_equal(platform_selector_parse(cases[i][0], &sel, &err), 0);
		char *text = platform_selector_format(sel);
		assert_string_equal(text, cases[i][1]);
		assert_int_equal(platform_selector_parse(text, &again, &err), 0);
		char *text2 = platform_selector_format(again);
		assert_string_equal(text, text2);
		free(text);
		free(text2);
		platform_selector_free(sel);
		platform_selector_free(again);
	}
}

/* ---- Field selectors ---- */

static bool fields_select(const char *selector, const char *object_text)
{
	struct cc_error err = { 0 };
	_cleanup_(platform_field_selector_freep) struct platform_field_selector *sel = NULL;
	if (platform_field_selector_parse(selector, &sel, &err) < 0)
		fail_msg("`%s`: %s", selector, err.message);
	json_t *object = parse(object_text);
	bool r = platform_field_selector_matches(sel, object);
	json_decref(object);
	return r;
}

static void test_field_selectors(void **state)
{
	const char *pod =
	    "{\"metadata\":{\"name\":\"web-1\",\"namespace\":\"default\"},\"spec\":{\"hostNetwork\":false,"
	    "\"priority\":5},\"status\":{\"phase\":\"Running\"}}";
	assert_true(fields_select("metadata.name=web-1", pod));
	assert_true(fields_select("metadata.name==web-1", pod));
	assert_false(fields_select("metadata.name=web-2", pod));
	assert_true(fields_select("metadata.namespace!=kube-system,status.phase=Running", pod));
	assert_false(fields_select("metadata.namespace!=default", pod));
	assert_true(fields_select("spec.nodeName=", pod)); /* unscheduled: an absent field is "" */
	assert_false(fields_select("spec.nodeName!=", pod));
	assert_true(fields_select("spec.hostNetwork=false,spec.priority=5", pod));
	assert_false(fields_select("metadata=x", pod)); /* an object equals no value */
	assert_true(fields_select("metadata!=x", pod));
	assert_true(fields_select("", pod));
	assert_true(fields_select(",metadata.name=web-1,", pod)); /* empty terms are skipped */
	assert_true(fields_select("involvedObject.name=web-1", "{\"involvedObject\":{\"name\":\"web-1\"}}"));
	assert_true(fields_select("metadata.name=a\\,b\\=c\\\\", "{\"metadata\":{\"name\":\"a,b=c\\\\\"}}"));

	struct cc_error err = { 0 };
	struct platform_field_selector *sel = NULL;
	const char *bad[][2] = {
		{ "metadata.name", "can't understand `metadata.name`" },
		{ "a=b=c", "unescaped character in value: =" },
		{ "a=b\\x", "invalid escape sequence: \\x" },
		{ "a=b\\", "invalid escape sequence: \\" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		assert_int_equal(platform_field_selector_parse(bad[i][0], &sel, &err), -EINVAL);
		if (!strstr(err.message, bad[i][1]))
			fail_msg("`%s`: `%s` not in: %s", bad[i][0], bad[i][1], err.message);
	}

	assert_int_equal(platform_field_selector_parse("metadata.name=a,spec.nodeName=,metadata.name!=b", &sel, &err),
			 0);
	const char **fields = platform_field_selector_fields(sel);
	assert_string_equal(fields[0], "metadata.name");
	assert_string_equal(fields[1], "spec.nodeName");
	assert_null(fields[2]);
	free(fields);
	const char *pods[] = { "metadata.name", "metadata.namespace", "spec.nodeName", "status.phase", NULL };
	const char *events[] = { "metadata.name", "involvedObject.name", NULL };
	assert_int_equal(platform_field_selector_check(sel, pods, &err), 0);
	assert_int_equal(platform_field_selector_check(sel, events, &err), -EINVAL);
	assert_string_equal(err.message, "field label not supported: spec.nodeName");
	struct platform_field_selector *copy = platform_field_selector_copy(sel);
	platform_field_selector_free(sel);
	json_t *object = parse("{\"metadata\":{\"name\":\"a\"}}");
	assert_true(platform_field_selector_matches(copy, object));
	json_decref(object);
	platform_field_selector_free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equality_and_sets), cmocka_unit_test(test_kubernetes_corners),
		cmocka_unit_test(test_refusals),          cmocka_unit_test(test_object_form),
		cmocka_unit_test(test_format_round_trip), cmocka_unit_test(test_field_selectors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
