/* The request side of field management: who a write is by (?fieldManager=, else the User-Agent's
 * product, as kube-apiserver derives it), whether an apply forces (?force=true), and the
 * metadata.managedFields a create or an update leaves on the object. The API's verbs (api.c) call
 * these; the bookkeeping itself is managed_fields.h and apply.h. */
#pragma once

#include "platform/managed_fields.h"

#include <jansson.h>
#include <stdbool.h>

struct cc_http_request;
struct cc_http_response;
struct platform_target;

enum platform_write {
	PLATFORM_WRITE_CREATE,
	PLATFORM_WRITE_UPDATE,
	PLATFORM_WRITE_PATCH,
	PLATFORM_WRITE_APPLY,
};

struct platform_write_manager {
	struct platform_field_manager who; /* points into the members below */
	char *manager;
	char api_version[96];
	bool force;
};

/* Reads the request's manager, validated as kube-apiserver's Validate{Create,Update,Patch}Options:
 * at most 128 printable characters, required for an apply, and force only with an apply. false
 * after answering 422 (a Status naming {Create,Update,Patch}Options.meta.k8s.io and the field). */
bool platform_write_manager_of(const struct cc_http_request *req, const struct platform_target *t,
			       enum platform_write write, struct platform_write_manager *ret,
			       struct cc_http_response *resp);
void platform_write_manager_clear(struct platform_write_manager *m);

/* The record of a new object: the creator's Update entry for every field obj has. Whatever
 * managedFields the client sent are replaced. */
void platform_managed_fields_created(json_t *obj, const struct platform_target *t,
				     const struct platform_write_manager *m);

/* The record of obj replacing old by an update (PUT, or a PATCH that is not an apply): the client's
 * own metadata.managedFields when it sent some (`[{}]` clears the record; writes to a subresource
 * cannot change it), else old's; then the writer's Update entry takes what it changed. false after
 * answering 422 for a malformed record, each problem a cause naming its field. */
bool platform_managed_fields_updated(json_t *obj, const json_t *old, const struct platform_target *t,
				     const struct platform_write_manager *m, struct cc_http_response *resp);

/* Puts the record list on obj (an empty one: none, as Kubernetes leaves it out). Takes list. */
void platform_managed_fields_store(json_t *obj, json_t *list);

/* The current time as managedFields record it (RFC 3339, whole seconds). */
void platform_managed_fields_now(char *buf, size_t size);
