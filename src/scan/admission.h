/* Admission review (AdmissionReview v1, admission.k8s.io) for `cocoon webhook serve` and cocoond.
 * Validating: the pod template of any workload kind judged by the policy engine at the deploy
 * stage, with the scan reports of its images; a refusal is 403 with the policy and the reason; a
 * policy's `warn` comes back as a warning; an image without a scan verdict is refused unless told
 * otherwise (fail closed). Mutating: only a JSONPatch that adds what a confidential pod needs and
 * did not say (runtimeClassName, the RuntimeDefault seccomp profile, dropping every capability),
 * on CREATE, and on UPDATE of the kinds whose template may change; the validating path then judges
 * the patched object. */
#pragma once

#include "scan/pod_security.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct scan_image_verdicts;
struct scan_policy_set;

/* kube-apiserver sends at most this much (3 MiB request limit plus the review's envelope). */
#define SCAN_ADMISSION_MAX_BODY (7u << 20)

struct scan_admission_config {
	const struct scan_policy_set *policies;
	struct scan_image_verdicts *verdicts; /* NULL: no image has a verdict */
	bool allow_unscanned;                 /* an image without a verdict is admitted (with a warning) */
	enum scan_pss_level level;            /* the Pod Security level its misconfigurations are listed at */
	const char *runtime_class;            /* what the mutation sets ("cocoon") */
	bool mutate_runtime_class, mutate_seccomp, mutate_capabilities;
	/* What a refusal for an image without a verdict tells the user to do; NULL: the webhook's
	 * advice (scan it into the webhook's reports). */
	const char *unscanned_hint;
};

struct scan_admission_outcome {
	json_t *review; /* the AdmissionReview to send back */
	bool allowed;
	char *object; /* "Deployment/ns/name" (for the audit event) */
	char *user;   /* request.userInfo.username */
	char *reason; /* one sentence: why refused, or what was admitted with */
};

/* Reviews one AdmissionReview body. mutate: the mutating path (adds the patch). -EINVAL with a
 * message naming what is wrong when the body is not an AdmissionReview v1 request (the caller
 * answers 400); otherwise 0 and the outcome, whose review says allowed or not. */
int scan_admission_review(const struct scan_admission_config *cfg, const char *body, size_t len, bool mutate,
			  struct scan_admission_outcome *ret, struct cc_error *err);
/* The same for a review already parsed (cocoond judges the objects it is sent as a webhook would). */
int scan_admission_review_json(const struct scan_admission_config *cfg, const json_t *review, bool mutate,
			       struct scan_admission_outcome *ret, struct cc_error *err);
void scan_admission_outcome_clear(struct scan_admission_outcome *o);

/* The JSONPatch (RFC 6902) operations that make the pod spec at spec_path (dotted: "spec.template.spec")
 * of object what cfg's mutation asks; an empty array when nothing is missing. */
json_t *scan_admission_patch(const struct scan_admission_config *cfg, const json_t *pod_spec, const char *spec_path);
