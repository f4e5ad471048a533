/* Server-side field validation (kube-apiserver's fieldValidation query parameter, KEP-2885): the
 * fields of a request body that its kind's OpenAPI schema does not know are refused (Strict: 400
 * BadRequest, "strict decoding error: unknown field \"spec.foo\""), reported in Warning headers
 * (Warn, the default when the parameter is absent) or let through (Ignore). */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_resource;

enum platform_field_validation {
	PLATFORM_FIELD_VALIDATION_IGNORE,
	PLATFORM_FIELD_VALIDATION_WARN,
	PLATFORM_FIELD_VALIDATION_STRICT,
	PLATFORM_FIELD_VALIDATION_MAX, /* invalid */
};

/* "Ignore", "Warn", "Strict"; NULL (absent) is Warn, anything else PLATFORM_FIELD_VALIDATION_MAX. */
enum platform_field_validation platform_field_validation_from_string(const char *s);

/* Appends to ret_paths (an array) the path of every field of value that schema does not describe, at
 * any depth ("spec.containers[0].imagePullPolicyy"), following $ref and allOf in schemas (a
 * components.schemas object), additionalProperties (maps) and x-kubernetes-preserve-unknown-fields;
 * an object schema without properties takes anything. patch: the value is a strategic merge patch,
 * whose `$` directives ($patch, $setElementOrder/..., $retainKeys) are not fields. Returns how many
 * were appended (at most a bounded number). */
size_t platform_field_unknown(const json_t *schemas, const json_t *schema, const json_t *value, bool patch,
			      json_t *ret_paths);

/* The hook of api.c for a parsed request body (create, update, patch, apply): the body's kind (its
 * apiVersion and kind, else the resource's) is checked as the request's fieldValidation says.
 * Under Warn and Ignore the unknown fields are removed from body (kube-apiserver's decoder drops
 * them). Returns 0 to go on (Warning headers may have been added), -EINVAL when resp holds the 400. */
int platform_field_validate(const struct cc_http_request *req, const struct platform_resource *r, json_t *body,
			    struct cc_http_response *resp);
