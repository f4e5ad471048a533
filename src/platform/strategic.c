/* Kubernetes' strategic merge patch on jansson trees (see patch.h), what client-side `kubectl apply`,
 * `kubectl patch` and `kubectl edit` send.
 *
 * It follows k8s.io/apimachinery/pkg/util/strategicpatch (mergeMap, mergeSlice,
 * mergePatchIntoOriginal, normalizeElementOrder) step by step, with the options kube-apiserver
 * applies patches with (MergeParallelList, IgnoreUnmatchedNulls), so lists come out in the order
 * kube-apiserver gives them. Where this file differs it says so at the spot. Go's struct tags become
 * the rule table at the end (platform_patch_schema_default). Like the other patches, it copies the
 * document once and changes only the copy. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/patch.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- Strategic merge patch ---- */

#define DIRECTIVE_PATCH             "$patch"
#define DIRECTIVE_RETAIN_KEYS       "$retainKeys"
#define DIRECTIVE_SET_ELEMENT_ORDER "$setElementOrder/"
#define DIRECTIVE_DELETE_FROM_LIST  "$deleteFromPrimitiveList/"
#define NOT_FOUND                   SIZE_MAX

/* A path segment that stands for "an element of the list", written "[]" in rules. */
static const char list_item[] = "[]";

struct smp {
	const struct platform_patch_schema *schema;
	const char *kind;
	const char *path[PLATFORM_PATCH_MAX_DEPTH]; /* object keys, or list_item */
	size_t depth;
	struct cc_error *err;
};

static bool has_prefix(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

static void path_append(char *buf, size_t size, size_t *len, const char *s)
{
	size_t n = strlen(s);
	if (*len + n >= size)
		n = size - 1 - *len;
	memcpy(buf + *len, s, n);
	*len += n;
	buf[*len] = '\0';
}

static void smp_path(const struct smp *s, const char *field, char *buf, size_t size)
{
	size_t len = 0;
	buf[0] = '\0';
	for (size_t i = 0; i <= s->depth; i++) {
		const char *seg = i < s->depth ? s->path[i] : field;
		if (!seg)
			break;
		if (i > 0 && seg != list_item)
			path_append(buf, size, &len, ".");
		path_append(buf, size, &len, seg);
	}
}

__attribute__((format(printf, 3, 4))) static int smp_fail(const struct smp *s, const char *field, const char *fmt, ...)
{
	char path[256], message[640];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(message, sizeof(message), fmt, ap);
	va_end(ap);
	smp_path(s, field, path, sizeof(path));
	return cc_error_set(s->err, EINVAL, "strategic merge patch: `%s`: %s", path[0] ? path : "(root)", message);
}

static int smp_push(struct smp *s, const char *segment)
{
	if (s->depth >= PLATFORM_PATCH_MAX_DEPTH)
		return smp_fail(s, segment, "nested deeper than %d levels", PLATFORM_PATCH_MAX_DEPTH);
	s->path[s->depth++] = segment;
	return 0;
}

/* Whether the current path plus field is pattern ("spec.containers[].ports"). A key holding '.' or
 * '[' can match no rule: it is not a field of a Kubernetes type. */
static bool smp_path_matches(const struct smp *s, const char *field, const char *pattern)
{
	const char *p = pattern;
	for (size_t i = 0; i <= s->depth; i++) {
		const char *seg = i < s->depth ? s->path[i] : field;
		if (seg == list_item) {
			if (strncmp(p, "[]", 2) != 0)
				return false;
			p += 2;
			continue;
		}
		if (i > 0 && *p++ != '.')
			return false;
		size_t n = strcspn(seg, ".[");
		if (seg[n] != '\0' || strncmp(p, seg, n) != 0 || (p[n] != '.' && p[n] != '[' && p[n] != '\0'))
			return false;
		p += n;
	}
	return *p == '\0';
}

static const struct platform_patch_rule *smp_rule(const struct smp *s, const char *field)
{
	if (!s->schema)
		return NULL;
	for (size_t i = 0; i < s->schema->n_rules; i++) {
		const struct platform_patch_rule *rule = &s->schema->rules[i];
		if (rule->kind && (!s->kind || strcmp(rule->kind, s->kind) != 0))
			continue;
		if (smp_path_matches(s, field, rule->path))
			return rule;
	}
	return NULL;
}

static const char *smp_merge_key(const struct platform_patch_rule *rule)
{
	return rule && rule->strategy == PLATFORM_PATCH_MERGE ? rule->merge_key : NULL;
}

static bool is_directive_key(const char *key)
{
	return strcmp(key, DIRECTIVE_PATCH) == 0 || strcmp(key, DIRECTIVE_RETAIN_KEYS) == 0 ||
	       has_prefix(key, DIRECTIVE_SET_ELEMENT_ORDER) || has_prefix(key, DIRECTIVE_DELETE_FROM_LIST);
}

static json_t *smp_clean(const json_t *value);

static json_t *smp_clean_members(const json_t *object)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)object, key, v) {
		if (json_is_null(v) || is_directive_key(key))
			continue;
		json_t *c = smp_clean(v);
		if (c)
			json_object_set_new(out, key, c);
	}
	return out;
}

