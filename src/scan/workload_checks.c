/* A workload's misconfigurations (see workload.h): the Pod Security violations of its pod template
 * under our ids, titles and severities, and cocoon's confidential checks, every field path made a
 * path in the object the manifest holds. Severity: high for what the standard calls a known
 * privilege escalation into the host (privileged, host namespaces, hostPath, capabilities,
 * HostProcess), medium for the rest. */
#include "lib/base/cleanup.h"
#include "scan/confidential_checks.h"
#include "scan/workload.h"

#include <string.h>

#define BASELINE   "pod-security-baseline"
#define RESTRICTED "pod-security-restricted"

/* In kube-apiserver's order of the checks (pod_security.c). */
static const struct scan_workload_rule pss_rules[] = {
	{ "PSS-BASELINE-APPARMOR", "AppArmor profile other than the runtime's default or a local one", "medium",
	  BASELINE, "appArmorProfile" },
	{ "PSS-BASELINE-CAPABILITIES", "Capabilities added beyond the runtime's default set", "high", BASELINE,
	  "capabilities_baseline" },
	{ "PSS-BASELINE-HOST-NAMESPACES", "Host namespaces shared", "high", BASELINE, "hostNamespaces" },
	{ "PSS-BASELINE-HOST-PATH", "hostPath volume", "high", BASELINE, "hostPathVolumes" },
	{ "PSS-BASELINE-HOST-PORTS", "Host port", "medium", BASELINE, "hostPorts" },
	{ "PSS-BASELINE-PROBE-HOST", "Probe or lifecycle hook aimed at another host", "medium", BASELINE,
	  "hostProbesAndHostLifecycle" },
	{ "PSS-BASELINE-PRIVILEGED", "Privileged container", "high", BASELINE, "privileged" },
	{ "PSS-BASELINE-PROC-MOUNT", "/proc without the default masks", "medium", BASELINE, "procMount" },
	{ "PSS-BASELINE-SELINUX", "SELinux type, user or role beyond the container policy's", "medium", BASELINE,
	  "seLinuxOptions" },
	{ "PSS-BASELINE-SECCOMP", "Seccomp profile Unconfined", "medium", BASELINE, "seccompProfile_baseline" },
	{ "PSS-BASELINE-SYSCTLS", "Sysctls outside the safe set", "medium", BASELINE, "sysctls" },
	{ "PSS-BASELINE-HOST-PROCESS", "Windows HostProcess container", "high", BASELINE, "windowsHostProcess" },
	{ "PSS-RESTRICTED-PRIVILEGE-ESCALATION", "Privilege escalation not disabled", "medium", RESTRICTED,
	  "allowPrivilegeEscalation" },
	{ "PSS-RESTRICTED-CAPABILITIES", "Capabilities not dropped", "medium", RESTRICTED, "capabilities_restricted" },
	{ "PSS-RESTRICTED-VOLUME-TYPES", "Volume type outside the restricted set", "medium", RESTRICTED,
	  "restrictedVolumes" },
	{ "PSS-RESTRICTED-RUN-AS-NON-ROOT", "Not required to run as non-root", "medium", RESTRICTED, "runAsNonRoot" },
	{ "PSS-RESTRICTED-RUN-AS-USER", "Runs as uid 0", "medium", RESTRICTED, "runAsUser" },
	{ "PSS-RESTRICTED-SECCOMP", "Seccomp profile not RuntimeDefault or Localhost", "medium", RESTRICTED,
	  "seccompProfile_restricted" },
};

const struct scan_workload_rule *scan_workload_rule(size_t i)
{
	return i < CC_ARRAY_SIZE(pss_rules) ? &pss_rules[i] : scan_confidential_rule(i - CC_ARRAY_SIZE(pss_rules));
}

static const struct scan_workload_rule *pss_rule(const char *check)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(pss_rules); i++)
		if (check && !strcmp(pss_rules[i].check, check))
			return &pss_rules[i];
	return NULL;
}

/* A path from the pod ("spec.x", "metadata.y") as a path in the object. */
static json_t *object_path(const struct scan_workload *w, const char *pod_path)
{
	if (!w->template_path || !*w->template_path)
		return json_string(pod_path);
	_cleanup_free_ char *path = cc_xasprintf("%s.%s", w->template_path, pod_path);
	return json_string(path);
}

static json_t *string_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

/* {"id", "title", "severity", "category", "kind", "namespace", "name"}: the common head. */
static json_t *misconfiguration(const struct scan_workload *w, const struct scan_workload_rule *rule)
{
	return json_pack("{s:s, s:s, s:s, s:s, s:s, s:o, s:o}", "id", rule->id, "title", rule->title, "severity",
			 rule->severity, "category", rule->category, "kind", w->kind, "namespace",
			 string_or_null(w->namespace), "name", string_or_null(w->name));
}

static size_t pod_security(const struct scan_workload *w, enum scan_pss_level level, json_t *out)
{
	json_t *found = scan_pss_check(w->pod_metadata, w->pod_spec, level);
	size_t i;
	json_t *v;
	json_array_foreach (found, i, v) {
		const struct scan_workload_rule *rule = pss_rule(json_string_value(json_object_get(v, "check")));
		if (!rule)
			continue; /* every check has a rule: tests/unit/scan/test_workload_checks.c */
		json_t *o = misconfiguration(w, rule);
		const json_t *containers = json_object_get(v, "containers");
		if (json_array_size(containers) == 1)
			json_object_set(o, "container", json_array_get(containers, 0));
		const char *field = json_string_value(json_array_get(json_object_get(v, "fields"), 0));
		json_object_set_new(o, "field", object_path(w, field ? field : "spec"));
		json_object_set(o, "message", json_object_get(v, "message"));
		json_array_append_new(out, o);
	}
	size_t n = json_array_size(found);
	json_decref(found);
	return n;
}

static size_t confidential_policy(const struct scan_workload *w, json_t *out)
{
	json_t *found = json_array();
	scan_confidential_check(w->pod_metadata, w->pod_spec, found);
	size_t i;
	json_t *v;
	json_array_foreach (found, i, v) {
		const char *id = json_string_value(json_object_get(v, "id"));
		const struct scan_workload_rule *rule = NULL;
		for (size_t k = 0; (rule = scan_confidential_rule(k)) && strcmp(rule->id, id); k++)
			;
		json_t *o = misconfiguration(w, rule);
		if (json_object_get(v, "container"))
			json_object_set(o, "container", json_object_get(v, "container"));
		json_object_set_new(o, "field", object_path(w, json_string_value(json_object_get(v, "field"))));
		json_object_set(o, "message", json_object_get(v, "message"));
		json_array_append_new(out, o);
	}
	size_t n = json_array_size(found);
	json_decref(found);
	return n;
}

size_t scan_workload_misconfigurations(const struct scan_workload *w, enum scan_pss_level level, bool confidential,
				       json_t *out)
{
	if (!w->pod_spec)
		return 0;
	size_t n = pod_security(w, level, out);
	if (confidential)
		n += confidential_policy(w, out);
	return n;
}
