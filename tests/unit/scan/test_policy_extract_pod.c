/* scan/policy_extract_pod.c: every field read from a workload, against the Deployment of
 * policy_facts.h (an init container, a privileged app, a sidecar with other settings): Kubernetes'
 * defaults where a member is unset, the container's env over the image's, capabilities as compared,
 * and members of the wrong type refused. */
#include "policy_facts.h"
#include "policy_unit.h"

#include <errno.h>

#define INIT    "container \"init\""
#define APP     "container \"app\""
#define SIDECAR "container \"sidecar\""
#define WEB     "Deployment shop/web"

static char *pod_facts(const char *pod_spec)
{
	return cc_xasprintf("{\"stage\": \"deploy\", \"workload\": {\"name\": \"p\", \"podSpec\": %s}}", pod_spec);
}

static void eval_refused(const char *criterion, const char *facts, const char *word)
{
	char *yaml = unit_policy_yaml("[deploy]", criterion, NULL);
	_cleanup_(scan_policy_set_freep) struct scan_policy_set *set = unit_policies(yaml);
	free(yaml);
	_cleanup_json_ json_t *f = unit_json(facts);
	json_t *v = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(scan_policy_evaluate(set, f, &v, &err), -EINVAL);
	if (!strstr(err.message, word))
		fail_msg("`%s` not in: %s", word, err.message);
}

static void test_environment(void **state)
{
	(void)state;
	/* The container's own env (valueFrom as the key alone), then the image's keys it does not set. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Environment Variable, operator: exists}", NULL),
	    APP " sets environment variable DB_PASSWORD, sets environment variable API_TOKEN, sets "
		"environment variable PATH, sets environment variable LANG",
	    NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Environment Variable, values: [PATH=/bin]}", NULL),
	    APP " sets environment variable PATH", NULL);
	unit_assert_no_match(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Environment Variable, values: [PATH=/usr/bin]}", NULL));
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Environment Variable, values: [DB_PASSWORD=from-image]}", NULL));
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Environment Variable, values: [API_TOKEN, LANG=C]}", NULL),
	    APP " sets environment variable API_TOKEN, sets environment variable LANG", NULL);
	/* The value matched, and is not shown. */
	json_t *m = unit_messages("[deploy]", DEPLOY_FACTS,
				  "{field: Environment Variable, operator: regex, values: ['DB_PASSWORD=s3.*']}", NULL);
	char *text = json_dumps(m, 0);
	assert_null(strstr(text, "s3cret"));
	free(text);
	unit_assert_messages(m, APP " sets environment variable DB_PASSWORD", NULL);
	/* A container without env and without an image report: nothing set. */
	_cleanup_free_ char *bare = pod_facts("{\"containers\": [{\"name\": \"c\", \"image\": \"x:1\"}]}");
	unit_assert_messages(
	    unit_messages("[deploy]", bare, "{field: Environment Variable, operator: exists, negate: true}", NULL),
	    "container \"c\" has no environment variable", NULL);
	_cleanup_free_ char *no_name =
	    pod_facts("{\"containers\": [{\"name\": \"c\", \"env\": [{\"value\": \"v\"}]}]}");
	eval_refused("{field: Environment Variable, operator: exists}", no_name, "container `c`: env[0]: no `name`");
	_cleanup_free_ char *not_list = pod_facts("{\"containers\": [{\"name\": \"c\", \"env\": {}}]}");
	eval_refused("{field: Environment Variable, operator: exists}", not_list,
		     "container `c`: `env` is not an array");
	_cleanup_free_ char *bad_value =
	    pod_facts("{\"containers\": [{\"name\": \"c\", \"env\": [{\"name\": \"A\", \"value\": 1}]}]}");
	eval_refused("{field: Environment Variable, operator: exists}", bad_value, "`value` is not a string");
	eval_refused("{field: Environment Variable, operator: exists}",
		     "{\"stage\": \"deploy\", \"image\": {\"image\": {\"config\": {\"config\": {\"Env\": [1]}}}}}",
		     "Env[0] is not a string");
}

