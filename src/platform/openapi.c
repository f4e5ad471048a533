/* OpenAPI documents (see openapi.h).
 *
 * The v3 documents are parsed once from the embedded JSON, given their paths (the served resources'
 * collection and item URLs), serialized once and hashed: the hash (SHA-512, upper-case hex, as
 * kube-openapi's handler3) is what the index hands out in serverRelativeURL and what the ETag says,
 * so a client caches a document for as long as its hash does not change. */
#include "platform/openapi.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "platform/openapi_documents.h"
#include "platform/resources.h"
#include "platform/status.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* gnostic's openapi_v2.Document as protobuf: swagger = "2.0" (field 1), info (2) { title (1),
 * version (2) }, paths (8) empty. Written by hand: three fields do not need a protobuf compiler.
 * kubectl 1.27 reads v3 for explain and validation when the server offers it, so v2 stays bare. */
static const unsigned char openapi_v2_document[] = {
	0x0a, 0x03, '2',  '.',  '0', /* swagger */
	0x12, 0x11, 0x0a, 0x06, 'c', 'o', 'c', 'o', 'o', 'n', 0x12, 0x07, 'v', '1', '.', '3', '0', '.', '0', /* info */
	0x42, 0x00,                                                                                          /* paths */
};

/* Largest embedded document we accept (the biggest, api/v1, is about 320 KiB). */
#define OPENAPI_MAX_DOCUMENT (4u << 20)

struct served_document {
	const char *group_version;
	json_t *doc; /* NULL when the embedded JSON did not parse (a build error) */
	char *text;  /* the served body */
	size_t text_len;
	char hash[2 * CC_DIGEST_MAX_SIZE + 1];
};

static struct served_document *served;
static size_t served_count;
static pthread_once_t served_once = PTHREAD_ONCE_INIT;

static void group_version_path(const struct platform_resource *r, char *out, size_t size)
{
	if (r->group[0])
		snprintf(out, size, "apis/%s/%s", r->group, r->version);
	else
		snprintf(out, size, "api/%s", r->version);
}

/* kubectl explain finds a resource's kind through the x-kubernetes-group-version-kind of the
 * operations on its path, then the schema that carries the same one. */
static json_t *operation(const struct platform_resource *r, const char *summary)
{
	return json_pack("{s:s, s:{s:s, s:s, s:s}, s:{s:{s:s}}}", "description", summary,
			 "x-kubernetes-group-version-kind", "group", r->group, "kind", r->kind, "version", r->version,
			 "responses", "200", "description", "OK");
}

/* kubectl (--validate=strict or warn) sends fieldValidation only to a server whose write operations
 * list it as a query parameter (kubectl's QueryParamVerifierV3). */
static json_t *write_operation(const struct platform_resource *r, const char *summary)
{
	json_t *op = operation(r, summary);
	json_object_set_new(
	    op, "parameters",
	    json_pack("[{s:s, s:s, s:s, s:{s:s}}]", "name", "fieldValidation", "in", "query", "description",
		      "fieldValidation instructs the server on how to handle objects in the request (POST/PUT/PATCH) "
		      "containing unknown or duplicate fields. Valid values are: Ignore, Warn (the default), Strict.",
		      "schema", "type", "string"));
	return op;
}

/* The served resources' URLs of one group-version. */
static json_t *group_version_paths(const char *gv)
{
	json_t *paths = json_object();
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++) {
		char path[128];
		group_version_path(&all[i], path, sizeof(path));
		if (strcmp(path, gv) != 0)
			continue;
		char collection[256], item[300];
		if (all[i].namespaced)
			snprintf(collection, sizeof(collection), "/%s/namespaces/{namespace}/%s", gv, all[i].resource);
		else
			snprintf(collection, sizeof(collection), "/%s/%s", gv, all[i].resource);
		snprintf(item, sizeof(item), "%s/{name}", collection);
		json_object_set_new(paths, collection,
				    json_pack("{s:o, s:o}", "get", operation(&all[i], "list or watch"), "post",
					      write_operation(&all[i], "create")));
		json_object_set_new(paths, item,
				    json_pack("{s:o, s:o, s:o, s:o}", "get", operation(&all[i], "read"), "put",
					      write_operation(&all[i], "replace"), "patch",
					      write_operation(&all[i], "patch"), "delete",
					      operation(&all[i], "delete")));
	}
	return paths;
}

