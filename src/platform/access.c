/* Access control (see access.h). */
#include "platform/access.h"

#include "lib/base/cleanup.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"
#include "lib/net/http.h"
#include "lib/net/peer.h"
#include "platform/authn.h"
#include "platform/rbac.h"
#include "platform/status.h"
#include "platform/tenancy.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

struct guarded {
	struct platform_guard *guard;
	cc_http_handler_fn handler;
	void *userdata;
	enum platform_guard_mode mode;
	struct guarded *next;
};

struct platform_guard {
	struct platform_authn *authn;
	struct platform_rbac *rbac;
	struct platform_tenancy *tenancy; /* optional */
	struct guarded *wrappers;
};

struct platform_guard *platform_guard_new(struct platform_authn *authn, struct platform_rbac *rbac,
					  struct platform_tenancy *tenancy)
{
	struct platform_guard *g = cc_xcalloc(1, sizeof(*g));
	g->authn = authn;
	g->rbac = rbac;
	g->tenancy = tenancy;
	return g;
}

void platform_guard_free(struct platform_guard *g)
{
	if (!g)
		return;
	for (struct guarded *w = g->wrappers, *next; w; w = next) {
		next = w->next;
		free(w);
	}
	free(g);
}

struct platform_rbac *platform_guard_rbac(struct platform_guard *g)
{
	return g->rbac;
}

const struct platform_user *platform_request_user(const struct cc_http_request *req)
{
	return req->principal;
}

/* ---- events ---- */

static void emit(const char *action, const struct platform_user *user, const struct cc_http_request *req,
		 const char *object, bool allowed, const char *reason)
{
	struct cc_event *ev;
	if (cc_event_new("platform", action, &ev, NULL) < 0)
		return;
	cc_event_set_actor(ev, user && user->name[0] ? user->name : "anonymous");
	if (user && user->groups)
		cc_event_set_extra(ev, "groups", json_deep_copy(user->groups));
	if (user && user->authenticator)
		cc_event_set_extra(ev, "authenticator", json_string(user->authenticator));
	cc_event_set_extra(ev, "sourceAddress", json_string(req->peer->address));
	cc_event_set_object(ev, object);
	cc_event_set_verdict(ev, allowed ? CC_VERDICT_ALLOW : CC_VERDICT_DENY,
			     allowed ? CC_SEVERITY_INFO : CC_SEVERITY_WARNING);
	cc_event_set_reason(ev, "%s", reason);
	cc_event_emit(ev);
}

static void describe(const struct platform_access *a, char *out, size_t size)
{
	if (!a->resource_request)
		snprintf(out, size, "%s %s", a->verb, a->path ? a->path : "");
	else
		snprintf(out, size, "%s %s%s%s%s%s%s%s%s%s", a->verb, a->group && a->group[0] ? a->group : "",
			 a->group && a->group[0] ? "/" : "", a->resource ? a->resource : "",
			 a->subresource && a->subresource[0] ? "/" : "", a->subresource ? a->subresource : "",
			 a->namespace && a->namespace[0] ? " in " : "", a->namespace ? a->namespace : "",
			 a->name && a->name[0] ? " " : "", a->name ? a->name : "");
}

/* ---- 403 in kube-apiserver's words ---- */

static void forbid(struct cc_http_response *resp, const struct platform_user *user, const struct platform_access *a,
		   const char *boundary)
{
	if (!a->resource_request) {
		platform_status_error(resp, 403, NULL, NULL, NULL, "forbidden: User \"%s\" cannot %s path \"%s\"",
				      user->name, a->verb, a->path ? a->path : "");
		return;
	}
	bool sub = a->subresource && a->subresource[0];
	bool named = a->name && a->name[0];
	char scope[320];
	if (a->namespace && a->namespace[0])
		snprintf(scope, sizeof(scope), "in the namespace \"%s\"", a->namespace);
	else
		snprintf(scope, sizeof(scope), "at the cluster scope");
	/* pods "web", deployments.apps "web": the resource, its group, and the name when there is one. */
	char what[640];
	snprintf(what, sizeof(what), "%s%s%s%s%s%s", a->resource, a->group && a->group[0] ? "." : "",
		 a->group ? a->group : "", named ? " \"" : "", named ? a->name : "", named ? "\"" : "");
	platform_status_error(resp, 403, NULL, NULL, named ? a->name : NULL,
			      "%s is forbidden: User \"%s\" cannot %s resource \"%s%s%s\" in API group \"%s\" %s%s%s",
			      what, user->name, a->verb, a->resource, sub ? "/" : "", sub ? a->subresource : "",
			      a->group ? a->group : "", scope, boundary ? ": " : "", boundary ? boundary : "");
}

