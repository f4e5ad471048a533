/* Scheduling on cocoond's node: requests (containers summed, init containers at their largest,
 * sidecars added, overhead, limits as requests), the node's room less bound pods, queue order,
 * kube-scheduler's messages for resources, selectors, affinity, taints and an unschedulable node. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/pod_scheduler.h"
#include "scale/pod_request.h"
#include "unit.h"

static json_t *node(const char *cpu, const char *memory, const char *pods)
{
	return json_pack("{s:{s:s, s:{s:s, s:s}}, s:{}, s:{s:{s:s, s:s, s:s}}}", "metadata", "name", "n1", "labels",
			 "kubernetes.io/hostname", "n1", "zone", "a", "spec", "status", "allocatable", "cpu", cpu,
			 "memory", memory, "pods", pods);
}

/* A pod of one container asking cpu and memory (NULL: nothing), bound to node_name (NULL: not). */
static json_t *pod(const char *name, const char *created, const char *cpu, const char *memory, const char *node_name)
{
	json_t *requests = json_object();
	if (cpu)
		json_object_set_new(requests, "cpu", json_string(cpu));
	if (memory)
		json_object_set_new(requests, "memory", json_string(memory));
	json_t *p = json_pack("{s:{s:s, s:s, s:s, s:s}, s:{s:[{s:s, s:{s:o}}]}}", "metadata", "name", name, "namespace",
			      "default", "uid", name, "creationTimestamp", created, "spec", "containers", "name", "c",
			      "resources", "requests", requests);
	if (node_name)
		json_object_set_new(json_object_get(p, "spec"), "nodeName", json_string(node_name));
	return p;
}

static const char *verdict_of(const json_t *verdicts, const char *uid)
{
	const json_t *v = json_object_get(verdicts, uid);
	assert_non_null(v);
	return json_is_null(v) ? NULL : json_string_value(v);
}

static void test_request_rules(void **state)
{
	(void)state;
	_cleanup_json_ json_t *p = json_pack(
	    "{s:{s:[{s:s, s:{s:{s:s, s:s}}}, {s:s, s:{s:{s:s, s:s}}}], s:[{s:s, s:{s:{s:s, s:s}}}, {s:s, s:s, "
	    "s:{s:{s:s}}}], s:{s:s, s:s}}}",
	    "spec", "containers", "name", "a", "resources", "requests", "cpu", "500m", "memory", "1Gi", "name", "b",
	    "resources", "limits", "cpu", "1", "memory", "512Mi", "initContainers", "name", "init", "resources",
	    "requests", "cpu", "3", "memory", "100Mi", "name", "sidecar", "restartPolicy", "Always", "resources",
	    "requests", "cpu", "250m", "overhead", "cpu", "100m", "memory", "64Mi");
	struct scale_pod_request r;
	struct cc_error err = { 0 };
	assert_int_equal(scale_pod_request(p, &r, &err), 0);
	/* containers 1500m + sidecar 250m = 1750m < init 3000m; memory 1.5Gi > 100Mi; plus overhead */
	assert_int_equal(r.cpu_milli, 3100);
	assert_int_equal(r.memory, (1536LL + 64) * 1024 * 1024);
}

static void test_bad_quantity_is_named(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("4", "8Gi", "110");
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("bad", "2026-01-01T00:00:00Z", "lots", NULL, NULL));
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	const char *why = verdict_of(v, "bad");
	assert_non_null(why);
	assert_non_null(strstr(why, "container `c` resources cpu"));
}

static void test_bound_pods_hold_room_and_order(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("4", "8Gi", "110");
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("running", "2026-01-01T00:00:00Z", "2", "4Gi", "n1"));
	json_array_append_new(pods, pod("elsewhere", "2026-01-01T00:00:00Z", "4", "8Gi", "n2"));
	json_t *done = pod("done", "2026-01-01T00:00:00Z", "4", "8Gi", "n1");
	json_object_set_new(done, "status", json_pack("{s:s}", "phase", "Succeeded"));
	json_array_append_new(pods, done);
	/* b is older than a: it is taken first and takes the room a would have needed. */
	json_array_append_new(pods, pod("a", "2026-01-01T00:00:02Z", "1500m", "3Gi", NULL));
	json_array_append_new(pods, pod("b", "2026-01-01T00:00:01Z", "1", "3Gi", NULL));
	json_array_append_new(pods, pod("small", "2026-01-01T00:00:03Z", NULL, NULL, NULL));
	json_array_append_new(pods, pod("known", "2026-01-01T00:00:00Z", "1", "1Gi", NULL));
	_cleanup_json_ json_t *running = json_pack("{s:b}", "known", 1);
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, running);
	assert_null(json_object_get(v, "running"));
	assert_null(json_object_get(v, "known")); /* the runner has it: it holds 1 cpu, 1Gi */
	assert_null(verdict_of(v, "b"));
	assert_string_equal(verdict_of(v, "a"), "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory.");
	/* a does not hold back a pod behind it that fits */
	assert_null(verdict_of(v, "small"));
}

