/* The key broker's admin API, under /kbs/v0/admin/<tenant>/:
 *
 *   PUT|GET  policy                          the tenant's attestation policy (YAML or JSON rules)
 *   PUT|DELETE resource/<repo>/<type>/<tag>  a secret (the body, up to 64 KiB)
 *   GET      resources                       the tenant's resource paths
 *   PUT      node/<name>                     a node's EK certificate (enrollment: the node then registers
 *                                            its AK by credential activation) or its AK (TPM2B_PUBLIC)
 *   PUT|GET  mtls                            the tenant's mTLS configuration (kbs_mtls.h)
 *   POST     mtls/ca                         a CSR for the tenant's issuing CA key, made and sealed here
 *   POST     mtls/ca?rotate=true             a rotation: a CSR for the next CA's key (kbs_mtls_ca.h)
 *   PUT|GET  mtls/ca                         the certificate the tenant's root signed for either key;
 *                                            the CAs (the previous one while it stays)
 *   POST     mtls/revoke                     revokes a pod certificate by serial, or a node's (kbs_mtls_revoke.h)
 *
 * Clients with a certificate from the configured CA: O=<tenant> manages that tenant, O=<admin group>
 * every tenant; or, with --delegate-url, a bearer token the platform authenticates and whose user
 * its RBAC allows (kbs_delegate.h). Each request is an audit event naming who made it. */
#include "kbs/kbs_delegate.h"
#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_ca.h"
#include "kbs/kbs_mtls_revoke.h"
#include "kbs/kbs_private.h"
#include "kbs/kbs_tenant.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define ADMIN_PREFIX "/kbs/v0/admin/"

static bool may_administer(const struct kbs *kbs, const struct cc_peer *peer, const char *tenant)
{
	for (int i = 0; peer && peer->cert_verified && i < peer->group_count; i++)
		if (strcmp(peer->groups[i], kbs->cfg.admin_group) == 0 || strcmp(peer->groups[i], tenant) == 0)
			return true;
	return false;
}

/* The admin path's subresource in the platform's RBAC: tenants/policy, tenants/resources, tenants/nodes,
 * tenants/mtls. */
static const char *subresource_of(const char *what)
{
	return strcmp(what, "policy") == 0         ? "policy"
	       : strncmp(what, "resource", 8) == 0 ? "resources"
	       : strncmp(what, "node/", 5) == 0    ? "nodes"
	       : strncmp(what, "mtls", 4) == 0     ? "mtls"
						   : "";
}

/* "Bearer TOKEN" of the Authorization header, or NULL. */
static const char *bearer_token(const struct cc_http_request *req)
{
	const char *h = cc_http_request_header(req, "authorization");
	return h && strncasecmp(h, "Bearer ", 7) == 0 && h[7] ? h + 7 : NULL;
}

/* Who asks, and whether they may: a client certificate of the tenant or the admin group, or a
 * bearer token the platform vouches for. false after answering (401, 403 or 503) and recording. */
static bool admitted(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
		     const char *action, const char *tenant, const char *what, char *actor, size_t actor_size)
{
	const char *token = bearer_token(req);
	if (req->peer && req->peer->cert_verified) {
		snprintf(actor, actor_size, "%s", req->peer->common_name);
		if (may_administer(kbs, req->peer, tenant))
			return true;
		kbs_record(req, action, tenant, what, false, "certificate not for this tenant");
		kbs_problem(resp, 403, "Forbidden", "`%s` may not administer tenant `%s`", req->peer->common_name,
			    tenant);
		return false;
	}
	if (!token || !kbs->cfg.delegate.url) {
		kbs_record(req, action, tenant, what, false, "no client certificate");
		kbs_problem(resp, 401, "UnAuthenticated",
			    kbs->cfg.delegate.url ? "the admin API needs a client certificate or a bearer token"
						  : "the admin API needs a client certificate");
		return false;
	}
	char reason[512];
	bool authenticated = false;
	struct cc_error err = { 0 };
	int r = kbs_delegate_authorize(&kbs->cfg.delegate, token, req->method, tenant, subresource_of(what), actor,
				       actor_size, reason, sizeof(reason), &authenticated, &err);
	if (r < 0) {
		kbs_record(req, action, tenant, what, false, cc_error_message(&err));
		kbs_problem(resp, 503, "Internal", "the platform that vouches for tokens cannot be asked: %s",
			    cc_error_message(&err));
		return false;
	}
	if (r == 0) {
		kbs_record_as(authenticated ? actor : NULL, action, tenant, what, false, reason);
		kbs_problem(resp, authenticated ? 403 : 401, authenticated ? "Forbidden" : "UnAuthenticated", "%s",
			    reason);
		return false;
	}
	return true;
}

static int status_of(int r)
{
	return r == -ENOENT ? 404 : r == -EINVAL || r == -EFBIG ? 400 : 500;
}

