/* metadata.managedFields: who owns which fields of an object, as kube-apiserver records it for every
 * write (k8s.io/apiserver's fieldmanager over sigs.k8s.io/structured-merge-diff).
 *
 * One entry per manager identity: the manager's name, the operation (Apply for server-side apply,
 * Update for every other write), the subresource it wrote through, and for Update the apiVersion
 * (an applier keeps one entry whatever version it applies with). The entry carries the fields it owns
 * (fieldsV1) and when it last changed the object. This file reads and writes the entries and does the
 * bookkeeping of an Update; apply.h does Apply's. Pure functions: no I/O, no global state. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_buf;
struct cc_error;
struct platform_field_set;

/* kube-apiserver's FieldManagerMaxLength. */
#define PLATFORM_FIELD_MANAGER_MAX 128

/* Who writes, and how. */
struct platform_field_manager {
	const char *manager;
	bool apply;              /* operation Apply, else Update */
	const char *api_version; /* "apps/v1" */
	const char *subresource; /* "status", "scale", or NULL for the object itself */
};

struct platform_managed_entry {
	char *manager;
	bool apply;
	char *api_version;
	char *subresource; /* NULL: the main resource */
	char *time;        /* RFC 3339, or NULL */
	struct platform_field_set *fields;
};

struct platform_managed_fields {
	struct platform_managed_entry *entries;
	size_t n;
};

void platform_managed_fields_clear(struct platform_managed_fields *m);
static inline void platform_managed_fields_clearp(struct platform_managed_fields *m)
{
	platform_managed_fields_clear(m);
}
#define _cleanup_managed_fields_ __attribute__((cleanup(platform_managed_fields_clearp)))

/* Reads a metadata.managedFields list (NULL or absent: none). A malformed entry fails with -EINVAL;
 * when causes is given, one cause per problem is added to it, its field named
 * "metadata.managedFields[i].<member>" as kube-apiserver's ValidateManagedFields names them. */
int platform_managed_fields_decode(const json_t *list, struct platform_managed_fields *ret, json_t *causes,
				   struct cc_error *err);
/* The list to store (a new reference), entries in kube-apiserver's order: Apply before Update, then
 * by time, manager, apiVersion and subresource. Entries that own nothing are left out. */
json_t *platform_managed_fields_encode(const struct platform_managed_fields *m);

/* A client's list that resets the record: every entry an empty object (`[{}]`, as Kubernetes
 * documents it). An empty list does not reset: clients unaware of managedFields send none. */
bool platform_managed_fields_is_reset(const json_t *list);

/* The entry of who (same manager, operation and subresource, and apiVersion for Update); with
 * create, a new empty one when there is none. */
struct platform_managed_entry *platform_managed_fields_find(struct platform_managed_fields *m,
							    const struct platform_field_manager *who, bool create);
void platform_managed_fields_drop_empty(struct platform_managed_fields *m);

/* Takes out of set what is never anyone's field: apiVersion, kind, and the server-set metadata
 * (name, namespace, uid, resourceVersion, generation, creationTimestamp, managedFields...), and the
 * part a write through subresource cannot change: the status of a write to the object itself,
 * everything but the status of a write to the status subresource. */
void platform_managed_fields_strip(struct platform_field_set *set, const char *subresource);

/* The bookkeeping of an Update (create, PUT, non-apply PATCH) by who from old (NULL: a create) to
 * new: who takes every field the write added or changed, taking it from anyone who had it; fields
 * the write removed are nobody's any more; who's entry gets time when it took anything. */
void platform_managed_fields_update(struct platform_managed_fields *m, const json_t *old, const json_t *new,
				    const char *kind, const struct platform_field_manager *who, const char *time);

/* A field manager name as kube-apiserver's ValidateFieldManager accepts it: at most
 * PLATFORM_FIELD_MANAGER_MAX bytes, printable characters only. Returns 0 or -EINVAL with err. */
int platform_field_manager_validate(const char *name, struct cc_error *err);
/* The manager of a write that names none: the User-Agent's product ("kubectl" of
 * "kubectl/v1.30.0 (linux/amd64) kubernetes/abc"), printable characters only, at most 128 (a new
 * string; "" without a User-Agent). */
char *platform_field_manager_from_user_agent(const char *user_agent);
/* How a conflict names a manager: `"kubectl"`, `"kubectl" with subresource "scale" using apps/v1`
 * (kube-apiserver's printManager, Update entries with their apiVersion). Appends to out. */
void platform_managed_entry_describe(const struct platform_managed_entry *e, struct cc_buf *out);