/* A patch value that goes into the result as it is (a new field, a new list element, a replaced
 * list): nulls inside maps go, and so does a map that carries `$patch` (strategicpatch's
 * discardNullValuesFromPatch and removeDirectives). The other directive keys go too, where
 * kube-apiserver drops them when it decodes into its Go types. NULL: the value itself goes. */
static json_t *smp_clean(const json_t *value)
{
	if (json_is_object(value))
		return json_object_get(value, DIRECTIVE_PATCH) ? NULL : smp_clean_members(value);
	if (!json_is_array(value))
		return json_deep_copy(value);
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(value); i++) {
		json_t *c = smp_clean(json_array_get(value, i));
		if (c)
			json_array_append_new(out, c);
	}
	return out;
}

/* -- identities of list elements -- */

/* Positions of a list's elements by identity (the merge key's value, or a scalar element itself), so
 * merging lists of n elements costs O(n) and not O(n²) as in strategicpatch: a 20,000-element list
 * would otherwise take seconds. Identity is json_equal's (1 and 1.0 differ, as Go's int64 and
 * float64 do). */
struct id_index {
	json_t **ids; /* references of their own: a merge may replace the member an id was read from */
	size_t *positions;
	size_t mask;
};

static uint64_t hash_mix(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL; /* FNV-1a */
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t json_hash(const json_t *v)
{
	uint64_t h = (uint64_t)json_typeof(v) + 1;
	switch (json_typeof(v)) {
	case JSON_STRING: return hash_bytes(json_string_value(v), json_string_length(v));
	case JSON_INTEGER: return hash_mix((uint64_t)json_integer_value(v));
	case JSON_REAL: {
		double d = json_real_value(v) + 0.0; /* -0.0 equals 0.0 */
		uint64_t bits;
		memcpy(&bits, &d, sizeof(bits));
		return hash_mix(bits ^ 0x5bd1e995);
	}
	case JSON_ARRAY:
		for (size_t i = 0; i < json_array_size(v); i++)
			h = hash_mix(h * 31 + json_hash(json_array_get(v, i)));
		return h;
	case JSON_OBJECT: {
		const char *key;
		json_t *member;
		json_object_foreach ((json_t *)v, key, member)
			h += hash_mix(hash_bytes(key, strlen(key)) ^ json_hash(member)); /* order-free */
		return h;
	}
	default: return h;
	}
}

static void id_index_init(struct id_index *ix, size_t count)
{
	size_t cap = 8;
	while (cap < count * 2)
		cap *= 2;
	ix->ids = cc_xcalloc(cap, sizeof(*ix->ids));
	ix->positions = cc_xcalloc(cap, sizeof(*ix->positions));
	ix->mask = cap - 1;
}

static void id_index_free(struct id_index *ix)
{
	for (size_t i = 0; ix->ids && i <= ix->mask; i++)
		json_decref(ix->ids[i]);
	free(ix->ids);
	free(ix->positions);
	ix->ids = NULL;
	ix->positions = NULL;
}

/* The position first recorded for id, or NOT_FOUND. */
static size_t id_index_find(const struct id_index *ix, const json_t *id)
{
	for (size_t i = json_hash(id) & ix->mask; ix->ids[i]; i = (i + 1) & ix->mask)
		if (json_equal(ix->ids[i], id))
			return ix->positions[i];
	return NOT_FOUND;
}

/* Records id at position unless it is there already; the table stays at most half full. */
static void id_index_add(struct id_index *ix, const json_t *id, size_t position)
{
	size_t i = json_hash(id) & ix->mask;
	for (; ix->ids[i]; i = (i + 1) & ix->mask)
		if (json_equal(ix->ids[i], id))
			return;
	ix->ids[i] = json_incref((json_t *)id);
	ix->positions[i] = position;
}

/* The identity of a list element: its merge key's value, or the element itself when the list has
 * no merge key. */
static int smp_element_id(const struct smp *s, const char *field, const json_t *element, const char *key,
			  const json_t **ret)
{
	if (!key) {
		*ret = element;
		return 0;
	}
	if (!json_is_object(element))
		return smp_fail(s, field, "the list is merged by `%s`, but an element is not an object", key);
	*ret = json_object_get(element, key);
	if (!*ret)
		return smp_fail(s, field, "an element has no merge key `%s`: every element of this list needs one",
				key);
	return 0;
}

/* An index of list's first `count` elements; the table has room for `room` more. */
static int smp_index_list(const struct smp *s, const char *field, const json_t *list, size_t count, size_t room,
			  const char *key, struct id_index *ret)
{
	id_index_init(ret, count + room);
	for (size_t i = 0; i < count; i++) {
		const json_t *id;
		int r = smp_element_id(s, field, json_array_get(list, i), key, &id);
		if (r < 0) {
			id_index_free(ret);
			return r;
		}
		id_index_add(ret, id, i);
	}
	return 0;
}

/* -- list order (normalizeElementOrder) -- */

struct order_slot {
	json_t *item;
	size_t patch_pos;  /* place in the patch's order, or NOT_FOUND for a server-only element */
	size_t server_pos; /* place in the server's list, or NOT_FOUND */
	size_t seq;        /* place in the merged list, for a stable sort */
};

static int slot_by_patch(const void *a, const void *b)
{
	const struct order_slot *x = *(const struct order_slot *const *)a, *y = *(const struct order_slot *const *)b;
	if (x->patch_pos != y->patch_pos)
		return x->patch_pos < y->patch_pos ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int slot_by_server(const void *a, const void *b)
{
	const struct order_slot *x = *(const struct order_slot *const *)a, *y = *(const struct order_slot *const *)b;
	if (x->server_pos != y->server_pos)
		return x->server_pos < y->server_pos ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* mergeSortedSlice: the server-only elements (left) are woven into the patch's (right); a
 * server-only element goes first when both sit in the server's list and it sits earlier there. */
static json_t *order_weave(struct order_slot **left, size_t nl, struct order_slot **right, size_t nr)
{
	json_t *out = json_array();
	size_t i = 0, j = 0;
	while (i < nl || j < nr) {
		bool take_left =
		    j >= nr || (i < nl && left[i]->server_pos != NOT_FOUND && right[j]->server_pos != NOT_FOUND &&
				left[i]->server_pos < right[j]->server_pos);
		json_array_append(out, take_left ? left[i++]->item : right[j++]->item);
	}
	return out;
}

/* normalizeElementOrder over merged: the elements named in patch_order come in that order, the
 * others keep the order of server_order, and the two are woven together. */
static int smp_order(const struct smp *s, const char *field, const json_t *merged, const json_t *patch_order,
		     const json_t *server_order, const char *key, json_t **ret)
{
	size_t n = json_array_size(merged), np = 0, ns = 0;
	struct id_index by_patch, by_server;
	int r = smp_index_list(s, field, patch_order, json_array_size(patch_order), 0, key, &by_patch);
	if (r < 0)
		return r;
	r = smp_index_list(s, field, server_order, json_array_size(server_order), 0, key, &by_server);
	if (r < 0) {
		id_index_free(&by_patch);
		return r;
	}
	_cleanup_free_ struct order_slot *slots = cc_xcalloc(n ? n : 1, sizeof(*slots));
	_cleanup_free_ struct order_slot **patch_part = cc_xcalloc(n ? n : 1, sizeof(*patch_part));
	_cleanup_free_ struct order_slot **server_part = cc_xcalloc(n ? n : 1, sizeof(*server_part));
	for (size_t i = 0; i < n && r == 0; i++) {
		const json_t *id;
		r = smp_element_id(s, field, json_array_get(merged, i), key, &id);
		if (r < 0)
			break;
		slots[i] = (struct order_slot){ json_array_get(merged, i), id_index_find(&by_patch, id),
						id_index_find(&by_server, id), i };
		if (slots[i].patch_pos != NOT_FOUND)
			patch_part[np++] = &slots[i];
		else
			server_part[ns++] = &slots[i];
	}
	id_index_free(&by_patch);
	id_index_free(&by_server);
	if (r < 0)
		return r;
	qsort(patch_part, np, sizeof(*patch_part), slot_by_patch);
	qsort(server_part, ns, sizeof(*server_part), slot_by_server);
	*ret = order_weave(server_part, ns, patch_part, np);
	return 0;
}

/* -- lists (mergeSliceHandler, mergeSlice) -- */

static int smp_map(struct smp *s, json_t *original, const json_t *patch, json_t **ret);

/* sliceElementType: a merged list holds elements of one JSON type, and no lists. Go tells true and
 * false apart from neither (both bool) and integers from reals (int64, float64), and so does this. */
static int smp_element_type(const struct smp *s, const char *field, const json_t *a, const json_t *b, int *ret)
{
	int type = -1;
	const json_t *lists[] = { a, b };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < json_array_size(lists[l]); i++) {
			int t = json_typeof(json_array_get(lists[l], i));
			t = t == JSON_FALSE ? JSON_TRUE : t;
			if (t == JSON_ARRAY)
				return smp_fail(s, field, "lists of lists are not supported");
			if (type >= 0 && t != type)
				return smp_fail(s, field, "list element types are not identical");
			type = t;
		}
	}
	*ret = type;
	return 0;
}

/* deleteFromSlice: the server's scalars minus those of a $deleteFromPrimitiveList directive. */
static json_t *smp_delete_from_list(const json_t *current, const json_t *to_delete)
{
	struct id_index ix;
	id_index_init(&ix, json_array_size(to_delete));
	for (size_t i = 0; i < json_array_size(to_delete); i++)
		id_index_add(&ix, json_array_get(to_delete, i), i);
	json_t *out = json_array();
	for (size_t i = 0; i < json_array_size(current); i++)
		if (id_index_find(&ix, json_array_get(current, i)) == NOT_FOUND)
			json_array_append(out, json_array_get(current, i));
	id_index_free(&ix);
	return out;
}

/* A list of scalars merged as a set: the server's, then the patch's it lacks (deduplicateScalars). */
static json_t *smp_union(const json_t *original, const json_t *patch)
{
	struct id_index ix;
	id_index_init(&ix, json_array_size(original) + json_array_size(patch));
	json_t *out = json_array();
	const json_t *lists[] = { original, patch };
	for (size_t l = 0; l < 2; l++) {
		for (size_t i = 0; i < json_array_size(lists[l]); i++) {
			const json_t *v = json_array_get(lists[l], i);
			if (id_index_find(&ix, v) != NOT_FOUND)
				continue;
			id_index_add(&ix, v, json_array_size(out));
			json_array_append_new(out, json_deep_copy(v));
		}
	}
	id_index_free(&ix);
	return out;
}

/* mergeSliceWithSpecialElements: elements `{key: v, $patch: delete}` remove the server's elements
 * with that key, `{$patch: replace}` makes the rest of the patch the whole list. The patch's other
 * elements go to *ret_items (borrowed). */
static int smp_special_elements(const struct smp *s, const char *field, const json_t *patch, const char *key,
				json_t *ret_items, json_t *ret_deleted, bool *ret_replace)
{
	for (size_t i = 0; i < json_array_size(patch); i++) {
		json_t *element = json_array_get(patch, i);
		json_t *directive = json_object_get(element, DIRECTIVE_PATCH);
		const char *d = json_string_value(directive);
		if (!directive) {
			json_array_append(ret_items, element);
		} else if (d && strcmp(d, "delete") == 0) {
			json_t *id = json_object_get(element, key);
			if (!id)
				return smp_fail(s, field, "element %zu has `$patch: delete` but no merge key `%s`", i,
						key);
			json_array_append(ret_deleted, id);
		} else if (d && strcmp(d, "replace") == 0) {
			*ret_replace = true;
		} else if (d && strcmp(d, "merge") == 0) {
			return smp_fail(s, field, "merging lists cannot yet be specified in the patch");
		} else {
			return smp_fail(s, field, "unknown patch type in element %zu (`$patch` is replace or delete)",
					i);
		}
	}
	return 0;
}

/* The server's elements (or, after `$patch: replace`, the patch's) less the deleted ones: the base
 * into which the patch's elements merge. */
static json_t *smp_list_base(const json_t *original, const json_t *items, const json_t *deleted, bool replace,
			     const char *key)
{
	json_t *base = json_array();
	if (replace) {
		for (size_t i = 0; i < json_array_size(items); i++)
			json_array_append_new(base, smp_clean(json_array_get(items, i)));
		return base;
	}
	struct id_index gone;
	id_index_init(&gone, json_array_size(deleted));
	for (size_t i = 0; i < json_array_size(deleted); i++)
		id_index_add(&gone, json_array_get(deleted, i), i);
	for (size_t i = 0; i < json_array_size(original); i++) {
		json_t *element = json_array_get(original, i);
		json_t *id = json_object_get(element, key);
		if (!id || id_index_find(&gone, id) == NOT_FOUND)
			json_array_append(base, element);
	}
	id_index_free(&gone);
	return base;
}

/* mergeSliceWithoutSpecialElements: each patch element merges into the base element with its key,
 * or is appended. Elements are merged in place (base holds the result tree's own elements). */
static int smp_merge_elements(struct smp *s, const char *field, json_t *base, const json_t *items, const char *key)
{
	struct id_index ix;
	int r = smp_index_list(s, field, base, json_array_size(base), json_array_size(items), key, &ix);
	if (r < 0)
		return r;
	for (size_t i = 0; i < json_array_size(items); i++) {
		const json_t *item = json_array_get(items, i), *id;
		if ((r = smp_element_id(s, field, item, key, &id)) < 0)
			break;
		size_t at = id_index_find(&ix, id);
		if (at == NOT_FOUND) {
			id_index_add(&ix, id, json_array_size(base));
			json_array_append_new(base, smp_clean_members(item));
			continue;
		}
		json_t *merged;
		size_t depth = s->depth;
		if ((r = smp_push(s, field)) == 0 && (r = smp_push(s, list_item)) == 0)
			r = smp_map(s, json_array_get(base, at), item, &merged);
		s->depth = depth;
		if (r < 0)
			break;
		json_array_set_new(base, at, merged);
	}
	id_index_free(&ix);
	return r;
}

/* mergeSlice over a list of objects merged by key. */
static int smp_merge_object_list(struct smp *s, const char *field, const json_t *original, const json_t *patch,
				 const char *key, json_t **ret)
{
	_cleanup_json_ json_t *items = json_array(), *deleted = json_array();
	bool replace = false;
	int r = smp_special_elements(s, field, patch, key, items, deleted, &replace);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *base = smp_list_base(original, items, deleted, replace, key);
	if (replace)
		json_array_clear(items);
	/* The server's order is that of the base before the patch's elements join it. */
	_cleanup_json_ json_t *server_order = json_array();
	json_array_extend(server_order, base);
	r = smp_merge_elements(s, field, base, items, key);
	if (r < 0)
		return r;
	return smp_order(s, field, base, items, server_order, key, ret);
}

/* mergeSlice: lists of objects by merge key, lists of scalars as a set (or, for a
 * $deleteFromPrimitiveList directive, as a set difference); then the order is normalised. */
static int smp_merge_list(struct smp *s, const char *field, const json_t *original, const json_t *patch,
			  const char *key, bool delete_list, json_t **ret)
{
	int type = -1;
	int r = smp_element_type(s, field, original, patch, &type);
	if (r < 0)
		return r;
	if (type < 0) {
		*ret = json_array();
		return 0;
	}
	if (type == JSON_OBJECT) {
		if (!key)
			return smp_fail(s, field, "cannot merge a list of objects without a merge key");
		if (delete_list)
			return smp_fail(s, field, "`$deleteFromPrimitiveList` applies to lists of scalars");
		return smp_merge_object_list(s, field, original, patch, key, ret);
	}
	if (key)
		return smp_fail(s, field, "the list is merged by `%s`, but its elements are not objects", key);
	if (delete_list) {
		*ret = smp_delete_from_list(original, patch);
		return 0;
	}
	_cleanup_json_ json_t *merged = smp_union(original, patch);
	return smp_order(s, field, merged, patch, original, NULL, ret);
}

/* mergeSliceHandler: a list the schema merges, or one the patch replaces. A $deleteFromPrimitiveList
 * directive always deletes here; strategicpatch would set a list without a merge strategy to the
 * directive's values, which no client means. */
static int smp_list(struct smp *s, const char *field, const json_t *original, const json_t *patch, bool delete_list,
		    json_t **ret)
{
	const struct platform_patch_rule *rule = smp_rule(s, field);
	if (rule && rule->strategy == PLATFORM_PATCH_MERGE)
		return smp_merge_list(s, field, original, patch, smp_merge_key(rule), delete_list, ret);
	if (delete_list) {
		*ret = smp_delete_from_list(original, patch);
		return 0;
	}
	*ret = smp_clean(patch);
	return 0;
}

/* -- maps (mergeMap) -- */

/* handleDirectiveInMergeMap: `$patch: replace` makes the patch the whole map, `$patch: delete`
 * empties it. kube-apiserver refuses any other value, `merge` included, and so does this. */
static int smp_map_directive(const struct smp *s, const json_t *patch, const json_t *directive, json_t **ret)
{
	const char *d = json_string_value(directive);
	if (d && strcmp(d, "replace") == 0) {
		*ret = smp_clean_members(patch);
		return 0;
	}
	if (d && strcmp(d, "delete") == 0) {
		*ret = json_object();
		return 0;
	}
	return smp_fail(s, NULL, "unknown patch type `%s` (`$patch` in a map is replace or delete)", d ? d : "?");
}

static bool json_list_has_string(const json_t *list, const char *s)
{
	for (size_t i = 0; i < json_array_size(list); i++)
		if (json_is_string(json_array_get(list, i)) &&
		    strcmp(json_string_value(json_array_get(list, i)), s) == 0)
			return true;
	return false;
}

/* applyRetainKeysDirective: the server's keys not listed go; a patch may only set listed keys. */
static int smp_retain_keys(const struct smp *s, json_t *original, const json_t *patch)
{
	const json_t *list = json_object_get(patch, DIRECTIVE_RETAIN_KEYS);
	if (!list)
		return 0;
	if (!json_is_array(list))
		return smp_fail(s, DIRECTIVE_RETAIN_KEYS, "invalid patch format of retainKeys: it must be a list");
	const char *key;
	json_t *v, *tmp;
	json_object_foreach ((json_t *)patch, key, v) {
		if (json_is_null(v) || is_directive_key(key))
			continue;
		if (!json_list_has_string(list, key))
			return smp_fail(s, key, "patch content doesn't match retainKeys list: `%s` is not in it", key);
	}
	json_object_foreach_safe(original, tmp, key, v) if (!json_list_has_string(list, key))
	    json_object_del(original, key);
	return 0;
}

/* validatePatchWithSetOrderList: the patch's elements (deletions aside) appear in the
 * $setElementOrder list, in the same relative order. */
static int smp_check_order(const struct smp *s, const char *field, const json_t *patch_list, const json_t *order,
			   const char *key)
{
	size_t p = 0, o = 0, np = json_array_size(patch_list), no = json_array_size(order);
	while (p < np && o < no) {
		const json_t *item = json_array_get(patch_list, p), *a, *b;
		if (json_is_object(item) && json_object_get(item, DIRECTIVE_PATCH)) {
			p++;
			continue;
		}
		int r = smp_element_id(s, field, item, key, &a);
		if (r < 0 || (r = smp_element_id(s, field, json_array_get(order, o), key, &b)) < 0)
			return r;
		if (json_equal(a, b))
			p++;
		o++;
	}
	for (; p < np; p++) {
		const json_t *item = json_array_get(patch_list, p);
		if (!json_is_object(item) || !json_object_get(item, DIRECTIVE_PATCH))
			return smp_fail(s, field,
					"the order in the patch list doesn't match the $setElementOrder list, or lacks "
					"one of its elements");
	}
	return 0;
}

/* mergePatchIntoOriginal for one `$setElementOrder/<field>`: the field's list is merged with the
 * patch's and put in the directive's order ($setElementOrder > patch order > server order). */
static int smp_set_element_order(struct smp *s, json_t *original, const json_t *patch, const char *field,
				 const json_t *order)
{
	json_t *current = json_object_get(original, field), *list = json_object_get(patch, field);
	if (!json_is_array(order))
		return smp_fail(s, field, "invalid patch format of setElementOrder list: it must be a list");
	if ((current && !json_is_array(current)) || (list && !json_is_array(list)))
		return smp_fail(s, field, "`$setElementOrder/%s` orders a field that is not a list", field);
	if (!current && !list)
		return 0;
	const char *key = smp_merge_key(smp_rule(s, field));
	int r = list ? smp_check_order(s, field, list, order, key) : 0;
	_cleanup_json_ json_t *merged = NULL;
	if (r < 0)
		return r;
	if (current && list)
		r = smp_list(s, field, current, list, false, &merged);
	else
		merged = current ? json_incref(current) : smp_clean(list);
	if (r < 0)
		return r;
	_cleanup_json_ json_t *empty = json_array();
	json_t *ordered;
	r = smp_order(s, field, merged, order, current ? current : empty, key, &ordered);
	if (r < 0)
		return r;
	json_object_set_new(original, field, ordered);
	return 0;
}

static int smp_set_element_orders(struct smp *s, json_t *original, const json_t *patch)
{
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)patch, key, v) {
		if (!has_prefix(key, DIRECTIVE_SET_ELEMENT_ORDER))
			continue;
		int r = smp_set_element_order(s, original, patch, key + strlen(DIRECTIVE_SET_ELEMENT_ORDER), v);
		if (r < 0)
			return r;
	}
	return 0;
}

