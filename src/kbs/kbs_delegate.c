/* Delegated authentication and authorization of the admin API (see kbs_delegate.h). */
#include "kbs/kbs_delegate.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static int review(const struct kbs_delegate_config *cfg, const char *path, json_t *body, json_t **ret,
		  struct cc_error *err)
{
	struct cc_http_client_config client = {
		.ca_file = cfg->ca, .cert_file = cfg->cert, .key_file = cfg->key, .timeout_ms = 10000
	};
	_cleanup_free_ char *url = cc_xasprintf("%s%s", cfg->url, path);
	long status = 0;
	int r = cc_http_client_json(&client, "POST", url, body, &status, ret, err);
	json_decref(body);
	if (r < 0)
		return r;
	if (status != 201 && status != 200) {
		const char *message = json_string_value(json_object_get(*ret, "message"));
		json_decref(*ret);
		*ret = NULL;
		return cc_error_set(err, EIO, "POST %s: HTTP %ld%s%s", url, status, message ? ": " : "",
				    message ? message : "");
	}
	return 0;
}

static const char *verb_of(const char *method)
{
	return strcmp(method, "GET") == 0 ? "get" : strcmp(method, "DELETE") == 0 ? "delete" : "update";
}

int kbs_delegate_authorize(const struct kbs_delegate_config *cfg, const char *token, const char *method,
			   const char *tenant, const char *subresource, char *user, size_t user_size, char *reason,
			   size_t reason_size, bool *ret_authenticated, struct cc_error *err)
{
	*ret_authenticated = false;
	snprintf(user, user_size, "%s", "");
	_cleanup_json_ json_t *who = NULL, *verdict = NULL;
	int r = review(cfg, "/apis/authentication.k8s.io/v1/tokenreviews",
		       json_pack("{s:s, s:s, s:{s:s}}", "apiVersion", "authentication.k8s.io/v1", "kind", "TokenReview",
				 "spec", "token", token),
		       &who, err);
	if (r < 0)
		return cc_error_prefix(err, "authenticate the bearer token");
	const json_t *status = json_object_get(who, "status");
	if (!json_is_true(json_object_get(status, "authenticated"))) {
		const char *why = json_string_value(json_object_get(status, "error"));
		snprintf(reason, reason_size, "the platform did not authenticate the token%s%s", why ? ": " : "",
			 why ? why : "");
		return 0;
	}
	*ret_authenticated = true;
	const json_t *u = json_object_get(status, "user");
	snprintf(user, user_size, "%s", json_string_value(json_object_get(u, "username")) ?: "");
	json_t *attributes = json_pack("{s:s, s:s, s:s, s:s}", "group", "kbs.cocoon.dev", "resource", "tenants", "name",
				       tenant, "verb", verb_of(method));
	if (subresource && subresource[0])
		json_object_set_new(attributes, "subresource", json_string(subresource));
	json_t *spec = json_pack("{s:s, s:o}", "user", user, "resourceAttributes", attributes);
	const char *const fields[] = { "groups", "uid", "extra" };
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (json_object_get(u, fields[i]))
			json_object_set(spec, fields[i], json_object_get(u, fields[i]));
	r = review(cfg, "/apis/authorization.k8s.io/v1/subjectaccessreviews",
		   json_pack("{s:s, s:s, s:o}", "apiVersion", "authorization.k8s.io/v1", "kind", "SubjectAccessReview",
			     "spec", spec),
		   &verdict, err);
	if (r < 0)
		return cc_error_prefix(err, "authorize `%s`", user);
	status = json_object_get(verdict, "status");
	bool allowed =
	    json_is_true(json_object_get(status, "allowed")) && !json_is_true(json_object_get(status, "denied"));
	const char *why = json_string_value(json_object_get(status, "reason"));
	snprintf(reason, reason_size, "%s %s tenants/%s%s%s in kbs.cocoon.dev: %s", user, verb_of(method), tenant,
		 subresource && subresource[0] ? "/" : "", subresource ? subresource : "",
		 allowed ? (why && why[0] ? why : "allowed") : (why && why[0] ? why : "no RBAC rule allows it"));
	return allowed ? 1 : 0;
}
