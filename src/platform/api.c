/* The REST layer of the platform's Kubernetes API (see api.h): a request's path is parsed into
 * group, version, namespace, resource, name and subresource as kube-apiserver's installer lays them
 * out, authorized, then handed to one function per verb. Discovery lives in discovery.c, admission in
 * admit.c, Tables in table.c. */
#include "platform/api.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/event/emit.h"
#include "lib/json/json.h"
#include "lib/json/kube_object.h"
#include "lib/json/yaml.h"
#include "lib/net/response_stream.h"
#include "platform/access.h"
#include "platform/access_review.h"
#include "platform/admit.h"
#include "platform/apply.h"
#include "platform/audit_log.h"
#include "platform/discovery.h"
#include "platform/eviction.h"
#include "platform/field_manager.h"
#include "platform/field_validation.h"
#include "platform/finalizers.h"
#include "platform/image_admission.h"
#include "platform/mtls_admission.h"
#include "platform/objects.h"
#include "platform/openapi.h"
#include "platform/patch.h"
#include "platform/pod_logs.h"
#include "platform/pod_mtls_admission.h"
#include "platform/protobuf.h"
#include "platform/rbac_admission.h"
#include "platform/sa_admission.h"
#include "platform/sa_tokens.h"
#include "platform/selector.h"
#include "platform/service_ips.h"
#include "platform/status.h"
#include "platform/table.h"
#include "platform/target.h"
#include "platform/tenancy.h"
#include "platform/tenant_admission.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_REQUEST (3u << 20) /* kube-apiserver's request body limit */

struct platform_api {
	struct platform_api_config cfg;
	struct cc_http_route routes[7];
};

/* ---- helpers ---- */

/* The request body as JSON (from JSON or YAML), unvalidated; -EINVAL after answering 400 or 415. */
static int decode_body(const struct cc_http_request *req, const struct platform_resource *r,
		       struct cc_http_response *resp, json_t **ret)
{
	struct cc_error err = { 0 };
	const char *type = cc_http_request_header(req, "content-type");
	int rc;
	if (type && strncasecmp(type, PLATFORM_PROTOBUF_CONTENT_TYPE, strlen(PLATFORM_PROTOBUF_CONTENT_TYPE)) == 0) {
		/* client-go (kubectl 1.33's create, auth can-i, whoami) sends built-in kinds as protobuf. */
		rc = platform_protobuf_decode(req->body.data, req->body.len, ret, &err);
		if (rc < 0)
			platform_status_error(resp,
					      rc == -ENOTSUP ? 415
					      : rc == -E2BIG ? 413
							     : 400,
					      NULL, r, NULL, "%s", cc_error_message(&err));
		return rc < 0 ? -EINVAL : 0;
	}
	if (type && (strncasecmp(type, "application/yaml", 16) == 0 || strstr(type, "+yaml")))
		rc = cc_yaml_parse_one(req->body.data ? req->body.data : "", req->body.len, "request body", ret, &err);
	else
		rc = cc_json_parse(req->body.data ? req->body.data : "", req->body.len, MAX_REQUEST, "request body",
				   ret, &err);
	if (rc < 0)
		platform_status_error(resp, 400, NULL, r, NULL, "%s", cc_error_message(&err));
	return rc;
}

static int parse_body(const struct cc_http_request *req, const struct platform_resource *r,
		      struct cc_http_response *resp, json_t **ret)
{
	int rc = decode_body(req, r, resp, ret);
	if (rc == 0 && (rc = platform_field_validate(req, r, *ret, resp)) < 0) {
		json_decref(*ret); /* fieldValidation=Strict refused an unknown field (field_validation.c) */
		*ret = NULL;
	}
	return rc;
}

static bool query_true(const struct cc_http_request *req, const char *name)
{
	_cleanup_free_ char *v = cc_http_request_query(req, name);
	return v && (strcmp(v, "true") == 0 || strcmp(v, "1") == 0);
}

/* Selectors and paging of a list or watch; false after answering 400. A tenant user's request is
 * narrowed here (tenancy.h): lists of namespaces and Tenants by a label selector the server adds to
 * the client's, lists across namespaces by a view the store applies before paging (so that neither
 * a page's size nor its continue token tells of what is hidden). */
static bool list_options(struct platform_api *api, const struct cc_http_request *req, const struct platform_target *t,
			 const char *verb, struct platform_list_options *o, struct cc_http_response *resp)
{
	*o = (struct platform_list_options){ .namespace = t->namespace };
	const struct platform_user *user = platform_request_user(req);
	_cleanup_free_ char *scope = NULL;
	if (api->cfg.tenancy && user) {
		struct platform_access a = { .verb = verb,
					     .resource_request = true,
					     .group = t->resource->group,
					     .resource = t->resource->resource };
		scope = platform_tenancy_list_scope(api->cfg.tenancy, user, &a);
		if (t->resource->namespaced && !t->namespace)
			o->visible_ctx = platform_tenancy_view(api->cfg.tenancy, user);
		if (o->visible_ctx)
			o->visible = platform_tenant_view_visible;
	}
	_cleanup_free_ char *asked = cc_http_request_query(req, "labelSelector");
	_cleanup_free_ char *labels = !scope              ? cc_xstrdup(asked ? asked : "")
				      : asked && asked[0] ? cc_xasprintf("%s,%s", asked, scope)
							  : cc_xstrdup(scope);
	_cleanup_free_ char *fields = cc_http_request_query(req, "fieldSelector");
	_cleanup_free_ char *limit = cc_http_request_query(req, "limit");
	struct cc_error err = { 0 };
	struct platform_selector *sel = NULL;
	struct platform_field_selector *field_sel = NULL;
	if ((labels[0] && platform_selector_parse(labels, &sel, &err) < 0) ||
	    (fields && fields[0] && platform_field_selector_parse(fields, &field_sel, &err) < 0)) {
		platform_selector_free(sel);
		platform_tenant_view_free(o->visible_ctx);
		o->visible_ctx = NULL;
		platform_status_error(resp, 400, NULL, t->resource, NULL, "%s", cc_error_message(&err));
		return false;
	}
	o->labels = sel;
	o->fields = field_sel;
	if (limit)
		o->limit = strtoul(limit, NULL, 10);
	o->continue_token = cc_http_request_query(req, "continue");
	return true;
}

static void list_options_free(struct platform_list_options *o)
{
	platform_selector_free((struct platform_selector *)o->labels);
	platform_field_selector_free((struct platform_field_selector *)o->fields);
	free((char *)o->continue_token);
	platform_tenant_view_free(o->visible_ctx);
}

