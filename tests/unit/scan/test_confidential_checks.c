/* scan/confidential_checks.c: each of cocoon's confidential checks with a pod that passes and one
 * that fails, the fields and containers they name, and images by digest. */
#include "lib/base/cleanup.h"
#include "scan/confidential_checks.h"
#include "workload_unit.h"

/* A pod that passes every confidential check. */
#define OK_META "{'annotations': {'run.cocoon.profile': 'confidential', 'run.cocoon.volume.encrypted': 'data, cache'}}"
#define DIGEST  "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
#define OK_SPEC                                                                                                        \
	"{'runtimeClassName': 'cocoon', 'containers': [{'name': 'a', 'image': 'registry.example/app@" DIGEST "'}], "   \
	"'volumes': [{'name': 'data', 'emptyDir': {}}, {'name': 'cache', 'emptyDir': {'sizeLimit': '1Gi'}}, "          \
	"{'name': 'tmp', 'emptyDir': {'medium': 'Memory'}}, {'name': 's', 'secret': {'secretName': 'x'}}]}"

static json_t *check(const char *meta, const char *spec)
{
	json_t *m = meta ? unit_json(meta) : NULL, *s = unit_json(spec);
	json_t *out = json_array();
	scan_confidential_check(m, s, out);
	json_decref(m);
	json_decref(s);
	return out;
}

/* Exactly the ids want (NULL-terminated), in order. */
static void assert_ids(const json_t *found, const char *const *want)
{
	size_t n = 0;
	while (want[n])
		n++;
	for (size_t i = 0; i < n || i < json_array_size(found); i++) {
		const char *got = json_string_value(json_object_get(json_array_get(found, i), "id"));
		if (!got || i >= n || strcmp(got, want[i]))
			fail_msg("finding %zu: got %s, want %s", i, got ? got : "(none)", i < n ? want[i] : "(none)");
	}
}
#define ASSERT_IDS(found, ...) assert_ids(found, (const char *const[]){ __VA_ARGS__, NULL })

static void test_ok(void **state)
{
	(void)state;
	json_t *found = check(OK_META, OK_SPEC);
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
}

static void test_runtime_class(void **state)
{
	(void)state;
	json_t *found = check(OK_META, "{'containers': []}");
	ASSERT_IDS(found, "CC-RUNTIME-CLASS");
	json_t *f = json_array_get(found, 0);
	unit_assert_json_str(f, "severity", "critical");
	unit_assert_json_str(f, "category", "confidential");
	unit_assert_json_str(f, "field", "spec.runtimeClassName");
	assert_null(json_object_get(f, "container"));
	assert_non_null(strstr(json_string_value(json_object_get(f, "message")), "not set"));
	json_decref(found);
	found = check(OK_META, "{'runtimeClassName': 'runc', 'containers': []}");
	ASSERT_IDS(found, "CC-RUNTIME-CLASS");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(found, 0), "message")), "`runc`"));
	json_decref(found);
}

static void test_profile(void **state)
{
	(void)state;
	json_t *found = check(NULL, "{'runtimeClassName': 'cocoon', 'containers': []}");
	ASSERT_IDS(found, "CC-PROFILE");
	unit_assert_json_str(json_array_get(found, 0), "field", "metadata.annotations[run.cocoon.profile]");
	json_decref(found);
	found = check("{'annotations': {'run.cocoon.profile': 'default'}}", "{'runtimeClassName': 'cocoon'}");
	ASSERT_IDS(found, "CC-PROFILE");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(found, 0), "message")), "`default`"));
	json_decref(found);
}

static void test_image_digest(void **state)
{
	(void)state;
	json_t *found =
	    check(OK_META, "{'runtimeClassName': 'cocoon', 'initContainers': [{'name': 'i', 'image': "
			   "'busybox'}], 'containers': [{'name': 'a', 'image': 'nginx:1.25'}, {'name': 'b', "
			   "'image': 'x@" DIGEST "'}], 'ephemeralContainers': [{'name': 'e', 'image': "
			   "'debug:latest@sha256:1234'}]}");
	ASSERT_IDS(found, "CC-IMAGE-DIGEST", "CC-IMAGE-DIGEST", "CC-IMAGE-DIGEST");
	unit_assert_json_str(json_array_get(found, 0), "container", "i");
	unit_assert_json_str(json_array_get(found, 0), "field", "spec.initContainers[0].image");
	unit_assert_json_str(json_array_get(found, 1), "field", "spec.containers[0].image");
	unit_assert_json_str(json_array_get(found, 2), "field", "spec.ephemeralContainers[0].image");
	json_decref(found);

	assert_true(scan_image_by_digest("busybox@" DIGEST));
	assert_true(scan_image_by_digest("registry:5000/a/b:tag@" DIGEST));
	assert_true(
	    scan_image_by_digest("x@sha512:00000000000000000000000000000000000000000000000000000000000000000000000"
				 "000000000000000000000000000000000000000000000000000000000"));
	assert_false(scan_image_by_digest("busybox"));
	assert_false(scan_image_by_digest("busybox:1.36"));
	assert_false(scan_image_by_digest("@" DIGEST));
	assert_false(scan_image_by_digest("x@sha256:0123")); /* too short */
	assert_false(scan_image_by_digest("x@sha256:0123456789ABCDEF0123456789abcdef0123456789abcdef0123456789abcdef"));
	assert_false(scan_image_by_digest("x@md5:0123456789abcdef0123456789abcdef"));
	assert_false(scan_image_by_digest("x@" DIGEST "0"));
	assert_false(scan_image_by_digest(NULL));
}

