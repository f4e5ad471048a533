/* OpenAPI documents (see openapi.h). */
#include "platform/openapi.h"

#include "platform/resources.h"
#include "platform/status.h"

#include <stdio.h>
#include <string.h>

/* gnostic's openapi_v2.Document as protobuf: swagger = "2.0" (field 1), info (2) { title (1),
 * version (2) }, paths (8) empty. Written by hand: three fields do not need a protobuf compiler. */
static const unsigned char openapi_v2_document[] = {
	0x0a, 0x03, '2',  '.',  '0', /* swagger */
	0x12, 0x11, 0x0a, 0x06, 'c', 'o', 'c', 'o', 'o', 'n', 0x12, 0x07, 'v', '1', '.', '3', '0', '.', '0', /* info */
	0x42, 0x00,                                                                                          /* paths */
};

static void group_version_path(const struct platform_resource *r, char *out, size_t size)
{
	if (r->group[0])
		snprintf(out, size, "apis/%s/%s", r->group, r->version);
	else
		snprintf(out, size, "api/%s", r->version);
}

static json_t *index_document(void)
{
	json_t *paths = json_object();
	size_t count;
	const struct platform_resource *all = platform_resources(&count);
	for (size_t i = 0; i < count; i++) {
		char gv[128], url[192];
		group_version_path(&all[i], gv, sizeof(gv));
		snprintf(url, sizeof(url), "/openapi/v3/%s", gv);
		json_object_set_new(paths, gv, json_pack("{s:s}", "serverRelativeURL", url));
	}
	return json_pack("{s:o}", "paths", paths);
}

static json_t *operation(const char *summary)
{
	return json_pack("{s:s, s:{s:{s:s}}}", "description", summary, "responses", "200", "description", "OK");
}

static json_t *group_version_document(const char *gv)
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
		json_object_set_new(
		    paths, collection,
		    json_pack("{s:o, s:o}", "get", operation("list or watch"), "post", operation("create")));
		json_object_set_new(paths, item,
				    json_pack("{s:o, s:o, s:o, s:o}", "get", operation("read"), "put",
					      operation("replace"), "patch", operation("patch"), "delete",
					      operation("delete")));
	}
	return json_pack("{s:s, s:{s:s, s:s}, s:o, s:{s:{}}}", "openapi", "3.0.0", "info", "title", "cocoon", "version",
			 "v1.30.0", "paths", paths, "components", "schemas");
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
	json_t *doc = group_version_document(gv);
	if (json_object_size(json_object_get(doc, "paths")) == 0) {
		json_decref(doc);
		platform_status_error(resp, 404, NULL, NULL, NULL, "no OpenAPI document for %s", gv);
		return;
	}
	platform_respond(resp, 200, doc);
}