static void respond_error(struct cc_http_response *resp, const struct platform_target *t, int rc, struct cc_error *err)
{
	const char *name = t->name;
	switch (rc) {
	case -ENOENT:
		platform_status_error(resp, 404, NULL, t->resource, name, "%s \"%s\" not found", t->resource->resource,
				      name ? name : "");
		break;
	case -EEXIST:
		platform_status_error(resp, 409, "AlreadyExists", t->resource, name, "%s", cc_error_message(err));
		break;
	case -ESTALE:
		platform_status_error(resp, 409, "Conflict", t->resource, name, "%s", cc_error_message(err));
		break;
	case -EXFULL:
		platform_status_error(resp, 410, "Expired", t->resource, name, "%s", cc_error_message(err));
		break;
	case -EFBIG: platform_status_error(resp, 413, NULL, t->resource, name, "%s", cc_error_message(err)); break;
	default:
		cc_warning("API %s: %s", t->resource->resource, cc_error_message(err));
		platform_status_error(resp, 500, NULL, t->resource, name, "%s", cc_error_message(err));
	}
}

/* ---- verbs ---- */

/* The object the request names; false after answering (404, or the store's error). */
static bool load_target(struct platform_api *api, const struct platform_target *t, struct cc_http_response *resp,
			json_t **ret)
{
	struct cc_error err = { 0 };
	int rc = platform_objects_get(api->cfg.objects, t->resource, t->namespace, t->name, ret, &err);
	if (rc < 0)
		respond_error(resp, t, rc, &err);
	return rc == 0;
}

static bool namespace_exists(struct platform_api *api, const struct platform_target *t, struct cc_http_response *resp)
{
	if (!t->resource->namespaced || !t->namespace)
		return true;
	const struct platform_resource *ns = platform_resource_find("", "v1", "namespaces");
	json_t *obj = NULL;
	struct cc_error err = { 0 };
	int rc = platform_objects_get(api->cfg.objects, ns, NULL, t->namespace, &obj, &err);
	json_decref(obj);
	if (rc == 0)
		return true;
	platform_status_error(resp, 404, NULL, ns, t->namespace, "namespaces \"%s\" not found", t->namespace);
	return false;
}

static void get_one(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		    struct cc_http_response *resp)
{
	json_t *obj = NULL;
	if (!load_target(api, t, resp, &obj))
		return;
	if (platform_wants_table(cc_http_request_header(req, "accept"))) {
		json_t *items = json_pack("[o]", obj);
		platform_respond(resp, 200,
				 platform_table(t->resource, items,
						json_string_value(json_object_get(json_object_get(obj, "metadata"),
										  "resourceVersion"))));
		json_decref(items);
		return;
	}
	platform_respond(resp, 200, obj);
}

static void watch(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		  struct cc_http_response *resp)
{
	struct platform_list_options o;
	if (!list_options(api, req, t, "watch", &o, resp))
		return;
	if (o.visible) {
		/* a watch streams what the store sends, which a view does not narrow */
		list_options_free(&o);
		platform_status_error(resp, 403, "Forbidden", t->resource, NULL,
				      "%s is forbidden: a tenant's user watches within a namespace of the tenant",
				      t->resource->resource);
		return;
	}
	_cleanup_free_ char *rv = cc_http_request_query(req, "resourceVersion");
	int64_t from = rv ? strtoll(rv, NULL, 10) : 0;
	struct cc_response_stream *stream = cc_http_response_stream(resp, 4u << 20);
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	struct cc_error err = { 0 };
	int rc = platform_objects_watch(api->cfg.objects, t->resource, &o, from, stream, &err);
	list_options_free(&o);
	if (rc < 0) {
		/* Not streaming after all: a plain error (cc_http_response_free abandons the stream). */
		cc_response_stream_abandon(resp->stream);
		resp->stream = NULL;
		respond_error(resp, t, rc, &err);
	}
}

/* The objects a list or a collection delete addresses (selectors and paging from the query); false
 * after answering. */
static bool list_matching(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
			  bool paged, struct cc_http_response *resp, json_t **ret_items, int64_t *ret_revision,
			  char **ret_next)
{
	struct platform_list_options o;
	if (!list_options(api, req, t, "list", &o, resp))
		return false;
	if (!paged)
		o.limit = 0;
	struct cc_error err = { 0 };
	int rc = platform_objects_list(api->cfg.objects, t->resource, &o, ret_items, ret_revision, ret_next, &err);
	list_options_free(&o);
	if (rc < 0) {
		platform_status_error(resp, rc == -EINVAL ? 400 : 500, NULL, t->resource, NULL, "%s",
				      cc_error_message(&err));
		return false;
	}
	return true;
}

static void list(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		 struct cc_http_response *resp)
{
	json_t *items = NULL;
	int64_t revision;
	_cleanup_free_ char *next = NULL;
	if (!list_matching(api, t, req, true, resp, &items, &revision, &next))
		return;
	char rv[24];
	snprintf(rv, sizeof(rv), "%" PRId64, revision);
	if (platform_wants_table(cc_http_request_header(req, "accept"))) {
		json_t *table = platform_table(t->resource, items, rv);
		if (next)
			json_object_set_new(json_object_get(table, "metadata"), "continue", json_string(next));
		json_decref(items);
		platform_respond(resp, 200, table);
		return;
	}
	/* Items of a typed list carry no kind or apiVersion, as kube-apiserver writes them. */
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		json_object_del(item, "kind");
		json_object_del(item, "apiVersion");
	}
	char api_version[96], kind[96];
	platform_resource_api_version(t->resource, api_version, sizeof(api_version));
	snprintf(kind, sizeof(kind), "%sList", t->resource->kind);
	json_t *list_obj = json_pack("{s:s, s:s, s:{s:s}, s:o}", "kind", kind, "apiVersion", api_version, "metadata",
				     "resourceVersion", rv, "items", items);
	if (next)
		json_object_set_new(json_object_get(list_obj, "metadata"), "continue", json_string(next));
	platform_respond(resp, 200, list_obj);
}

/* Pod Security admission: a pod that violates its namespace's enforce level is refused (403, as
 * kube-apiserver words it); the warn level's violations, and those of a workload's pod template
 * against the enforce level, come back as a Warning header (kubectl prints them). */
