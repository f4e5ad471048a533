/* The field catalogue of the policy engine: one table, one extractor per field (the extractors are
 * in policy_extract.c and policy_extract_pod.c). The table says each field's name as policies write
 * it, the type of its values, the entity they belong to (so a section's criteria on one entity hold
 * for the same one), the stages where it can be judged (an image's at build, deploy and runtime, a
 * workload's only at deploy and runtime), and how a message says what matched. Also here: how a
 * finding, package, malware, secret or misconfiguration reads in a message. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "scan/policy_extract.h"
#include "scan/policy_internal.h"

#include <ctype.h>
#include <string.h>
#include <strings.h>

static const char *const severity_names[] = { "unknown", "negligible", "low", "medium", "high", "critical" };

int policy_severity_rank(const char *name)
{
	for (size_t i = 0; name && i < CC_ARRAY_SIZE(severity_names); i++)
		if (strcmp(name, severity_names[i]) == 0)
			return (int)i;
	return -1;
}

const char *policy_severity_name(int rank)
{
	return rank >= 0 && (size_t)rank < CC_ARRAY_SIZE(severity_names) ? severity_names[rank] : "unknown";
}

const char *policy_type_name(enum policy_type type)
{
	static const char *const names[POLICY_TYPE_MAX] = { "string", "bool", "number", "severity" };
	return type < POLICY_TYPE_MAX ? names[type] : "?";
}

void policy_capability_normalize(char *name)
{
	for (char *p = name; *p; p++)
		*p = (char)toupper((unsigned char)*p);
	if (strncmp(name, "CAP_", 4) == 0)
		memmove(name, name + 4, strlen(name + 4) + 1);
}

/* ---- the catalogue ---- */

#define IMAGE    POLICY_STAGES_IMAGE
#define WORKLOAD POLICY_STAGES_WORKLOAD

