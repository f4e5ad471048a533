/* The admin API under the platform's identity: a bearer token (an OIDC ID token of the company's
 * provider, a service account token, whatever cocoond accepts) is authenticated by cocoond's
 * TokenReview and each request authorized by its SubjectAccessReview, as Kubernetes' extension API
 * servers delegate both to kube-apiserver. So the people and groups (from the directory) that RBAC
 * lets administer a tenant there administer it here, with nothing to keep in step. The resource is
 * `tenants.kbs.cocoon.dev` named by the tenant, with the subresources policy, resources and nodes;
 * GET is `get`, PUT `update`, DELETE `delete`. The broker's own client certificate must be allowed
 * to create both reviews (the default ClusterRole system:auth-delegator). A platform that cannot be
 * asked refuses the request (503): fail closed. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

struct cc_error;

struct kbs_delegate_config {
	const char *url;  /* cocoond (or kube-apiserver), https://HOST:PORT */
	const char *ca;   /* its CA bundle */
	const char *cert; /* the broker's client certificate there, and its key */
	const char *key;
};

/* The verdict: 1 allowed, 0 refused (why in reason: not authenticated, or RBAC's answer), or a
 * negative errno when the platform could not be asked (err says why). user receives the name the
 * TokenReview gave, for the audit event. */
int kbs_delegate_authorize(const struct kbs_delegate_config *cfg, const char *token, const char *method,
			   const char *tenant, const char *subresource, char *user, size_t user_size, char *reason,
			   size_t reason_size, bool *ret_authenticated, struct cc_error *err);
