/* The Pod Security Standards (kubernetes.io/docs/concepts/security/pod-security-standards) as pure
 * checks of a pod's metadata and spec: the scanner (`cocoon scan config`), cocoond's Pod Security
 * admission (platform/pod_security.c) and the admission webhook judge a pod with the same code and
 * word the result as kube-apiserver's PodSecurity admission does, check by check. Policy version:
 * "latest" as of Kubernetes v1.34 (docs/scan.md lists each check, its facts and its source). */
#pragma once

#include <jansson.h>

enum scan_pss_level {
	SCAN_PSS_PRIVILEGED,
	SCAN_PSS_BASELINE,
	SCAN_PSS_RESTRICTED,
	SCAN_PSS_LEVEL_MAX, /* invalid */
};

/* "privileged", "baseline" or "restricted"; -EINVAL for anything else (NULL included). */
int scan_pss_level_parse(const char *name, enum scan_pss_level *ret);
const char *scan_pss_level_name(enum scan_pss_level level);

/* The violations of level by a pod, in kube-apiserver's order (baseline checks by check id, then
 * restricted ones; a restricted check replaces the baseline check it overrides), one object each:
 *   {"check": the PodSecurity library's check id ("privileged", "hostNamespaces", ...),
 *    "level": "baseline" | "restricted", "reason", "detail",
 *    "message": "reason (detail)" as kube-apiserver prints it,
 *    "containers": [names of the containers concerned, in the pod's order],
 *    "fields": [paths of the offending fields, from the pod: "spec.containers[0].securityContext.privileged",
 *               "metadata.annotations[container.apparmor.security.beta.kubernetes.io/app]"]}
 * pod_metadata may be NULL (no annotations); a spec that is not an object has no violations. */
json_t *scan_pss_check(const json_t *pod_metadata, const json_t *pod_spec, enum scan_pss_level level);

/* The same violations as kube-apiserver's phrases only, a JSON array of strings: of a pod spec
 * alone, and of a pod's metadata and spec (what an admission must use: AppArmor and seccomp are
 * also set by annotations). */
json_t *scan_pss_violations(const json_t *pod_spec, enum scan_pss_level level);
json_t *scan_pss_pod_violations(const json_t *pod_metadata, const json_t *pod_spec, enum scan_pss_level level);
