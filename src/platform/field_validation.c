/* Server-side field validation (see field_validation.h).
 *
 * kube-apiserver finds unknown fields while decoding JSON into its Go structs; we have no structs,
 * so the request body is walked against the OpenAPI v3 schema of its kind, the same documents
 * /openapi/v3 serves (openapi.c). The walk is over untrusted input: its depth is bounded (on top of
 * cc_json_parse's nesting limit), paths are truncated rather than grown, and it reports a bounded
 * number of fields (tests/fuzz/fuzz_field_validation.c). */
#include "platform/field_validation.h"

#include "lib/base/cleanup.h"
#include "lib/net/http.h"
#include "platform/openapi.h"
#include "platform/resources.h"
#include "platform/status.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define FIELD_MAX_DEPTH    100
#define FIELD_MAX_REPORTED 64
#define FIELD_MAX_PATH     1024
/* Warning headers per response: the response has room for 16 headers in all. */
#define FIELD_MAX_WARNINGS 8

enum platform_field_validation platform_field_validation_from_string(const char *s)
{
	if (!s)
		return PLATFORM_FIELD_VALIDATION_WARN;
	if (strcmp(s, "Ignore") == 0)
		return PLATFORM_FIELD_VALIDATION_IGNORE;
	if (strcmp(s, "Warn") == 0)
		return PLATFORM_FIELD_VALIDATION_WARN;
	if (strcmp(s, "Strict") == 0)
		return PLATFORM_FIELD_VALIDATION_STRICT;
	return PLATFORM_FIELD_VALIDATION_MAX;
}

struct field_walk {
	const json_t *schemas;
	bool patch;
	bool drop; /* remove the unknown fields from the value, as kube-apiserver's decoder drops them */
	json_t *paths;
	char path[FIELD_MAX_PATH];
};

/* Follows $ref (#/components/schemas/NAME) and a one-element allOf, kube-apiserver's way of giving a
 * reference a description. */
static const json_t *resolve(const json_t *schemas, const json_t *schema)
{
	for (int hops = 0; hops < 16 && json_is_object(schema); hops++) {
		const char *ref = json_string_value(json_object_get(schema, "$ref"));
		const json_t *all_of = json_object_get(schema, "allOf");
		if (ref) {
			const char *prefix = "#/components/schemas/";
			if (strncmp(ref, prefix, strlen(prefix)) != 0)
				return NULL;
			schema = json_object_get(schemas, ref + strlen(prefix));
		} else if (json_is_array(all_of) && json_array_size(all_of) == 1) {
			schema = json_array_get(all_of, 0);
		} else {
			return schema;
		}
	}
	return NULL;
}

static void walk(struct field_walk *w, const json_t *schema, const json_t *value, size_t len, int depth);

/* Appends ".key" (or "key" at the top) or "[i]" to the path at len; the path is cut, not grown, when
 * long. Returns the new length. */
static size_t path_end(struct field_walk *w, size_t len, int n)
{
	if (n < 0 || (size_t)n >= sizeof(w->path) - len)
		return sizeof(w->path) - 1;
	return len + (size_t)n;
}

static size_t path_push_key(struct field_walk *w, size_t len, const char *key)
{
	return path_end(w, len, snprintf(w->path + len, sizeof(w->path) - len, len ? ".%s" : "%s", key));
}

static size_t path_push_index(struct field_walk *w, size_t len, size_t index)
{
	return path_end(w, len, snprintf(w->path + len, sizeof(w->path) - len, "[%zu]", index));
}

static void walk_object(struct field_walk *w, const json_t *schema, const json_t *value, size_t len, int depth)
{
	const json_t *properties = json_object_get(schema, "properties");
	const json_t *additional = json_object_get(schema, "additionalProperties");
	const char *key;
	json_t *child;
	void *next;
	json_object_foreach_safe((json_t *)value, next, key, child)
	{
		if (w->patch && key[0] == '$')
			continue;
		size_t at = path_push_key(w, len, key);
		const json_t *field = json_is_object(properties) ? json_object_get(properties, key) : NULL;
		if (field)
			walk(w, field, child, at, depth + 1);
		else if (json_is_object(additional))
			walk(w, additional, child, at, depth + 1);
		else if (json_is_object(properties)) {
			if (json_array_size(w->paths) < FIELD_MAX_REPORTED)
				json_array_append_new(w->paths, json_string(w->path));
			if (w->drop)
				json_object_del((json_t *)value, key);
		}
		w->path[len] = '\0';
	}
}

static void walk(struct field_walk *w, const json_t *schema, const json_t *value, size_t len, int depth)
{
	schema = resolve(w->schemas, schema);
	if (!schema || depth > FIELD_MAX_DEPTH || (!w->drop && json_array_size(w->paths) >= FIELD_MAX_REPORTED) ||
	    json_is_true(json_object_get(schema, "x-kubernetes-preserve-unknown-fields")))
		return;
	if (json_is_object(value)) {
		walk_object(w, schema, value, len, depth);
		return;
	}
	const json_t *items = json_object_get(schema, "items");
	if (json_is_array(value) && json_is_object(items)) {
		size_t i;
		json_t *element;
		json_array_foreach (value, i, element) {
			size_t at = path_push_index(w, len, i);
			walk(w, items, element, at, depth + 1);
			w->path[len] = '\0';
		}
	}
}