static void test_priority_first(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("1", "1Gi", "110");
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("old", "2026-01-01T00:00:00Z", "1", NULL, NULL));
	json_t *urgent = pod("urgent", "2026-01-01T00:00:09Z", "1", NULL, NULL);
	json_object_set_new(json_object_get(urgent, "spec"), "priority", json_integer(1000));
	json_array_append_new(pods, urgent);
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	assert_null(verdict_of(v, "urgent"));
	assert_string_equal(verdict_of(v, "old"), "0/1 nodes are available: 1 Insufficient cpu.");
}

static void test_pod_count(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("4", "8Gi", "1");
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("one", "2026-01-01T00:00:00Z", NULL, NULL, "n1"));
	json_array_append_new(pods, pod("two", "2026-01-01T00:00:01Z", NULL, NULL, NULL));
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	assert_string_equal(verdict_of(v, "two"), "0/1 nodes are available: 1 Too many pods.");
}

static void test_selector_affinity_taints(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("4", "8Gi", "110");
	json_object_set_new(json_object_get(n, "spec"), "taints",
			    json_pack("[{s:s, s:s, s:s}, {s:s, s:s}]", "key", "dedicated", "value", "db", "effect",
				      "NoSchedule", "key", "soft", "effect", "PreferNoSchedule"));
	_cleanup_json_ json_t *pods = json_array();
	json_t *wrong_zone = pod("wrong-zone", "2026-01-01T00:00:00Z", NULL, NULL, NULL);
	json_object_set_new(json_object_get(wrong_zone, "spec"), "nodeSelector", json_pack("{s:s}", "zone", "b"));
	json_array_append_new(pods, wrong_zone);
	json_t *affine = pod("affine", "2026-01-01T00:00:00Z", NULL, NULL, NULL);
	json_object_set_new(json_object_get(affine, "spec"), "tolerations",
			    json_pack("[{s:s, s:s}]", "key", "dedicated", "operator", "Exists"));
	json_object_set_new(json_object_get(affine, "spec"), "affinity",
			    json_pack("{s:{s:{s:[{s:[{s:s, s:s, s:[s,s]}]}]}}}", "nodeAffinity",
				      "requiredDuringSchedulingIgnoredDuringExecution", "nodeSelectorTerms",
				      "matchExpressions", "key", "zone", "operator", "In", "values", "a", "c"));
	json_array_append_new(pods, affine);
	json_t *not_affine = json_deep_copy(affine);
	json_object_set_new(json_object_get(not_affine, "metadata"), "uid", json_string("not-affine"));
	json_t *terms = json_object_get(
	    json_object_get(
		json_object_get(json_object_get(json_object_get(not_affine, "spec"), "affinity"), "nodeAffinity"),
		"requiredDuringSchedulingIgnoredDuringExecution"),
	    "nodeSelectorTerms");
	json_object_set_new(json_array_get(json_object_get(json_array_get(terms, 0), "matchExpressions"), 0),
			    "operator", json_string("NotIn"));
	json_array_append_new(pods, not_affine);
	json_array_append_new(pods, pod("untolerated", "2026-01-01T00:00:00Z", NULL, NULL, NULL));
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	assert_string_equal(verdict_of(v, "wrong-zone"),
			    "0/1 nodes are available: 1 node(s) didn't match Pod's node "
			    "affinity/selector, 1 node(s) had untolerated taint {dedicated: db}.");
	assert_null(verdict_of(v, "affine"));
	assert_string_equal(verdict_of(v, "not-affine"),
			    "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.");
	assert_string_equal(verdict_of(v, "untolerated"),
			    "0/1 nodes are available: 1 node(s) had untolerated taint {dedicated: db}.");
}

static void test_unschedulable_node_and_deleting_pods(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = node("4", "8Gi", "110");
	json_object_set_new(json_object_get(n, "spec"), "unschedulable", json_true());
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("new", "2026-01-01T00:00:00Z", NULL, NULL, NULL));
	json_t *going = pod("going", "2026-01-01T00:00:00Z", "64", NULL, NULL);
	json_object_set_new(json_object_get(going, "metadata"), "deletionTimestamp",
			    json_string("2026-01-01T00:01:00Z"));
	json_array_append_new(pods, going);
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	assert_string_equal(verdict_of(v, "new"), "0/1 nodes are available: 1 node(s) were unschedulable.");
	assert_null(verdict_of(v, "going"));
}

static void test_node_without_allocatable_starts_nothing(void **state)
{
	(void)state;
	_cleanup_json_ json_t *n = json_object();
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("p", "2026-01-01T00:00:00Z", NULL, NULL, NULL));
	_cleanup_json_ json_t *v = pod_scheduler_decide(n, pods, NULL);
	assert_string_equal(verdict_of(v, "p"), "0/1 nodes are available: 1 Too many pods.");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_request_rules),
		cmocka_unit_test(test_bad_quantity_is_named),
		cmocka_unit_test(test_bound_pods_hold_room_and_order),
		cmocka_unit_test(test_priority_first),
		cmocka_unit_test(test_pod_count),
		cmocka_unit_test(test_selector_affinity_taints),
		cmocka_unit_test(test_unschedulable_node_and_deleting_pods),
		cmocka_unit_test(test_node_without_allocatable_starts_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
