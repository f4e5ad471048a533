/* scan/workload_checks.c: a workload's misconfigurations in their one shape (ids, categories,
 * fields as paths in the object, the container only when one), the level and the confidential
 * switch, and the table of rules: every Pod Security check has one, every id is unique. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/workload.h"
#include "workload_unit.h"

static json_t *misconfigurations(const char *object, enum scan_pss_level level, bool confidential, size_t *ret_n)
{
	json_t *o = unit_json(object);
	struct scan_workload w;
	assert_true(scan_workload_read(o, &w, NULL) >= 0);
	json_t *out = json_array();
	json_array_append_new(out, json_string("already there")); /* appended to, not replaced */
	size_t n = scan_workload_misconfigurations(&w, level, confidential, out);
	assert_int_equal(n + 1, json_array_size(out));
	json_array_remove(out, 0);
	json_decref(o); /* what was found holds copies */
	if (ret_n)
		*ret_n = n;
	return out;
}

static void test_shape(void **state)
{
	(void)state;
	json_t *found = misconfigurations(
	    "{'apiVersion': 'apps/v1', 'kind': 'Deployment', 'metadata': {'name': 'web', 'namespace': 'shop'}, 'spec': "
	    "{'template': {'metadata': {'annotations': {'container.apparmor.security.beta.kubernetes.io/a': "
	    "'unconfined'}}, 'spec': {'containers': [{'name': 'a', 'image': 'nginx', 'securityContext': {'privileged': "
	    "true}}, {'name': 'b', 'image': 'x'}]}}}}",
	    SCAN_PSS_RESTRICTED, true, NULL);
	json_t *priv = unit_find_id(found, "PSS-BASELINE-PRIVILEGED");
	assert_non_null(priv);
	unit_assert_json_str(priv, "title", "Privileged container");
	unit_assert_json_str(priv, "severity", "high");
	unit_assert_json_str(priv, "category", "pod-security-baseline");
	unit_assert_json_str(priv, "kind", "Deployment");
	unit_assert_json_str(priv, "namespace", "shop");
	unit_assert_json_str(priv, "name", "web");
	unit_assert_json_str(priv, "container", "a");
	unit_assert_json_str(priv, "field", "spec.template.spec.containers[0].securityContext.privileged");
	unit_assert_json_str(priv, "message",
			     "privileged (container \"a\" must not set securityContext.privileged=true)");
	assert_int_equal(json_object_size(priv), 10);
	/* Two containers concerned: no "container". */
	json_t *ape = unit_find_id(found, "PSS-RESTRICTED-PRIVILEGE-ESCALATION");
	unit_assert_json_str(ape, "category", "pod-security-restricted");
	assert_null(json_object_get(ape, "container"));
	assert_int_equal(json_object_size(ape), 9);
	unit_assert_json_str(unit_find_id(found, "PSS-BASELINE-APPARMOR"), "field",
			     "spec.template.metadata.annotations[container.apparmor.security.beta.kubernetes.io/a]");
	json_t *rc = unit_find_id(found, "CC-RUNTIME-CLASS");
	unit_assert_json_str(rc, "category", "confidential");
	unit_assert_json_str(rc, "field", "spec.template.spec.runtimeClassName");
	unit_assert_json_str(rc, "kind", "Deployment");
	unit_assert_json_str(unit_find_id(found, "CC-PROFILE"), "field",
			     "spec.template.metadata.annotations[run.cocoon.profile]");
	unit_assert_json_str(unit_find_id(found, "CC-IMAGE-DIGEST"), "container", "a");
	/* Pod Security first, in kube-apiserver's order; then cocoon's. */
	unit_assert_json_str(json_array_get(found, 0), "id", "PSS-BASELINE-APPARMOR");
	unit_assert_json_str(json_array_get(found, 1), "id", "PSS-BASELINE-PRIVILEGED");
	json_decref(found);
}

static void test_paths_of_each_kind(void **state)
{
	(void)state;
	json_t *found =
	    misconfigurations("{'kind': 'CronJob', 'metadata': {'name': 'c'}, 'spec': {'jobTemplate': {'spec': "
			      "{'template': {'spec': {'hostPID': true, 'containers': [{'name': 'a'}]}}}}}}",
			      SCAN_PSS_BASELINE, true, NULL);
	unit_assert_json_str(unit_find_id(found, "PSS-BASELINE-HOST-NAMESPACES"), "field",
			     "spec.jobTemplate.spec.template.spec.hostPID");
	unit_assert_json_str(unit_find_id(found, "CC-HOST-NAMESPACES"), "field",
			     "spec.jobTemplate.spec.template.spec.hostPID");
	assert_true(json_is_null(json_object_get(unit_find_id(found, "CC-HOST-NAMESPACES"), "namespace")));
	json_decref(found);
	found = misconfigurations("{'kind': 'Pod', 'metadata': {'name': 'p'}, 'spec': {'hostIPC': true}}",
				  SCAN_PSS_BASELINE, true, NULL);
	unit_assert_json_str(unit_find_id(found, "PSS-BASELINE-HOST-NAMESPACES"), "field", "spec.hostIPC");
	unit_assert_json_str(unit_find_id(found, "CC-PROFILE"), "field", "metadata.annotations[run.cocoon.profile]");
	json_decref(found);
	found = misconfigurations("{'kind': 'PodTemplate', 'template': {'spec': {'hostIPC': true}}}", SCAN_PSS_BASELINE,
				  false, NULL);
	unit_assert_json_str(unit_find_id(found, "PSS-BASELINE-HOST-NAMESPACES"), "field", "template.spec.hostIPC");
	assert_true(json_is_null(json_object_get(json_array_get(found, 0), "name")));
	json_decref(found);
}

