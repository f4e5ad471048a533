#include "lib/base/error.h"
#include "lib/json/json.h"
#include "runtime/seccomp_filter.h"
#include "unit.h"

#include <errno.h>

static int build(const char *text, struct cc_error *err)
{
	json_t *json;
	assert_int_equal(cc_json_parse(text, strlen(text), 1 << 20, "seccomp", &json, err), 0);
	scmp_filter_ctx ctx = NULL;
	bool notify = false;
	int r = runtime_seccomp_build(json, &ctx, &notify, err);
	if (ctx)
		seccomp_release(ctx);
	json_decref(json);
	return r < 0 ? r : (notify ? 1 : 0);
}

static void test_translates_actions_operators_and_arches(void **state)
{
	struct cc_error err = { 0 };
	assert_int_equal(
	    build("{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"defaultErrnoRet\":1,"
		  "\"architectures\":[\"SCMP_ARCH_X86_64\",\"SCMP_ARCH_X86\"],\"flags\":[\"SECCOMP_FILTER_FLAG_LOG\"],"
		  "\"syscalls\":[{\"names\":[\"read\",\"write\",\"no_such_syscall\"],\"action\":\"SCMP_ACT_ALLOW\"},"
		  "{\"names\":[\"personality\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":8,"
		  "\"op\":\"SCMP_CMP_EQ\"}]},"
		  "{\"names\":[\"clone\"],\"action\":\"SCMP_ACT_ALLOW\",\"args\":[{\"index\":0,\"value\":2114060288,"
		  "\"valueTwo\":0,\"op\":\"SCMP_CMP_MASKED_EQ\"}]}]}",
		  &err),
	    0);
	assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"mkdir\"],\"action\":"
			       "\"SCMP_ACT_NOTIFY\"}]}",
			       &err),
			 1);
}

static void test_rejects_unknown_names(void **state)
{
	struct cc_error err = { 0 };
	assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_MAYBE\"}", &err), -EINVAL);
	assert_non_null(strstr(err.message, "SCMP_ACT_MAYBE"));
	assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"architectures\":[\"SCMP_ARCH_Z80\"]}", &err),
			 -EINVAL);
	assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
			       "\"SCMP_ACT_ALLOW\","
			       "\"args\":[{\"index\":9,\"value\":1,\"op\":\"SCMP_CMP_EQ\"}]}]}",
			       &err),
			 -EINVAL);
	assert_int_equal(build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"syscalls\":[{\"names\":[\"read\"],\"action\":"
			       "\"SCMP_ACT_ALLOW\","
			       "\"args\":[{\"index\":0,\"value\":1,\"op\":\"SCMP_CMP_SORTOF\"}]}]}",
			       &err),
			 -EINVAL);
	assert_int_equal(
	    build("{\"defaultAction\":\"SCMP_ACT_ALLOW\",\"flags\":[\"SECCOMP_FILTER_FLAG_MAGIC\"]}", &err), -EINVAL);
}

static void test_confidential_filter_builds(void **state)
{
	struct cc_error err = { 0 };
	scmp_filter_ctx ctx;
	assert_int_equal(runtime_seccomp_confidential(&ctx, &err), 0);
	/* The allowlist must not contain what it exists to deny. */
	seccomp_release(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_translates_actions_operators_and_arches),
		cmocka_unit_test(test_rejects_unknown_names),
		cmocka_unit_test(test_confidential_filter_builds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