/* Whether the patch orders field with a $setElementOrder directive, which merges the field too. */
static bool smp_has_order(const json_t *patch, const char *field)
{
	_cleanup_free_ char *order = cc_xasprintf("%s%s", DIRECTIVE_SET_ELEMENT_ORDER, field);
	return json_object_get(patch, order) != NULL;
}

/* A $deleteFromPrimitiveList/<field> directive only ever removes elements from the list it names
 * (strategicpatch would also delete the field for a null, or set a scalar). */
static int smp_delete_list(struct smp *s, json_t *original, const char *field, const json_t *value)
{
	json_t *current = json_object_get(original, field), *remaining;
	if (!json_is_array(current) || !json_is_array(value))
		return 0;
	int r = smp_list(s, field, current, value, true, &remaining);
	if (r < 0)
		return r;
	json_object_set_new(original, field, remaining);
	return 0;
}

/* One key of mergeMap's loop. */
static int smp_field(struct smp *s, json_t *original, const json_t *patch, const char *field, const json_t *value)
{
	if (strcmp(field, DIRECTIVE_RETAIN_KEYS) == 0 || has_prefix(field, DIRECTIVE_SET_ELEMENT_ORDER))
		return 0;
	if (has_prefix(field, DIRECTIVE_DELETE_FROM_LIST))
		return smp_delete_list(s, original, field + strlen(DIRECTIVE_DELETE_FROM_LIST), value);
	if (smp_has_order(patch, field))
		return 0; /* merged together with its order */
	if (json_is_null(value)) {
		json_object_del(original, field);
		return 0;
	}
	json_t *current = json_object_get(original, field), *merged = NULL;
	int r = 0;
	if (json_is_object(current) && json_is_object(value)) {
		const struct platform_patch_rule *rule = smp_rule(s, field);
		if (rule && rule->strategy == PLATFORM_PATCH_REPLACE) {
			merged = smp_clean_members(value);
		} else if ((r = smp_push(s, field)) == 0) {
			r = smp_map(s, current, value, &merged);
			s->depth--;
		}
	} else if (json_is_array(current) && json_is_array(value)) {
		r = smp_list(s, field, current, value, false, &merged);
	} else {
		/* New, of another type, or a scalar: the patch's value as it is. */
		merged = smp_clean(value);
		if (!merged) {
			json_object_del(original, field);
			return 0;
		}
	}
	if (r < 0)
		return r;
	json_object_set_new(original, field, merged);
	return 0;
}

