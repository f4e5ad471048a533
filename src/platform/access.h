/* Access control in front of every route of cocoond's API server, as kube-apiserver's filter chain
 * has it: authentication (authn.h; 401 when it fails), impersonation (Impersonate-User,
 * -Group, -Uid and -Extra-* headers, each checked with the `impersonate` verb), then authorization
 * (rbac.h; 403 in kube-apiserver's words). Every decision, allowed or denied, is a security event
 * with the user, groups, source, verb, object and the reason. */
#pragma once

#include "platform/rbac_rules.h"
#include "platform/user.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_http_request;
struct cc_http_response;
struct cc_http_route;
struct platform_authn;
struct platform_rbac;
struct platform_guard;

struct platform_tenancy;

/* tenancy (optional) adds the tenant boundary (tenancy.h) to RBAC's decisions, and lets a tenant's
 * users list their tenants' namespaces and Tenants (the API narrows those lists). */
struct platform_guard *platform_guard_new(struct platform_authn *authn, struct platform_rbac *rbac,
					  struct platform_tenancy *tenancy);
void platform_guard_free(struct platform_guard *g);

enum platform_guard_mode {
	PLATFORM_GUARD_AUTHENTICATE,   /* the handler authorizes (the resource API) */
	PLATFORM_GUARD_AUTHORIZE_PATH, /* the request's method on its path, as a non-resource URL */
};

/* Wraps the routes' handlers in place: a handler runs only for an authenticated request (and, by
 * mode, an authorized one), with req->principal pointing at the platform_user. The wrappers live as
 * long as g. */
void platform_guard_routes(struct platform_guard *g, struct cc_http_route *routes, size_t count,
			   enum platform_guard_mode mode);

/* The user a guarded request was authenticated as. */
const struct platform_user *platform_request_user(const struct cc_http_request *req);

/* Authorizes access for the request's user; false after answering 403. */
bool platform_guard_authorize(struct platform_guard *g, const struct cc_http_request *req,
			      const struct platform_access *access, struct cc_http_response *resp);
/* The decision alone (RBAC, then the tenant boundary; a tenant user's narrowed lists), without a
 * response or an event: what SelfSubjectAccessReview and SubjectAccessReview answer, so that
 * `kubectl auth can-i` says what a request would meet. reason is always set. */
enum platform_decision {
	PLATFORM_DENIED,                    /* RBAC allows nothing of it */
	PLATFORM_DENIED_BY_TENANT_BOUNDARY, /* RBAC would, the tenant boundary does not (tenancy.h) */
	PLATFORM_ALLOWED,
};
enum platform_decision platform_guard_decide(struct platform_guard *g, const struct platform_user *user,
					     const struct platform_access *access, char *reason, size_t size);
bool platform_guard_allows(struct platform_guard *g, const struct platform_user *user,
			   const struct platform_access *access, char *reason, size_t size);
struct platform_rbac *platform_guard_rbac(struct platform_guard *g);
