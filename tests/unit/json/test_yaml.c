#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "unit.h"

#include <errno.h>

static char *convert(const char *yaml)
{
	struct cc_error err = { 0 };
	json_t *docs;
	if (cc_yaml_parse_stream(yaml, strlen(yaml), "test", &docs, &err) < 0)
		fail_msg("parse failed: %s", err.message);
	char *out = cc_json_canonical(docs);
	json_decref(docs);
	return out;
}

static void expect(const char *yaml, const char *json)
{
	char *out = convert(yaml);
	assert_string_equal(out, json);
	free(out);
}

static void test_kubernetes_manifest_stream(void **state)
{
	expect(
	    "apiVersion: v1\n"
	    "kind: Pod\n"
	    "metadata:\n  name: web\n  labels: {app: web}\n"
	    "spec:\n  containers:\n  - name: c\n    image: busybox\n    ports:\n    - containerPort: 8080\n"
	    "---\n"
	    "# empty documents are skipped\n"
	    "---\n"
	    "kind: Secret\ndata: {k: dg==}\n",
	    "[{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"metadata\":{\"labels\":{\"app\":\"web\"},\"name\":\"web\"},"
	    "\"spec\":{\"containers\":[{\"image\":\"busybox\",\"name\":\"c\",\"ports\":[{\"containerPort\":8080}]}]}},"
	    "{\"data\":{\"k\":\"dg==\"},\"kind\":\"Secret\"}]");
}

static void test_scalar_typing(void **state)
{
	expect("a: yes\nb: 'yes'\nc: off\nd: ~\ne:\nf: 0x1F\ng: 0755\nh: 1_000\ni: -3\nj: 1.5e3\nk: .inf\nl: \"42\"\n"
	       "m: !!str 42\nn: 0.0.0.0\no: 1e400\np: +7\n",
	       "[{\"a\":true,\"b\":\"yes\",\"c\":false,\"d\":null,\"e\":null,\"f\":31,\"g\":493,\"h\":1000,\"i\":-3,"
	       "\"j\":1500.0,\"k\":\".inf\",\"l\":\"42\",\"m\":\"42\",\"n\":\"0.0.0.0\",\"o\":\"1e400\",\"p\":7}]");
}

static void test_anchors_and_merge_keys(void **state)
{
	expect("base: &b {cpu: 1, mem: 2}\n"
	       "x:\n  <<: *b\n  mem: 4\n"
	       "list: [*b, *b]\n",
	       "[{\"base\":{\"cpu\":1,\"mem\":2},\"list\":[{\"cpu\":1,\"mem\":2},{\"cpu\":1,\"mem\":2}],"
	       "\"x\":{\"cpu\":1,\"mem\":4}}]");
}

static void test_block_scalars(void **state)
{
	expect("script: |\n  line1\n  line2\nfolded: >\n  a\n  b\n",
	       "[{\"folded\":\"a b\\n\",\"script\":\"line1\\nline2\\n\"}]");
}

static void test_errors(void **state)
{
	struct cc_error err = { 0 };
	json_t *docs;
	const char *bad = "a: 1\nb: [1, 2\nc: 3\n";
	assert_int_equal(cc_yaml_parse_stream(bad, strlen(bad), "pod.yaml", &docs, &err), -EINVAL);
	assert_non_null(strstr(err.message, "pod.yaml: invalid YAML at line"));
	const char *dup = "a: 1\na: 2\n";
	assert_true(cc_yaml_parse_stream(dup, strlen(dup), "dup.yaml", &docs, &err) < 0);
	const char *complex_key = "? [1, 2]\n: v\n";
	assert_int_equal(cc_yaml_parse_stream(complex_key, strlen(complex_key), "k.yaml", &docs, &err), -EINVAL);
	assert_non_null(strstr(err.message, "mapping keys must be scalars"));
	const char *undefined_alias = "a: *nope\n";
	assert_true(cc_yaml_parse_stream(undefined_alias, strlen(undefined_alias), "u.yaml", &docs, &err) < 0);
}

