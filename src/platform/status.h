/* Kubernetes Status responses (meta/v1 Status): what kube-apiserver answers for every failure, with
 * the reason and code kubectl and client libraries read ("Error from server (NotFound): ..."). */
#pragma once

#include <jansson.h>

struct cc_http_response;
struct platform_resource;

/* status: 400 BadRequest, 403 Forbidden, 404 NotFound, 405 MethodNotAllowed, 409 AlreadyExists or
 * Conflict, 410 Expired, 413 RequestEntityTooLarge, 415 UnsupportedMediaType, 422 Invalid, 500
 * InternalError. reason may be NULL (the usual one for the code). resource and name fill details. */
void platform_status_error(struct cc_http_response *resp, int code, const char *reason,
			   const struct platform_resource *resource, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));
/* 422 Invalid with details.causes: [{reason: FieldValueInvalid|FieldValueRequired, field, message}]
 * (causes is taken). */
void platform_status_invalid(struct cc_http_response *resp, const struct platform_resource *resource, const char *name,
			     json_t *causes);
/* Adds one cause to causes. */
void platform_cause(json_t *causes, const char *reason, const char *field, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* A Status of Success (for deletions of collections). */
void platform_status_success(struct cc_http_response *resp, const struct platform_resource *resource, const char *name);
/* Any response body that is a Kubernetes object. */
void platform_respond(struct cc_http_response *resp, int code, json_t *object);
/* A Warning header as kube-apiserver sends admission warnings (kubectl prints "Warning: TEXT"). */
void platform_add_warning(struct cc_http_response *resp, const char *text);