static bool pod_security(struct platform_api *api, const struct platform_target *t, const json_t *obj,
			 struct cc_http_response *resp)
{
	const char *kind = t->resource->kind;
	bool pod = strcmp(kind, "Pod") == 0;
	bool workload = strcmp(kind, "Deployment") == 0 || strcmp(kind, "ReplicaSet") == 0;
	if ((!pod && !workload) || !t->namespace)
		return true;
	/* a template's metadata too: AppArmor and seccomp can be set by its annotations */
	const json_t *template = json_object_get(json_object_get(obj, "spec"), "template");
	json_t *as_pod = pod ? json_incref((json_t *)obj)
			     : json_pack("{s:O?, s:O?}", "metadata", json_object_get(template, "metadata"), "spec",
					 json_object_get(template, "spec"));
	struct platform_pss_verdict v;
	platform_pss_admit(api->cfg.objects, api->cfg.pod_security, as_pod, t->namespace, &v);
	json_decref(as_pod);
	const char *name = json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
	bool allowed = v.allowed || workload;
	if (!v.allowed && pod)
		platform_status_error(resp, 403, "Forbidden", t->resource, name, "pods \"%s\" is forbidden: %s",
				      name ? name : "", v.refusal);
	/* A workload's template "would violate" what a pod of it would be refused for. */
	_cleanup_free_ char *text = NULL;
	if (!v.allowed && workload)
		text = cc_xasprintf("would violate%s", v.refusal + strlen("violates"));
	else if (v.allowed && v.warning)
		text = cc_xstrdup(v.warning);
	if (text)
		platform_add_warning(resp, text);
	platform_pss_verdict_clear(&v);
	return allowed;
}

/* Every admission of a new object, whichever verb makes it (create, or a server-side apply of an
 * absent object); false after answering the refusal. */
/* The scanner's admission (image_admission.h) for the kinds with pods, when cocoond has policies. */
static bool scan_admission(struct platform_api *api, const struct platform_target *t, const char *operation,
			   const struct cc_http_request *req, const json_t *obj, const json_t *old,
			   struct cc_http_response *resp)
{
	const char *kind = t->resource->kind;
	if (strcmp(kind, "Pod") != 0 && strcmp(kind, "Deployment") != 0 && strcmp(kind, "ReplicaSet") != 0)
		return true;
	return platform_image_admission(api->cfg.scan_admission, t, operation, req, obj, old, resp);
}

static bool admit_new(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		      json_t *obj, struct cc_http_response *resp)
{
	bool pod = strcmp(t->resource->kind, "Pod") == 0, service = strcmp(t->resource->kind, "Service") == 0;
	bool namespace = strcmp(t->resource->kind, "Namespace") == 0, tenant = strcmp(t->resource->kind, "Tenant") == 0;
	return platform_admit_create(t->resource, obj, t->namespace, resp) == 0 &&
	       (!namespace || platform_tenant_admit_namespace(api->cfg.tenancy, api->cfg.guard, api->cfg.objects, req,
							      obj, NULL, resp)) &&
	       (!tenant || platform_tenant_admit_tenant(api->cfg.objects, obj, api->cfg.kbs_tenant, resp)) &&
	       (!pod || (platform_sa_admit_pod(api->cfg.objects, obj, resp) &&
			 platform_mtls_admit_pod(api->cfg.objects, obj, resp) &&
			 platform_mtls_guard_admit_pod(api->cfg.objects, req, obj, NULL, resp))) &&
	       pod_security(api, t, obj, resp) && scan_admission(api, t, "CREATE", req, obj, NULL, resp) &&
	       platform_rbac_admit(api->cfg.guard, req, t->resource, obj, resp) &&
	       (!service || !api->cfg.service_ips || platform_service_ips_assign(api->cfg.service_ips, obj, resp));
}

/* A new namespace gets at once what kube-controller-manager's service account and root CA
 * publisher controllers give it (its default ServiceAccount, kube-root-ca.crt), so pods created
 * right after it find their account. */
static void namespace_created(struct platform_api *api, const struct platform_target *t, const json_t *stored)
{
	if (strcmp(t->resource->kind, "Namespace") != 0)
		return;
	struct cc_error err = { 0 };
	const char *ns = json_string_value(json_object_get(json_object_get(stored, "metadata"), "name"));
	if (platform_sa_namespace_defaults(api->cfg.objects, ns, api->cfg.ca_pem, &err) < 0)
		cc_warning("namespace %s: %s", ns, cc_error_message(&err));
}

/* The end of every create (POST, or a server-side apply of an absent object): obj admitted is
 * stored; the stored object, or NULL after answering the failure. */
static json_t *store_new(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
			 json_t *obj, struct cc_http_response *resp)
{
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int rc = platform_objects_create(api->cfg.objects, t->resource, obj, &stored, &err);
	if (rc < 0) {
		struct platform_target named = *t;
		named.name = (char *)json_string_value(json_object_get(json_object_get(obj, "metadata"), "name"));
		respond_error(resp, &named, rc, &err);
		return NULL;
	}
	namespace_created(api, t, stored);
	if (strcmp(t->resource->kind, "Namespace") == 0)
		platform_mtls_namespace_changed(req, NULL, stored);
	return stored;
}

static void create(struct platform_api *api, struct platform_target *t, const struct cc_http_request *req,
		   struct cc_http_response *resp)
{
	if (t->name) {
		platform_status_error(resp, 405, NULL, t->resource, t->name, "create is done on the collection");
		return;
	}
	if (t->resource->namespaced && !t->namespace) {
		platform_status_error(resp, 404, NULL, t->resource, NULL,
				      "the server could not find the requested resource");
		return;
	}
	if (!namespace_exists(api, t, resp))
		return;
	_cleanup_(platform_write_manager_clear) struct platform_write_manager writer;
	if (!platform_write_manager_of(req, t, PLATFORM_WRITE_CREATE, &writer, resp))
		return;
	json_t *obj;
	if (parse_body(req, t->resource, resp, &obj) < 0)
		return;
	if (!admit_new(api, t, req, obj, resp)) {
		json_decref(obj);
		return;
	}
	platform_managed_fields_created(obj, t, &writer);
	json_t *stored = store_new(api, t, req, obj, resp);
	json_decref(obj);
	if (!stored)
		return;
	/* kube-apiserver's audit names the object a create made (generateName included). */
	const char *made = json_string_value(json_object_get(json_object_get(stored, "metadata"), "name"));
	if (!t->name && made) {
		t->created_name = cc_xstrdup(made);
		t->name = t->created_name;
	}
	platform_respond(resp, 201, stored);
}

static int64_t body_revision(const json_t *obj)
{
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	return rv ? strtoll(rv, NULL, 10) : 0;
}

static bool same_but_version(const json_t *a, const json_t *b)
{
	json_t *x = json_deep_copy(a), *y = json_deep_copy(b);
	json_object_del(json_object_get(x, "metadata"), "resourceVersion");
	json_object_del(json_object_get(y, "metadata"), "resourceVersion");
	bool same = json_equal(x, y);
	json_decref(x);
	json_decref(y);
	return same;
}

