/* What kube-apiserver's registry strategies do before an object is stored: check it against the
 * request (kind, apiVersion, name, namespace), validate its metadata and the fields the platform
 * relies on, and fill the defaults and server-set fields (uid, creationTimestamp, generation,
 * status). A refusal fills resp with the Status (400, or 422 naming each field) and returns -EINVAL. */
#pragma once

#include "platform/resources.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct cc_http_response;
struct platform_objects;

/* obj is the request body (edited in place). url_namespace is the namespace of the URL, or NULL. */
int platform_admit_create(const struct platform_resource *r, json_t *obj, const char *url_namespace,
			  struct cc_http_response *resp);
/* obj replaces old. status_only: a write to the status subresource (only .status is taken). */
int platform_admit_update(const struct platform_resource *r, json_t *obj, const json_t *old, bool status_only,
			  struct cc_http_response *resp);
/* A write of the platform's own (a controller's, the bootstrap's): admission as for a client's
 * create (uid, creationTimestamp, the kind's defaults), then the store. A refusal is a mistake of
 * the caller's and is reported as one (-EINVAL with the Status); -EEXIST when the name is taken. */
int platform_admit_and_create(struct platform_objects *objects, const struct platform_resource *r, json_t *obj,
			      struct cc_error *err);
/* RFC 1123 names as Kubernetes checks them (a label: 63 characters, a subdomain: 253). */
bool platform_dns_label(const char *s);
bool platform_dns_subdomain(const char *s);
