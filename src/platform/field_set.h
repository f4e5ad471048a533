/* Sets of field paths, as sigs.k8s.io/structured-merge-diff keeps them for server-side apply, and
 * their wire form, metadata.managedFields[].fieldsV1.
 *
 * A set is a trie: each node is one path element and says whether the path itself is in the set (a
 * "member") and which longer paths below it are. A path element is written as fieldsV1 writes it:
 *   f:<name>     a field of an object (or a key of a map)
 *   k:<json>     the item of an associative list whose key fields have these values, {"name":"nginx"}
 *   v:<json>     the item of a set list that has this value, "example.com/finalizer"
 *   i:<index>    the item at a position (kept when a client sends it; the platform never makes one)
 * The k: and v: forms are kept canonical (compact JSON, keys sorted), so two elements are the same
 * item exactly when their strings are equal. Pure data: no I/O, no global state. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_buf;
struct cc_error;

struct platform_field_set;

struct platform_field_set *platform_field_set_new(void);
void platform_field_set_free(struct platform_field_set *set);
CC_DEFINE_CLEANUP_FUNC(struct platform_field_set *, platform_field_set_free)
struct platform_field_set *platform_field_set_copy(const struct platform_field_set *set);

/* Nothing in it: no member at any depth. */
bool platform_field_set_empty(const struct platform_field_set *set);
/* The node itself is a member (its path is in the set). */
bool platform_field_set_is_member(const struct platform_field_set *set);
void platform_field_set_set_member(struct platform_field_set *set, bool member);

/* The node for element below set, or NULL; with create, made when missing (a new node is not a
 * member and has no children until told so). element must be a valid element (see
 * platform_field_element_valid); the caller keeps it. */
struct platform_field_set *platform_field_set_child(struct platform_field_set *set, const char *element, bool create);
const struct platform_field_set *platform_field_set_get(const struct platform_field_set *set, const char *element);
/* The children in the order fieldsV1 writes them (f: before k: before v: before i:, then by name). */
size_t platform_field_set_child_count(const struct platform_field_set *set);
const char *platform_field_set_child_at(const struct platform_field_set *set, size_t i,
					const struct platform_field_set **ret_child);
/* Forgets element and everything below it. */
void platform_field_set_remove(struct platform_field_set *set, const char *element);
/* Drops the nodes that are neither members nor lead to one. */
void platform_field_set_compact(struct platform_field_set *set);

/* dst gets every member of src. */
void platform_field_set_union(struct platform_field_set *dst, const struct platform_field_set *src);
/* Every member of src stops being one in dst (paths below it that dst has stay). */
void platform_field_set_subtract(struct platform_field_set *dst, const struct platform_field_set *src);
/* The members that a and b both have (a new set). */
struct platform_field_set *platform_field_set_intersect(const struct platform_field_set *a,
							const struct platform_field_set *b);

/* Calls fn for each member path, rendered as structured-merge-diff prints paths
 * (`.spec.template.spec.containers[name="nginx"].image`): at each level the members first, then
 * what is below, each in element order. Stops at the first non-zero return and returns it. */
int platform_field_set_foreach(const struct platform_field_set *set, int (*fn)(const char *path, void *userdata),
			       void *userdata);
/* Appends one element as a path printer does (".image", `[name="nginx"]`, `[="x"]`, "[0]"). */
void platform_field_element_render(const char *element, struct cc_buf *out);

/* The fieldsV1 object of set (a new reference): {"f:spec":{"f:replicas":{}}}, "." for a member that
 * also has children. */
json_t *platform_field_set_to_fields_v1(const struct platform_field_set *set);
/* Reads a fieldsV1 object. Returns 0, or -EINVAL with err naming the offending key by its path in
 * the object ("f:spec.x:y: not a path element ..."). value must come from cc_json_parse (its depth
 * is bounded). */
int platform_field_set_from_fields_v1(const json_t *value, struct platform_field_set **ret, struct cc_error *err);

/* Whether text is an element as written in fieldsV1, and its canonical form (a new string) in
 * *ret. Returns 0, or -EINVAL with err saying why. */
int platform_field_element_canonical(const char *text, char **ret, struct cc_error *err);