const struct policy_field policy_fields[] = {
	/* The image: its references, config and scan. */
	{ "Image Registry", POLICY_TYPE_STRING, POLICY_ENTITY_IMAGE, IMAGE, POLICY_FIELD_FOLD_CASE,
	  "is from registry %s", "registry", "the registry of the image's reference (docker.io for a name without one)",
	  policy_extract_image_registry },
	{ "Image Remote", POLICY_TYPE_STRING, POLICY_ENTITY_IMAGE, IMAGE, 0, "is named %s", "name",
	  "the image's name in its registry (library/nginx)", policy_extract_image_remote },
	{ "Image Tag", POLICY_TYPE_STRING, POLICY_ENTITY_IMAGE, IMAGE, 0, "has tag %s", "tag",
	  "the tag of the reference (latest when it has neither tag nor digest)", policy_extract_image_tag },
	{ "Image Referenced By Digest", POLICY_TYPE_BOOL, POLICY_ENTITY_IMAGE, WORKLOAD, 0, "is referenced by digest",
	  "is not referenced by digest", "whether the container names its image by digest (NAME@sha256:...)",
	  policy_extract_image_digest },
	{ "Image User", POLICY_TYPE_STRING, POLICY_ENTITY_IMAGE, IMAGE, 0, "runs as user %s", "user",
	  "the user part of the image config's User (root when empty)", policy_extract_image_user },
	{ "Image Age", POLICY_TYPE_NUMBER, POLICY_ENTITY_IMAGE, IMAGE, 0, "was created %s days ago", "age",
	  "whole days since the image config's `created`", policy_extract_image_age },
	{ "Exposed Port", POLICY_TYPE_NUMBER, POLICY_ENTITY_IMAGE, IMAGE, 0, "exposes port %s", "exposed port",
	  "a port of the image config's ExposedPorts", policy_extract_exposed_port },
	{ "Image OS", POLICY_TYPE_STRING, POLICY_ENTITY_IMAGE, IMAGE, 0, "runs %s", "OS",
	  "os-release ID:VERSION_ID of the image (debian:12)", policy_extract_image_os },
	{ "Image Scanned", POLICY_TYPE_BOOL, POLICY_ENTITY_IMAGE, WORKLOAD, 0, "has a scan report",
	  "has no scan report", "whether the facts hold a scan report for the container's image",
	  policy_extract_image_scanned },
	/* The container. */
	{ "Environment Variable", POLICY_TYPE_STRING, POLICY_ENTITY_CONTAINER, IMAGE, POLICY_FIELD_WITHHOLD,
	  "sets environment variable %s", "environment variable",
	  "KEY=VALUE of the container's env (KEY alone for valueFrom) and the image config's Env",
	  policy_extract_environment },
	{ "Privileged Container", POLICY_TYPE_BOOL, POLICY_ENTITY_CONTAINER, WORKLOAD, 0, "is privileged",
	  "is not privileged", "securityContext.privileged", policy_extract_privileged },
	{ "Add Capabilities", POLICY_TYPE_STRING, POLICY_ENTITY_CONTAINER, WORKLOAD, POLICY_FIELD_CAPABILITY,
	  "adds capability %s", "added capability",
	  "securityContext.capabilities.add (SYS_ADMIN; CAP_ and case ignored)", policy_extract_add_capabilities },
	{ "Drop Capabilities", POLICY_TYPE_STRING, POLICY_ENTITY_CONTAINER, WORKLOAD, POLICY_FIELD_CAPABILITY,
	  "drops capability %s", "dropped capability", "securityContext.capabilities.drop",
	  policy_extract_drop_capabilities },
	{ "Read-Only Root Filesystem", POLICY_TYPE_BOOL, POLICY_ENTITY_CONTAINER, WORKLOAD, 0,
	  "has a read-only root filesystem", "has a writable root filesystem", "securityContext.readOnlyRootFilesystem",
	  policy_extract_read_only_root },
	{ "Run As Non Root", POLICY_TYPE_BOOL, POLICY_ENTITY_CONTAINER, WORKLOAD, 0, "must run as non-root",
	  "is not required to run as non-root", "runAsNonRoot of the container, else of the pod",
	  policy_extract_run_as_non_root },
	{ "Allow Privilege Escalation", POLICY_TYPE_BOOL, POLICY_ENTITY_CONTAINER, WORKLOAD, 0,
	  "allows privilege escalation", "does not allow privilege escalation",
	  "securityContext.allowPrivilegeEscalation (true when unset)", policy_extract_allow_privilege_escalation },
	{ "Container Port", POLICY_TYPE_NUMBER, POLICY_ENTITY_CONTAINER, WORKLOAD, 0, "listens on port %s",
	  "container port", "a containerPort of the container's ports", policy_extract_container_port },
	{ "Container Name", POLICY_TYPE_STRING, POLICY_ENTITY_CONTAINER, WORKLOAD, 0, "is named %s", "name",
	  "the container's name (init and ephemeral containers included)", policy_extract_container_name },
	/* The workload. */
	{ "Namespace", POLICY_TYPE_STRING, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "is in namespace %s", "namespace",
	  "the workload's namespace", policy_extract_namespace },
	{ "Workload Label", POLICY_TYPE_STRING, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "has label %s", "label",
	  "KEY=VALUE of the workload's labels", policy_extract_label },
	{ "Workload Annotation", POLICY_TYPE_STRING, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "has annotation %s",
	  "annotation", "KEY=VALUE of the workload's annotations", policy_extract_annotation },
	{ "Host Network", POLICY_TYPE_BOOL, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "uses the host's network",
	  "does not use the host's network", "podSpec.hostNetwork", policy_extract_host_network },
	{ "Host PID", POLICY_TYPE_BOOL, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "shares the host's process namespace",
	  "does not share the host's process namespace", "podSpec.hostPID", policy_extract_host_pid },
	{ "Host IPC", POLICY_TYPE_BOOL, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "shares the host's IPC namespace",
	  "does not share the host's IPC namespace", "podSpec.hostIPC", policy_extract_host_ipc },
	{ "Runtime Class", POLICY_TYPE_STRING, POLICY_ENTITY_WORKLOAD, WORKLOAD, 0, "runs with runtime class %s",
	  "runtime class", "podSpec.runtimeClassName (none when unset)", policy_extract_runtime_class },
	/* A volume of the workload. */
	{ "Volume Type", POLICY_TYPE_STRING, POLICY_ENTITY_VOLUME, WORKLOAD, POLICY_FIELD_FOLD_CASE, "has type %s",
	  "type", "the volume's source: hostPath, emptyDir, secret, configMap, ...", policy_extract_volume_type },
	{ "Host Path", POLICY_TYPE_STRING, POLICY_ENTITY_VOLUME, WORKLOAD, 0, "mounts host path %s", "host path",
	  "a hostPath volume's path", policy_extract_host_path },
	/* What the scan found: one finding (CVE), package, malware, secret or misconfiguration. */
	{ "CVE", POLICY_TYPE_STRING, POLICY_ENTITY_FINDING, IMAGE, 0, NULL, NULL,
	  "a finding's advisory id (CVE-2022-1271, TEMP-..., GHSA-...)", policy_extract_cve },
	{ "Severity", POLICY_TYPE_SEVERITY, POLICY_ENTITY_FINDING, IMAGE, 0, NULL, NULL,
	  "a finding's severity (critical, high, medium, low, negligible, unknown)", policy_extract_severity },
	{ "CVSS", POLICY_TYPE_NUMBER, POLICY_ENTITY_FINDING, IMAGE, 0, NULL, NULL,
	  "a finding's CVSS score, when the report has one", policy_extract_cvss },
	{ "Fixable", POLICY_TYPE_BOOL, POLICY_ENTITY_FINDING, IMAGE, 0, NULL, NULL,
	  "whether a fixed version of the finding's package exists", policy_extract_fixable },
	{ "Fixed By", POLICY_TYPE_STRING, POLICY_ENTITY_FINDING, IMAGE, 0, NULL, NULL,
	  "the version that fixes a finding", policy_extract_fixed_by },
	{ "Package Name", POLICY_TYPE_STRING, POLICY_ENTITY_PACKAGE, IMAGE, 0, NULL, NULL,
	  "an installed package's name (the finding's package beside finding fields)", policy_extract_package_name },
	{ "Package Version", POLICY_TYPE_STRING, POLICY_ENTITY_PACKAGE, IMAGE, 0, NULL, NULL,
	  "an installed package's version", policy_extract_package_version },
	{ "Malware", POLICY_TYPE_STRING, POLICY_ENTITY_MALWARE, IMAGE, 0, NULL, NULL,
	  "the signature name of malware found in a file", policy_extract_malware },
	{ "Secret", POLICY_TYPE_STRING, POLICY_ENTITY_SECRET, IMAGE, 0, NULL, NULL,
	  "the rule of a secret found in a file (aws-access-key-id, private-key, ...)", policy_extract_secret },
	{ "Misconfiguration", POLICY_TYPE_STRING, POLICY_ENTITY_MISCONFIG, IMAGE, 0, NULL, NULL,
	  "a misconfiguration's id", policy_extract_misconfig },
	{ "Misconfiguration Category", POLICY_TYPE_STRING, POLICY_ENTITY_MISCONFIG, IMAGE, 0, NULL, NULL,
	  "a misconfiguration's category", policy_extract_misconfig_category },
	{ "Misconfiguration Severity", POLICY_TYPE_SEVERITY, POLICY_ENTITY_MISCONFIG, IMAGE, 0, NULL, NULL,
	  "a misconfiguration's severity", policy_extract_misconfig_severity },
};
const size_t policy_fields_count = CC_ARRAY_SIZE(policy_fields);

