#include "lib/base/error.h"
#include "runtime/cgroup.h"
#include "unit.h"

#include <errno.h>

static void test_relative_paths(void **state)
{
	char *p = runtime_cgroup_relative_path(NULL, "abc");
	assert_string_equal(p, "/cocoon/abc");
	free(p);
	p = runtime_cgroup_relative_path("/libpod_parent/libpod-1", "abc");
	assert_string_equal(p, "/libpod_parent/libpod-1");
	free(p);
	p = runtime_cgroup_relative_path("kubepods.slice:cri-containerd:abc", "abc");
	assert_string_equal(p, "/kubepods.slice/cri-containerd-abc.scope");
	free(p);
	p = runtime_cgroup_relative_path("relative", "abc");
	assert_string_equal(p, "/cocoon/relative");
	free(p);
}

static void test_setup_refuses_dot_dot(void **state)
{
	if (getuid() != 0)
		skip();
	struct runtime_resources res = { .memory_limit = -1,
					 .memory_swap = -1,
					 .memory_reservation = -1,
					 .cpu_shares = -1,
					 .cpu_quota = -1,
					 .cpu_period = -1,
					 .pids_limit = -1,
					 .blkio_weight = -1 };
	json_t *paths = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(runtime_cgroup_setup("/cocoon/../../escape", &res, getpid(), &paths, &err), -EINVAL);
	assert_non_null(strstr(err.message, "`..`"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_relative_paths),
		cmocka_unit_test(test_setup_refuses_dot_dot),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
