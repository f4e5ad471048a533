/* Server-side apply (PATCH with application/apply-patch+yaml), as kube-apiserver does it with
 * sigs.k8s.io/structured-merge-diff:
 *   - the applied configuration is the manager's whole intent: its fields become the manager's Apply
 *     entry in metadata.managedFields, replacing what it applied before;
 *   - it is merged onto the live object (object_fields.h); fields the manager applied before and no
 *     longer applies are removed unless another manager owns them;
 *   - changing a field another manager owns is a conflict (409, one cause per field) unless the
 *     request forces it, which takes the field over; applying a field with the value it already has
 *     shares its ownership.
 * Pure functions: no I/O, no global state. The request side is field_manager.h. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct platform_field_manager;

struct platform_apply_conflict {
	char *manager; /* as kube-apiserver names it: "\"kubectl\" with subresource \"scale\" using apps/v1" */
	char *path;    /* ".spec.replicas" */
};

struct platform_apply_conflicts {
	struct platform_apply_conflict *items;
	size_t n;
};

void platform_apply_conflicts_clear(struct platform_apply_conflicts *c);

/* Applies config by who (who->apply set) onto live, an object as stored (NULL: it does not exist
 * yet). On success returns 0 with the object to store in *ret_object, its metadata.managedFields
 * left out, and the list to store there in *ret_managed. Otherwise:
 *   -EBUSY   conflicts with other managers (force not set): *ret_conflicts lists them;
 *   -EBADMSG config is no configuration: not an object, or it sets metadata.managedFields;
 *   -EINVAL  config cannot be read with the list rules: err names the list (an item without its key
 *            field, two items with one key).
 * kind selects the list rules; time is the RFC 3339 time written into who's entry. */
int platform_apply(const json_t *live, const json_t *config, const char *kind, const struct platform_field_manager *who,
		   bool force, const char *time, json_t **ret_object, json_t **ret_managed,
		   struct platform_apply_conflicts *ret_conflicts, struct cc_error *err);

/* kube-apiserver's answer to conflicts (a new reference): a Status of code 409, reason Conflict,
 * "Apply failed with 1 conflict: conflict with \"MANAGER\" using apps/v1: .spec.replicas" (several
 * grouped by manager), details.causes [{reason: FieldManagerConflict, message, field}]. */
json_t *platform_apply_conflict_status(const struct platform_apply_conflicts *c);