static void test_billion_laughs_is_bounded(void **state)
{
	struct cc_buf y = CC_BUF_INIT;
	cc_buf_append_str(&y, "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
	for (int i = 1; i < 10; i++)
		cc_buf_appendf(&y, "a%d: &a%d [*a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d, *a%d]\n", i, i,
			       i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1, i - 1);
	struct cc_error err = { 0 };
	json_t *docs;
	assert_int_equal(cc_yaml_parse_stream(y.data, y.len, "laughs", &docs, &err), -E2BIG);
	assert_non_null(strstr(err.message, "alias expansion"));
	cc_buf_free(&y);
}

static void test_invalid_utf8_is_refused(void **state)
{
	/* This input made libfyaml 0.7.12 loop forever (found by fuzz_yaml). */
	char input[80];
	input[0] = '%';
	memset(input + 1, 0xff, 74);
	memcpy(input + 75, "2FF", 4);
	struct cc_error err = { 0 };
	json_t *docs;
	assert_int_equal(cc_yaml_parse_stream(input, 78, "bad.yaml", &docs, &err), -EILSEQ);
	assert_non_null(strstr(err.message, "invalid UTF-8 at byte 1 (line 1)"));
	const char *latin1 = "a: 1\nb: caf\xe9\n";
	assert_int_equal(cc_yaml_parse_stream(latin1, strlen(latin1), "l.yaml", &docs, &err), -EILSEQ);
	assert_non_null(strstr(err.message, "line 2"));
}

static void expect_error(const char *yaml, size_t len, const char *message)
{
	struct cc_error err = { 0 };
	json_t *docs = NULL;
	assert_int_equal(cc_yaml_parse_stream(yaml, len, "in.yaml", &docs, &err), -EINVAL);
	assert_null(docs);
	if (!strstr(err.message, message))
		fail_msg("expected `%s` in: %s", message, err.message);
}

static void test_aliases_are_names_not_paths(void **state)
{
	/* This 16-byte input made libfyaml 0.7.12 read past a buffer: it took the alias as a path
	 * expression (found by fuzz_yaml; issue 17). */
	const char crash[] = "- : :: : : : */2";
	expect_error(crash, sizeof(crash) - 1, "in.yaml: invalid YAML at line 1");
	const char path_like[] = "a: &x 1\nb: *x/2\n";
	expect_error(path_like, sizeof(path_like) - 1, "invalid YAML at line 2");
	expect_error("a: *nope\n", strlen("a: *nope\n"), "alias *nope refers to an undefined anchor");
	/* An alias inside its own anchor's node is undefined, not a cycle. */
	expect_error("a: &s [1, *s]\n", strlen("a: &s [1, *s]\n"), "alias *s refers to an undefined anchor");
	/* Anchors belong to their document. */
	expect_error("a: &x 1\n---\nb: *x\n", strlen("a: &x 1\n---\nb: *x\n"), "line 3");
}

static void test_alias_details(void **state)
{
	/* A redefined anchor: later aliases see the latest definition. An alias may be a key, and an
	 * aliased `<<` is a plain key, not a merge. */
	expect("a: &x 1\nb: *x\nc: &x two\nd: *x\n*x : 3\n",
	       "[{\"a\":1,\"b\":1,\"c\":\"two\",\"d\":\"two\",\"two\":3}]");
	expect("k: &m '<<'\nx: {*m : 1}\n", "[{\"k\":\"<<\",\"x\":{\"<<\":1}}]");
	/* Aliases are copies: the same anchor twice gives two equal, independent values. */
	expect("a: &l [1, {b: 2}]\nc: [*l, *l]\n", "[{\"a\":[1,{\"b\":2}],\"c\":[[1,{\"b\":2}],[1,{\"b\":2}]]}]");
	expect_error("a: 1\nb: 2\na: 3\n", strlen("a: 1\nb: 2\na: 3\n"), "line 3, column 1: duplicate mapping key `a`");
}

static void test_deep_nesting_is_bounded(void **state)
{
	struct cc_buf y = CC_BUF_INIT;
	for (int i = 0; i < 5000; i++)
		cc_buf_append_str(&y, "[");
	struct cc_error err = { 0 };
	json_t *docs;
	assert_true(cc_yaml_parse_stream(y.data, y.len, "deep", &docs, &err) < 0);
	cc_buf_free(&y);
	/* Within the limit by itself, over it once an alias nests a deep anchor further. */
	struct cc_buf z = CC_BUF_INIT;
	cc_buf_append_str(&z, "a: &d ");
	for (int i = 0; i < CC_JSON_MAX_DEPTH - 2; i++)
		cc_buf_append_str(&z, "[");
	for (int i = 0; i < CC_JSON_MAX_DEPTH - 2; i++)
		cc_buf_append_str(&z, "]");
	cc_buf_append_str(&z, "\nb: [[[[*d]]]]\n");
	expect_error(z.data, z.len, "once the alias is expanded");
	cc_buf_free(&z);
}

static void test_parse_one(void **state)
{
	struct cc_error err = { 0 };
	json_t *doc;
	assert_int_equal(cc_yaml_parse_one("a: 1\n", 5, "one", &doc, &err), 0);
	json_decref(doc);
	const char *two = "a: 1\n---\nb: 2\n";
	assert_int_equal(cc_yaml_parse_one(two, strlen(two), "two", &doc, &err), -EINVAL);
	assert_non_null(strstr(err.message, "found 2"));
}

static void test_json_is_yaml(void **state)
{
	expect("{\"a\": [1, 2, {\"b\": null}]}", "[{\"a\":[1,2,{\"b\":null}]}]");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubernetes_manifest_stream),
		cmocka_unit_test(test_scalar_typing),
		cmocka_unit_test(test_anchors_and_merge_keys),
		cmocka_unit_test(test_block_scalars),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_billion_laughs_is_bounded),
		cmocka_unit_test(test_parse_one),
		cmocka_unit_test(test_aliases_are_names_not_paths),
		cmocka_unit_test(test_alias_details),
		cmocka_unit_test(test_deep_nesting_is_bounded),
		cmocka_unit_test(test_invalid_utf8_is_refused),
		cmocka_unit_test(test_json_is_yaml),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
