#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/patch.h"
#include "unit.h"

#include <errno.h>

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s: %s", err.message, text);
	return v;
}

static void assert_json(const json_t *got, const char *want_text)
{
	json_t *want = parse(want_text);
	if (!json_equal(got, want)) {
		char *g = cc_json_canonical(got), *w = cc_json_canonical(want);
		fail_msg("got  %s\nwant %s", g, w);
	}
	json_decref(want);
}

enum kind { JSON_PATCH, MERGE_PATCH, STRATEGIC };

/* Applies patch to doc and compares with want; also checks doc was left as it was. */
static void expect(enum kind kind, const char *doc_text, const char *patch_text, const char *want)
{
	struct cc_error err = { 0 };
	json_t *doc = parse(doc_text), *patch = parse(patch_text), *before = json_deep_copy(doc), *got = NULL;
	int r = kind == JSON_PATCH ? platform_json_patch(doc, patch, &got, &err)
		: kind == MERGE_PATCH
		    ? platform_merge_patch(doc, patch, &got, &err)
		    : platform_strategic_merge_patch(doc, patch, platform_patch_schema_default(), &got, &err);
	if (r < 0)
		fail_msg("patch failed: %s", err.message);
	assert_json(got, want);
	assert_true(json_equal(doc, before));
	json_decref(doc);
	json_decref(patch);
	json_decref(before);
	json_decref(got);
}

/* Expects the patch to fail with code and a message holding each of the NULL-terminated words. */
static void expect_error(enum kind kind, const char *doc_text, const char *patch_text, int code, ...)
{
	struct cc_error err = { 0 };
	json_t *doc = parse(doc_text), *patch = parse(patch_text), *got = NULL;
	int r = kind == JSON_PATCH ? platform_json_patch(doc, patch, &got, &err)
		: kind == MERGE_PATCH
		    ? platform_merge_patch(doc, patch, &got, &err)
		    : platform_strategic_merge_patch(doc, patch, platform_patch_schema_default(), &got, &err);
	if (r != code)
		fail_msg("want %d, got %d (%s)", code, r, err.message);
	assert_null(got);
	va_list ap;
	va_start(ap, code);
	for (const char *word; (word = va_arg(ap, const char *));)
		if (!strstr(err.message, word))
			fail_msg("`%s` not in the message: %s", word, err.message);
	va_end(ap);
	json_decref(doc);
	json_decref(patch);
}

/* ---- RFC 6902 Appendix A ---- */