static void test_level_and_switch(void **state)
{
	(void)state;
	const char *pod = "{'kind': 'Pod', 'metadata': {'name': 'p'}, 'spec': {'containers': [{'name': 'a', 'image': "
			  "'x'}]}}";
	size_t n;
	json_t *found = misconfigurations(pod, SCAN_PSS_PRIVILEGED, true, &n);
	size_t i;
	json_t *m;
	json_array_foreach (found, i, m)
		unit_assert_json_str(m, "category", "confidential");
	assert_int_equal(n, 3); /* runtime class, profile, image digest */
	json_decref(found);
	found = misconfigurations(pod, SCAN_PSS_RESTRICTED, false, &n);
	assert_int_equal(n, 4);
	json_array_foreach (found, i, m)
		unit_assert_json_str(m, "category", "pod-security-restricted");
	json_decref(found);
	found = misconfigurations(pod, SCAN_PSS_BASELINE, false, &n);
	assert_int_equal(n, 0);
	json_decref(found);
	/* An object without a pod template has none. */
	found = misconfigurations("{'kind': 'Service', 'spec': {}}", SCAN_PSS_RESTRICTED, true, &n);
	assert_int_equal(n, 0);
	json_decref(found);
}

static void add_checks(json_t *seen, const char *meta, const char *spec, enum scan_pss_level level)
{
	json_t *m = meta ? unit_json(meta) : NULL, *s = unit_json(spec);
	json_t *found = scan_pss_check(m, s, level);
	size_t i;
	json_t *v;
	json_array_foreach (found, i, v)
		json_object_set_new(seen, json_string_value(json_object_get(v, "check")), json_true());
	json_decref(found);
	json_decref(s);
	json_decref(m);
}

static void test_rules(void **state)
{
	(void)state;
	/* Every check the library has, from pods that fail them all. */
	json_t *seen = json_object();
	add_checks(
	    seen, "{'annotations': {'container.apparmor.security.beta.kubernetes.io/a': 'unconfined'}}",
	    "{'hostPID': true, 'securityContext': {'sysctls': [{'name': 'vm.x'}], 'seccompProfile': {'type': "
	    "'Unconfined'}, 'windowsOptions': {'hostProcess': true}, 'seLinuxOptions': {'role': 'r'}}, "
	    "'volumes': [{'name': 'h', 'hostPath': {}}], 'containers': [{'name': 'a', 'ports': [{'hostPort': 1}], "
	    "'livenessProbe': {'httpGet': {'host': 'x'}}, 'securityContext': {'privileged': true, 'procMount': "
	    "'Unmasked', 'capabilities': {'add': ['NET_RAW']}}}]}",
	    SCAN_PSS_BASELINE);
	add_checks(
	    seen, NULL,
	    "{'securityContext': {'runAsUser': 0, 'seccompProfile': {'type': 'Unconfined'}}, 'volumes': [{'name': "
	    "'n', 'nfs': {}}], 'containers': [{'name': 'a'}]}",
	    SCAN_PSS_RESTRICTED);
	add_checks(seen, NULL, "{'containers': [{'name': 'a'}]}", SCAN_PSS_RESTRICTED);
	assert_int_equal(json_object_size(seen), 18);

	json_t *ids = json_object();
	size_t n_pss = 0, n = 0;
	for (const struct scan_workload_rule *r; (r = scan_workload_rule(n)); n++) {
		assert_null(json_object_get(ids, r->id));
		json_object_set_new(ids, r->id, json_true());
		assert_true(!strcmp(r->severity, "critical") || !strcmp(r->severity, "high") ||
			    !strcmp(r->severity, "medium") || !strcmp(r->severity, "low"));
		assert_true(*r->title);
		if (r->check) {
			n_pss++;
			assert_non_null(json_object_get(seen, r->check));
			assert_true(!strncmp(r->id, "PSS-BASELINE-", 13)
					? !strcmp(r->category, "pod-security-baseline")
					: !strcmp(r->category, "pod-security-restricted"));
		} else {
			assert_string_equal(r->category, "confidential");
		}
	}
	assert_int_equal(n_pss, json_object_size(seen));
	assert_int_equal(n, 18 + 8);
	json_decref(ids);
	json_decref(seen);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_shape),
		cmocka_unit_test(test_paths_of_each_kind),
		cmocka_unit_test(test_level_and_switch),
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
