/* scan/workload.c: the pod template of every kind that makes pods, objects of other kinds, Lists
 * (and lists in lists), and what is not a Kubernetes object. */
#include "lib/base/error.h"
#include "scan/workload.h"
#include "workload_unit.h"

#include <errno.h>

static void read_ok(const char *text, int want, const char *kind, const char *ns, const char *name,
		    const char *template_path, const char *spec_path)
{
	json_t *o = unit_json(text);
	struct scan_workload w;
	struct cc_error err = { 0 };
	int r = scan_workload_read(o, &w, &err);
	if (r != want)
		fail_msg("%s: got %d (%s), want %d", text, r, err.message, want);
	assert_string_equal(w.kind, kind);
	if (ns)
		assert_string_equal(w.namespace, ns);
	else
		assert_null(w.namespace);
	if (name)
		assert_string_equal(w.name, name);
	else
		assert_null(w.name);
	if (want == 1) {
		assert_string_equal(w.template_path, template_path);
		assert_string_equal(w.spec_path, spec_path);
		assert_true(json_is_object(w.pod_spec));
		/* The spec found is the one the object holds at spec_path. */
		assert_int_equal(json_integer_value(json_object_get(w.pod_spec, "marker")), 7);
	} else {
		assert_null(w.pod_spec);
	}
	json_decref(o);
}

static void test_kinds(void **state)
{
	(void)state;
	read_ok("{'apiVersion': 'v1', 'kind': 'Pod', 'metadata': {'name': 'p', 'namespace': 'n', 'annotations': {}}, "
		"'spec': {'marker': 7}}",
		1, "Pod", "n", "p", "", "spec");
	static const char *const apps[] = { "Deployment", "StatefulSet",           "DaemonSet",
					    "ReplicaSet", "ReplicationController", "Job" };
	for (size_t i = 0; i < sizeof(apps) / sizeof(apps[0]); i++) {
		char text[256];
		snprintf(text, sizeof(text),
			 "{'kind': '%s', 'metadata': {'name': 'x'}, 'spec': {'template': {'metadata': {}, 'spec': "
			 "{'marker': 7}}}}",
			 apps[i]);
		read_ok(text, 1, apps[i], NULL, "x", "spec.template", "spec.template.spec");
	}
	read_ok(
	    "{'apiVersion': 'batch/v1', 'kind': 'CronJob', 'metadata': {'name': 'c'}, 'spec': {'schedule': '* * * * "
	    "*', 'jobTemplate': {'spec': {'template': {'spec': {'marker': 7}}}}}}",
	    1, "CronJob", NULL, "c", "spec.jobTemplate.spec.template", "spec.jobTemplate.spec.template.spec");
	read_ok("{'kind': 'PodTemplate', 'metadata': {'name': 't'}, 'template': {'spec': {'marker': 7}}}", 1,
		"PodTemplate", NULL, "t", "template", "template.spec");
	/* generateName names an object without a name. */
	read_ok("{'kind': 'Pod', 'metadata': {'generateName': 'web-'}, 'spec': {'marker': 7}}", 1, "Pod", NULL, "web-",
		"", "spec");
	/* Another kind in the apps/v1 shape (an Argo Rollout). */
	read_ok("{'apiVersion': 'argoproj.io/v1alpha1', 'kind': 'Rollout', 'metadata': {'name': 'r'}, 'spec': "
		"{'template': {'spec': {'marker': 7, 'containers': []}}}}",
		1, "Rollout", NULL, "r", "spec.template", "spec.template.spec");
}

static void test_template_metadata(void **state)
{
	(void)state;
	json_t *o = unit_json("{'kind': 'Deployment', 'spec': {'template': {'metadata': {'annotations': {'a': 'b'}}, "
			      "'spec': {}}}}");
	struct scan_workload w;
	assert_int_equal(scan_workload_read(o, &w, NULL), 1);
	assert_string_equal(json_string_value(json_object_get(json_object_get(w.pod_metadata, "annotations"), "a")),
			    "b");
	json_decref(o);
	o = unit_json("{'kind': 'Pod', 'metadata': {'name': 'p', 'labels': {}}, 'spec': {}}");
	assert_int_equal(scan_workload_read(o, &w, NULL), 1);
	assert_ptr_equal(w.pod_metadata, json_object_get(o, "metadata"));
	json_decref(o);
}

static void test_no_pods(void **state)
{
	(void)state;
	read_ok("{'apiVersion': 'v1', 'kind': 'Service', 'metadata': {'name': 's', 'namespace': 'n'}, 'spec': {}}", 0,
		"Service", "n", "s", NULL, NULL);
	read_ok("{'kind': 'ConfigMap', 'metadata': {'name': ''}, 'data': {}}", 0, "ConfigMap", NULL, NULL, NULL, NULL);
	/* A workload kind without its template has nothing to check. */
	read_ok("{'kind': 'Deployment', 'metadata': {'name': 'd'}, 'spec': {'replicas': 1}}", 0, "Deployment", NULL,
		"d", NULL, NULL);
	read_ok("{'kind': 'Pod', 'spec': null}", 0, "Pod", NULL, NULL, NULL, NULL);
	/* A kind of another shape is not guessed at. */
	read_ok("{'kind': 'Thing', 'spec': {'template': {'spec': {'containers': 'x'}}}}", 0, "Thing", NULL, NULL, NULL,
		NULL);
}