static void test_rfc6902_appendix_a(void **state)
{
	/* A.1 - A.5 */
	expect(JSON_PATCH, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\"}]",
	       "{\"baz\":\"qux\",\"foo\":\"bar\"}");
	expect(JSON_PATCH, "{\"foo\":[\"bar\",\"baz\"]}", "[{\"op\":\"add\",\"path\":\"/foo/1\",\"value\":\"qux\"}]",
	       "{\"foo\":[\"bar\",\"qux\",\"baz\"]}");
	expect(JSON_PATCH, "{\"baz\":\"qux\",\"foo\":\"bar\"}", "[{\"op\":\"remove\",\"path\":\"/baz\"}]",
	       "{\"foo\":\"bar\"}");
	expect(JSON_PATCH, "{\"foo\":[\"bar\",\"qux\",\"baz\"]}", "[{\"op\":\"remove\",\"path\":\"/foo/1\"}]",
	       "{\"foo\":[\"bar\",\"baz\"]}");
	expect(JSON_PATCH, "{\"baz\":\"qux\",\"foo\":\"bar\"}",
	       "[{\"op\":\"replace\",\"path\":\"/baz\",\"value\":\"boo\"}]", "{\"baz\":\"boo\",\"foo\":\"bar\"}");
	/* A.6, A.7: move */
	expect(JSON_PATCH, "{\"foo\":{\"bar\":\"baz\",\"waldo\":\"fred\"},\"qux\":{\"corge\":\"grault\"}}",
	       "[{\"op\":\"move\",\"from\":\"/foo/waldo\",\"path\":\"/qux/thud\"}]",
	       "{\"foo\":{\"bar\":\"baz\"},\"qux\":{\"corge\":\"grault\",\"thud\":\"fred\"}}");
	expect(JSON_PATCH, "{\"foo\":[\"all\",\"grass\",\"cows\",\"eat\"]}",
	       "[{\"op\":\"move\",\"from\":\"/foo/1\",\"path\":\"/foo/3\"}]",
	       "{\"foo\":[\"all\",\"cows\",\"eat\",\"grass\"]}");
	/* A.8, A.9: test */
	expect(
	    JSON_PATCH, "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}",
	    "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"qux\"},{\"op\":\"test\",\"path\":\"/foo/1\",\"value\":2}]",
	    "{\"baz\":\"qux\",\"foo\":[\"a\",2,\"c\"]}");
	expect_error(JSON_PATCH, "{\"baz\":\"qux\"}", "[{\"op\":\"test\",\"path\":\"/baz\",\"value\":\"bar\"}]",
		     -EINVAL, "operation 0 (test `/baz`)", "test failed", NULL);
	/* A.10, A.11 (unknown members ignored), A.12 (no parent) */
	expect(JSON_PATCH, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/child\",\"value\":{\"grandchild\":{}}}]",
	       "{\"foo\":\"bar\",\"child\":{\"grandchild\":{}}}");
	expect(JSON_PATCH, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"xyz\":123}]",
	       "{\"foo\":\"bar\",\"baz\":\"qux\"}");
	expect_error(JSON_PATCH, "{\"foo\":\"bar\"}", "[{\"op\":\"add\",\"path\":\"/baz/bat\",\"value\":\"qux\"}]",
		     -EINVAL, "operation 0 (add `/baz/bat`)", "member `baz` does not exist", NULL);
	/* A.13: an operation with two `op` members is refused by the JSON layer (duplicate keys). */
	struct cc_error err = { 0 };
	json_t *v;
	const char *dup = "[{\"op\":\"add\",\"path\":\"/baz\",\"value\":\"qux\",\"op\":\"remove\"}]";
	assert_true(cc_json_parse(dup, strlen(dup), 1024, "patch", &v, &err) < 0);
	/* A.14: ~01 is "~1", not "/"; A.15: strings and numbers differ */
	expect(JSON_PATCH, "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":10}]",
	       "{\"/\":9,\"~1\":10}");
	expect_error(JSON_PATCH, "{\"/\":9,\"~1\":10}", "[{\"op\":\"test\",\"path\":\"/~01\",\"value\":\"10\"}]",
		     -EINVAL, "test failed", NULL);
	/* A.16: "-" appends, an array value is one element */
	expect(JSON_PATCH, "{\"foo\":[\"bar\"]}", "[{\"op\":\"add\",\"path\":\"/foo/-\",\"value\":[\"abc\",\"def\"]}]",
	       "{\"foo\":[\"bar\",[\"abc\",\"def\"]]}");
}

static void test_json_patch_pointers_and_copies(void **state)
{
	/* ~1 is '/', the root replaced, copy, numbers equal across integer and real (RFC 6902 §4.6) */
	expect(JSON_PATCH, "{\"a/b\":1,\"m~n\":2}",
	       "[{\"op\":\"replace\",\"path\":\"/a~1b\",\"value\":3},{\"op\":\"remove\",\"path\":\"/m~0n\"}]",
	       "{\"a/b\":3}");
	expect(JSON_PATCH, "{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"\",\"value\":[1]}]", "[1]");
	expect(JSON_PATCH, "{\"a\":{\"b\":[1]}}",
	       "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"},"
	       "{\"op\":\"add\",\"path\":\"/c/b/-\",\"value\":2}]",
	       "{\"a\":{\"b\":[1]},\"c\":{\"b\":[1,2]}}");
	expect(JSON_PATCH, "{\"n\":1}", "[{\"op\":\"test\",\"path\":\"/n\",\"value\":1.0}]", "{\"n\":1}");
	expect(JSON_PATCH, "{\"a\":{\"b\":1}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a\"}]",
	       "{\"a\":{\"b\":1}}");
	/* A Kubernetes scale by JSON patch */
	expect(JSON_PATCH, "{\"spec\":{\"replicas\":1}}",
	       "[{\"op\":\"replace\",\"path\":\"/spec/replicas\",\"value\":3}]", "{\"spec\":{\"replicas\":3}}");
}