enum platform_decision platform_guard_decide(struct platform_guard *g, const struct platform_user *user,
					     const struct platform_access *access, char *reason, size_t size)
{
	if (platform_rbac_authorize(g->rbac, user, access, reason, size)) {
		if (g->tenancy && !platform_tenancy_allows(g->tenancy, user, access, reason, size))
			return PLATFORM_DENIED_BY_TENANT_BOUNDARY;
		return PLATFORM_ALLOWED;
	}
	/* A tenant's users list their tenants' namespaces and Tenants without a cluster-wide grant; the
	 * API narrows what they see. */
	_cleanup_free_ char *scope = g->tenancy ? platform_tenancy_list_scope(g->tenancy, user, access) : NULL;
	if (!scope)
		return PLATFORM_DENIED;
	snprintf(reason, size, "a tenant's user: the list is narrowed to %s", scope);
	return PLATFORM_ALLOWED;
}

bool platform_guard_allows(struct platform_guard *g, const struct platform_user *user,
			   const struct platform_access *access, char *reason, size_t size)
{
	return platform_guard_decide(g, user, access, reason, size) == PLATFORM_ALLOWED;
}

bool platform_guard_authorize(struct platform_guard *g, const struct cc_http_request *req,
			      const struct platform_access *access, struct cc_http_response *resp)
{
	const struct platform_user *user = req->principal;
	char reason[512], object[1024];
	enum platform_decision d = PLATFORM_DENIED;
	if (user)
		d = platform_guard_decide(g, user, access, reason, sizeof(reason));
	else
		snprintf(reason, sizeof(reason), "the request was not authenticated");
	bool allowed = d == PLATFORM_ALLOWED;
	describe(access, object, sizeof(object));
	emit("api.authorize", user, req, object, allowed, reason);
	if (!allowed && user)
		forbid(resp, user, access, d == PLATFORM_DENIED_BY_TENANT_BOUNDARY ? reason : NULL);
	else if (!allowed)
		platform_status_error(resp, 401, NULL, NULL, NULL, "Unauthorized");
	return allowed;
}

/* ---- impersonation ---- */

/* One impersonation check: the requester may `impersonate` the resource (name), or 403. */
static bool may_impersonate(struct platform_guard *g, const struct cc_http_request *req,
			    const struct platform_user *requester, const char *group, const char *resource,
			    const char *namespace, const char *name, struct cc_http_response *resp)
{
	struct platform_access a = { .verb = "impersonate",
				     .resource_request = true,
				     .group = group,
				     .resource = resource,
				     .namespace = namespace,
				     .name = name };
	struct cc_http_request as_requester = *req;
	as_requester.principal = requester;
	return platform_guard_authorize(g, &as_requester, &a, resp);
}

/* The Impersonate-* headers: the user becomes the one named, if the requester may impersonate
 * each part of it. 1: nothing to impersonate; 0: user replaced; -EPERM: resp holds the refusal. */