/* Admits obj as the new state of the stored old and writes it (the common end of PUT and PATCH).
 * The record of who owns what gets the writer's Update, or is the one a server-side apply made
 * (applied, taken). */
static void replace(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		    json_t *obj, const json_t *old, const struct platform_write_manager *writer, json_t *applied,
		    struct cc_http_response *resp)
{
	int64_t expected = body_revision(obj);
	if (platform_admit_update(t->resource, obj, old, t->subresource != NULL, resp) < 0) {
		json_decref(applied);
		return;
	}
	if (applied)
		platform_managed_fields_store(obj, applied);
	else if (!platform_managed_fields_updated(obj, old, t, writer, resp))
		return;
	if ((strcmp(t->resource->kind, "Namespace") == 0 &&
	     !platform_tenant_admit_namespace(api->cfg.tenancy, api->cfg.guard, api->cfg.objects, req, obj, old,
					      resp)) ||
	    (strcmp(t->resource->kind, "Tenant") == 0 &&
	     !platform_tenant_admit_tenant(api->cfg.objects, obj, api->cfg.kbs_tenant, resp)) ||
	    !platform_rbac_admit(api->cfg.guard, req, t->resource, obj, resp) ||
	    (strcmp(t->resource->kind, "Service") == 0 && api->cfg.service_ips &&
	     !platform_service_ips_keep(api->cfg.service_ips, old, obj, resp)) ||
	    (strcmp(t->resource->kind, "Pod") == 0 && !t->subresource &&
	     !platform_mtls_guard_admit_pod(api->cfg.objects, req, obj, old, resp)))
		return;
	/* Pod Security judges updates too, as kube-apiserver's admission does: a pod's new image or
	 * a workload's new template must meet its namespace's level; metadata and status changes are
	 * exempt (a pod that predates a stricter label can still be labelled and report status). */
	if (!t->subresource && !json_equal(json_object_get(obj, "spec"), json_object_get(old, "spec")) &&
	    (!pod_security(api, t, obj, resp) || !scan_admission(api, t, "UPDATE", req, obj, old, resp)))
		return;
	if (same_but_version(obj, old)) {
		/* Nothing changes: no write and no new resourceVersion, as kube-apiserver does for a no-op
		 * (so `kubectl apply` twice says unchanged, and watchers hear nothing). */
		platform_respond(resp, 200, json_incref((json_t *)old));
		return;
	}
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int rc = platform_objects_update(api->cfg.objects, t->resource, obj, expected, &stored, &err);
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return;
	}
	if (strcmp(t->resource->kind, "Namespace") == 0)
		platform_mtls_namespace_changed(req, old, stored);
	platform_respond(resp, 200, stored);
}

static bool scalable(const struct platform_resource *r)
{
	return strcmp(r->kind, "Deployment") == 0 || strcmp(r->kind, "ReplicaSet") == 0;
}

static bool subresource_allowed(const struct platform_target *t, struct cc_http_response *resp)
{
	if (!t->subresource || strcmp(t->subresource, "status") == 0 ||
	    (strcmp(t->subresource, "scale") == 0 && scalable(t->resource)))
		return true;
	platform_status_error(resp, 404, NULL, t->resource, t->name,
			      "the server could not find the requested resource");
	return false;
}

static void update(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		   struct cc_http_response *resp)
{
	if (!subresource_allowed(t, resp))
		return;
	_cleanup_(platform_write_manager_clear) struct platform_write_manager writer;
	if (!platform_write_manager_of(req, t, PLATFORM_WRITE_UPDATE, &writer, resp))
		return;
	_cleanup_json_ json_t *old = NULL;
	if (!load_target(api, t, resp, &old))
		return;
	_cleanup_json_ json_t *obj = NULL;
	if (parse_body(req, t->resource, resp, &obj) < 0)
		return;
	replace(api, t, req, obj, old, &writer, NULL, resp);
}

/* An apply that finds no object creates it (the record is the applier's Apply entry). */
static void apply_create(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
			 json_t *obj, json_t *record, struct cc_http_response *resp)
{
	json_t *meta = json_object_get(obj, "metadata");
	if (!json_is_object(meta)) {
		meta = json_object();
		json_object_set_new(obj, "metadata", meta);
	}
	json_object_set_new(meta, "name", json_string(t->name));
	if (!namespace_exists(api, t, resp) || !admit_new(api, t, req, obj, resp)) {
		json_decref(record);
		return;
	}
	platform_managed_fields_store(obj, record);
	json_t *stored = store_new(api, t, req, obj, resp);
	if (stored)
		platform_respond(resp, 201, stored);
}

/* Server-side apply (apply.h): the applied configuration is the manager's whole intent, merged onto
 * the live object or creating it; changing another manager's field is a 409 unless forced. */
static void apply(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		  json_t *patch, struct cc_http_response *resp)
{
	_cleanup_(platform_write_manager_clear) struct platform_write_manager writer;
	if (!platform_write_manager_of(req, t, PLATFORM_WRITE_APPLY, &writer, resp))
		return;
	if (t->subresource && strcmp(t->subresource, "status") != 0) {
		platform_status_error(resp, 415, NULL, t->resource, t->name,
				      "server-side apply through the %s subresource is not supported: apply the %s "
				      "itself (its spec.replicas)",
				      t->subresource, t->resource->kind);
		return;
	}
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *old = NULL;
	int rc = platform_objects_get(api->cfg.objects, t->resource, t->namespace, t->name, &old, &err);
	if (rc < 0 && (rc != -ENOENT || t->subresource)) {
		respond_error(resp, t, rc, &err);
		return;
	}
	char now[CC_TIME_RFC3339_MAX], api_version[96];
	platform_managed_fields_now(now, sizeof(now));
	_cleanup_json_ json_t *obj = NULL;
	json_t *record = NULL;
	struct platform_apply_conflicts conflicts;
	rc = platform_apply(old, patch, t->resource->kind, &writer.who, writer.force, now, &obj, &record, &conflicts,
			    &err);
	if (rc == -EBUSY) {
		platform_respond(resp, 409, platform_apply_conflict_status(&conflicts));
		platform_apply_conflicts_clear(&conflicts);
		return;
	}
	if (rc < 0) {
		/* kube-apiserver's words for a configuration its schema cannot read. */
		platform_resource_api_version(t->resource, api_version, sizeof(api_version));
		platform_status_error(resp, rc == -EBADMSG ? 400 : 422, NULL, t->resource, t->name,
				      "failed to create typed patch object (%s/%s; %s, Kind=%s): %s",
				      t->namespace ? t->namespace : "", t->name, api_version, t->resource->kind,
				      cc_error_message(&err));
		return;
	}
	if (!old)
		apply_create(api, t, req, obj, record, resp);
	else
		replace(api, t, req, obj, old, &writer, record, resp);
}

