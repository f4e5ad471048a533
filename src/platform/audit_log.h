/* The Kubernetes audit log of cocoond's API: one audit.k8s.io/v1 Event per request, at level
 * Metadata (who, what, where from, the answer; never a request or response body, so no Secret's data
 * is written), one JSON line each in <data_dir>/audit.log (0600), as kube-apiserver writes its
 * --audit-log-path. `cocoon audit forward --input k8s-audit:<data_dir>/audit.log` takes it to the
 * SIEM with the rest. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cc_error;
struct cc_http_request;
struct platform_audit_log;
struct platform_target;

int platform_audit_log_open(const char *path, struct platform_audit_log **ret, struct cc_error *err);
void platform_audit_log_close(struct platform_audit_log *log);

/* One request and its answer. target is NULL for non-resource paths (discovery, /version). A
 * watch is recorded when its response starts. Any thread; failures to write are logged, rate-
 * limited, and never fail the request. */
void platform_audit_log_request(struct platform_audit_log *log, const struct cc_http_request *req,
				const struct platform_target *target, int status, int64_t received_ns, bool watch);
