/* The connection, requests and discovery of the kubectl-like verbs (kube_client.h). */
#include "kube_client.h"

#include "cmd/cli.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum {
	OPT_SERVER = 0x100,
	OPT_PKI,
	OPT_SOCKET,
};

static const struct option connection_options[] = {
	{ "server", required_argument, NULL, OPT_SERVER },
	{ "pki", required_argument, NULL, OPT_PKI },
	{ "socket", required_argument, NULL, OPT_SOCKET },
	{ "namespace", required_argument, NULL, 'n' },
};

struct option *kube_options(const struct option *verb_options)
{
	size_t n = 0;
	while (verb_options[n].name)
		n++;
	struct option *all = cc_xcalloc(n + CC_ARRAY_SIZE(connection_options) + 1, sizeof(*all));
	memcpy(all, verb_options, n * sizeof(*all));
	memcpy(all + n, connection_options, sizeof(connection_options));
	return all;
}

void kube_init(struct kube *k, const char *program)
{
	*k = (struct kube){ .program = program, .http = { .timeout_ms = 30000 }, .pki = "/var/lib/cocoon/pki" };
	snprintf(k->server, sizeof(k->server), "https://127.0.0.1:7443");
}

bool kube_option(struct kube *k, int c, const char *arg)
{
	switch (c) {
	case OPT_SERVER: snprintf(k->server, sizeof(k->server), "%s", arg); return true;
	case OPT_PKI: k->pki = arg; return true;
	case OPT_SOCKET: k->http.unix_socket = arg; return true;
	case 'n': k->namespace = arg; return true;
	default: return false;
	}
}

void kube_connect(struct kube *k)
{
	if (k->http.unix_socket) {
		snprintf(k->server, sizeof(k->server), "http://localhost");
		return;
	}
	snprintf(k->ca, sizeof(k->ca), "%s/ca.crt", k->pki);
	snprintf(k->cert, sizeof(k->cert), "%s/admin.crt", k->pki);
	snprintf(k->key, sizeof(k->key), "%s/admin.key", k->pki);
	k->http.ca_file = k->ca, k->http.cert_file = k->cert, k->http.key_file = k->key;
}

void kube_clear(struct kube *k)
{
	json_decref(k->discovery);
	k->discovery = NULL;
}

const char *kube_namespace(const struct kube *k)
{
	return k->namespace ? k->namespace : "default";
}

/* metav1.StatusReason for a status without a Status document (apimachinery's errors.go). */
static const char *status_reason(long status)
{
	static const struct {
		long status;
		const char *reason;
	} reasons[] = {
		{ 400, "BadRequest" },      { 401, "Unauthorized" },          { 403, "Forbidden" },
		{ 404, "NotFound" },        { 405, "MethodNotAllowed" },      { 409, "Conflict" },
		{ 410, "Expired" },         { 413, "RequestEntityTooLarge" }, { 422, "Invalid" },
		{ 429, "TooManyRequests" }, { 500, "InternalError" },         { 503, "ServiceUnavailable" },
		{ 504, "Timeout" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(reasons); i++)
		if (reasons[i].status == status)
			return reasons[i].reason;
	return "Unknown";
}

void kube_print_status(long status, const json_t *doc)
{
	const char *reason = json_string_value(json_object_get(doc, "reason"));
	const char *message = json_string_value(json_object_get(doc, "message"));
	fprintf(stderr, "Error from server (%s): %s\n", reason && *reason ? reason : status_reason(status),
		message ? message : "");
}

int kube_request(struct kube *k, const char *method, const char *path, const char *type, const char *body,
		 const char *accept, long *ret_status, json_t **ret)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s", k->server, path);
	_cleanup_free_ char *accept_header = accept ? cc_xasprintf("Accept: %s", accept) : NULL;
	const char *headers[] = { accept_header, NULL };
	struct cc_http_client_config cfg = k->http;
	cfg.headers = accept ? headers : NULL;
	struct cc_http_result res;
	struct cc_error err = { 0 };
	if (cc_http_client_request(&cfg, method, url, type, body, body ? strlen(body) : 0, &res, &err) < 0) {
		cli_error(k->program, "%s", cc_error_message(&err));
		return -1;
	}
	json_t *doc = NULL;
	if (res.body.len)
		cc_json_parse(res.body.data, res.body.len, 64u << 20, url, &doc, NULL);
	long status = res.status;
	cc_http_result_free(&res);
	*ret_status = status;
	/* 404 goes back to a caller that wants the answer (absent is news to apply, an error to get). */
	if (status >= 400 && !(status == 404 && ret)) {
		kube_print_status(status, doc);
		json_decref(doc);
		return -1;
	}
	if (ret)
		*ret = doc;
	else
		json_decref(doc);
	return 0;
}

int kube_get(struct kube *k, const char *path, json_t **ret)
{
	long status;
	json_t *doc = NULL;
	if (kube_request(k, "GET", path, NULL, NULL, NULL, &status, &doc) < 0)
		return -1;
	if (status == 404) {
		kube_print_status(status, doc);
		json_decref(doc);
		return -1;
	}
	*ret = doc;
	return 0;
}