static void patch(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		  struct cc_http_response *resp)
{
	if (!subresource_allowed(t, resp))
		return;
	const char *type = cc_http_request_header(req, "content-type");
	if (!type)
		type = "";
	_cleanup_json_ json_t *body = NULL;
	if (parse_body(req, t->resource, resp, &body) < 0)
		return;
	if (strncmp(type, "application/apply-patch+yaml", 28) == 0) {
		apply(api, t, req, body, resp);
		return;
	}
	_cleanup_(platform_write_manager_clear) struct platform_write_manager writer;
	if (!platform_write_manager_of(req, t, PLATFORM_WRITE_PATCH, &writer, resp))
		return;
	_cleanup_json_ json_t *old = NULL;
	if (!load_target(api, t, resp, &old))
		return;
	struct cc_error err = { 0 };
	int rc;
	json_t *merged = NULL;
	if (strncmp(type, "application/json-patch+json", 27) == 0)
		rc = platform_json_patch(old, body, &merged, &err);
	else if (strncmp(type, "application/merge-patch+json", 28) == 0)
		rc = platform_merge_patch(old, body, &merged, &err);
	else if (strncmp(type, "application/strategic-merge-patch+json", 38) == 0)
		rc = platform_strategic_merge_patch(old, body, platform_patch_schema_default(), &merged, &err);
	else {
		platform_status_error(
		    resp, 415, NULL, t->resource, t->name,
		    "the body of the request was in an unknown format - accepted media types include: "
		    "application/json-patch+json, application/merge-patch+json, "
		    "application/apply-patch+yaml, application/strategic-merge-patch+json");
		return;
	}
	if (rc < 0) {
		/* A malformed patch is 400, one too large 413, one that cannot apply 422 (as kube-apiserver). */
		int code = rc == -EBADMSG ? 400 : rc == -E2BIG ? 413 : 422;
		platform_status_error(resp, code, NULL, t->resource, t->name, "%s", cc_error_message(&err));
		return;
	}
	replace(api, t, req, merged, old, &writer, NULL, resp);
	json_decref(merged);
}

/* Deleting a namespace deletes what is in it (synchronously: no controller runs namespace
 * finalization yet). */
static int empty_namespace(struct platform_api *api, const char *namespace, struct cc_error *err)
{
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++) {
		if (!all[i].namespaced)
			continue;
		struct platform_list_options o = { .namespace = namespace };
		json_t *items = NULL;
		int64_t revision;
		char *next = NULL;
		int rc = platform_objects_list(api->cfg.objects, &all[i], &o, &items, &revision, &next, err);
		if (rc < 0)
			return rc;
		size_t j;
		json_t *item;
		json_array_foreach (items, j, item) {
			const char *name =
			    json_string_value(json_object_get(json_object_get(item, "metadata"), "name"));
			rc = platform_objects_delete(api->cfg.objects, &all[i], namespace, name, 0, NULL, err);
			if (rc < 0 && rc != -ENOENT) {
				json_decref(items);
				return rc;
			}
		}
		json_decref(items);
	}
	return 0;
}

/* A pod is deleted as kube-apiserver does it: marked (deletionTimestamp, deletionGracePeriodSeconds:
 * from the request, else the pod's terminationGracePeriodSeconds) and left to the node, which stops
 * its containers and then removes it. A grace period of 0, or a pod no node took, goes at once. */
static void delete_pod(struct platform_api *api, const struct platform_target *t, int64_t grace, int64_t expected,
		       struct cc_http_response *resp)
{
	_cleanup_json_ json_t *pod = NULL;
	if (!load_target(api, t, resp, &pod))
		return;
	json_t *meta = json_object_get(pod, "metadata");
	if (grace < 0)
		grace =
		    json_integer_value(json_object_get(json_object_get(pod, "spec"), "terminationGracePeriodSeconds"));
	if (grace > 86400)
		grace = 86400; /* a day at most, as the runner counts it */
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase")) ?: "";
	const char *node = json_string_value(json_object_get(json_object_get(pod, "spec"), "nodeName"));
	bool finished = strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0;
	struct cc_error err = { 0 };
	json_t *result = NULL;
	int rc;
	if (json_object_get(meta, "deletionTimestamp") && grace != 0) {
		platform_respond(resp, 200, json_incref(pod)); /* already terminating */
		return;
	}
	/* Grace 0 (kubectl delete --force --grace-period=0) removes the object at once, as kube-apiserver
	 * does; the node sees it gone and kills what is left. */
	if (!node || !node[0] || grace <= 0) {
		rc = platform_objects_delete(api->cfg.objects, t->resource, t->namespace, t->name, expected, &result,
					     &err);
	} else {
		/* Marked: the node stops the containers within the grace period and removes the pod. */
		char when[CC_TIME_RFC3339_MAX];
		int64_t now = cc_time_now_ns() + (finished ? 0 : grace) * 1000000000LL;
		cc_time_format_rfc3339_seconds(now, when, sizeof(when));
		json_object_set_new(meta, "deletionTimestamp", json_string(when));
		json_object_set_new(meta, "deletionGracePeriodSeconds", json_integer(finished ? 0 : grace));
		const char *rv = json_string_value(json_object_get(meta, "resourceVersion"));
		rc = platform_objects_update(api->cfg.objects, t->resource, pod,
					     expected ? expected : strtoll(rv ? rv : "0", NULL, 10), &result, &err);
	}
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return;
	}
	platform_respond(resp, 200, result);
}

/* propagationPolicy: Background (the default) needs no finalizer; Orphan and Foreground hold the
 * owner with one until the garbage collector has done its part (gc.h). */
static bool propagation_finalizer(const char *policy, const char **ret)
{
	*ret = NULL;
	if (strcmp(policy, "Orphan") == 0)
		*ret = PLATFORM_FINALIZER_ORPHAN;
	else if (strcmp(policy, "Foreground") == 0)
		*ret = PLATFORM_FINALIZER_FOREGROUND;
	else if (strcmp(policy, "Background") != 0)
		return false;
	return true;
}

/* The owner takes the policy's finalizer before the delete marks it, as kube-apiserver writes both
 * in one update. False when resp holds a refusal. */
