/* Pod Security admission, as kube-apiserver's PodSecurity admission enforces the Pod Security
 * Standards: a namespace's labels pod-security.kubernetes.io/enforce, /warn and /audit name a level
 * (privileged, baseline, restricted); a pod that violates the enforce level is refused (403, the
 * violations listed in kube-apiserver's words), the warn level's violations come back as a Warning
 * header, the audit level's as an audit annotation. A namespace without an enforce label takes the
 * platform's default (cocoond --pod-security-default, restricted unless told otherwise). The checks
 * themselves are the scanner's (scan/pod_security.h), so `cocoon scan config` and the admission
 * webhook judge a pod exactly as cocoond does; this is the admission around them. */
#pragma once

#include "scan/pod_security.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct platform_objects;

/* The scanner's levels under the names the platform's configuration has always used. */
enum platform_pss_level {
	PLATFORM_PSS_PRIVILEGED = SCAN_PSS_PRIVILEGED,
	PLATFORM_PSS_BASELINE = SCAN_PSS_BASELINE,
	PLATFORM_PSS_RESTRICTED = SCAN_PSS_RESTRICTED,
};

int platform_pss_level_parse(const char *name, enum platform_pss_level *ret);
const char *platform_pss_level_name(enum platform_pss_level level);

struct platform_pss_verdict {
	bool allowed;
	char *refusal; /* when refused: `violates PodSecurity "restricted:latest": ...` (malloc'd) */
	char *warning; /* when the warn level is violated: `would violate PodSecurity ...` (malloc'd) */
};
void platform_pss_verdict_clear(struct platform_pss_verdict *v);

/* The namespace's levels (its labels, else default_level for enforce) applied to pod. Every decision
 * that refuses is a security event (pod.security, deny). */
void platform_pss_admit(struct platform_objects *objects, enum platform_pss_level default_level, const json_t *pod,
			const char *namespace, struct platform_pss_verdict *ret);