/* mergeMap: patch merges into original (an object of the result, changed in place); *ret is what
 * goes in its place (original itself, or a new object after a `$patch` directive). */
static int smp_map(struct smp *s, json_t *original, const json_t *patch, json_t **ret)
{
	const json_t *directive = json_object_get(patch, DIRECTIVE_PATCH);
	if (directive)
		return smp_map_directive(s, patch, directive, ret);
	int r = smp_retain_keys(s, original, patch);
	if (r < 0 || (r = smp_set_element_orders(s, original, patch)) < 0)
		return r;
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)patch, key, value) {
		r = smp_field(s, original, patch, key, value);
		if (r < 0)
			return r;
	}
	*ret = json_incref(original);
	return 0;
}

int platform_strategic_merge_patch(const json_t *doc, const json_t *patch, const struct platform_patch_schema *schema,
				   json_t **ret, struct cc_error *err)
{
	if (!json_is_object(doc))
		return cc_error_set(err, EINVAL, "strategic merge patch: the document is not a JSON object");
	if (!json_is_object(patch))
		return cc_error_set(err, EINVAL, "strategic merge patch: the patch is not a JSON object");
	if (cc_json_depth(doc) > PLATFORM_PATCH_MAX_DEPTH || cc_json_depth(patch) > PLATFORM_PATCH_MAX_DEPTH)
		return cc_error_set(err, EINVAL, "strategic merge patch: nested deeper than %d levels",
				    PLATFORM_PATCH_MAX_DEPTH);
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	struct smp *s = cc_xcalloc(1, sizeof(*s));
	*s = (struct smp){ .schema = schema,
			   .kind = kind ? kind : json_string_value(json_object_get(patch, "kind")),
			   .err = err };
	_cleanup_json_ json_t *work = json_deep_copy(doc);
	json_t *result;
	int r = smp_map(s, work, patch, &result);
	free(s);
	if (r < 0)
		return r;
	*ret = result;
	return 0;
}