static void test_json_patch_errors(void **state)
{
	const char *doc = "{\"a\":[1,2],\"o\":{\"k\":1}}";
	expect_error(JSON_PATCH, doc, "{\"op\":\"add\"}", -EBADMSG, "not a JSON array", NULL);
	expect_error(JSON_PATCH, doc, "[1]", -EBADMSG, "operation 0 is not a JSON object", NULL);
	expect_error(JSON_PATCH, doc, "[{\"path\":\"/a\"}]", -EINVAL, "operation 0", "`op` is missing", NULL);
	expect_error(JSON_PATCH, doc,
		     "[{\"op\":\"test\",\"path\":\"/a\",\"value\":[1,2]},{\"op\":\"frob\",\"path\":\"/a\"}]", -EINVAL,
		     "operation 1", "unknown op `frob`", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"add\",\"path\":\"/x\"}]", -EINVAL, "`value` is missing", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"add\",\"path\":\"x\",\"value\":1}]", -EINVAL, "not a JSON pointer",
		     NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"add\",\"path\":\"/a/01\",\"value\":1}]", -EINVAL, "leading zero",
		     NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"add\",\"path\":\"/a/3\",\"value\":1}]", -EINVAL, "out of range",
		     NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"remove\",\"path\":\"/a/-\"}]", -EINVAL, "`-` names no existing",
		     NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"remove\",\"path\":\"/o/missing\"}]", -EINVAL, "`/o/missing`",
		     "does not exist", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"replace\",\"path\":\"/nope\",\"value\":1}]", -EINVAL,
		     "does not exist", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"move\",\"from\":\"/o\",\"path\":\"/o/k2\"}]", -EINVAL,
		     "cannot move into itself", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"copy\",\"path\":\"/x\"}]", -EINVAL, "`from` is missing", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"add\",\"path\":\"/a/~2\",\"value\":1}]", -EINVAL, "'~'", NULL);
	expect_error(JSON_PATCH, doc, "[{\"op\":\"remove\",\"path\":\"\"}]", -EINVAL, "whole document", NULL);
	/* the patch is all or nothing: a failing second operation leaves no trace (doc compared in expect_error's
	 * caller would show it; here the result is simply absent) */
	expect_error(JSON_PATCH, doc,
		     "[{\"op\":\"add\",\"path\":\"/z\",\"value\":1},{\"op\":\"remove\",\"path\":\"/q\"}]", -EINVAL,
		     "operation 1", NULL);
}