static bool hold_for_dependents(struct platform_api *api, const struct platform_target *t, const char *finalizer,
				int64_t expected, struct cc_http_response *resp)
{
	_cleanup_json_ json_t *obj = NULL;
	if (!load_target(api, t, resp, &obj))
		return false;
	if (!platform_finalizers_add(obj, finalizer))
		return true;
	platform_finalizers_mark(obj, cc_time_now_ns());
	const char *rv = json_string_value(json_object_get(json_object_get(obj, "metadata"), "resourceVersion"));
	struct cc_error err = { 0 };
	json_t *stored = NULL;
	int rc = platform_objects_update(api->cfg.objects, t->resource, obj,
					 expected ? expected : strtoll(rv ? rv : "0", NULL, 10), &stored, &err);
	json_decref(stored);
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return false;
	}
	return true;
}

static void delete_one(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		       struct cc_http_response *resp)
{
	if (strcmp(t->resource->kind, "Tenant") == 0 && !platform_tenant_admit_delete(api->cfg.objects, t->name, resp))
		return;
	struct cc_error err = { 0 };
	int64_t expected = 0, grace = -1;
	_cleanup_free_ char *policy = cc_http_request_query(req, "propagationPolicy");
	if (req->body.len) {
		/* DeleteOptions: preconditions.resourceVersion, gracePeriodSeconds, propagationPolicy (and
		 * the older orphanDependents). */
		_cleanup_json_ json_t *options = NULL;
		if (parse_body(req, t->resource, resp, &options) < 0)
			return;
		const char *rv =
		    json_string_value(json_object_get(json_object_get(options, "preconditions"), "resourceVersion"));
		expected = rv ? strtoll(rv, NULL, 10) : 0;
		const json_t *g = json_object_get(options, "gracePeriodSeconds");
		if (json_is_integer(g))
			grace = json_integer_value(g);
		const char *p = json_string_value(json_object_get(options, "propagationPolicy"));
		const json_t *orphan = json_object_get(options, "orphanDependents");
		if (p || json_is_boolean(orphan)) {
			free(policy);
			policy = cc_xstrdup(p ? p : json_is_true(orphan) ? "Orphan" : "Background");
		}
	}
	_cleanup_free_ char *grace_query = cc_http_request_query(req, "gracePeriodSeconds");
	if (grace_query && grace_query[0])
		grace = strtoll(grace_query, NULL, 10);
	const char *finalizer = NULL;
	if (policy && policy[0] && !propagation_finalizer(policy, &finalizer)) {
		platform_status_error(
		    resp, 422, "Invalid", t->resource, t->name,
		    "DeleteOptions.propagationPolicy: Unsupported value: \"%.32s\": supported values: "
		    "\"Foreground\", \"Background\", \"Orphan\"",
		    policy);
		return;
	}
	if (finalizer) {
		if (!hold_for_dependents(api, t, finalizer, expected, resp))
			return;
		expected = 0; /* the precondition held for the write that marked it */
	}
	if (strcmp(t->resource->kind, "Namespace") == 0) {
		int rc = empty_namespace(api, t->name, &err);
		if (rc < 0) {
			respond_error(resp, t, rc, &err);
			return;
		}
	}
	if (api->cfg.pods && strcmp(t->resource->resource, "pods") == 0) {
		delete_pod(api, t, grace, expected, resp);
		return;
	}
	json_t *old = NULL;
	int rc = platform_objects_delete(api->cfg.objects, t->resource, t->namespace, t->name, expected, &old, &err);
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return;
	}
	platform_respond(resp, 200, old);
}

/* POST pods/NAME/eviction (policy/v1 Eviction, eviction.h): the budget's say, then the pod's delete
 * with the Eviction's deleteOptions.gracePeriodSeconds; 201 and a Status of Success, as
 * kube-apiserver answers. */
static void evict(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		  struct cc_http_response *resp)
{
	_cleanup_json_ json_t *eviction = NULL;
	if (req->body.len && parse_body(req, t->resource, resp, &eviction) < 0)
		return;
	const json_t *g = json_object_get(json_object_get(eviction, "deleteOptions"), "gracePeriodSeconds");
	int64_t grace = json_is_integer(g) ? json_integer_value(g) : -1;
	_cleanup_json_ json_t *pod = NULL;
	if (!load_target(api, t, resp, &pod))
		return;
	if (!platform_eviction_allow(api->cfg.objects, t->resource, pod, resp))
		return;
	struct platform_target pod_target = *t;
	pod_target.subresource = NULL;
	if (api->cfg.pods) {
		delete_pod(api, &pod_target, grace, 0, resp);
	} else { /* no runner: nothing to stop, the object goes */
		struct cc_error err = { 0 };
		json_t *old = NULL;
		int rc = platform_objects_delete(api->cfg.objects, t->resource, t->namespace, t->name, 0, &old, &err);
		if (rc < 0) {
			respond_error(resp, t, rc, &err);
			return;
		}
		platform_respond(resp, 200, old);
	}
	if (resp->status == 200) {
		cc_buf_free(&resp->body);
		json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
					   "metadata", "status", "Success", "code", 201);
		platform_respond(resp, 201, status);
	}
}

static void delete_collection(struct platform_api *api, const struct platform_target *t,
			      const struct cc_http_request *req, struct cc_http_response *resp)
{
	json_t *items = NULL;
	int64_t revision;
	_cleanup_free_ char *next = NULL;
	if (!list_matching(api, t, req, false, resp, &items, &revision, &next))
		return;
	struct cc_error err = { 0 };
	int rc = 0;
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		const json_t *meta = json_object_get(item, "metadata");
		if (strcmp(t->resource->kind, "Tenant") == 0 &&
		    !platform_tenant_admit_delete(api->cfg.objects, kube_meta(item, "name"), resp)) {
			json_decref(items);
			return; /* the ones before it are gone, as a collection delete stops at a failure */
		}
		rc = platform_objects_delete(api->cfg.objects, t->resource,
					     json_string_value(json_object_get(meta, "namespace")),
					     json_string_value(json_object_get(meta, "name")), 0, NULL, &err);
		if (rc < 0 && rc != -ENOENT)
			break;
		rc = 0;
	}
	json_decref(items);
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return;
	}
	platform_status_success(resp, t->resource, NULL);
}