static void test_security_context(void **state)
{
	(void)state;
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Privileged Container, values: [true]}", NULL),
	    APP " is privileged", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Privileged Container, values: [false]}", NULL),
	    INIT " is not privileged", SIDECAR " is not privileged", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Read-Only Root Filesystem, values: [true]}", NULL),
	    APP " has a read-only root filesystem", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Read-Only Root Filesystem, values: [false]}", NULL),
	    INIT " has a writable root filesystem", SIDECAR " has a writable root filesystem", NULL);
	/* runAsNonRoot: the pod's (true) unless the container says (the sidecar says false). */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Run As Non Root, values: [true]}", NULL),
			     INIT " must run as non-root", APP " must run as non-root", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Run As Non Root, values: [false]}", NULL),
			     SIDECAR " is not required to run as non-root", NULL);
	_cleanup_free_ char *no_pod = pod_facts("{\"containers\": [{\"name\": \"c\"}]}");
	unit_assert_messages(unit_messages("[deploy]", no_pod, "{field: Run As Non Root, values: [false]}", NULL),
			     "container \"c\" is not required to run as non-root", NULL);
	/* allowPrivilegeEscalation is true unless set false. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Allow Privilege Escalation, values: [true]}", NULL),
	    INIT " allows privilege escalation", SIDECAR " allows privilege escalation", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Allow Privilege Escalation, values: [false]}", NULL),
	    APP " does not allow privilege escalation", NULL);
	_cleanup_free_ char *yes =
	    pod_facts("{\"containers\": [{\"name\": \"c\", \"securityContext\": {\"privileged\": \"yes\"}}]}");
	eval_refused("{field: Privileged Container, values: [true]}", yes,
		     "container `c`: securityContext: `privileged` is not a boolean");
	_cleanup_free_ char *sc = pod_facts("{\"containers\": [{\"name\": \"c\", \"securityContext\": true}]}");
	eval_refused("{field: Read-Only Root Filesystem, values: [true]}", sc, "`securityContext` is not an object");
	_cleanup_free_ char *pod_sc =
	    pod_facts("{\"securityContext\": {\"runAsNonRoot\": 1}, \"containers\": [{\"name\": \"c\"}]}");
	eval_refused("{field: Run As Non Root, values: [true]}", pod_sc, "podSpec.securityContext: `runAsNonRoot`");
}

static void test_capabilities(void **state)
{
	(void)state;
	/* Names compare upper case without CAP_, on both sides. */
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Add Capabilities, values: [CAP_SYS_TIME]}", NULL),
	    APP " adds capability SYS_TIME", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Add Capabilities, values: [net_admin]}", NULL),
	    APP " adds capability NET_ADMIN", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Add Capabilities, operator: regex, values: ['net_.*']}", NULL),
			     APP " adds capability NET_ADMIN", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Drop Capabilities, values: [ALL]}", NULL),
			     APP " drops capability ALL", NULL);
	unit_assert_no_match(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Add Capabilities, values: [SYS_ADMIN]}", NULL));
	_cleanup_free_ char *bad = pod_facts(
	    "{\"containers\": [{\"name\": \"c\", \"securityContext\": {\"capabilities\": {\"add\": [\"A\", 2]}}}]}");
	eval_refused("{field: Add Capabilities, values: [A]}", bad, "capabilities.add[1] is not a string");
	_cleanup_free_ char *not_list = pod_facts(
	    "{\"containers\": [{\"name\": \"c\", \"securityContext\": {\"capabilities\": {\"drop\": \"ALL\"}}}]}");
	eval_refused("{field: Drop Capabilities, values: [ALL]}", not_list, "`drop` is not an array");
}

static void test_ports_and_names(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Container Port, values: [22]}", NULL),
			     SIDECAR " listens on port 22", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Container Port, values: ['> 1024']}", NULL),
	    APP " listens on port 8080", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Container Name, operator: regex, values: ['(init|app)']}", NULL),
			     INIT " is named init", APP " is named app", NULL);
	_cleanup_free_ char *bad =
	    pod_facts("{\"containers\": [{\"name\": \"c\", \"ports\": [{\"containerPort\": \"80\"}]}]}");
	eval_refused("{field: Container Port, values: [80]}", bad, "ports[0]: `containerPort` is not an integer");
	/* Ephemeral containers are containers too. */
	_cleanup_free_ char *eph = pod_facts("{\"ephemeralContainers\": [{\"name\": \"debug\", \"securityContext\": "
					     "{\"privileged\": true}}]}");
	unit_assert_messages(unit_messages("[deploy]", eph, "{field: Privileged Container, values: [true]}", NULL),
			     "container \"debug\" is privileged", NULL);
}