static void policy(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
		   const char *tenant, struct cc_error *err)
{
	if (strcmp(req->method, "PUT") == 0) {
		int r =
		    kbs_policy_put(kbs->cfg.store, tenant, req->body.data ? req->body.data : "", req->body.len, err);
		if (r < 0)
			return kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(err));
		resp->status = 204;
		return;
	}
	if (strcmp(req->method, "GET") != 0)
		return kbs_problem(resp, 405, "InvalidRequest", "policy takes GET or PUT");
	json_t *p = NULL;
	int r = kbs_policy_get(kbs->cfg.store, tenant, &p, err);
	if (r < 0)
		return kbs_problem(resp, status_of(r), "PolicyNotFound", "%s", cc_error_message(err));
	cc_http_response_json(resp, 200, p);
}

static void resource(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
		     const char *tenant, const char *path, struct cc_error *err)
{
	int r;
	if (strcmp(req->method, "PUT") == 0)
		r = kbs_resource_put(kbs->cfg.store, kbs->root, tenant, path, req->body.data, req->body.len, err);
	else if (strcmp(req->method, "DELETE") == 0)
		r = kbs_resource_delete(kbs->cfg.store, tenant, path, err);
	else
		return kbs_problem(resp, 405, "InvalidRequest", "a resource takes PUT or DELETE here; guests GET it");
	if (r < 0)
		return kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(err));
	resp->status = 204;
}

/* PUT stores the tenant's mTLS configuration: a `kbs.mtls.config` event either way, since it decides
 * whether and how pods of the tenant get certificates. */
static void mtls_config(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
			const char *tenant, const char *actor, struct cc_error *err)
{
	json_t *cfg = NULL;
	int r;
	if (strcmp(req->method, "PUT") == 0) {
		r = kbs_mtls_config_put(kbs->cfg.store, tenant, req->body.data ? req->body.data : "", req->body.len,
					&cfg, err);
		_cleanup_free_ char *what = r == 0 ? cc_json_canonical(cfg) : NULL;
		kbs_record_as(actor, "kbs.mtls.config", tenant, what ? what : "mtls", r == 0,
			      r == 0 ? NULL : cc_error_message(err));
	} else if (strcmp(req->method, "GET") == 0) {
		r = kbs_mtls_config_get(kbs->cfg.store, tenant, &cfg, err);
	} else {
		return kbs_problem(resp, 405, "InvalidRequest", "mtls takes GET or PUT");
	}
	if (r < 0)
		return kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(err));
	cc_http_response_json(resp, 200, cfg);
}

/* POST ?rotate=true starts a rotation (201, a `kbs.mtls.ca.rotate` event) or goes on with the one
 * started (200): the CSR for the next CA's key, while the active CA keeps issuing; 409 when there is
 * nothing to rotate or a previous CA still stays in the bundle. */
static void mtls_ca_rotate(struct kbs *kbs, struct cc_http_response *resp, const char *tenant, const char *actor,
			   struct cc_error *err)
{
	_cleanup_free_ char *pem = NULL;
	bool created = false;
	unsigned generation = 0;
	int r = kbs_mtls_ca_rotate(kbs->cfg.store, kbs->root, tenant, &pem, &created, &generation, err);
	if (created || r < 0) {
		_cleanup_free_ char *what = cc_xasprintf("mtls/ca generation %u", generation);
		kbs_record_as(actor, "kbs.mtls.ca.rotate", tenant, r == 0 ? what : "mtls/ca", r == 0,
			      r == 0 ? NULL : cc_error_message(err));
	}
	if (r < 0)
		return kbs_problem(resp, r == -EBUSY ? 409 : status_of(r), r == -EBUSY ? "Conflict" : "InvalidRequest",
				   "%s", cc_error_message(err));
	cc_http_response_json(resp, created ? 201 : 200,
			      json_pack("{s:s, s:i}", "csr", pem, "generation", (int)generation));
}

/* PUT activates a certificate the tenant's root signed: a `kbs.mtls.ca.activate` event, refused or
 * not, saying whether a rotation switched and until when the previous CA stays. */
static void mtls_ca_activate(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
			     const char *tenant, const char *actor, struct cc_error *err)
{
	struct kbs_mtls_activation info;
	int r = kbs_mtls_ca_activate(kbs->cfg.store, kbs->root, tenant, req->body.data ? req->body.data : "",
				     req->body.len, kbs->cfg.client_ca, kbs->cfg.client_ca_len, &info, err);
	_cleanup_free_ char *what = cc_xasprintf("mtls/ca serial %s", info.serial[0] ? info.serial : "(none)");
	json_t *extra = NULL;
	if (r == 0) {
		extra = json_pack("{s:i, s:b}", "generation", (int)info.generation, "switched", info.switched);
		if (info.switched)
			json_object_set_new(extra, "previous",
					    json_pack("{s:s, s:I}", "serial", info.previous_serial, "until",
						      (json_int_t)info.previous_until));
	}
	kbs_record_extra(actor, "kbs.mtls.ca.activate", tenant, what, r == 0, r == 0 ? NULL : cc_error_message(err),
			 extra);
	if (r < 0)
		return kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(err));
	resp->status = 204;
}