int kube_load_discovery(struct kube *k)
{
	k->discovery = json_array();
	long status;
	json_t *groups = NULL;
	if (kube_request(k, "GET", "/apis", NULL, NULL, NULL, &status, &groups) < 0)
		return -1;
	json_t *prefixes = json_pack("[s]", "/api/v1");
	size_t i;
	json_t *g;
	json_array_foreach (json_object_get(groups, "groups"), i, g) {
		const char *gv =
		    json_string_value(json_object_get(json_object_get(g, "preferredVersion"), "groupVersion"));
		if (gv)
			json_array_append_new(prefixes, json_sprintf("/apis/%s", gv));
	}
	json_decref(groups);
	json_t *prefix;
	json_array_foreach (prefixes, i, prefix) {
		json_t *list = NULL;
		if (kube_request(k, "GET", json_string_value(prefix), NULL, NULL, NULL, &status, &list) < 0) {
			json_decref(prefixes);
			return -1;
		}
		size_t j;
		json_t *r;
		json_array_foreach (json_object_get(list, "resources"), j, r)
			if (!strchr(json_string_value(json_object_get(r, "name")) ?: "/", '/'))
				json_array_append_new(k->discovery,
						      json_pack("{s:O, s:O}", "path", prefix, "resource", r));
		json_decref(list);
	}
	json_decref(prefixes);
	return 0;
}

static bool names_resource(const json_t *r, const char *name)
{
	const char *fields[] = { "name", "singularName", "kind" };
	for (size_t i = 0; i < 3; i++) {
		const char *v = json_string_value(json_object_get(r, fields[i]));
		if (v && strcasecmp(v, name) == 0)
			return true;
	}
	size_t i;
	json_t *s;
	json_array_foreach (json_object_get(r, "shortNames"), i, s)
		if (strcasecmp(json_string_value(s) ?: "", name) == 0)
			return true;
	return false;
}

static void set_resource(const json_t *entry, struct resource *ret)
{
	const char *path = json_string_value(json_object_get(entry, "path"));
	snprintf(ret->prefix, sizeof(ret->prefix), "%s", path);
	ret->info = json_object_get(entry, "resource");
	ret->group = strncmp(path, "/apis/", 6) == 0 ? path + 6 : "";
}

bool kube_find_resource(struct kube *k, const char *name, const char *api_version, struct resource *ret)
{
	/* "deployment.apps" or "replicasets.apps", as kubectl get -o name writes them: the group's
	 * resource. */
	const char *dot = api_version ? NULL : strchr(name, '.');
	_cleanup_free_ char *bare = dot ? cc_xstrndup(name, (size_t)(dot - name)) : NULL;
	_cleanup_free_ char *group_prefix = dot ? cc_xasprintf("/apis/%s/", dot + 1) : NULL;
	size_t i;
	json_t *entry;
	json_array_foreach (k->discovery, i, entry) {
		const char *path = json_string_value(json_object_get(entry, "path"));
		if (dot && strncmp(path, group_prefix, strlen(group_prefix)) == 0 &&
		    names_resource(json_object_get(entry, "resource"), bare)) {
			set_resource(entry, ret);
			return true;
		}
		if (api_version) {
			char want[200];
			snprintf(want, sizeof(want), strchr(api_version, '/') ? "/apis/%s" : "/api/%s", api_version);
			if (strcmp(path, want) != 0 ||
			    strcmp(json_string_value(json_object_get(json_object_get(entry, "resource"), "kind")) ?: "",
				   name) != 0)
				continue;
		} else if (!names_resource(json_object_get(entry, "resource"), name)) {
			continue;
		}
		set_resource(entry, ret);
		return true;
	}
	cli_error(k->program, "the server doesn't have a resource type \"%s\"%s%s", name, api_version ? " in " : "",
		  api_version ? api_version : "");
	return false;
}

char *kube_object_path(const struct resource *r, const char *namespace, const char *name)
{
	bool namespaced = json_is_true(json_object_get(r->info, "namespaced"));
	const char *resource = json_string_value(json_object_get(r->info, "name"));
	if (namespaced && namespace)
		return cc_xasprintf("%s/namespaces/%s/%s%s%s", r->prefix, namespace, resource, name ? "/" : "",
				    name ? name : "");
	return cc_xasprintf("%s/%s%s%s", r->prefix, resource, name ? "/" : "", name ? name : "");
}

void kube_type_name(const struct resource *r, char *out, size_t size)
{
	const char *kind = json_string_value(json_object_get(r->info, "kind")) ?: "";
	char group[128];
	snprintf(group, sizeof(group), "%s", r->group);
	char *slash = strchr(group, '/');
	if (slash)
		*slash = '\0';
	size_t n = 0;
	for (; kind[n] && n + 1 < size; n++)
		out[n] = (char)tolower((unsigned char)kind[n]);
	out[n] = '\0';
	if (group[0])
		snprintf(out + n, size - n, ".%s", group);
}

char *kube_query_escape(const char *value)
{
	struct cc_buf enc = CC_BUF_INIT;
	cc_buf_append(&enc, "", 0);
	for (const char *p = value; *p; p++)
		if (isalnum((unsigned char)*p) || strchr("-._~", *p))
			cc_buf_append(&enc, p, 1);
		else
			cc_buf_appendf(&enc, "%%%02X", (unsigned char)*p);
	return cc_buf_steal(&enc, NULL);
}