static void refused(const char *text, const char *word)
{
	json_t *o = unit_json(text);
	struct scan_workload w;
	struct cc_error err = { 0 };
	assert_int_equal(scan_workload_read(o, &w, &err), -EINVAL);
	if (!strstr(err.message, word))
		fail_msg("%s: message `%s` does not say `%s`", text, err.message, word);
	json_decref(o);
}

static void test_not_objects(void **state)
{
	(void)state;
	refused("[1, 2]", "list");
	refused("'text'", "string");
	refused("5", "scalar");
	refused("{'apiVersion': 'v1', 'metadata': {'name': 'x'}}", "no `kind`");
	refused("{'kind': ''}", "no `kind`");
	refused("{'kind': 7}", "no `kind`");
	refused("{'kind': 'Deployment', 'spec': {'template': 'x'}}", "Deployment: `spec.template` is not an object");
	refused("{'kind': 'CronJob', 'spec': {'jobTemplate': {'spec': []}}}",
		"`spec.jobTemplate.spec` is not an object");
	refused("{'kind': 'Pod', 'spec': 'x'}", "Pod: `spec` is not an object");
	refused("{'kind': 'Deployment', 'spec': {'template': {'metadata': 'x', 'spec': {}}}}", "`metadata` is not");
}

struct seen {
	char names[16][32];
	size_t n, with_pods;
	int stop_after;
};

static int remember(const struct scan_workload *w, void *userdata)
{
	struct seen *s = userdata;
	if (s->stop_after && (int)s->n == s->stop_after)
		return -ECANCELED;
	snprintf(s->names[s->n++], sizeof(s->names[0]), "%s/%s", w->kind, w->name ? w->name : "-");
	s->with_pods += w->pod_spec != NULL;
	assert_true(!w->pod_spec == !w->spec_path);
	return 0;
}

static void test_lists(void **state)
{
	(void)state;
	json_t *doc =
	    unit_json("{'apiVersion': 'v1', 'kind': 'List', 'items': [{'kind': 'Pod', 'metadata': {'name': "
		      "'a'}, 'spec': {}}, {'kind': 'DeploymentList', 'items': [{'kind': 'Deployment', 'metadata': "
		      "{'name': 'b'}, 'spec': {'template': {'spec': {}}}}, {'kind': 'Service', 'metadata': "
		      "{'name': 'c'}}]}, {'kind': 'PodList', 'items': []}]}");
	struct seen s = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_workload_each(doc, remember, &s, &err), 3);
	assert_int_equal(s.n, 3);
	assert_int_equal(s.with_pods, 2);
	assert_string_equal(s.names[0], "Pod/a");
	assert_string_equal(s.names[1], "Deployment/b");
	assert_string_equal(s.names[2], "Service/c");
	/* A callback's refusal stops the walk and is returned as it is. */
	struct seen stop = { .stop_after = 1 };
	assert_int_equal(scan_workload_each(doc, remember, &stop, &err), -ECANCELED);
	assert_int_equal(stop.n, 1);
	json_decref(doc);

	/* A single object is a document of one; a kind ending in List without items is an object. */
	doc = unit_json("{'kind': 'AccessList', 'metadata': {'name': 'x'}}");
	memset(&s, 0, sizeof(s));
	assert_int_equal(scan_workload_each(doc, remember, &s, &err), 1);
	assert_string_equal(s.names[0], "AccessList/x");
	json_decref(doc);
	doc = unit_json("{'kind': 'Pod', 'spec': {}}");
	assert_int_equal(scan_workload_each(doc, NULL, NULL, &err), 1);
	json_decref(doc);
}

static void test_list_errors(void **state)
{
	(void)state;
	json_t *doc = unit_json("{'kind': 'List', 'items': [{'kind': 'Pod', 'spec': {}}, {'kind': 'List', 'items': "
				"[{'kind': 'Pod'}, {'apiVersion': 'v1'}]}]}");
	struct seen s = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_workload_each(doc, remember, &s, &err), -EINVAL);
	assert_string_equal(err.message, "items[1]: items[1]: no `kind`: not a Kubernetes object");
	assert_int_equal(s.n, 2); /* those before the bad item were visited */
	json_decref(doc);
	/* Lists in lists up to four deep. */
	doc = unit_json(
	    "{'kind': 'List', 'items': [{'kind': 'List', 'items': [{'kind': 'List', 'items': [{'kind': 'List', "
	    "'items': [{'kind': 'List', 'items': []}]}]}]}]}");
	cc_error_clear(&err);
	assert_int_equal(scan_workload_each(doc, remember, &s, &err), -EINVAL);
	assert_non_null(strstr(err.message, "nested deeper than 4"));
	json_decref(doc);
	doc = unit_json(
	    "{'kind': 'List', 'items': [{'kind': 'List', 'items': [{'kind': 'List', 'items': [{'kind': 'List', "
	    "'items': [{'kind': 'Pod', 'spec': {}}]}]}]}]}");
	memset(&s, 0, sizeof(s));
	assert_int_equal(scan_workload_each(doc, remember, &s, &err), 1);
	json_decref(doc);
	doc = unit_json("[{'kind': 'Pod'}]");
	assert_int_equal(scan_workload_each(doc, remember, &s, NULL), -EINVAL);
	json_decref(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_kinds),   cmocka_unit_test(test_template_metadata),
		cmocka_unit_test(test_no_pods), cmocka_unit_test(test_not_objects),
		cmocka_unit_test(test_lists),   cmocka_unit_test(test_list_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