/* autoscaling/v1 Scale of a Deployment or ReplicaSet (what kubectl scale reads and writes). */
static json_t *scale_of(const json_t *obj)
{
	const json_t *meta = json_object_get(obj, "metadata");
	const json_t *match = json_object_get(json_object_get(json_object_get(obj, "spec"), "selector"), "matchLabels");
	char selector[1024] = "";
	size_t used = 0;
	const char *key;
	const json_t *value;
	json_object_foreach ((json_t *)match, key, value) {
		int n = snprintf(selector + used, sizeof(selector) - used, "%s%s=%s", used ? "," : "", key,
				 json_string_value(value) ?: "");
		if (n < 0 || (size_t)n >= sizeof(selector) - used)
			break;
		used += (size_t)n;
	}
	return json_pack("{s:s, s:s, s:{s:O?, s:O?, s:O?, s:O?, s:O?}, s:{s:I}, s:{s:I, s:s}}", "kind", "Scale",
			 "apiVersion", "autoscaling/v1", "metadata", "name", json_object_get(meta, "name"), "namespace",
			 json_object_get(meta, "namespace"), "uid", json_object_get(meta, "uid"), "resourceVersion",
			 json_object_get(meta, "resourceVersion"), "creationTimestamp",
			 json_object_get(meta, "creationTimestamp"), "spec", "replicas",
			 json_integer_value(json_object_get(json_object_get(obj, "spec"), "replicas")), "status",
			 "replicas", json_integer_value(json_object_get(json_object_get(obj, "status"), "replicas")),
			 "selector", selector);
}

static void scale(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		  struct cc_http_response *resp)
{
	_cleanup_json_ json_t *obj = NULL;
	if (!load_target(api, t, resp, &obj))
		return;
	_cleanup_json_ json_t *current = scale_of(obj);
	if (strcmp(req->method, "GET") == 0) {
		platform_respond(resp, 200, json_incref(current));
		return;
	}
	_cleanup_(platform_write_manager_clear) struct platform_write_manager writer;
	bool patching = strcmp(req->method, "PATCH") == 0;
	if (!platform_write_manager_of(req, t, patching ? PLATFORM_WRITE_PATCH : PLATFORM_WRITE_UPDATE, &writer, resp))
		return;
	_cleanup_json_ json_t *body = NULL, *wanted = NULL;
	struct cc_error err = { 0 };
	int rc = 0;
	if (parse_body(req, t->resource, resp, &body) < 0)
		return;
	if (patching)
		rc = platform_merge_patch(current, body, &wanted, &err);
	else
		wanted = json_incref(body);
	json_t *replicas = json_object_get(json_object_get(wanted, "spec"), "replicas");
	if (rc < 0 || !json_is_integer(replicas) || json_integer_value(replicas) < 0) {
		json_t *causes = json_array();
		platform_cause(causes, "FieldValueInvalid", "spec.replicas", "must be a non-negative integer");
		platform_status_invalid(resp, t->resource, t->name, causes);
		return;
	}
	const char *rv = json_string_value(json_object_get(json_object_get(wanted, "metadata"), "resourceVersion"));
	_cleanup_json_ json_t *before = json_deep_copy(obj);
	json_object_set(json_object_get(obj, "spec"), "replicas", replicas);
	/* The scaler owns .spec.replicas, recorded with subresource "scale" as kube-apiserver does. */
	if (!platform_managed_fields_updated(obj, before, t, &writer, resp))
		return;
	json_t *stored = NULL;
	rc = platform_objects_update(api->cfg.objects, t->resource, obj, rv ? strtoll(rv, NULL, 10) : 0, &stored, &err);
	if (rc < 0) {
		respond_error(resp, t, rc, &err);
		return;
	}
	platform_respond(resp, 200, scale_of(stored));
	json_decref(stored);
}

/* exec and attach (kubectl exec, attach, cp): WebSocket streams that the pod runner serves once it
 * has found the container (platform/exec.h), on GET or POST as kube-apiserver takes them. */
static bool is_pod_stream(const struct platform_target *t)
{
	return strcmp(t->resource->resource, "pods") == 0 &&
	       (strcmp(t->subresource, "exec") == 0 || strcmp(t->subresource, "attach") == 0 ||
		strcmp(t->subresource, "portforward") == 0);
}

static void pod_stream(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		       struct cc_http_response *resp)
{
	if (strcmp(req->method, "GET") != 0 && strcmp(req->method, "POST") != 0)
		platform_status_error(resp, 405, NULL, t->resource, t->name,
				      "the server does not allow this method on the requested resource");
	else if (!t->namespace)
		platform_status_error(resp, 404, NULL, NULL, NULL, "the server could not find the requested resource");
	else if (!api->cfg.pod_stream)
		platform_status_error(resp, 503, NULL, t->resource, t->name,
				      "%s is not available: this server runs no pods", t->subresource);
	else
		api->cfg.pod_stream(api->cfg.pod_stream_ctx, t->subresource, t->namespace, t->name, req, resp);
}

/* TokenRequest (authentication.k8s.io/v1) on a service account: `kubectl create token`. */
static void token_request(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
			  struct cc_http_response *resp)
{
	if (!api->cfg.sa_tokens) {
		platform_status_error(resp, 404, NULL, t->resource, t->name,
				      "the server could not find the requested resource");
		return;
	}
	_cleanup_json_ json_t *body = NULL;
	if (decode_body(req, t->resource, resp, &body) < 0)
		return;
	/* A TokenRequest, whatever the URL's resource: validated as one. */
	if (!json_is_object(body)) {
		platform_status_error(resp, 400, NULL, t->resource, t->name, "the request body is not a TokenRequest");
		return;
	}
	if (!json_object_get(body, "apiVersion"))
		json_object_set_new(body, "apiVersion", json_string("authentication.k8s.io/v1"));
	if (!json_object_get(body, "kind"))
		json_object_set_new(body, "kind", json_string("TokenRequest"));
	if (platform_field_validate(req, t->resource, body, resp) < 0)
		return;
	platform_sa_token_request(api->cfg.sa_tokens, t, body, resp);
}

