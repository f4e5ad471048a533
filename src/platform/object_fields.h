/* The fields of a Kubernetes object as server-side apply sees them (sigs.k8s.io/structured-merge-diff's
 * typed values), on jansson trees:
 *   - an object is a map of fields, each tracked on its own, unless its schema makes it atomic
 *     (label selectors, nodeSelector: owned and replaced as a whole);
 *   - a list is atomic (owned and replaced whole) unless it is associative, its items identified by
 *     key fields (containers by name, ports by containerPort and protocol: k:{...}), or a set of
 *     scalars (finalizers: v:...);
 *   - anything else is a leaf.
 * Which lists are associative and by which keys is the strategic merge patch's knowledge
 * (platform_patch_schema_default, the Go types' patchMergeKey), completed where Kubernetes' OpenAPI
 * list-map-keys name more than one key. The walks here compute field sets (field_set.h), compare two
 * objects, merge an applied configuration onto an object and prune what an applier gave up.
 * Pure functions: no I/O, no global state. */
#pragma once

#include <jansson.h>

struct cc_error;
struct platform_field_set;

/* The fields value sets (structured-merge-diff's ToFieldSet): its leaves and its list items, never a
 * map by itself. kind is the object's kind (the rules depend on it). An item of an associative list
 * that omits a key field, or two items with the same key, make it fail with -EINVAL and err naming the
 * list (kube-apiserver refuses such an applied configuration). */
int platform_object_fields(const json_t *value, const char *kind, struct platform_field_set **ret,
			   struct cc_error *err);

/* What changed from old to new: fields (and list items, and maps that were absent) that new added,
 * leaves whose value changed, and what old had and new lost. A list whose items cannot be told apart
 * is compared as one value. */
struct platform_field_changes {
	struct platform_field_set *added, *modified, *removed;
};
void platform_object_compare(const json_t *old, const json_t *new, const char *kind,
			     struct platform_field_changes *ret);
void platform_field_changes_clear(struct platform_field_changes *changes);

/* live with config merged onto it (a new tree): maps merge field by field, associative and set lists
 * item by item (config's items in config's order, live's other items kept where they were), atomic
 * values and leaves are config's. */
json_t *platform_object_merge(const json_t *live, const json_t *config, const char *kind);

/* Removes from obj what last holds and keep does not: a member of last that nobody keeps goes whole;
 * a map emptied so goes too. The key fields of a list item that stays are never removed. */
void platform_object_prune(json_t *obj, const char *kind, const struct platform_field_set *last,
			   const struct platform_field_set *keep);