static int impersonate(struct platform_guard *g, const struct cc_http_request *req, struct platform_user *user,
		       struct cc_http_response *resp)
{
	const char *as = cc_http_request_header(req, "impersonate-user");
	const char *as_uid = cc_http_request_header(req, "impersonate-uid");
	bool any = as || as_uid;
	for (size_t i = 0; i < req->header_count && !any; i++)
		any = strncasecmp(req->headers[i].name, "impersonate-", 12) == 0;
	if (!any)
		return 1;
	if (!as) {
		platform_status_error(resp, 400, NULL, NULL, NULL,
				      "requested impersonation of groups, uid or extra without impersonating a user");
		return -EPERM;
	}
	struct platform_user target;
	platform_user_init(&target, as, "impersonation");
	/* system:serviceaccount:NS:NAME is a service account: impersonated as serviceaccounts/NAME. */
	char ns[254] = "", sa[254] = "";
	bool is_sa = sscanf(as, "system:serviceaccount:%253[^:]:%253s", ns, sa) == 2;
	bool ok = is_sa ? may_impersonate(g, req, user, "", "serviceaccounts", ns, sa, resp)
			: may_impersonate(g, req, user, "", "users", NULL, as, resp);
	if (ok && as_uid) {
		ok = may_impersonate(g, req, user, "authentication.k8s.io", "uids", NULL, as_uid, resp);
		snprintf(target.uid, sizeof(target.uid), "%s", as_uid);
	}
	for (size_t i = 0; ok && i < req->header_count; i++) {
		const struct cc_http_header *h = &req->headers[i];
		if (strcasecmp(h->name, "impersonate-group") == 0) {
			ok = may_impersonate(g, req, user, "", "groups", NULL, h->value, resp);
			platform_user_add_group(&target, h->value);
		} else if (strncasecmp(h->name, "impersonate-extra-", 18) == 0) {
			char key[128];
			snprintf(key, sizeof(key), "%s", h->name + 18);
			for (char *p = key; *p; p++)
				*p = (char)tolower((unsigned char)*p);
			_cleanup_free_ char *resource = cc_xasprintf("userextras/%s", key);
			ok = may_impersonate(g, req, user, "authentication.k8s.io", resource, NULL, h->value, resp);
			if (!target.extra)
				target.extra = json_object();
			json_t *values = json_object_get(target.extra, key);
			if (!values) {
				values = json_array();
				json_object_set_new(target.extra, key, values);
			}
			json_array_append_new(values, json_string(h->value));
		}
	}
	char why[512];
	if (ok && g->tenancy && !platform_tenancy_may_impersonate(g->tenancy, user, &target, why, sizeof(why))) {
		char object[600];
		snprintf(object, sizeof(object), "impersonate %s", as);
		emit("api.authorize", user, req, object, false, why);
		platform_status_error(resp, 403, NULL, NULL, NULL, "%s", why);
		ok = false;
	}
	if (!ok) {
		platform_user_clear(&target);
		return -EPERM;
	}
	if (is_sa) {
		platform_user_add_group(&target, "system:serviceaccounts");
		char group[300];
		snprintf(group, sizeof(group), "system:serviceaccounts:%s", ns);
		platform_user_add_group(&target, group);
	}
	if (strcmp(as, "system:anonymous") != 0)
		platform_user_add_group(&target, "system:authenticated");
	platform_user_clear(user);
	*user = target;
	return 0;
}

/* ---- the wrapper ---- */

static void guarded_handler(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct guarded *w = userdata;
	struct platform_guard *g = w->guard;
	struct platform_user user;
	char why[256];
	if (platform_authn_authenticate(g->authn, req, &user, why, sizeof(why)) < 0) {
		char object[600];
		snprintf(object, sizeof(object), "%s %s", req->method, req->path);
		emit("api.authenticate", NULL, req, object, false, why);
		platform_status_error(resp, 401, NULL, NULL, NULL, "Unauthorized");
		return;
	}
	/* A token proved who the client is: from now on its connection counts as authenticated. */
	resp->peer_authenticated = strcmp(user.authenticator, "anonymous") != 0;
	struct cc_http_request as_user = *req;
	as_user.principal = &user;
	if (impersonate(g, &as_user, &user, resp) < 0) {
		platform_user_clear(&user);
		return;
	}
	if (w->mode == PLATFORM_GUARD_AUTHORIZE_PATH) {
		char verb[16];
		snprintf(verb, sizeof(verb), "%s", req->method);
		for (char *p = verb; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		struct platform_access a = { .verb = strcmp(verb, "head") == 0 ? "get" : verb, .path = req->path };
		if (!platform_guard_authorize(g, &as_user, &a, resp)) {
			platform_user_clear(&user);
			return;
		}
	}
	w->handler(&as_user, resp, w->userdata);
	platform_user_clear(&user);
}

void platform_guard_routes(struct platform_guard *g, struct cc_http_route *routes, size_t count,
			   enum platform_guard_mode mode)
{
	for (size_t i = 0; i < count; i++) {
		struct guarded *w = cc_xcalloc(1, sizeof(*w));
		*w = (struct guarded){ .guard = g,
				       .handler = routes[i].handler,
				       .userdata = routes[i].userdata,
				       .mode = mode,
				       .next = g->wrappers };
		g->wrappers = w;
		routes[i].handler = guarded_handler;
		routes[i].userdata = w;
	}
}
