/* Status responses (see status.h); reasons and codes as k8s.io/apimachinery's StatusReason. */
#include "platform/status.h"

#include "lib/base/cleanup.h"
#include "lib/net/http.h"
#include "platform/resources.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *default_reason(int code)
{
	switch (code) {
	case 400: return "BadRequest";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "NotFound";
	case 405: return "MethodNotAllowed";
	case 406: return "NotAcceptable";
	case 409: return "Conflict";
	case 410: return "Expired";
	case 413: return "RequestEntityTooLarge";
	case 415: return "UnsupportedMediaType";
	case 422: return "Invalid";
	case 429: return "TooManyRequests";
	case 503: return "ServiceUnavailable";
	default: return "InternalError";
	}
}

static json_t *status_object(int code, const char *reason, const struct platform_resource *resource, const char *name,
			     const char *message)
{
	json_t *details = json_object();
	if (name)
		json_object_set_new(details, "name", json_string(name));
	if (resource) {
		if (resource->group[0])
			json_object_set_new(details, "group", json_string(resource->group));
		json_object_set_new(details, "kind", json_string(resource->resource));
	}
	json_t *status = json_pack("{s:s, s:s, s:{}, s:s, s:s, s:s, s:i}", "kind", "Status", "apiVersion", "v1",
				   "metadata", "status", "Failure", "message", message, "reason",
				   reason ? reason : default_reason(code), "code", code);
	if (json_object_size(details))
		json_object_set_new(status, "details", details);
	else
		json_decref(details);
	return status;
}

void platform_respond(struct cc_http_response *resp, int code, json_t *object)
{
	cc_http_response_json(resp, code, object);
}

void platform_status_error(struct cc_http_response *resp, int code, const char *reason,
			   const struct platform_resource *resource, const char *name, const char *fmt, ...)
{
	char message[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	platform_respond(resp, code, status_object(code, reason, resource, name, message));
}

void platform_cause(json_t *causes, const char *reason, const char *field, const char *fmt, ...)
{
	char message[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	json_array_append_new(causes,
			      json_pack("{s:s, s:s, s:s}", "reason", reason, "field", field, "message", message));
}

void platform_status_invalid(struct cc_http_response *resp, const struct platform_resource *resource, const char *name,
			     json_t *causes)
{
	/* kube-apiserver's message: `Kind "name" is invalid: field: message, field: message`. */
	char message[1024];
	int n = snprintf(message, sizeof(message), "%s \"%s\" is invalid: ", resource ? resource->kind : "object",
			 name ? name : "");
	size_t i;
	json_t *cause;
	json_array_foreach (causes, i, cause) {
		if (n < 0 || (size_t)n >= sizeof(message))
			break;
		n += snprintf(message + n, sizeof(message) - (size_t)n, "%s%s: %s", i ? ", " : "",
			      json_string_value(json_object_get(cause, "field")),
			      json_string_value(json_object_get(cause, "message")));
	}
	json_t *status = status_object(422, "Invalid", resource, name, message);
	json_t *details = json_object_get(status, "details");
	if (!details) {
		details = json_object();
		json_object_set_new(status, "details", details);
	}
	if (resource)
		json_object_set_new(details, "kind", json_string(resource->kind));
	json_object_set_new(details, "causes", causes);
	platform_respond(resp, 422, status);
}

void platform_status_success(struct cc_http_response *resp, const struct platform_resource *resource, const char *name)
{
	json_t *status =
	    json_pack("{s:s, s:s, s:{}, s:s}", "kind", "Status", "apiVersion", "v1", "metadata", "status", "Success");
	json_t *details = json_object();
	if (name)
		json_object_set_new(details, "name", json_string(name));
	if (resource)
		json_object_set_new(details, "kind", json_string(resource->resource));
	json_object_set_new(status, "details", details);
	platform_respond(resp, 200, status);
}

/* A Warning header (RFC 7234 §5.5, warn-code 299, the text a quoted-string: quotes and backslashes
 * escaped), as kube-apiserver sends admission warnings; kubectl prints "Warning: TEXT". */
void platform_add_warning(struct cc_http_response *resp, const char *text)
{
	size_t len = strlen(text), used = 0;
	_cleanup_free_ char *header = cc_xmalloc(len * 2 + 16);
	used += (size_t)sprintf(header, "299 - \"");
	for (const char *p = text; *p; p++) {
		if (*p == '"' || *p == '\\')
			header[used++] = '\\';
		header[used++] = (unsigned char)*p < 0x20 ? ' ' : *p;
	}
	header[used++] = '"';
	header[used] = '\0';
	cc_http_response_add_header(resp, "Warning", header);
}
