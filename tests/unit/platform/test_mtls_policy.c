/* The mTLS annotations (platform/mtls_policy.h): the namespace's mode (an unknown value reads as
 * required), the ports list parsed strictly into ascending order, and what keeps a pod out of a
 * required namespace (hostNetwork, NET_ADMIN or ALL added, privileged). */
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/mtls_policy.h"
#include "unit.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static json_t *parse(const char *text)
{
	struct cc_error err = { 0 };
	json_t *v;
	if (cc_json_parse(text, strlen(text), CC_JSON_MAX_SIZE, "test", &v, &err) < 0)
		fail_msg("bad test JSON: %s", err.message);
	return v;
}

static enum platform_mtls_mode mode_of(const char *namespace_json)
{
	json_t *ns = parse(namespace_json);
	enum platform_mtls_mode mode = platform_mtls_mode(ns);
	json_decref(ns);
	return mode;
}

static void test_mode(void **state)
{
	(void)state;
	assert_int_equal(platform_mtls_mode(NULL), MTLS_OFF);
	assert_int_equal(mode_of("{\"metadata\":{\"name\":\"a\"}}"), MTLS_OFF);
	assert_int_equal(mode_of("{\"metadata\":{\"annotations\":{\"other\":\"required\"}}}"), MTLS_OFF);
	assert_int_equal(mode_of("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls\":\"permissive\"}}}"),
			 MTLS_PERMISSIVE);
	assert_int_equal(mode_of("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls\":\"required\"}}}"), MTLS_REQUIRED);
	/* Stored before admission checked it: the stricter reading. */
	assert_int_equal(mode_of("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls\":\"Required\"}}}"), MTLS_REQUIRED);
	assert_int_equal(mode_of("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls\":true}}}"), MTLS_REQUIRED);

	enum platform_mtls_mode mode = MTLS_OFF;
	struct cc_error err = { 0 };
	assert_int_equal(platform_mtls_mode_parse("strict", &mode, &err), -EINVAL);
	assert_non_null(strstr(err.message, "\"strict\""));
	assert_non_null(strstr(err.message, "\"permissive\" or \"required\""));
	assert_int_equal(mode, MTLS_OFF);
	assert_int_equal(platform_mtls_mode_parse("required", &mode, NULL), 0);
	assert_int_equal(mode, MTLS_REQUIRED);
	assert_string_equal(platform_mtls_mode_name(MTLS_PERMISSIVE), "permissive");
	assert_string_equal(platform_mtls_mode_name(MTLS_OFF), "off");
}

static void test_ports(void **state)
{
	(void)state;
	struct platform_mtls_ports ports;
	struct cc_error err = { 0 };
	assert_int_equal(platform_mtls_ports_parse("9443,8443", &ports, &err), 0);
	assert_int_equal(ports.count, 2);
	assert_int_equal(ports.port[0], 8443);
	assert_int_equal(ports.port[1], 9443);
	assert_int_equal(platform_mtls_ports_parse(" 1 , 65535\t", &ports, &err), 0);
	assert_int_equal(ports.count, 2);
	assert_int_equal(ports.port[1], 65535);
	assert_int_equal(platform_mtls_ports_parse("1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16", &ports, &err), 0);
	assert_int_equal(ports.count, 16);

	static const char *const bad[] = {
		"",          " ",      "0",          "65536",
		"8443,",     ",8443",  "8443,,9443", "84 43",
		"-1",        "+80",    "0x50",       "http",
		"8443;9443", "100000", "8443 9443",  "1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17",
		"80,80",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct platform_mtls_ports untouched = { .count = 99 };
		cc_error_clear(&err);
		if (platform_mtls_ports_parse(bad[i], &untouched, &err) != -EINVAL)
			fail_msg("`%s` was accepted", bad[i]);
		assert_int_equal(untouched.count, 99);
		char quoted[128];
		snprintf(quoted, sizeof(quoted), "\"%s\"", bad[i]);
		if (!strstr(err.message, quoted))
			fail_msg("the message for `%s` does not name it: %s", bad[i], err.message);
	}
	assert_int_equal(platform_mtls_ports_parse(NULL, &ports, NULL), -EINVAL);
}

static int check(const char *pod_json, struct cc_error *err)
{
	json_t *pod = parse(pod_json);
	struct platform_mtls_ports ports = { 0 };
	int r = platform_mtls_pod_check(pod, &ports, err);
	json_decref(pod);
	return r;
}

static void test_pod_check(void **state)
{
	(void)state;
	struct cc_error err = { 0 };
	assert_int_equal(check("{\"metadata\":{},\"spec\":{\"containers\":[{\"name\":\"a\"}]}}", &err), 0);

	json_t *pod = parse("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls.ports\":\"9443, 8443\"}},"
			    "\"spec\":{\"containers\":[{\"name\":\"a\",\"securityContext\":{\"capabilities\":"
			    "{\"add\":[\"NET_BIND_SERVICE\"],\"drop\":[\"ALL\"]}}}]}}");
	struct platform_mtls_ports ports = { 0 };
	assert_int_equal(platform_mtls_pod_check(pod, &ports, &err), 0);
	assert_int_equal(ports.count, 2);
	assert_int_equal(ports.port[0], 8443);
	json_decref(pod);

	assert_int_equal(check("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls.ports\":\"80,x\"}}}", &err), -EINVAL);
	assert_non_null(strstr(err.message, "\"80,x\""));
	assert_int_equal(check("{\"metadata\":{\"annotations\":{\"run.cocoon.mtls.ports\":8443}}}", &err), -EINVAL);
	assert_int_equal(check("{\"spec\":{\"hostNetwork\":true}}", &err), -EPERM);
	assert_non_null(strstr(err.message, "hostNetwork"));
	assert_int_equal(check("{\"spec\":{\"containers\":[{\"name\":\"a\"},{\"name\":\"b\",\"securityContext\":{"
			       "\"capabilities\":{\"add\":[\"NET_ADMIN\"]}}}]}}",
			       &err),
			 -EPERM);
	assert_non_null(strstr(err.message, "spec.containers[1] (b) adds capability NET_ADMIN"));
	assert_int_equal(check("{\"spec\":{\"initContainers\":[{\"name\":\"i\",\"securityContext\":{"
			       "\"capabilities\":{\"add\":[\"cap_net_admin\"]}}}]}}",
			       &err),
			 -EPERM);
	assert_non_null(strstr(err.message, "spec.initContainers[0]"));
	assert_int_equal(check("{\"spec\":{\"containers\":[{\"name\":\"a\",\"securityContext\":{"
			       "\"capabilities\":{\"add\":[\"ALL\"]}}}]}}",
			       &err),
			 -EPERM);
	assert_int_equal(
	    check("{\"spec\":{\"ephemeralContainers\":[{\"name\":\"e\",\"securityContext\":{\"privileged\":true}}]}}",
		  &err),
	    -EPERM);
	assert_non_null(strstr(err.message, "privileged"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mode),
		cmocka_unit_test(test_ports),
		cmocka_unit_test(test_pod_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
