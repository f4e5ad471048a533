/* The disruption controller's status: expected pods from the ReplicaSets' replicas (a bare pod
 * counts one), healthy ones Ready and not being deleted, minAvailable and maxUnavailable as counts
 * and percentages rounded up, the condition and its transition time kept while it holds. */
#include "lib/base/cleanup.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "platform/disruption.h"
#include "unit.h"

static json_t *pod(const char *name, const char *app, const char *rs, bool ready)
{
	json_t *p =
	    json_pack("{s:{s:s, s:{s:s}}, s:{s:s, s:[{s:s, s:s}]}}", "metadata", "name", name, "labels", "app", app,
		      "status", "phase", "Running", "conditions", "type", "Ready", "status", ready ? "True" : "False");
	if (rs)
		json_object_set_new(json_object_get(p, "metadata"), "ownerReferences",
				    json_pack("[{s:s, s:s, s:b}]", "kind", "ReplicaSet", "name", rs, "controller", 1));
	return p;
}

static json_t *budget(const char *field, json_t *value)
{
	return json_pack("{s:{s:s, s:i}, s:{s:{s:{s:s}}, s:o}}", "metadata", "name", "web", "generation", 3, "spec",
			 "selector", "matchLabels", "app", "web", field, value);
}

static json_int_t status_int(const json_t *status, const char *key)
{
	return json_integer_value(json_object_get(status, key));
}

static void test_counts(void **state)
{
	(void)state;
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("a", "web", "web-1", true));
	json_array_append_new(pods, pod("b", "web", "web-1", true));
	json_array_append_new(pods, pod("c", "web", "web-1", false));
	json_array_append_new(pods, pod("bare", "web", NULL, true));
	json_t *going = pod("going", "web", "web-1", true);
	json_object_set_new(json_object_get(going, "metadata"), "deletionTimestamp",
			    json_string("2026-01-01T00:00:00Z"));
	json_array_append_new(pods, going);
	json_t *done = pod("done", "web", NULL, false);
	json_object_set_new(json_object_get(done, "status"), "phase", json_string("Succeeded"));
	json_array_append_new(pods, done);
	json_array_append_new(pods, pod("other", "db", "db-1", true));
	/* the set wants 5: two of its pods are missing, which a budget must count as unavailable */
	_cleanup_json_ json_t *sets =
	    json_pack("[{s:{s:s}, s:{s:i}}]", "metadata", "name", "web-1", "spec", "replicas", 5);

	_cleanup_json_ json_t *min = budget("minAvailable", json_integer(2));
	_cleanup_json_ json_t *s = platform_disruption_status(min, pods, sets, NULL);
	assert_int_equal(status_int(s, "expectedPods"), 6);
	assert_int_equal(status_int(s, "currentHealthy"), 3);
	assert_int_equal(status_int(s, "desiredHealthy"), 2);
	assert_int_equal(status_int(s, "disruptionsAllowed"), 1);
	assert_int_equal(status_int(s, "observedGeneration"), 3);
	const json_t *cond = json_array_get(json_object_get(s, "conditions"), 0);
	assert_string_equal(json_string_value(json_object_get(cond, "reason")), "SufficientPods");

	/* maxUnavailable 50% of 6 = 3: desired 3, healthy 3, nothing more may go */
	_cleanup_json_ json_t *max = budget("maxUnavailable", json_string("50%"));
	_cleanup_json_ json_t *s2 = platform_disruption_status(max, pods, sets, NULL);
	assert_int_equal(status_int(s2, "desiredHealthy"), 3);
	assert_int_equal(status_int(s2, "disruptionsAllowed"), 0);
	cond = json_array_get(json_object_get(s2, "conditions"), 0);
	assert_string_equal(json_string_value(json_object_get(cond, "status")), "False");

	/* minAvailable 34% of 6 rounds up to 3 */
	_cleanup_json_ json_t *pct = budget("minAvailable", json_string("34%"));
	_cleanup_json_ json_t *s3 = platform_disruption_status(pct, pods, sets, NULL);
	assert_int_equal(status_int(s3, "desiredHealthy"), 3);
}

static void test_transition_time_kept(void **state)
{
	(void)state;
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("a", "web", NULL, true));
	json_array_append_new(pods, pod("b", "web", NULL, true));
	_cleanup_json_ json_t *b = budget("minAvailable", json_integer(1));
	_cleanup_json_ json_t *first = platform_disruption_status(b, pods, NULL, NULL);
	json_object_set_new(json_array_get(json_object_get(first, "conditions"), 0), "lastTransitionTime",
			    json_string("2020-01-01T00:00:00Z"));
	_cleanup_json_ json_t *again = platform_disruption_status(b, pods, NULL, first);
	assert_true(json_equal(first, again));
}

static void test_evicted_pod_counts_as_gone(void **state)
{
	(void)state;
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("a", "web", NULL, true));
	json_array_append_new(pods, pod("b", "web", NULL, true));
	_cleanup_json_ json_t *b = budget("minAvailable", json_integer(1));
	char now[40];
	cc_time_format_rfc3339_seconds(cc_time_now_ns(), now, sizeof(now));
	/* an eviction took a's disruption; a is not marked deleted yet */
	_cleanup_json_ json_t *observed = json_pack("{s:{s:s, s:s}}", "disruptedPods", "a", now, "gone", now);
	_cleanup_json_ json_t *s = platform_disruption_status(b, pods, NULL, observed);
	assert_int_equal(status_int(s, "currentHealthy"), 1);
	assert_int_equal(status_int(s, "disruptionsAllowed"), 0);
	/* a pod that left the store leaves the list */
	assert_non_null(json_object_get(json_object_get(s, "disruptedPods"), "a"));
	assert_null(json_object_get(json_object_get(s, "disruptedPods"), "gone"));
	/* once marked deleted it is simply not healthy, and no longer listed */
	json_object_set_new(json_object_get(json_array_get(pods, 0), "metadata"), "deletionTimestamp",
			    json_string(now));
	_cleanup_json_ json_t *s2 = platform_disruption_status(b, pods, NULL, s);
	assert_int_equal(status_int(s2, "currentHealthy"), 1);
	assert_null(json_object_get(s2, "disruptedPods"));
	/* an entry older than two minutes is forgotten: the pod counts again */
	_cleanup_json_ json_t *stale = json_pack("{s:{s:s}}", "disruptedPods", "b", "2020-01-01T00:00:00Z");
	_cleanup_json_ json_t *s3 = platform_disruption_status(b, pods, NULL, stale);
	assert_int_equal(status_int(s3, "currentHealthy"), 1);
}

static void test_malformed_selector_selects_nothing(void **state)
{
	(void)state;
	_cleanup_json_ json_t *pods = json_array();
	json_array_append_new(pods, pod("a", "web", NULL, true));
	_cleanup_json_ json_t *b = budget("minAvailable", json_integer(0));
	json_object_set_new(json_object_get(b, "spec"), "selector",
			    json_pack("{s:[{s:s, s:s}]}", "matchExpressions", "key", "app", "operator", "Sometimes"));
	_cleanup_json_ json_t *s = platform_disruption_status(b, pods, NULL, NULL);
	assert_int_equal(status_int(s, "expectedPods"), 0);
	assert_int_equal(status_int(s, "disruptionsAllowed"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_transition_time_kept),
		cmocka_unit_test(test_evicted_pod_counts_as_gone),
		cmocka_unit_test(test_malformed_selector_selects_nothing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
