#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "runtime/profile.h"
#include "runtime/spec.h"
#include "unit.h"

#include <errno.h>
#include <sys/mount.h>

static struct runtime_spec *careless(void)
{
	json_t *doc = runtime_spec_default(false);
	json_t *caps = json_pack("[s,s,s]", "CAP_SYS_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW");
	json_t *process = json_object_get(doc, "process");
	json_object_set_new(process, "capabilities",
			    json_pack("{s:O, s:O, s:O, s:O, s:O}", "bounding", caps, "effective", caps, "permitted",
				      caps, "inheritable", caps, "ambient", caps));
	json_decref(caps);
	json_object_set_new(process, "noNewPrivileges", json_false());
	json_t *linux_obj = json_object_get(doc, "linux");
	json_object_set_new(linux_obj, "maskedPaths", json_pack("[s]", "/proc/custom"));
	json_object_set_new(linux_obj, "readonlyPaths", json_array());
	json_object_set_new(linux_obj, "sysctl",
			    json_pack("{s:s, s:s}", "net.ipv4.ip_forward", "1", "kernel.shm_rmid_forced", "1"));
	json_object_set_new(linux_obj, "devices",
			    json_pack("[{s:s, s:s, s:i, s:i}, {s:s, s:s, s:i, s:i}]", "path", "/dev/mem", "type", "c",
				      "major", 1, "minor", 1, "path", "/dev/fuse", "type", "c", "major", 10, "minor",
				      229));
	struct runtime_spec *spec;
	struct cc_error err = { 0 };
	assert_int_equal(runtime_spec_parse(doc, "/b", &spec, &err), 0);
	json_decref(doc);
	return spec;
}

static bool contains(char **list, const char *item)
{
	for (char **p = list; p && *p; p++)
		if (strcmp(*p, item) == 0)
			return true;
	return false;
}

static void test_tightens_everything_and_reports_it(void **state)
{
	struct runtime_spec *spec = careless();
	struct cc_buf report = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(runtime_profile_confidential(spec, &report, &err), 0);
	uint64_t nbs = 1ULL << runtime_cap_from_name("CAP_NET_BIND_SERVICE");
	assert_true(spec->process.caps.bounding == nbs);
	assert_true(spec->process.caps.effective == nbs);
	assert_true(spec->process.caps.ambient == nbs);
	assert_true(spec->process.no_new_privileges);
	assert_true(contains(spec->masked_paths, "/proc/custom")); /* the config's own entries stay */
	assert_true(contains(spec->masked_paths, "/proc/kcore"));
	assert_true(contains(spec->readonly_paths, "/proc/sysrq-trigger"));
	assert_null(json_object_get(spec->sysctl, "net.ipv4.ip_forward"));
	assert_non_null(json_object_get(spec->sysctl, "kernel.shm_rmid_forced"));
	assert_int_equal(spec->device_count, 1);
	assert_string_equal(spec->devices[0].path, "/dev/fuse");
	for (size_t i = 0; i < spec->mount_count; i++)
		if (strcmp(spec->mounts[i].type, "sysfs") == 0 || strcmp(spec->mounts[i].type, "cgroup") == 0)
			assert_true(spec->mounts[i].flags & MS_RDONLY);
	assert_non_null(strstr(report.data, "removed capability CAP_SYS_ADMIN\n"));
	assert_non_null(strstr(report.data, "removed capability CAP_NET_RAW\n"));
	assert_null(strstr(report.data, "CAP_NET_BIND_SERVICE"));
	assert_non_null(strstr(report.data, "forced noNewPrivileges\n"));
	assert_non_null(strstr(report.data, "removed sysctl net.ipv4.ip_forward\n"));
	assert_non_null(strstr(report.data, "removed device /dev/mem\n"));
	/* Applying it twice changes nothing more: the profile only tightens. */
	struct cc_buf again = CC_BUF_INIT;
	assert_int_equal(runtime_profile_confidential(spec, &again, &err), 0);
	assert_int_equal(again.len, 0);
	cc_buf_free(&again);
	cc_buf_free(&report);
	runtime_spec_free(spec);
}

static void test_refuses_host_namespaces_and_dangerous_binds(void **state)
{
	struct runtime_spec *spec = careless();
	struct cc_buf report = CC_BUF_INIT;
	struct cc_error err = { 0 };
	spec->namespaces[RUNTIME_NS_NETWORK].enabled = false;
	assert_int_equal(runtime_profile_confidential(spec, &report, &err), -EPERM);
	assert_non_null(strstr(err.message, "host network namespace"));
	spec->namespaces[RUNTIME_NS_NETWORK].enabled = true;
	spec->namespaces[RUNTIME_NS_NETWORK].path = strdup("/proc/self/ns/net");
	assert_int_equal(runtime_profile_confidential(spec, &report, &err), -EPERM);
	free(spec->namespaces[RUNTIME_NS_NETWORK].path);
	spec->namespaces[RUNTIME_NS_NETWORK].path = NULL;
	const char *sources[] = { "/", "/proc", "/sys/kernel", "/run/containerd/containerd.sock",
				  "/var/run/docker.sock" };
	for (size_t i = 0; i < sizeof(sources) / sizeof(sources[0]); i++) {
		struct runtime_mount *m = &spec->mounts[0];
		bool was_bind = m->bind;
		char *old = m->source;
		m->bind = true;
		m->source = (char *)sources[i];
		if (runtime_profile_confidential(spec, &report, &err) != -EPERM)
			fail_msg("bind of %s accepted", sources[i]);
		assert_non_null(strstr(err.message, "is not allowed"));
		m->source = old;
		m->bind = was_bind;
	}
	cc_buf_free(&report);
	runtime_spec_free(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tightens_everything_and_reports_it),
		cmocka_unit_test(test_refuses_host_namespaces_and_dangerous_binds),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