/* ---- The default schema: Kubernetes' patch struct tags for the kinds cocoond serves ---- */

/* k8s.io/api/core/v1 Container (and EphemeralContainerCommon): ports by containerPort, env by name,
 * volumeMounts by mountPath, volumeDevices by devicePath. */
#define CONTAINER_RULES(c)                                                                                             \
	{ NULL, c "[].ports", PLATFORM_PATCH_MERGE, "containerPort", false },                                          \
	    { NULL, c "[].env", PLATFORM_PATCH_MERGE, "name", false },                                                 \
	    { NULL, c "[].volumeMounts", PLATFORM_PATCH_MERGE, "mountPath", false },                                   \
	{                                                                                                              \
		NULL, c "[].volumeDevices", PLATFORM_PATCH_MERGE, "devicePath", false                                  \
	}

/* PodSpec. tolerations carry no strategy in Kubernetes, so a patch replaces them: the rule only says
 * so where one would look. */
#define POD_SPEC_RULES(p)                                                                                              \
	{ NULL, p ".containers", PLATFORM_PATCH_MERGE, "name", false },                                                \
	    { NULL, p ".initContainers", PLATFORM_PATCH_MERGE, "name", false },                                        \
	    { NULL, p ".ephemeralContainers", PLATFORM_PATCH_MERGE, "name", false }, CONTAINER_RULES(p ".containers"), \
	    CONTAINER_RULES(p ".initContainers"), CONTAINER_RULES(p ".ephemeralContainers"),                           \
	    { NULL, p ".volumes", PLATFORM_PATCH_MERGE, "name", true },                                                \
	    { NULL, p ".imagePullSecrets", PLATFORM_PATCH_MERGE, "name", false },                                      \
	    { NULL, p ".hostAliases", PLATFORM_PATCH_MERGE, "ip", false },                                             \
	    { NULL, p ".topologySpreadConstraints", PLATFORM_PATCH_MERGE, "topologyKey", false },                      \
	    { NULL, p ".schedulingGates", PLATFORM_PATCH_MERGE, "name", false },                                       \
	    { NULL, p ".resourceClaims", PLATFORM_PATCH_MERGE, "name", true },                                         \
	{                                                                                                              \
		NULL, p ".tolerations", PLATFORM_PATCH_REPLACE, NULL, false                                            \
	}