static void test_json_patch_limits(void **state)
{
	struct cc_error err = { 0 };
	json_t *doc = json_pack("{s:[s]}", "s", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef");
	json_t *patch = json_array(), *got = NULL;
	/* Each copy doubles the list: 64 bytes would become 2^46 without the limit. */
	for (int i = 0; i < 40; i++)
		json_array_append_new(patch, json_pack("{s:s,s:s,s:s}", "op", "copy", "from", "/s", "path", "/s/-"));
	assert_int_equal(platform_json_patch(doc, patch, &got, &err), -E2BIG);
	assert_non_null(strstr(err.message, "copies"));
	json_array_clear(patch);
	for (int i = 0; i <= PLATFORM_JSON_PATCH_MAX_OPERATIONS; i++)
		json_array_append_new(patch, json_pack("{s:s,s:s}", "op", "test", "path", ""));
	assert_int_equal(platform_json_patch(doc, patch, &got, &err), -E2BIG);
	assert_null(got);
	json_decref(doc);
	json_decref(patch);
}

/* ---- RFC 7386 ---- */

static void test_rfc7386_appendix_a(void **state)
{
	static const char *const cases[][3] = {
		{ "{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}" },
		{ "{\"a\":\"b\"}", "{\"a\":null}", "{}" },
		{ "{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}" },
		{ "{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}" },
		{ "{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}" },
		{ "{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}" },
		{ "{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}" },
		{ "[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]" },
		{ "{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]" },
		{ "{\"a\":\"foo\"}", "null", "null" },
		{ "{\"a\":\"foo\"}", "\"bar\"", "\"bar\"" },
		{ "{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}" },
		{ "[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}" },
		{ "{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++)
		expect(MERGE_PATCH, cases[i][0], cases[i][1], cases[i][2]);
	/* RFC 7386 §3 */
	expect(MERGE_PATCH,
	       "{\"title\":\"Goodbye!\",\"author\":{\"givenName\":\"John\",\"familyName\":\"Doe\"},"
	       "\"tags\":[\"example\",\"sample\"],\"content\":\"This will be unchanged\"}",
	       "{\"title\":\"Hello!\",\"phoneNumber\":\"+01-123-456-7890\",\"author\":{\"familyName\":null},"
	       "\"tags\":[\"example\"]}",
	       "{\"title\":\"Hello!\",\"author\":{\"givenName\":\"John\"},\"tags\":[\"example\"],"
	       "\"content\":\"This will be unchanged\",\"phoneNumber\":\"+01-123-456-7890\"}");
}

/* ---- Strategic merge patch: "Update API Objects in Place Using kubectl patch" ---- */

#define DEMO_DEPLOYMENT                                                                                                \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"patch-demo\"},"                  \
	"\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"nginx\"}},\"template\":{"                   \
	"\"metadata\":{\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"containers\":[{\"name\":\"patch-demo-ctr\","        \
	"\"image\":\"nginx\"}],\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"dedicated\","                     \
	"\"value\":\"test-team\"}]}}}}"

#define DEMO_RESULT(containers, tolerations)                                                                           \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"patch-demo\"},"                  \
	"\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":{\"app\":\"nginx\"}},\"template\":{"                   \
	"\"metadata\":{\"labels\":{\"app\":\"nginx\"}},\"spec\":{\"containers\":" containers                           \
	",\"tolerations\":" tolerations "}}}}"

static void test_strategic_kubectl_patch_tutorial(void **state)
{
	/* patch-file.yaml: the containers list is merged by name, the new container first (as the
	 * tutorial's output shows it). */
	expect(STRATEGIC, DEMO_DEPLOYMENT,
	       "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"patch-demo-ctr-2\",\"image\":\"redis\"}]"
	       "}}}}",
	       DEMO_RESULT("[{\"name\":\"patch-demo-ctr-2\",\"image\":\"redis\"},{\"name\":\"patch-demo-ctr\","
			   "\"image\":\"nginx\"}]",
			   "[{\"effect\":\"NoSchedule\",\"key\":\"dedicated\",\"value\":\"test-team\"}]"));
	/* patch-file-tolerations.yaml: tolerations have no patch strategy: replaced. */
	expect(STRATEGIC, DEMO_DEPLOYMENT,
	       "{\"spec\":{\"template\":{\"spec\":{\"tolerations\":[{\"effect\":\"NoSchedule\",\"key\":\"disktype\","
	       "\"value\":\"ssd\"}]}}}}",
	       DEMO_RESULT("[{\"name\":\"patch-demo-ctr\",\"image\":\"nginx\"}]",
			   "[{\"effect\":\"NoSchedule\",\"key\":\"disktype\",\"value\":\"ssd\"}]"));
	/* patch-file-2.yaml as a JSON merge patch: the list is replaced. */
	expect(MERGE_PATCH, DEMO_DEPLOYMENT,
	       "{\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"patch-demo-ctr-3\","
	       "\"image\":\"gcr.io/google-samples/node-hello:1.0\"}]}}}}",
	       DEMO_RESULT("[{\"name\":\"patch-demo-ctr-3\",\"image\":\"gcr.io/google-samples/node-hello:1.0\"}]",
			   "[{\"effect\":\"NoSchedule\",\"key\":\"dedicated\",\"value\":\"test-team\"}]"));
	/* patch-file-retainkeys.yaml: only `type` stays in the strategy. */
	expect(STRATEGIC,
	       "{\"kind\":\"Deployment\",\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{"
	       "\"maxSurge\":\"30%\"}}}}",
	       "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
	       "{\"kind\":\"Deployment\",\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	/* ... and a plain merge keeps rollingUpdate, which is why the tutorial needs $retainKeys. */
	expect(STRATEGIC,
	       "{\"kind\":\"Deployment\",\"spec\":{\"strategy\":{\"rollingUpdate\":{\"maxSurge\":\"30%\"}}}}",
	       "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}",
	       "{\"kind\":\"Deployment\",\"spec\":{\"strategy\":{\"type\":\"Recreate\",\"rollingUpdate\":{"
	       "\"maxSurge\":\"30%\"}}}}");
	expect_error(STRATEGIC, "{\"spec\":{\"strategy\":{}}}",
		     "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"rollingUpdate\":{}}}}", -EINVAL,
		     "`spec.strategy.rollingUpdate`", "doesn't match retainKeys", NULL);
}

/* What client-side `kubectl apply` sends after a file changed replicas and one container's image. */
static void test_strategic_kubectl_apply(void **state)
{
	const char *live =
	    "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"annotations\":{\"kubectl.kubernetes.io/"
	    "last-applied-configuration\":\"old\",\"deployment.kubernetes.io/revision\":\"1\"}},"
	    "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":["
	    "{\"name\":\"web\",\"image\":\"busybox:1.35\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
	    "\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"terminationMessagePath\":\"/dev/termination-log\"},"
	    "{\"name\":\"sidecar\",\"image\":\"busybox\"}],\"restartPolicy\":\"Always\"}}},"
	    "\"status\":{\"replicas\":2}}";
	expect(STRATEGIC, live,
	       "{\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/last-applied-configuration\":\"new\"}},"
	       "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"},"
	       "{\"name\":\"sidecar\"}],\"containers\":[{\"image\":\"busybox:1.36\",\"name\":\"web\"}]}}}}",
	       "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"annotations\":{\"kubectl.kubernetes.io/"
	       "last-applied-configuration\":\"new\",\"deployment.kubernetes.io/revision\":\"1\"}},"
	       "\"spec\":{\"replicas\":3,\"template\":{\"spec\":{\"containers\":["
	       "{\"name\":\"web\",\"image\":\"busybox:1.36\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
	       "\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"terminationMessagePath\":\"/dev/termination-log\"},"
	       "{\"name\":\"sidecar\",\"image\":\"busybox\"}],\"restartPolicy\":\"Always\"}}},"
	       "\"status\":{\"replicas\":2}}");
	/* The file dropped the sidecar: apply deletes it with a directive and orders what is left. */
	expect(STRATEGIC, live,
	       "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"web\"}],"
	       "\"containers\":[{\"$patch\":\"delete\",\"name\":\"sidecar\"}]}}}}",
	       "{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"annotations\":{\"kubectl.kubernetes.io/"
	       "last-applied-configuration\":\"old\",\"deployment.kubernetes.io/revision\":\"1\"}},"
	       "\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":["
	       "{\"name\":\"web\",\"image\":\"busybox:1.35\",\"ports\":[{\"containerPort\":8080,\"protocol\":\"TCP\"}],"
	       "\"env\":[{\"name\":\"A\",\"value\":\"1\"}],\"terminationMessagePath\":\"/dev/termination-log\"}],"
	       "\"restartPolicy\":\"Always\"}}},\"status\":{\"replicas\":2}}");
	/* A port added by containerPort and an env var removed, inside the merged container. */
	expect(STRATEGIC,
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":80}],"
	       "\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}]}]}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":443}],"
	       "\"env\":[{\"name\":\"A\",\"$patch\":\"delete\"}]}]}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"ports\":[{\"containerPort\":443},{\"containerPort\":80}],"
	       "\"env\":[{\"name\":\"B\",\"value\":\"2\"}]}]}}");
}

static void test_strategic_directives(void **state)
{
	/* null deletes; a null for an absent key is not stored */
	expect(STRATEGIC, "{\"metadata\":{\"labels\":{\"a\":\"1\",\"b\":\"2\"}}}",
	       "{\"metadata\":{\"labels\":{\"a\":null,\"c\":null},\"annotations\":{\"x\":null,\"y\":\"1\"}}}",
	       "{\"metadata\":{\"labels\":{\"b\":\"2\"},\"annotations\":{\"y\":\"1\"}}}");
	/* $patch: replace and delete on maps */
	expect(STRATEGIC, "{\"metadata\":{\"labels\":{\"a\":\"1\"}},\"spec\":{\"securityContext\":{\"runAsUser\":1}}}",
	       "{\"metadata\":{\"labels\":{\"$patch\":\"replace\",\"b\":\"2\"}},"
	       "\"spec\":{\"securityContext\":{\"$patch\":\"delete\"}}}",
	       "{\"metadata\":{\"labels\":{\"b\":\"2\"}},\"spec\":{\"securityContext\":{}}}");
	/* $patch: replace in a merged list */
	expect(STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	       "{\"spec\":{\"containers\":[{\"$patch\":\"replace\"},{\"name\":\"c\",\"image\":\"i\"}]}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"i\"}]}}");
	/* finalizers are a set: union, $deleteFromPrimitiveList */
	expect(STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	       "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}", "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}");
	expect(STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\",\"b\",\"c\"]}}",
	       "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\",\"c\"]}}",
	       "{\"metadata\":{\"finalizers\":[\"b\"]}}");
	/* $setElementOrder over env: patch order, then the server's, as kube-apiserver weaves them */
	expect(STRATEGIC,
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"A\"},{\"name\":\"B\"},{\"name\":\"C\"}]"
	       "}]}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"$setElementOrder/env\":[{\"name\":\"C\"},{\"name\":\"A\"},"
	       "{\"name\":\"B\"}],\"env\":[{\"name\":\"C\",\"value\":\"x\"}]}]}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"c\",\"env\":[{\"name\":\"C\",\"value\":\"x\"},{\"name\":\"A\"},"
	       "{\"name\":\"B\"}]}]}}");
	/* ownerReferences by uid, conditions by type, Service ports by port */
	expect(STRATEGIC, "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"1\",\"name\":\"a\"}]}}",
	       "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"2\",\"name\":\"b\"},{\"uid\":\"1\",\"name\":\"A\"}]}}",
	       "{\"metadata\":{\"ownerReferences\":[{\"uid\":\"2\",\"name\":\"b\"},{\"uid\":\"1\",\"name\":\"A\"}]}}");
	expect(STRATEGIC,
	       "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"False\"},{\"type\":\"Scheduled\","
	       "\"status\":\"True\"}]}}",
	       "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"}]}}",
	       "{\"status\":{\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\"},{\"type\":\"Scheduled\","
	       "\"status\":\"True\"}]}}");
	expect(STRATEGIC, "{\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"}]}}",
	       "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}",
	       "{\"kind\":\"Service\",\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\",\"targetPort\":8080}]}}");
	/* ... and for a kind without that rule the list is replaced */
	expect(STRATEGIC, "{\"kind\":\"Other\",\"spec\":{\"ports\":[{\"port\":80,\"name\":\"http\"}]}}",
	       "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}",
	       "{\"kind\":\"Other\",\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}");
	/* directives and nulls inside new values never reach the stored object */
	expect(STRATEGIC, "{\"spec\":{}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"n\",\"resources\":{\"$patch\":\"replace\"},\"args\":null,"
	       "\"env\":[{\"name\":\"gone\",\"$patch\":\"delete\"},{\"name\":\"E\"}]}],\"nodeSelector\":{\"a\":null}}}",
	       "{\"spec\":{\"containers\":[{\"name\":\"n\",\"env\":[{\"name\":\"E\"}]}],\"nodeSelector\":{}}}");
}