static void test_workload(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Namespace, values: [shop]}", NULL),
			     WEB " is in namespace shop", NULL);
	_cleanup_free_ char *no_ns = pod_facts("{}");
	unit_assert_messages(unit_messages("[deploy]", no_ns, "{field: Namespace, values: [default]}", NULL),
			     "workload p is in namespace default", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Workload Label, values: [app=web]}", NULL),
	    WEB " has label app=web", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS,
					   "{field: Workload Label, operator: regex, values: ['tier=.*']}", NULL),
			     WEB " has label tier=front", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Workload Annotation, values: [owner=team-a]}", NULL),
	    WEB " has annotation owner=team-a", NULL);
	unit_assert_no_match(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Workload Annotation, values: [owner]}", NULL));
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Host Network, values: [true]}", NULL),
			     WEB " uses the host's network", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Host PID, values: [false]}", NULL),
			     WEB " does not share the host's process namespace", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Host IPC, values: [false]}", NULL),
			     WEB " does not share the host's IPC namespace", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Host IPC, values: [true]}", NULL));
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Runtime Class, values: [runc]}", NULL),
			     WEB " runs with runtime class runc", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", no_ns, "{field: Runtime Class, operator: exists, negate: true}", NULL),
	    "workload p has no runtime class", NULL);
	/* A workload without a pod spec: its pod's fields are not judged. */
	unit_assert_no_match(unit_messages("[deploy]", "{\"stage\": \"deploy\", \"workload\": {\"name\": \"x\"}}",
					   "{field: Host Network, values: [false]}", NULL));
	_cleanup_free_ char *bad = pod_facts("{\"hostNetwork\": \"true\"}");
	eval_refused("{field: Host Network, values: [true]}", bad, "podSpec: `hostNetwork` is not a boolean");
	_cleanup_free_ char *rc = pod_facts("{\"runtimeClassName\": 5}");
	eval_refused("{field: Runtime Class, values: [x]}", rc, "`runtimeClassName` is not a string");
	eval_refused("{field: Namespace, values: [x]}",
		     "{\"stage\": \"deploy\", \"workload\": {\"namespace\": 1, \"podSpec\": {}}}",
		     "workload: `namespace` is not a string");
}

static void test_volumes(void **state)
{
	(void)state;
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [emptyDir]}", NULL),
			     "volume \"cache\" has type emptyDir", NULL);
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [hostpath]}", NULL),
			     "volume \"sock\" has type hostPath", NULL);
	unit_assert_messages(
	    unit_messages("[deploy]", DEPLOY_FACTS, "{field: Host Path, values: [/var/run/docker.sock]}", NULL),
	    "volume \"sock\" mounts host path /var/run/docker.sock", NULL);
	/* One volume must be both: a hostPath of that type, not any hostPath and any volume. */
	unit_assert_messages(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [hostPath]}",
					   "{field: Host Path, operator: regex, values: ['.*\\.sock']}", NULL),
			     "volume \"sock\" has type hostPath, mounts host path /var/run/docker.sock", NULL);
	unit_assert_no_match(unit_messages("[deploy]", DEPLOY_FACTS, "{field: Volume Type, values: [emptyDir]}",
					   "{field: Host Path, operator: exists}", NULL));
	_cleanup_free_ char *bad = pod_facts("{\"volumes\": [{\"name\": \"v\", \"hostPath\": {\"path\": 1}}]}");
	eval_refused("{field: Host Path, values: [x]}", bad, "hostPath: `path` is not a string");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_environment),  cmocka_unit_test(test_security_context),
		cmocka_unit_test(test_capabilities), cmocka_unit_test(test_ports_and_names),
		cmocka_unit_test(test_workload),     cmocka_unit_test(test_volumes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
