#include "lib/base/error.h"
#include "lib/json/json.h"
#include "runtime/spec.h"
#include "unit.h"

#include <errno.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/resource.h>

static struct runtime_spec *parse(const char *text, struct cc_error *err)
{
	json_t *json;
	if (cc_json_parse(text, strlen(text), 1 << 20, "config", &json, err) < 0)
		return NULL;
	struct runtime_spec *spec = NULL;
	runtime_spec_parse(json, "/bundle", &spec, err);
	json_decref(json);
	return spec;
}

static void test_default_spec_round_trips(void **state)
{
	json_t *doc = runtime_spec_default(false);
	struct runtime_spec *spec;
	struct cc_error err = { 0 };
	assert_int_equal(runtime_spec_parse(doc, "/b", &spec, &err), 0);
	assert_string_equal(spec->root_path, "/b/rootfs");
	assert_true(spec->root_readonly);
	assert_true(spec->namespaces[RUNTIME_NS_PID].enabled);
	assert_false(spec->namespaces[RUNTIME_NS_USER].enabled);
	assert_true(spec->process.has_caps);
	assert_true(spec->process.caps.bounding & (1ULL << runtime_cap_from_name("CAP_KILL")));
	assert_int_equal(spec->process.rlimit_count, 1);
	assert_int_equal(spec->process.rlimits[0].resource, RLIMIT_NOFILE);
	assert_non_null(spec->masked_paths);
	runtime_spec_free(spec);
	json_decref(doc);
}

static void test_mount_options(void **state)
{
	struct cc_error err = { 0 };
	struct runtime_spec *spec = parse("{\"ociVersion\":\"1.0.2\",\"root\":{\"path\":\"/r\"},\"mounts\":["
					  "{\"destination\":\"/data\",\"type\":\"bind\",\"source\":\"/"
					  "src\",\"options\":[\"rbind\",\"ro\",\"nosuid\",\"rslave\"]},"
					  "{\"destination\":\"/dev/"
					  "pts\",\"type\":\"devpts\",\"source\":\"devpts\",\"options\":[\"nosuid\","
					  "\"newinstance\",\"ptmxmode=0666\",\"tmpcopyup\"]}]}",
					  &err);
	assert_non_null(spec);
	assert_int_equal(spec->mount_count, 2);
	struct runtime_mount *m = &spec->mounts[0];
	assert_true(m->bind);
	assert_int_equal(m->flags & (MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID),
			 MS_BIND | MS_REC | MS_RDONLY | MS_NOSUID);
	assert_int_equal(m->propagation, MS_SLAVE | MS_REC);
	assert_string_equal(spec->mounts[1].data, "newinstance,ptmxmode=0666");
	runtime_spec_free(spec);
}

static void test_namespaces_maps_resources(void **state)
{
	struct cc_error err = { 0 };
	struct runtime_spec *spec =
	    parse("{\"ociVersion\":\"1.1.0\",\"root\":{\"path\":\"rootfs\"},\"hostname\":\"h\",\"linux\":{"
		  "\"namespaces\":[{\"type\":\"uts\"},{\"type\":\"user\"},{\"type\":\"network\",\"path\":\"/proc/1/ns/"
		  "net\"}],"
		  "\"uidMappings\":[{\"containerID\":0,\"hostID\":100000,\"size\":65536}],"
		  "\"resources\":{\"memory\":{\"limit\":1048576},\"cpu\":{\"shares\":512,\"cpus\":\"0-1\"},\"pids\":{"
		  "\"limit\":10}},"
		  "\"cgroupsPath\":\"/x/y\",\"sysctl\":{\"net.ipv4.ip_forward\":\"1\"}}}",
		  &err);
	assert_non_null(spec);
	assert_true(spec->namespaces[RUNTIME_NS_UTS].enabled);
	assert_string_equal(spec->namespaces[RUNTIME_NS_NETWORK].path, "/proc/1/ns/net");
	assert_int_equal(spec->uid_map_count, 1);
	assert_int_equal(spec->uid_maps[0].host_id, 100000);
	assert_int_equal(spec->resources.memory_limit, 1048576);
	assert_int_equal(spec->resources.cpu_shares, 512);
	assert_string_equal(spec->resources.cpuset_cpus, "0-1");
	assert_int_equal(spec->resources.pids_limit, 10);
	assert_int_equal(spec->resources.cpu_quota, -1);
	assert_string_equal(spec->cgroups_path, "/x/y");
	assert_int_equal(runtime_ns_clone_flag(RUNTIME_NS_UTS), CLONE_NEWUTS);
	runtime_spec_free(spec);
}

static void expect_error(const char *text, const char *needle)
{
	struct cc_error err = { 0 };
	struct runtime_spec *spec = parse(text, &err);
	if (spec)
		fail_msg("accepted %s", text);
	if (!strstr(err.message, needle))
		fail_msg("message `%s` lacks `%s`", err.message, needle);
}

static void test_errors_name_the_field(void **state)
{
	expect_error("{\"root\":{\"path\":\"r\"}}", "`ociVersion`");
	expect_error("{\"ociVersion\":\"2.0.0\",\"root\":{\"path\":\"r\"}}", "not supported");
	expect_error("{\"ociVersion\":\"1.0.0\"}", "`root`");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"args\":[\"a\",2]}}",
		     "process.args[1]");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"cwd\":\"rel\"}}", "absolute");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"mounts\":[{\"destination\":\"rel\"}]}",
		     "mounts[0].destination");
	expect_error(
	    "{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"bogus\"}]}}",
	    "unknown type `bogus`");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"namespaces\":[{\"type\":\"pid\"}"
		     ",{\"type\":\"pid\"}]}}",
		     "appears twice");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"hostname\":\"h\"}", "uts namespace");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"rlimits\":[{\"type\":\"RLIMIT_"
		     "NOPE\",\"soft\":1,\"hard\":1}]}}",
		     "RLIMIT_NOPE");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"process\":{\"user\":{\"uid\":-1}}}", "uid");
	expect_error("{\"ociVersion\":\"1.0.0\",\"root\":{\"path\":\"r\"},\"linux\":{\"rootfsPropagation\":\"weird\"}}",
		     "propagation");
}

static void test_capability_names(void **state)
{
	assert_int_equal(runtime_cap_from_name("CAP_SYS_ADMIN"), 21);
	assert_string_equal(runtime_cap_name(10), "CAP_NET_BIND_SERVICE");
	assert_int_equal(runtime_cap_from_name("CAP_NOPE"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_default_spec_round_trips),  cmocka_unit_test(test_mount_options),
		cmocka_unit_test(test_namespaces_maps_resources), cmocka_unit_test(test_errors_name_the_field),
		cmocka_unit_test(test_capability_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
