/* The cgroup v2 device filter, attached to a cgroup of its own with a child process in it. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "runtime/devices_bpf.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

static const char *v2_root(void)
{
	if (access("/sys/fs/cgroup/cgroup.controllers", F_OK) == 0)
		return "/sys/fs/cgroup";
	if (access("/sys/fs/cgroup/unified/cgroup.procs", F_OK) == 0)
		return "/sys/fs/cgroup/unified";
	return NULL;
}

/* Runs fn in a child placed in dir; returns its exit code. */
static int in_cgroup(const char *dir, int (*fn)(void))
{
	pid_t pid = fork();
	if (pid == 0) {
		_cleanup_free_ char *procs = cc_xasprintf("%s/cgroup.procs", dir);
		FILE *f = fopen(procs, "w");
		if (!f || fprintf(f, "%d", getpid()) < 0 || fclose(f) != 0)
			_exit(99);
		_exit(fn());
	}
	int status;
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 98;
}

static int open_null(void)
{
	int fd = open("/dev/null", O_RDWR);
	return fd >= 0 ? 0 : 1;
}

static int open_zero(void)
{
	int fd = open("/dev/zero", O_RDONLY);
	return fd >= 0 ? 0 : (errno == EPERM ? 2 : 1);
}

static int mknod_disk(void)
{
	char path[] = "/tmp/cocoon-bpf-node-XXXXXX";
	int fd = mkstemp(path);
	close(fd);
	unlink(path);
	int r = mknod(path, S_IFBLK | 0600, makedev(8, 0)); /* mknod is allowed for every device */
	if (r == 0) {
		int d = open(path, O_RDONLY);
		unlink(path);
		return d >= 0 ? 3 : (errno == EPERM ? 0 : 4);
	}
	return 1;
}

static void test_filter_denies_what_the_rules_deny(void **state)
{
	const char *root = v2_root();
	if (getuid() != 0 || !root)
		skip();
	_cleanup_free_ char *dir = cc_xasprintf("%s/cocoon-unit-bpf-%d", root, getpid());
	assert_int_equal(mkdir(dir, 0755), 0);
	/* Deny /dev/zero explicitly; everything else follows the defaults (null allowed, disks not). */
	json_t *rules = json_pack("[{s:b, s:s}, {s:b, s:s, s:i, s:i, s:s}]", "allow", 0, "access", "rwm", "allow", 0,
				  "type", "c", "major", 1, "minor", 5, "access", "rwm");
	struct cc_error err = { 0 };
	int r = runtime_devices_bpf_attach(dir, rules, &err);
	json_decref(rules);
	if (r < 0) {
		rmdir(dir);
		fail_msg("%s", err.message);
	}
	assert_int_equal(in_cgroup(dir, open_null), 0);
	/* /dev/zero is in the defaults (applied after the config's rules), so it is allowed again:
	 * the last matching rule wins, as with the v1 controller. */
	assert_int_equal(in_cgroup(dir, open_zero), 0);
	assert_int_equal(in_cgroup(dir, mknod_disk), 0);
	assert_int_equal(rmdir(dir), 0);
}

static void test_bad_rule_is_refused(void **state)
{
	json_t *rules = json_pack("[{s:b, s:s, s:s}]", "allow", 1, "type", "x", "access", "rwm");
	struct cc_error err = { 0 };
	assert_int_equal(runtime_devices_bpf_attach("/nonexistent", rules, &err), -EINVAL);
	assert_non_null(strstr(err.message, "devices[0]"));
	json_decref(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_filter_denies_what_the_rules_deny),
		cmocka_unit_test(test_bad_rule_is_refused),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
