/* lib/net/k8s_channel.c: channel messages, v5 CLOSE, resize payloads as client-go writes them, and
 * the Status documents byte for byte as kubelet marshals them. */
#include "lib/base/cleanup.h"
#include "lib/net/k8s_channel.h"
#include "unit.h"

#include <errno.h>

static void test_parse(void **state)
{
	struct cc_k8s_message m;
	cc_k8s_channel_parse("\x00hello", 6, true, &m);
	assert_int_equal(m.kind, CC_K8S_DATA);
	assert_int_equal(m.channel, CC_K8S_STDIN);
	assert_int_equal(m.len, 5);
	assert_memory_equal(m.data, "hello", 5);
	cc_k8s_channel_parse("\x04", 1, true, &m); /* a channel byte alone: empty data */
	assert_int_equal(m.kind, CC_K8S_DATA);
	assert_int_equal(m.channel, CC_K8S_RESIZE);
	assert_int_equal(m.len, 0);
	cc_k8s_channel_parse("", 0, true, &m);
	assert_int_equal(m.kind, CC_K8S_IGNORED);
	/* v5 CLOSE of stdin; the same bytes in v4 are data on channel 255. */
	cc_k8s_channel_parse("\xff\x00", 2, true, &m);
	assert_int_equal(m.kind, CC_K8S_CLOSED);
	assert_int_equal(m.channel, 0);
	cc_k8s_channel_parse("\xff\x00", 2, false, &m);
	assert_int_equal(m.kind, CC_K8S_DATA);
	assert_int_equal(m.channel, 255);
	/* A CLOSE without exactly one channel byte is dropped. */
	cc_k8s_channel_parse("\xff", 1, true, &m);
	assert_int_equal(m.kind, CC_K8S_IGNORED);
	cc_k8s_channel_parse("\xff\x00\x01", 3, true, &m);
	assert_int_equal(m.kind, CC_K8S_IGNORED);
}

static void test_resize(void **state)
{
	uint16_t w = 0, h = 0;
	const char *encoded = "{\"Width\":120,\"Height\":40}\n"; /* json.Encoder's output */
	assert_int_equal(cc_k8s_channel_parse_resize(encoded, strlen(encoded), &w, &h), 0);
	assert_int_equal(w, 120);
	assert_int_equal(h, 40);
	const char *lower = "{\"width\":80,\"height\":24}";
	assert_int_equal(cc_k8s_channel_parse_resize(lower, strlen(lower), &w, &h), 0);
	assert_int_equal(w, 80);
	assert_int_equal(h, 24);
	const char *two = "{\"Width\":1,\"Height\":2}\n{\"Width\":3,\"Height\":4}\n";
	assert_int_equal(cc_k8s_channel_parse_resize(two, strlen(two), &w, &h), 0);
	assert_int_equal(w, 3);
	assert_int_equal(h, 4);
	const char *bad[] = { "",
			      "{}",
			      "[1,2]",
			      "{\"Width\":-1,\"Height\":2}",
			      "{\"Width\":65536,\"Height\":2}",
			      "{\"Width\":\"80\",\"Height\":24}",
			      "{\"Width\":80",
			      "\n\n" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		assert_int_equal(cc_k8s_channel_parse_resize(bad[i], strlen(bad[i]), &w, &h), -EINVAL);
	assert_int_equal(w, 3); /* untouched by failures */
}

static void test_status(void **state)
{
	char *s = cc_k8s_channel_exit_status(0);
	assert_string_equal(s, "{\"metadata\":{},\"status\":\"Success\"}");
	free(s);
	s = cc_k8s_channel_exit_status(3);
	assert_string_equal(
	    s, "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"command terminated with non-zero exit "
	       "code: exit status 3\",\"reason\":\"NonZeroExitCode\",\"details\":{\"causes\":[{\"reason\":"
	       "\"ExitCode\",\"message\":\"3\"}]}}");
	free(s);
	s = cc_k8s_channel_error_status("container \"x\" is stopped");
	assert_string_equal(s,
			    "{\"metadata\":{},\"status\":\"Failure\",\"message\":\"Internal error occurred: container "
			    "\\\"x\\\" is stopped\",\"reason\":\"InternalError\",\"details\":{\"causes\":[{\"message\":"
			    "\"container \\\"x\\\" is stopped\"}]},\"code\":500}");
	free(s);
	s = cc_k8s_channel_error_status("\xff\xfe");
	assert_non_null(strstr(s, "not UTF-8"));
	free(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_resize),
		cmocka_unit_test(test_status),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