/* ObjectMeta, at the root and in a pod template. */
#define METADATA_RULES(m)                                                                                              \
	{ NULL, m ".ownerReferences", PLATFORM_PATCH_MERGE, "uid", false },                                            \
	{                                                                                                              \
		NULL, m ".finalizers", PLATFORM_PATCH_MERGE, NULL, false                                               \
	}

static const struct platform_patch_rule default_rules[] = {
	METADATA_RULES("metadata"),
	/* Pod */
	POD_SPEC_RULES("spec"),
	/* Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, ReplicationController */
	METADATA_RULES("spec.template.metadata"),
	POD_SPEC_RULES("spec.template.spec"),
	/* CronJob */
	POD_SPEC_RULES("spec.jobTemplate.spec.template.spec"),
	/* PodTemplate */
	POD_SPEC_RULES("template.spec"),
	/* Deployment.spec.strategy is `patchStrategy:"retainKeys"`: a map that merges. */
	{ "Deployment", "spec.strategy", PLATFORM_PATCH_MERGE, NULL, true },
	{ "Service", "spec.ports", PLATFORM_PATCH_MERGE, "port", false },
	{ "ServiceAccount", "secrets", PLATFORM_PATCH_MERGE, "name", false },
	{ "Node", "spec.podCIDRs", PLATFORM_PATCH_MERGE, NULL, false },
	{ "Node", "status.addresses", PLATFORM_PATCH_MERGE, "type", false },
	/* Pod, Node, Namespace, Deployment, ReplicaSet, StatefulSet, DaemonSet, Job, Service */
	{ NULL, "status.conditions", PLATFORM_PATCH_MERGE, "type", false },
	{ "Pod", "status.podIPs", PLATFORM_PATCH_MERGE, "ip", false },
	{ "Pod", "status.hostIPs", PLATFORM_PATCH_MERGE, "ip", false },
};

const struct platform_patch_schema *platform_patch_schema_default(void)
{
	static const struct platform_patch_schema schema = { default_rules, CC_ARRAY_SIZE(default_rules) };
	return &schema;
}