static void load_document(const struct platform_openapi_document *embedded, struct served_document *d)
{
	struct cc_error err = { 0 };
	d->group_version = embedded->group_version;
	if (cc_json_parse((const char *)embedded->data, embedded->size, OPENAPI_MAX_DOCUMENT, embedded->group_version,
			  &d->doc, &err) < 0) {
		fprintf(stderr, "cocoond: embedded OpenAPI document %s: %s\n", embedded->group_version,
			cc_error_message(&err));
		d->doc = NULL;
		return;
	}
	json_object_set_new(d->doc, "paths", group_version_paths(d->group_version));
	d->text = json_dumps(d->doc, JSON_COMPACT | JSON_SORT_KEYS);
	d->text_len = d->text ? strlen(d->text) : 0;
	uint8_t digest[CC_DIGEST_MAX_SIZE];
	if (d->text && cc_digest(CC_DIGEST_SHA512, d->text, d->text_len, digest, &err) == 0)
		for (size_t i = 0; i < 64; i++)
			snprintf(d->hash + 2 * i, 3, "%02X", digest[i]);
}

static void load_documents(void)
{
	served_count = platform_openapi_document_count;
	served = cc_xcalloc(served_count, sizeof(*served));
	for (size_t i = 0; i < served_count; i++)
		load_document(&platform_openapi_documents[i], &served[i]);
}

static const struct served_document *find_document(const char *gv)
{
	pthread_once(&served_once, load_documents);
	for (size_t i = 0; i < served_count; i++)
		if (served[i].text && strcmp(served[i].group_version, gv) == 0)
			return &served[i];
	return NULL;
}

const json_t *platform_openapi_kind_schema(const char *api_version, const char *kind, const json_t **ret_schemas)
{
	if (!api_version || !kind)
		return NULL;
	char gv[160];
	snprintf(gv, sizeof(gv), strchr(api_version, '/') ? "apis/%s" : "api/%s", api_version);
	const struct served_document *d = find_document(gv);
	if (!d)
		return NULL;
	const json_t *schemas = json_object_get(json_object_get(d->doc, "components"), "schemas");
	const char *name;
	json_t *schema;
	json_object_foreach ((json_t *)schemas, name, schema) {
		json_t *gvk = json_array_get(json_object_get(schema, "x-kubernetes-group-version-kind"), 0);
		if (gvk && json_is_string(json_object_get(gvk, "kind")) &&
		    strcmp(json_string_value(json_object_get(gvk, "kind")), kind) == 0) {
			*ret_schemas = schemas;
			return schema;
		}
	}
	return NULL;
}

static json_t *index_document(void)
{
	json_t *paths = json_object();
	pthread_once(&served_once, load_documents);
	for (size_t i = 0; i < served_count; i++) {
		if (!served[i].text)
			continue;
		char url[512];
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", served[i].group_version, served[i].hash);
		json_object_set_new(paths, served[i].group_version, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return json_pack("{s:o}", "paths", paths);
}

/* kube-openapi's handler3: a request with the current hash may be cached for good; one with an old
 * hash is sent to the current URL; one without is revalidated by its ETag. */
static void serve_document(const struct cc_http_request *req, const struct served_document *d,
			   struct cc_http_response *resp)
{
	_cleanup_free_ char *hash = cc_http_request_query(req, "hash");
	char etag[sizeof(d->hash) + 2];
	snprintf(etag, sizeof(etag), "\"%s\"", d->hash);
	if (hash && strcmp(hash, d->hash) != 0) {
		char url[512];
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%s", d->group_version, d->hash);
		resp->status = 301;
		cc_http_response_add_header(resp, "Location", url);
		return;
	}
	cc_http_response_add_header(resp, "ETag", etag);
	cc_http_response_add_header(resp, "Cache-Control", hash ? "public, immutable" : "no-cache, private");
	const char *match = cc_http_request_header(req, "if-none-match");
	if (match && strcmp(match, etag) == 0) {
		resp->status = 304;
		return;
	}
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), "application/json");
	cc_buf_append(&resp->body, d->text, d->text_len);
}

void platform_openapi(const struct cc_http_request *req, struct cc_http_response *resp)
{
	if (strcmp(req->path, "/openapi/v2") == 0) {
		resp->status = 200;
		/* kube-apiserver answers the protobuf with this type too: Go's mime parser refuses the
		 * `@` of the type the client asked for. */
		snprintf(resp->content_type, sizeof(resp->content_type), "application/octet-stream");
		cc_buf_append(&resp->body, openapi_v2_document, sizeof(openapi_v2_document));
		return;
	}
	if (strcmp(req->path, "/openapi/v3") == 0) {
		platform_respond(resp, 200, index_document());
		return;
	}
	const char *gv = req->path + strlen("/openapi/v3/");
	const struct served_document *d = find_document(gv);
	if (!d) {
		platform_status_error(resp, 404, NULL, NULL, NULL, "no OpenAPI document for %s", gv);
		return;
	}
	serve_document(req, d, resp);
}