static size_t unknown_fields(const json_t *schemas, const json_t *schema, json_t *value, bool patch, bool drop,
			     json_t *ret_paths)
{
	_cleanup_free_ struct field_walk *w = cc_xcalloc(1, sizeof(*w));
	size_t before = json_array_size(ret_paths);
	w->schemas = schemas;
	w->patch = patch;
	w->drop = drop;
	w->paths = ret_paths;
	walk(w, schema, value, 0, 0);
	return json_array_size(ret_paths) - before;
}

size_t platform_field_unknown(const json_t *schemas, const json_t *schema, const json_t *value, bool patch,
			      json_t *ret_paths)
{
	return unknown_fields(schemas, schema, (json_t *)value, patch, false, ret_paths);
}

/* `strict decoding error: unknown field "a", unknown field "b"` as kube-apiserver joins them. */
static void strict_error(struct cc_http_response *resp, const struct platform_resource *r, const char *kind,
			 const char *version, const json_t *paths)
{
	_cleanup_buf_ struct cc_buf msg = { 0 };
	cc_buf_appendf(&msg, "%s in version \"%s\" cannot be handled as a %s: strict decoding error: ", kind, version,
		       kind);
	size_t i;
	json_t *path;
	json_array_foreach (paths, i, path)
		cc_buf_appendf(&msg, "%sunknown field \"%s\"", i ? ", " : "", json_string_value(path));
	platform_status_error(resp, 400, "BadRequest", r, NULL, "%.*s", (int)msg.len, msg.data ? msg.data : "");
}

/* RFC 7234 §5.5 warn-code 299 with the text as a quoted-string, as kube-apiserver's warning headers:
 * 299 - "unknown field \"spec.foo\"". A field name is the client's: quotes and backslashes are
 * escaped and control bytes replaced, so no name can end the header or start another. */
static void warn(struct cc_http_response *resp, const json_t *paths)
{
	size_t i;
	json_t *path;
	json_array_foreach (paths, i, path) {
		if (i >= FIELD_MAX_WARNINGS)
			break;
		_cleanup_buf_ struct cc_buf value = { 0 };
		cc_buf_append_str(&value, "299 - \"unknown field \\\"");
		for (const unsigned char *c = (const unsigned char *)json_string_value(path); *c; c++) {
			if (*c == '"' || *c == '\\')
				cc_buf_append_str(&value, "\\\\\\");
			char byte = (*c < 0x20 || *c == 0x7f) ? '?' : (char)*c;
			cc_buf_append(&value, &byte, 1);
		}
		cc_buf_append_str(&value, "\\\"\"");
		cc_buf_append(&value, "", 1);
		cc_http_response_add_header(resp, "Warning", value.data);
	}
}

int platform_field_validate(const struct cc_http_request *req, const struct platform_resource *r, json_t *body,
			    struct cc_http_response *resp)
{
	_cleanup_free_ char *param = cc_http_request_query(req, "fieldValidation");
	enum platform_field_validation mode = platform_field_validation_from_string(param);
	if (mode == PLATFORM_FIELD_VALIDATION_MAX) {
		platform_status_error(resp, 400, "BadRequest", r, NULL,
				      "fieldValidation: Unsupported value: \"%s\": supported values: \"Ignore\", "
				      "\"Strict\", \"Warn\"",
				      param);
		return -EINVAL;
	}
	/* A JSON patch (an array of operations) is not an object of the kind, nor is the DeleteOptions
	 * body of a DELETE. */
	bool writes = req->method && (strcmp(req->method, "POST") == 0 || strcmp(req->method, "PUT") == 0 ||
				      strcmp(req->method, "PATCH") == 0);
	if (!writes || !json_is_object(body))
		return 0;
	const char *api_version = json_string_value(json_object_get(body, "apiVersion"));
	const char *kind = json_string_value(json_object_get(body, "kind"));
	char own_version[160];
	if (!api_version || !kind) {
		snprintf(own_version, sizeof(own_version), "%s%s%s", r->group, r->group[0] ? "/" : "", r->version);
		api_version = own_version;
		kind = r->kind;
	}
	const json_t *schemas = NULL;
	const json_t *schema = platform_openapi_kind_schema(api_version, kind, &schemas);
	if (!schema)
		return 0;
	const char *type = cc_http_request_header(req, "content-type");
	bool patch = type && strncmp(type, "application/strategic-merge-patch+json", 38) == 0;
	_cleanup_json_ json_t *paths = json_array();
	/* Ignore and Warn drop what they let through, so no unknown field is ever stored. */
	bool strict = mode == PLATFORM_FIELD_VALIDATION_STRICT;
	if (unknown_fields(schemas, schema, body, patch, !strict, paths) == 0 ||
	    mode == PLATFORM_FIELD_VALIDATION_IGNORE)
		return 0;
	if (mode == PLATFORM_FIELD_VALIDATION_WARN) {
		warn(resp, paths);
		return 0;
	}
	const char *slash = strrchr(api_version, '/');
	strict_error(resp, r, kind, slash ? slash + 1 : api_version, paths);
	return -EINVAL;
}