static void test_strategic_errors_and_schema(void **state)
{
	expect_error(STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
		     "{\"spec\":{\"containers\":[{\"image\":\"x\"}]}}", -EINVAL, "`spec.containers`",
		     "no merge key `name`", NULL);
	expect_error(STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"a\"}]}}",
		     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"ports\":[{\"containerPort\":1}]},{\"name\":\"a\","
		     "\"ports\":[{\"$patch\":\"frob\"}]}]}}",
		     -EINVAL, "`spec.containers[].ports`", "unknown patch type", NULL);
	expect_error(STRATEGIC, "{\"metadata\":{}}", "{\"metadata\":{\"$patch\":\"merge\"}}", -EINVAL,
		     "unknown patch type", NULL);
	expect_error(STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\"]}}", "{\"metadata\":{\"finalizers\":[[\"b\"]]}}",
		     -EINVAL, "lists of lists", NULL);
	expect_error(STRATEGIC, "{\"metadata\":{\"finalizers\":[\"a\"]}}", "{\"metadata\":{\"finalizers\":[1]}}",
		     -EINVAL, "not identical", NULL);
	expect_error(
	    STRATEGIC, "{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\"}]}}",
	    "{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"a\"}],\"containers\":[{\"name\":\"b\"}]}}",
	    -EINVAL, "$setElementOrder", NULL);
	expect_error(STRATEGIC, "[]", "{}", -EINVAL, "not a JSON object", NULL);

	/* Without a schema every list is replaced, as in a JSON merge patch, but directives still work. */
	struct cc_error err = { 0 };
	json_t *doc = parse("{\"spec\":{\"containers\":[{\"name\":\"a\"}],\"m\":{\"x\":1}}}");
	json_t *patch = parse("{\"spec\":{\"containers\":[{\"name\":\"b\"}],\"m\":{\"$patch\":\"replace\",\"y\":2}}}");
	json_t *got;
	assert_int_equal(platform_strategic_merge_patch(doc, patch, NULL, &got, &err), 0);
	assert_json(got, "{\"spec\":{\"containers\":[{\"name\":\"b\"}],\"m\":{\"y\":2}}}");
	json_decref(got);
	/* A schema of one's own: a map marked replace. */
	static const struct platform_patch_rule rules[] = { { NULL, "spec.m", PLATFORM_PATCH_REPLACE, NULL, false } };
	struct platform_patch_schema own = { rules, 1 };
	json_decref(patch);
	patch = parse("{\"spec\":{\"m\":{\"y\":2}}}");
	assert_int_equal(platform_strategic_merge_patch(doc, patch, &own, &got, &err), 0);
	assert_json(got, "{\"spec\":{\"containers\":[{\"name\":\"a\"}],\"m\":{\"y\":2}}}");
	json_decref(got);
	json_decref(doc);
	json_decref(patch);
	/* The default schema covers the pod template of the workload kinds. */
	const struct platform_patch_schema *schema = platform_patch_schema_default();
	bool template = false, service = false;
	for (size_t i = 0; i < schema->n_rules; i++) {
		template |= strcmp(schema->rules[i].path, "spec.template.spec.containers[].volumeMounts") == 0 &&
			    schema->rules[i].merge_key &&strcmp(schema->rules[i].merge_key, "mountPath") == 0;
		service |= strcmp(schema->rules[i].path, "spec.ports") == 0 && schema->rules[i].kind &&
			   strcmp(schema->rules[i].kind, "Service") == 0;
	}
	assert_true(template && service);
}

