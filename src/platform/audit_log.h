/* The Kubernetes audit log of cocoond's API: one audit.k8s.io/v1 Event per request, at the level
 * the audit policy gives it (audit_policy.h; without a policy file, Metadata: who, what, where
 * from, the answer, never a request or response body), one JSON line each in <data_dir>/audit.log
 * (0600), as kube-apiserver writes its --audit-log-path. Request adds requestObject (the body of a
 * write), RequestResponse adds responseObject. `cocoon audit forward --input
 * k8s-audit:<data_dir>/audit.log` takes it to the SIEM with the rest. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct platform_audit_policy;
struct platform_audit_log;
struct platform_target;

/* policy (may be NULL) is the log's from then on: freed with it. */
int platform_audit_log_open(const char *path, struct platform_audit_policy *policy, struct platform_audit_log **ret,
			    struct cc_error *err);
void platform_audit_log_close(struct platform_audit_log *log);

/* One request and its answer. target is NULL for non-resource paths (discovery, /version). A
 * watch is recorded when its response starts. Any thread; failures to write are logged, rate-
 * limited, and never fail the request. */
void platform_audit_log_request(struct platform_audit_log *log, const struct cc_http_request *req,
				const struct platform_target *target, const struct cc_http_response *resp,
				int64_t received_ns, bool watch);
