/* The platform's Kubernetes API (issue 13): the REST paths kube-apiserver serves under /api and
 * /apis for the kinds in resources.c, on top of the object store (objects.h): discovery, get, list
 * (selectors, chunking, Tables for kubectl), watch, create, update, patch (JSON, merge, strategic,
 * apply), delete, with Status errors as Kubernetes gives them. */
#pragma once

#include "lib/net/http.h"
#include "platform/pod_security.h"

#include <stddef.h>

struct cc_error;
struct platform_objects;
struct platform_api;

struct platform_audit_log;
struct platform_authn;
struct platform_guard;
struct platform_pods;
struct platform_sa_tokens;
struct platform_service_ips;
struct platform_tenancy;
struct scan_admission_config;

struct platform_api_config {
	struct platform_objects *objects;
	/* Access control: every request is authorized (access.h); TokenReview asks authn. */
	struct platform_guard *guard;
	struct platform_authn *authn;
	/* Service account tokens (TokenRequest) and the CA every namespace's kube-root-ca.crt holds. */
	struct platform_sa_tokens *sa_tokens;
	const char *ca_pem;
	/* Services' virtual IPs (service_ips.h); NULL: Services get none. */
	struct platform_service_ips *service_ips;
	const char *node_name;            /* this host, as the Node object names it */
	struct platform_audit_log *audit; /* every request as a Kubernetes audit Event; optional */
	/* exec and attach of a pod (.../pods/NAME/exec|attach, GET or POST, from kubectl exec, attach
	 * and cp): subresource is "exec" or "attach"; the callee finds the container and serves the
	 * stream (platform_exec_serve in exec.h), or answers a Status (404 for an unknown pod or
	 * container). On a worker thread; it must return at once. NULL: 503. */
	void (*pod_stream)(void *ctx, const char *subresource, const char *namespace, const char *pod,
			   const struct cc_http_request *req, struct cc_http_response *resp);
	void *pod_stream_ctx;
	/* The pod runner: logs, and graceful deletion (a pod is marked, the runner stops it and removes
	 * it). NULL: pods are only stored, and deleted at once. */
	struct platform_pods *pods;
	/* Pod Security (pod_security.h) for namespaces without an enforce label. */
	enum platform_pss_level pod_security;
	/* The scanner's admission (image_admission.h): verdicts and policies; NULL: none. */
	const struct scan_admission_config *scan_admission;
	/* Tenants (tenancy.h): namespace admission and the scope of a tenant user's lists; NULL: none.
	 * kbs_tenant: the node's own key broker tenant (--kbs-tenant), which no Tenant may take. */
	struct platform_tenancy *tenancy;
	const char *kbs_tenant;
};

int platform_api_new(const struct platform_api_config *cfg, struct platform_api **ret, struct cc_error *err);
void platform_api_free(struct platform_api *api);

/* The routes to give cc_server (the handlers run on its workers); *ret_count is set. */
const struct cc_http_route *platform_api_routes(struct platform_api *api, size_t *ret_count);