/* A list of 20,000 finalizers merges in linear time (the fuzzer's budget is seconds, not minutes). */
static void test_strategic_large_lists(void **state)
{
	struct cc_error err = { 0 };
	json_t *doc = json_pack("{s:{s:[]}}", "metadata", "finalizers"), *patch = json_deep_copy(doc), *got;
	json_t *a = json_object_get(json_object_get(doc, "metadata"), "finalizers");
	json_t *b = json_object_get(json_object_get(patch, "metadata"), "finalizers");
	for (int i = 0; i < 20000; i++) {
		json_array_append_new(a, json_integer(i));
		json_array_append_new(b, json_integer(i + 10000));
	}
	assert_int_equal(platform_strategic_merge_patch(doc, patch, platform_patch_schema_default(), &got, &err), 0);
	json_t *merged = json_object_get(json_object_get(got, "metadata"), "finalizers");
	assert_int_equal(json_array_size(merged), 30000);
	assert_int_equal(json_integer_value(json_array_get(merged, 0)), 0);
	assert_int_equal(json_integer_value(json_array_get(merged, 29999)), 29999);
	json_decref(got);
	json_decref(doc);
	json_decref(patch);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc6902_appendix_a),
		cmocka_unit_test(test_json_patch_pointers_and_copies),
		cmocka_unit_test(test_json_patch_errors),
		cmocka_unit_test(test_json_patch_limits),
		cmocka_unit_test(test_rfc7386_appendix_a),
		cmocka_unit_test(test_strategic_kubectl_patch_tutorial),
		cmocka_unit_test(test_strategic_kubectl_apply),
		cmocka_unit_test(test_strategic_directives),
		cmocka_unit_test(test_strategic_errors_and_schema),
		cmocka_unit_test(test_strategic_large_lists),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