static void serve_resource(struct platform_api *api, struct platform_target *t, const struct cc_http_request *req,
			   struct cc_http_response *resp)
{
	const char *m = req->method;
	bool get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0;
	if (t->resource->read_only && !get) {
		platform_status_error(resp, 405, NULL, t->resource, t->name, "%s is served read-only here",
				      t->resource->resource);
		return;
	}
	/* The Node is cocoond's own: its status and its existence stay so; its spec (cordon, taints),
	 * labels and annotations are the operator's, as on a kubelet's Node. */
	if (strcmp(t->resource->kind, "Node") == 0 && !get &&
	    (!t->name || (strcmp(m, "PUT") != 0 && strcmp(m, "PATCH") != 0) || t->subresource)) {
		platform_status_error(resp, 405, NULL, t->resource, t->name,
				      "cocoond registers its Node and writes its status: only its spec, labels and "
				      "annotations may be changed (PUT or PATCH)");
		return;
	}
	if (t->name && t->subresource && is_pod_stream(t)) {
		pod_stream(api, t, req, resp);
		return;
	}
	if (t->name && t->subresource && strcmp(t->subresource, "token") == 0 &&
	    strcmp(t->resource->resource, "serviceaccounts") == 0 && strcmp(m, "POST") == 0) {
		token_request(api, t, req, resp);
		return;
	}
	if (t->name && t->subresource && strcmp(t->subresource, "eviction") == 0 &&
	    strcmp(t->resource->resource, "pods") == 0 && strcmp(m, "POST") == 0) {
		evict(api, t, req, resp);
		return;
	}
	if (t->name && t->subresource && strcmp(t->subresource, "log") == 0 &&
	    strcmp(t->resource->resource, "pods") == 0 && get) {
		platform_pod_log(api->cfg.pods, t->resource, t->namespace, t->name, req, resp);
	} else if (t->name && t->subresource && strcmp(t->subresource, "scale") == 0) {
		if (subresource_allowed(t, resp))
			scale(api, t, req, resp);
	} else if (get && t->name) {
		if (subresource_allowed(t, resp))
			get_one(api, t, req, resp);
	} else if (get && !t->name && query_true(req, "watch"))
		watch(api, t, req, resp);
	else if (get && !t->name)
		list(api, t, req, resp);
	else if (strcmp(m, "POST") == 0)
		create(api, t, req, resp);
	else if (strcmp(m, "PUT") == 0 && t->name)
		update(api, t, req, resp);
	else if (strcmp(m, "PATCH") == 0 && t->name)
		patch(api, t, req, resp);
	else if (strcmp(m, "DELETE") == 0 && t->name)
		delete_one(api, t, req, resp);
	else if (strcmp(m, "DELETE") == 0)
		delete_collection(api, t, req, resp);
	else if (!get)
		platform_status_error(resp, 405, NULL, t->resource, t->name,
				      "the server does not allow this method on the requested resource");
}

/* What a request asks, for the authorizer: a resource request with Kubernetes' verb, or the HTTP
 * method on a path. Connecting to a pod (exec, attach, port-forward) is `create` on the subresource
 * whatever the method, as kube-apiserver requires it for the WebSocket GETs of kubectl 1.30+. */
static void access_of(const struct cc_http_request *req, const struct platform_target *t, struct platform_access *a,
		      char *verb, size_t size)
{
	if (!t) {
		snprintf(verb, size, "%s", strcmp(req->method, "HEAD") == 0 ? "get" : req->method);
		for (char *p = verb; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		*a = (struct platform_access){ .verb = verb, .path = req->path };
		return;
	}
	snprintf(verb, size, "%s", platform_target_verb(req->method, t, !t->name && query_true(req, "watch")));
	if (t->subresource && (strcmp(t->subresource, "exec") == 0 || strcmp(t->subresource, "attach") == 0 ||
			       strcmp(t->subresource, "portforward") == 0))
		snprintf(verb, size, "create");
	/* A namespace is in itself, as kube-apiserver's request attributes have it: a RoleBinding in it
	 * can grant reading or deleting it. */
	bool a_namespace = strcmp(t->resource->resource, "namespaces") == 0 && !t->resource->group[0];
	*a = (struct platform_access){ .verb = verb,
				       .resource_request = true,
				       .group = t->resource->group,
				       .resource = t->resource->resource,
				       .subresource = t->subresource,
				       .namespace = a_namespace ? t->name : t->namespace,
				       .name = t->name };
}

static void review(struct platform_api *api, const struct platform_target *t, const struct cc_http_request *req,
		   struct cc_http_response *resp)
{
	if (strcmp(req->method, "POST") != 0) {
		platform_status_error(resp, 405, NULL, t->resource, NULL,
				      "the server does not allow this method on the requested resource");
		return;
	}
	_cleanup_json_ json_t *body = NULL;
	if (parse_body(req, t->resource, resp, &body) < 0)
		return;
	platform_review(api->cfg.guard, api->cfg.authn, t, req, body, resp);
}

static void handle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct platform_api *api = userdata;
	int64_t received = cc_time_now_ns();
	struct platform_target t = { 0 };
	int rc = platform_target_parse(req->path, &t);
	struct platform_access access;
	char verb[32];
	access_of(req, rc == 0 ? &t : NULL, &access, verb, sizeof(verb));
	if (!platform_guard_authorize(api->cfg.guard, req, &access, resp))
		; /* answered: 401 or 403 */
	else if (rc == 1)
		platform_discovery(&t.segments[0], t.count, req, resp);
	else if (rc < 0 || (t.namespace && !platform_dns_label(t.namespace)))
		platform_status_error(resp, 404, NULL, NULL, NULL, "the server could not find the requested resource");
	else if (platform_review_kind(&t))
		review(api, &t, req, resp);
	else
		serve_resource(api, &t, req, resp);
	platform_audit_log_request(api->cfg.audit, req, rc == 0 ? &t : NULL, resp, received, resp->stream != NULL);
	platform_target_free(&t);
}

/* The OpenAPI documents are public in Kubernetes too (system:discovery); here they need an
 * authenticated connection like everything else. */
static void openapi(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	platform_openapi(req, resp);
}

int platform_api_new(const struct platform_api_config *cfg, struct platform_api **ret, struct cc_error *err)
{
	struct platform_api *api = cc_xcalloc(1, sizeof(*api));
	api->cfg = *cfg;
	static const char *const paths[] = { "/api", "/api/", "/apis", "/apis/" };
	for (size_t i = 0; i < 4; i++)
		api->routes[i] = (struct cc_http_route){ .path = paths[i],
							 .prefix = i % 2 == 1,
							 .handler = handle,
							 .userdata = api,
							 .max_body = MAX_REQUEST };
	api->routes[4] = (struct cc_http_route){ .method = "GET", .path = "/openapi/v2", .handler = openapi };
	api->routes[5] = (struct cc_http_route){ .method = "GET", .path = "/openapi/v3", .handler = openapi };
	api->routes[6] =
	    (struct cc_http_route){ .method = "GET", .path = "/openapi/v3/", .prefix = true, .handler = openapi };
	*ret = api;
	return 0;
}

void platform_api_free(struct platform_api *api)
{
	free(api);
}

const struct cc_http_route *platform_api_routes(struct platform_api *api, size_t *ret_count)
{
	*ret_count = sizeof(api->routes) / sizeof(api->routes[0]);
	return api->routes;
}