const struct policy_field *policy_field_find(const char *name)
{
	for (size_t i = 0; i < policy_fields_count; i++)
		if (strcasecmp(policy_fields[i].name, name) == 0)
			return &policy_fields[i];
	return NULL;
}

/* ---- describing what matched ---- */

static const char *text_of(const json_t *item, const char *key, const char *none)
{
	const char *s = json_string_value(json_object_get(item, key));
	return s && s[0] ? s : none;
}

void policy_item_describe(struct cc_buf *out, enum policy_entity kind, const json_t *item)
{
	switch (kind) {
	case POLICY_ENTITY_FINDING: {
		cc_buf_appendf(out, "%s (%s", text_of(item, "id", "?"), text_of(item, "severity", "unknown"));
		const json_t *cvss = json_object_get(item, "cvss");
		if (json_is_object(cvss))
			cvss = json_object_get(cvss, "score");
		if (json_is_number(cvss))
			cc_buf_appendf(out, ", CVSS %.1f", json_number_value(cvss));
		cc_buf_appendf(out, ") in %s %s", text_of(item, "package", "?"),
			       text_of(item, "installed_version", "?"));
		const char *fixed = text_of(item, "fixed_version", NULL);
		if (fixed)
			cc_buf_appendf(out, ", fixed in %s", fixed);
		else
			cc_buf_append_str(out, ", no fix yet");
		break;
	}
	case POLICY_ENTITY_PACKAGE:
		cc_buf_appendf(out, "package %s %s", text_of(item, "name", "?"), text_of(item, "version", "?"));
		break;
	case POLICY_ENTITY_MALWARE:
		cc_buf_appendf(out, "malware %s in %s", text_of(item, "signature", "?"), text_of(item, "path", "?"));
		break;
	case POLICY_ENTITY_SECRET: {
		cc_buf_appendf(out, "secret %s", text_of(item, "rule", "?"));
		const char *title = text_of(item, "title", NULL);
		if (title)
			cc_buf_appendf(out, " (%s)", title);
		cc_buf_appendf(out, " in %s", text_of(item, "path", "?"));
		json_t *line = json_object_get(item, "line");
		if (json_is_integer(line))
			cc_buf_appendf(out, " line %lld", (long long)json_integer_value(line));
		break;
	}
	case POLICY_ENTITY_MISCONFIG:
		cc_buf_appendf(out, "misconfiguration %s (%s): %s", text_of(item, "id", "?"),
			       text_of(item, "severity", "unknown"),
			       text_of(item, "message", text_of(item, "title", "no message")));
		break;
	default: break;
	}
}