static void test_host_path(void **state)
{
	(void)state;
	json_t *found = check(OK_META, "{'runtimeClassName': 'cocoon', 'volumes': [{'name': 'etc', 'hostPath': "
				       "{'path': '/etc'}}]}");
	ASSERT_IDS(found, "CC-HOST-PATH");
	unit_assert_json_str(json_array_get(found, 0), "field", "spec.volumes[0].hostPath");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(found, 0), "message")), "`/etc`"));
	json_decref(found);
}

static void test_host_namespaces(void **state)
{
	(void)state;
	json_t *found =
	    check(OK_META, "{'runtimeClassName': 'cocoon', 'hostNetwork': true, 'hostPID': true, 'hostIPC': true}");
	ASSERT_IDS(found, "CC-HOST-NAMESPACES", "CC-HOST-NAMESPACES", "CC-HOST-NAMESPACES");
	unit_assert_json_str(json_array_get(found, 0), "field", "spec.hostNetwork");
	unit_assert_json_str(json_array_get(found, 1), "field", "spec.hostPID");
	unit_assert_json_str(json_array_get(found, 2), "field", "spec.hostIPC");
	json_decref(found);
	found = check(OK_META, "{'runtimeClassName': 'cocoon', 'hostNetwork': false, 'hostPID': 'yes'}");
	assert_int_equal(json_array_size(found), 0);
	json_decref(found);
}

static void test_privileged_and_capabilities(void **state)
{
	(void)state;
	json_t *found = check(OK_META, "{'runtimeClassName': 'cocoon', 'containers': [{'name': 'a', 'image': 'x@" DIGEST
				       "', 'securityContext': {'privileged': true, 'capabilities': {'add': ['CHOWN', "
				       "'cap_sys_admin', 'BPF', 'NET_ADMIN']}}}, {'name': 'b', 'image': 'x@" DIGEST
				       "', 'securityContext': {'privileged': false, 'capabilities': {'add': "
				       "['NET_BIND_SERVICE'], 'drop': ['ALL']}}}]}");
	ASSERT_IDS(found, "CC-PRIVILEGED", "CC-KERNEL-CAPABILITIES");
	unit_assert_json_str(json_array_get(found, 0), "container", "a");
	unit_assert_json_str(json_array_get(found, 0), "field", "spec.containers[0].securityContext.privileged");
	unit_assert_json_str(json_array_get(found, 1), "field", "spec.containers[0].securityContext.capabilities.add");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(found, 1), "message")),
			       "adds cap_sys_admin, BPF:"));
	json_decref(found);
}

static void test_unencrypted_volumes(void **state)
{
	(void)state;
	json_t *found = check("{'annotations': {'run.cocoon.profile': 'confidential', 'run.cocoon.volume.encrypted': "
			      "'dat,cache '}}",
			      "{'runtimeClassName': 'cocoon', 'volumes': [{'name': 'data', 'emptyDir': {}}, {'name': "
			      "'cache', 'emptyDir': {}}, {'name': 'mem', 'emptyDir': {'medium': 'Memory'}}]}");
	ASSERT_IDS(found, "CC-UNENCRYPTED-VOLUME");
	unit_assert_json_str(json_array_get(found, 0), "field", "spec.volumes[0].emptyDir");
	assert_non_null(strstr(json_string_value(json_object_get(json_array_get(found, 0), "message")), "`data`"));
	json_decref(found);
	found = check("{'annotations': {'run.cocoon.profile': 'confidential'}}",
		      "{'runtimeClassName': 'cocoon', 'volumes': [{'name': 'data', 'emptyDir': {}}]}");
	ASSERT_IDS(found, "CC-UNENCRYPTED-VOLUME");
	json_decref(found);
}

static void test_rules(void **state)
{
	(void)state;
	size_t n = 0;
	for (const struct scan_workload_rule *r; (r = scan_confidential_rule(n)); n++) {
		assert_true(strncmp(r->id, "CC-", 3) == 0);
		assert_string_equal(r->category, "confidential");
		assert_null(r->check);
		assert_true(scan_workload_rule(0) != r); /* PSS rules come first */
	}
	assert_int_equal(n, 8);
	json_t *none = json_array();
	scan_confidential_check(NULL, NULL, none);
	json_t *list = unit_json("[1]");
	scan_confidential_check(NULL, list, none);
	assert_int_equal(json_array_size(none), 0);
	json_decref(list);
	json_decref(none);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ok),
		cmocka_unit_test(test_runtime_class),
		cmocka_unit_test(test_profile),
		cmocka_unit_test(test_image_digest),
		cmocka_unit_test(test_host_path),
		cmocka_unit_test(test_host_namespaces),
		cmocka_unit_test(test_privileged_and_capabilities),
		cmocka_unit_test(test_unencrypted_volumes),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
