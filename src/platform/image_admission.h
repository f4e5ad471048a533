/* Admission by the scanner (scan/admission.h) inside cocoond: a new or changed object with pods
 * (Pod, Deployment, ReplicaSet, and every other workload kind) is judged as `cocoon webhook serve`
 * judges an AdmissionReview: its images' scan verdicts and the policies at the deploy stage. A
 * refusal is 403 naming the policy and why; the policies' warnings come back as Warning headers;
 * each decision is an audit event (scan/admission.review, as the webhook). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_target;
struct scan_admission_config;

struct platform_resource;

/* One judgement: allowed or not, the reason, the warnings (strings, or NULL). */
struct platform_image_verdict {
	bool allowed;
	char *reason;
	json_t *warnings;
};
void platform_image_verdict_clear(struct platform_image_verdict *v);

/* Judges obj (of resource r, in namespace) for user; cfg NULL allows. Every decision is an event;
 * one that cannot be recorded, or a judge that fails, refuses. Returns 0. */
int platform_image_admission_judge(const struct scan_admission_config *cfg, const struct platform_resource *r,
				   const char *namespace, const char *operation, const char *user, const json_t *obj,
				   const json_t *old, struct platform_image_verdict *ret);

/* The same for an API request. operation: "CREATE" or "UPDATE". false after answering the refusal. */
bool platform_image_admission(const struct scan_admission_config *cfg, const struct platform_target *t,
			      const char *operation, const struct cc_http_request *req, const json_t *obj,
			      const json_t *old, struct cc_http_response *resp);
