/* platform/exec.c: an exec request's query read as kube-apiserver reads PodExecOptions. The session
 * itself runs against real containers in tests/integration/exec_stream.bats. */
#include "lib/base/error.h"
#include "lib/net/http.h"
#include "platform/exec.h"
#include "unit.h"

#include <errno.h>

static int parse(const char *target, struct platform_exec_options *o, struct cc_error *err)
{
	struct cc_http_request req = { 0 };
	assert_int_equal(cc_http_request_set_target(&req, target, strlen(target)), 0);
	int r = platform_exec_options_parse(&req, o, err);
	cc_http_request_reset(&req);
	return r;
}

static void test_kubectl_query(void **state)
{
	struct platform_exec_options o;
	struct cc_error err = { 0 };
	/* What kubectl exec -it POD -c app -- sh -c 'echo a b' sends. */
	assert_int_equal(parse("/api/v1/namespaces/default/pods/web/exec?command=sh&command=-c&command=echo+a%20b"
			       "&container=app&stdin=true&stdout=true&tty=true",
			       &o, &err),
			 0);
	assert_string_equal(o.command[0], "sh");
	assert_string_equal(o.command[1], "-c");
	assert_string_equal(o.command[2], "echo a b");
	assert_null(o.command[3]);
	assert_string_equal(o.container, "app");
	assert_true(o.stdin && o.stdout && o.tty);
	assert_false(o.stderr);
	platform_exec_options_clear(&o);
	/* Booleans as Kubernetes converts them: present and not 0/f/false. stderr goes with a tty. */
	assert_int_equal(parse("/x?command=ls&stdin=1&stdout=&stderr=false&tty=F", &o, &err), 0);
	assert_true(o.stdin && o.stdout);
	assert_false(o.stderr || o.tty);
	assert_null(o.container);
	platform_exec_options_clear(&o);
	assert_int_equal(parse("/x?command=ls&stderr=true&tty=true&stdout=0", &o, &err), -EINVAL);
	assert_string_equal(err.message, "you must specify at least 1 of stdin, stdout, stderr");
}

static void test_refusals(void **state)
{
	struct platform_exec_options o;
	struct cc_error err = { 0 };
	assert_int_equal(parse("/x?stdout=true", &o, &err), -EINVAL);
	assert_string_equal(err.message, "you must specify at least one command for the container");
	assert_int_equal(parse("/x?command=ls", &o, &err), -EINVAL);
	assert_string_equal(err.message, "you must specify at least 1 of stdin, stdout, stderr");
	assert_int_equal(parse("/x?command=ls&command=%zz&stdout=true", &o, &err), -EINVAL);
	assert_non_null(strstr(err.message, "percent escape"));
	assert_int_equal(parse("/x?command=ls&command=%00&stdout=true", &o, &err), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kubectl_query),
		cmocka_unit_test(test_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