/* POST answers a CSR for the active CA's key (201 when the key was made now: a `kbs.mtls.ca.create`
 * event), or with ?rotate=true for the next one; PUT activates the root's certificate for either;
 * GET shows the CAs. A key itself is never answered. */
static void mtls_ca(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
		    const char *tenant, const char *actor, struct cc_error *err)
{
	_cleanup_free_ char *pem = NULL, *rotate = cc_http_request_query(req, "rotate");
	json_t *status = NULL;
	int r;
	if (rotate && strcmp(rotate, "true") != 0 && strcmp(rotate, "false") != 0)
		return kbs_problem(resp, 400, "InvalidRequest", "rotate is true or false");
	if (strcmp(req->method, "POST") == 0 && rotate && strcmp(rotate, "true") == 0) {
		return mtls_ca_rotate(kbs, resp, tenant, actor, err);
	} else if (strcmp(req->method, "POST") == 0) {
		bool created = false;
		r = kbs_mtls_ca_request(kbs->cfg.store, kbs->root, tenant, &pem, &created, err);
		if (created || r < 0)
			kbs_record_as(actor, "kbs.mtls.ca.create", tenant, "mtls/ca", r == 0,
				      r == 0 ? NULL : cc_error_message(err));
		if (r == 0)
			return cc_http_response_json(resp, created ? 201 : 200, json_pack("{ss}", "csr", pem));
	} else if (strcmp(req->method, "PUT") == 0) {
		return mtls_ca_activate(kbs, req, resp, tenant, actor, err);
	} else if (strcmp(req->method, "GET") == 0) {
		r = kbs_mtls_ca_status(kbs->cfg.store, tenant, &status, err);
		if (r == 0)
			return cc_http_response_json(resp, 200, status);
	} else {
		return kbs_problem(resp, 405, "InvalidRequest", "mtls/ca takes POST, PUT or GET");
	}
	kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(err));
}

void kbs_admin_handle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	struct cc_error err = { 0 };
	const char *rest = req->path + strlen(ADMIN_PREFIX);
	char tenant[64];
	size_t n = strcspn(rest, "/");
	if (n == 0 || n >= sizeof(tenant) || rest[n] != '/')
		return kbs_problem(resp, 404, "InvalidRequest", "admin paths are /kbs/v0/admin/<tenant>/...");
	memcpy(tenant, rest, n);
	tenant[n] = '\0';
	const char *what = rest + n + 1;
	char action[48];
	snprintf(action, sizeof(action), "kbs.admin.%s", strcmp(req->method, "GET") == 0 ? "read" : "write");
	if (keyring_check_name("tenant", tenant, &err) < 0) {
		kbs_record(req, action, NULL, what, false, cc_error_message(&err));
		return kbs_problem(resp, 400, "InvalidRequest", "%s", cc_error_message(&err));
	}
	char actor[256];
	if (!admitted(kbs, req, resp, action, tenant, what, actor, sizeof(actor)))
		return;
	if (strcmp(what, "policy") == 0) {
		policy(kbs, req, resp, tenant, &err);
	} else if (strncmp(what, "resource/", 9) == 0) {
		resource(kbs, req, resp, tenant, what + 9, &err);
	} else if (strcmp(what, "resources") == 0 && strcmp(req->method, "GET") == 0) {
		json_t *list = NULL;
		int r = kbs_resource_list(kbs->cfg.store, tenant, &list, &err);
		if (r < 0)
			kbs_problem(resp, status_of(r), "Internal", "%s", cc_error_message(&err));
		else
			cc_http_response_json(resp, 200, list);
	} else if (strncmp(what, "node/", 5) == 0 && strcmp(req->method, "PUT") == 0) {
		/* An EK certificate enrolls the node (it then registers its AK itself); a TPM2B_PUBLIC
		 * registers the AK directly. */
		const uint8_t *body = (const uint8_t *)req->body.data;
		int r = body && kbs_is_certificate(body, req->body.len)
			    ? kbs_enrollment_put(kbs->cfg.store, tenant, what + 5, body, req->body.len, &err)
			    : kbs_node_put(kbs->cfg.store, tenant, what + 5, body, req->body.len, &err);

		if (r < 0)
			kbs_problem(resp, status_of(r), "InvalidRequest", "%s", cc_error_message(&err));
		else
			resp->status = 204;
	} else if (strcmp(what, "mtls") == 0) {
		mtls_config(kbs, req, resp, tenant, actor, &err);
	} else if (strcmp(what, "mtls/ca") == 0) {
		mtls_ca(kbs, req, resp, tenant, actor, &err);
	} else if (strcmp(what, "mtls/revoke") == 0) {
		kbs_mtls_admin_revoke(kbs, req, resp, tenant, actor);
	} else {
		kbs_problem(resp, 404, "InvalidRequest",
			    "unknown admin path `%s` (policy, resource/..., resources, node/..., mtls, mtls/ca, "
			    "mtls/revoke)",
			    what);
	}
	bool ok = resp->status < 400;
	kbs_record_as(actor, action, tenant, what, ok, ok ? NULL : (err.code ? cc_error_message(&err) : "refused"));
}
