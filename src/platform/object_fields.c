/* Field sets, comparison, merge and pruning of objects for server-side apply (see object_fields.h).
 *
 * Every walk carries the path it is at as the strategic merge patch's rules write paths
 * ("spec.template.spec.containers[].ports"), so the rules of patch.h answer what a list is. A map key
 * holding '.' or '[' (a label such as app.kubernetes.io/name) is not a field of a Kubernetes type: no
 * rule applies below it. The walks follow structured-merge-diff's (typed/tofieldset.go, compare.go,
 * merge.go, remove.go) where it matters to what clients see; where this file simplifies, it says so. */
#include "platform/object_fields.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "platform/field_set.h"
#include "platform/patch.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PATTERN_MAX 512
#define NOT_FOUND   SIZE_MAX
#define MAX_KEYS    3

/* ---- what a value is, by its path ---- */

enum shape {
	SHAPE_LEAF,     /* a scalar, or an atomic list or map: owned and replaced whole */
	SHAPE_MAP,      /* an object whose fields are tracked each */
	SHAPE_LIST_MAP, /* items identified by key fields: k:{...} */
	SHAPE_LIST_SET, /* scalars identified by their value: v:... */
};

struct list_type {
	enum shape shape;
	const char *keys[MAX_KEYS];
	const char *defaults[MAX_KEYS]; /* the value a key field has when an item omits it */
};

/* Associative lists whose OpenAPI x-kubernetes-list-map-keys name more keys than the strategic
 * merge key: a port is one per number *and* protocol, and protocol defaults to TCP, so an item that
 * omits it is the TCP one (structured-merge-diff fills defaulted key fields the same way). */
static const struct key_rule {
	const char *kind;   /* NULL: every kind */
	const char *suffix; /* the end of the path */
	const char *keys[MAX_KEYS];
	const char *defaults[MAX_KEYS];
} key_rules[] = {
	{ NULL, "containers[].ports", { "containerPort", "protocol" }, { NULL, "TCP" } },
	{ NULL, "initContainers[].ports", { "containerPort", "protocol" }, { NULL, "TCP" } },
	{ NULL, "ephemeralContainers[].ports", { "containerPort", "protocol" }, { NULL, "TCP" } },
	{ "Service", "spec.ports", { "port", "protocol" }, { NULL, "TCP" } },
	{ NULL, "topologySpreadConstraints", { "topologyKey", "whenUnsatisfiable" }, { NULL, NULL } },
};

/* Maps that Kubernetes marks atomic (+structType=atomic, +mapType=atomic): label selectors and node
 * selectors are one value, so two appliers never own halves of a selector. */
static const struct atomic_rule {
	const char *kind;
	const char *suffix;
} atomic_rules[] = {
	{ NULL, "spec.selector" }, /* LabelSelector (workloads, Job, PodDisruptionBudget); Service's map */
	{ NULL, "nodeSelector" },  /* PodSpec.nodeSelector wherever a pod spec sits */
	{ "NetworkPolicy", "spec.podSelector" },
};

struct walk {
	const char *kind;
	char pattern[PATTERN_MAX];
	size_t len;
	unsigned opaque; /* > 0: below a key no rule can name */
	struct cc_error *err;
};

struct mark {
	size_t len;
	unsigned opaque;
};

static struct mark push(struct walk *w, const char *name, bool item)
{
	struct mark m = { w->len, w->opaque };
	size_t n = item ? 2 : strlen(name);
	if (w->opaque || (!item && strpbrk(name, ".[")) || w->len + n + 2 >= PATTERN_MAX) {
		w->opaque++;
		return m;
	}
	if (w->len && !item)
		w->pattern[w->len++] = '.';
	memcpy(w->pattern + w->len, item ? "[]" : name, n);
	w->len += n;
	w->pattern[w->len] = '\0';
	return m;
}

static void pop(struct walk *w, struct mark m)
{
	w->len = m.len;
	w->opaque = m.opaque;
	w->pattern[w->len] = '\0';
}

/* Whether the path ends with suffix at a field boundary. */
static bool ends_with(const char *s, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);
	return len >= n && strcmp(s + len - n, suffix) == 0 && (len == n || s[len - n - 1] == '.');
}

static bool kind_matches(const char *rule_kind, const char *kind)
{
	return !rule_kind || (kind && strcmp(rule_kind, kind) == 0);
}

static const struct platform_patch_rule *find_rule(const struct walk *w)
{
	const struct platform_patch_schema *schema = platform_patch_schema_default();
	for (size_t i = 0; i < schema->n_rules; i++) {
		const struct platform_patch_rule *rule = &schema->rules[i];
		if (kind_matches(rule->kind, w->kind) && strcmp(rule->path, w->pattern) == 0)
			return rule;
	}
	return NULL;
}

static bool atomic_map(const struct walk *w)
{
	if (w->opaque)
		return false;
	for (size_t i = 0; i < CC_ARRAY_SIZE(atomic_rules); i++)
		if (kind_matches(atomic_rules[i].kind, w->kind) &&
		    ends_with(w->pattern, w->len, atomic_rules[i].suffix))
			return true;
	return false;
}

static void type_of(const struct walk *w, const json_t *v, struct list_type *ret)
{
	*ret = (struct list_type){ .shape = SHAPE_LEAF };
	if (json_is_object(v)) {
		ret->shape = atomic_map(w) ? SHAPE_LEAF : SHAPE_MAP;
		return;
	}
	if (!json_is_array(v) || w->opaque)
		return;
	const struct platform_patch_rule *rule = find_rule(w);
	if (!rule || rule->strategy != PLATFORM_PATCH_MERGE)
		return; /* a list without a rule is atomic, as one without x-kubernetes-list-type */
	if (!rule->merge_key) {
		ret->shape = SHAPE_LIST_SET;
		return;
	}
	ret->shape = SHAPE_LIST_MAP;
	ret->keys[0] = rule->merge_key;
	for (size_t i = 0; i < CC_ARRAY_SIZE(key_rules); i++) {
		const struct key_rule *k = &key_rules[i];
		if (kind_matches(k->kind, w->kind) && ends_with(w->pattern, w->len, k->suffix)) {
			memcpy(ret->keys, k->keys, sizeof(ret->keys));
			memcpy(ret->defaults, k->defaults, sizeof(ret->defaults));
			break;
		}
	}
}

/* ---- list items and their elements ---- */

/* The element of one item (k:{...} or v:...), or NULL with why. */
static char *item_element(const struct list_type *lt, const json_t *item, char *why, size_t why_size)
{
	if (lt->shape == SHAPE_LIST_SET) {
		if (json_is_object(item) || json_is_array(item)) {
			snprintf(why, why_size, "an item of a set is not a scalar");
			return NULL;
		}
		_cleanup_free_ char *value = json_dumps(item, JSON_ENCODE_ANY | JSON_COMPACT);
		return value ? cc_xasprintf("v:%s", value) : NULL;
	}
	if (!json_is_object(item)) {
		snprintf(why, why_size, "an item of a list keyed by %s is not an object", lt->keys[0]);
		return NULL;
	}
	_cleanup_json_ json_t *key = json_object();
	for (size_t i = 0; i < MAX_KEYS && lt->keys[i]; i++) {
		const json_t *v = json_object_get(item, lt->keys[i]);
		if (!v && lt->defaults[i])
			json_object_set_new(key, lt->keys[i], json_string(lt->defaults[i]));
		else if (v && !json_is_object(v) && !json_is_array(v) && !json_is_null(v))
			json_object_set(key, lt->keys[i], (json_t *)v);
		else if (i == 0 || v) { /* a further key without a default may be absent: it is left out */
			snprintf(why, why_size, "an item omits the key field \"%s\" (or it is not a scalar)",
				 lt->keys[i]);
			return NULL;
		}
	}
	_cleanup_free_ char *text = json_dumps(key, JSON_COMPACT | JSON_SORT_KEYS);
	return text ? cc_xasprintf("k:%s", text) : NULL;
}

/* The items of one list by element, so a lookup is a binary search: lists of thousands of items
 * (a big ConfigMap's keys are a map, but env lists and ports grow too) stay O(n log n). */
struct list_index {
	size_t n;
	char **elements;
	size_t *sorted;
	bool ok; /* every item has an element and no two share one */
	char problem[256];
};

static void list_index_clear(struct list_index *x)
{
	for (size_t i = 0; i < x->n; i++)
		free(x->elements[i]);
	free(x->elements);
	free(x->sorted);
	*x = (struct list_index){ 0 };
}

/* A bottom-up merge sort of the positions by element (qsort takes no context, and the walk keeps
 * none in globals). */
static void sort_positions(struct list_index *x)
{
	_cleanup_free_ size_t *tmp = cc_xcalloc(x->n ? x->n : 1, sizeof(size_t));
	size_t *from = x->sorted, *to = tmp;
	for (size_t width = 1; width < x->n; width *= 2) {
		for (size_t lo = 0; lo < x->n; lo += 2 * width) {
			size_t mid = lo + width < x->n ? lo + width : x->n;
			size_t hi = mid + width < x->n ? mid + width : x->n;
			size_t a = lo, b = mid, k = lo;
			while (a < mid && b < hi)
				to[k++] =
				    strcmp(x->elements[from[a]], x->elements[from[b]]) <= 0 ? from[a++] : from[b++];
			while (a < mid)
				to[k++] = from[a++];
			while (b < hi)
				to[k++] = from[b++];
		}
		size_t *swap = from;
		from = to;
		to = swap;
	}
	if (from != x->sorted)
		memcpy(x->sorted, from, x->n * sizeof(size_t));
}

static void list_index_build(struct list_index *x, const struct list_type *lt, const json_t *list)
{
	*x = (struct list_index){ .n = json_array_size(list), .ok = true };
	x->elements = cc_xcalloc(x->n ? x->n : 1, sizeof(char *));
	x->sorted = cc_xcalloc(x->n ? x->n : 1, sizeof(size_t));
	for (size_t i = 0; i < x->n && x->ok; i++) {
		x->elements[i] = item_element(lt, json_array_get(list, i), x->problem, sizeof(x->problem));
		x->sorted[i] = i;
		x->ok = x->elements[i] != NULL;
	}
	if (!x->ok)
		return;
	sort_positions(x);
	for (size_t i = 1; i < x->n; i++) {
		if (strcmp(x->elements[x->sorted[i - 1]], x->elements[x->sorted[i]]) == 0) {
			_cleanup_buf_ struct cc_buf key = { 0 };
			platform_field_element_render(x->elements[x->sorted[i]], &key);
			cc_buf_append(&key, "", 1);
			snprintf(x->problem, sizeof(x->problem), "duplicate entries for key %.200s", key.data);
			x->ok = false;
			return;
		}
	}
}

static size_t list_index_find(const struct list_index *x, const char *element)
{
	size_t lo = 0, hi = x->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(x->elements[x->sorted[mid]], element);
		if (c == 0)
			return x->sorted[mid];
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NOT_FOUND;
}

static bool is_list(const struct list_type *lt)
{
	return lt->shape == SHAPE_LIST_MAP || lt->shape == SHAPE_LIST_SET;
}

static char *field_element(const char *name)
{
	return cc_xasprintf("f:%s", name);
}

/* ---- the fields a value sets ---- */

static int to_set(struct walk *w, const json_t *v, struct platform_field_set *node)
{
	struct list_type lt;
	type_of(w, v, &lt);
	if (lt.shape == SHAPE_LEAF) {
		platform_field_set_set_member(node, true);
		return 0;
	}
	if (lt.shape == SHAPE_MAP) {
		const char *key;
		json_t *child;
		json_object_foreach ((json_t *)v, key, child) {
			_cleanup_free_ char *element = field_element(key);
			struct mark m = push(w, key, false);
			int r = to_set(w, child, platform_field_set_child(node, element, true));
			pop(w, m);
			if (r < 0)
				return r;
		}
		return 0;
	}
	struct list_index x;
	list_index_build(&x, &lt, v);
	int r = 0;
	if (!x.ok)
		r = cc_error_set(w->err, EINVAL, "%s: %s", w->pattern[0] ? w->pattern : "(root)", x.problem);
	for (size_t i = 0; i < x.n && r == 0; i++) {
		struct platform_field_set *item = platform_field_set_child(node, x.elements[i], true);
		platform_field_set_set_member(item, true);
		if (lt.shape == SHAPE_LIST_MAP) {
			struct mark m = push(w, NULL, true);
			r = to_set(w, json_array_get(v, i), item);
			pop(w, m);
		}
	}
	list_index_clear(&x);
	return r;
}

int platform_object_fields(const json_t *value, const char *kind, struct platform_field_set **ret, struct cc_error *err)
{
	_cleanup_free_ struct walk *w = cc_xcalloc(1, sizeof(*w));
	w->kind = kind;
	w->err = err;
	_cleanup_(platform_field_set_freep) struct platform_field_set *set = platform_field_set_new();
	if (json_is_object(value) && to_set(w, value, set) < 0)
		return -EINVAL;
	platform_field_set_set_member(set, false); /* the object itself is nobody's field */
	platform_field_set_compact(set);
	*ret = CC_TAKE_PTR(set);
	return 0;
}

/* ---- comparison ---- */

struct change_nodes {
	struct platform_field_set *added, *modified, *removed;
};

static struct change_nodes change_child(const struct change_nodes *n, const char *element)
{
	return (struct change_nodes){ platform_field_set_child(n->added, element, true),
				      platform_field_set_child(n->modified, element, true),
				      platform_field_set_child(n->removed, element, true) };
}

static bool empty_or_absent(const json_t *v)
{
	return !v || json_is_null(v) || (json_is_object(v) && json_object_size(v) == 0) ||
	       (json_is_array(v) && json_array_size(v) == 0);
}

static void compare(struct walk *w, const json_t *lhs, const json_t *rhs, const struct change_nodes *n);

static void compare_map(struct walk *w, const json_t *lhs, const json_t *rhs, const struct change_nodes *n)
{
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)rhs, key, v) {
		_cleanup_free_ char *element = field_element(key);
		struct change_nodes child = change_child(n, element);
		struct mark m = push(w, key, false);
		compare(w, json_object_get(lhs, key), v, &child);
		pop(w, m);
	}
	json_object_foreach ((json_t *)lhs, key, v) {
		if (json_object_get(rhs, key))
			continue;
		_cleanup_free_ char *element = field_element(key);
		struct change_nodes child = change_child(n, element);
		struct mark m = push(w, key, false);
		compare(w, v, NULL, &child);
		pop(w, m);
	}
}

static void compare_list(struct walk *w, const json_t *lhs, const json_t *rhs, const struct list_index *li,
			 const struct list_index *ri, const struct change_nodes *n)
{
	struct mark m = push(w, NULL, true);
	for (size_t i = 0; i < ri->n; i++) {
		size_t j = li->n ? list_index_find(li, ri->elements[i]) : NOT_FOUND;
		struct change_nodes child = change_child(n, ri->elements[i]);
		compare(w, j == NOT_FOUND ? NULL : json_array_get(lhs, j), json_array_get(rhs, i), &child);
	}
	for (size_t j = 0; j < li->n; j++) {
		if (ri->n && list_index_find(ri, li->elements[j]) != NOT_FOUND)
			continue;
		struct change_nodes child = change_child(n, li->elements[j]);
		compare(w, json_array_get(lhs, j), NULL, &child);
	}
	pop(w, m);
}

/* structured-merge-diff's compareWalker: a leaf that differs is modified; a value present on one
 * side only is added or removed, and so is everything below it; two empty values compare as leaves
 * (so {} and an absent map differ, as Kubernetes keeps that distinction). */
static void compare(struct walk *w, const json_t *lhs, const json_t *rhs, const struct change_nodes *n)
{
	struct list_type lt, other;
	type_of(w, rhs ? rhs : lhs, &lt);
	if (lhs && rhs) {
		type_of(w, lhs, &other);
		if (other.shape != lt.shape)
			lt.shape = SHAPE_LEAF;
	}
	bool leaf = lt.shape == SHAPE_LEAF || (empty_or_absent(lhs) && empty_or_absent(rhs));
	struct list_index li = { 0 }, ri = { 0 };
	if (!leaf && is_list(&lt)) {
		if (lhs)
			list_index_build(&li, &lt, lhs);
		if (rhs)
			list_index_build(&ri, &lt, rhs);
		/* Items that cannot be told apart: the list is one value. */
		leaf = (lhs && !li.ok) || (rhs && !ri.ok);
	}
	if (leaf) {
		if (!lhs)
			platform_field_set_set_member(n->added, true);
		else if (!rhs)
			platform_field_set_set_member(n->removed, true);
		else if (!json_equal((json_t *)lhs, (json_t *)rhs))
			platform_field_set_set_member(n->modified, true);
	} else {
		if (lt.shape == SHAPE_MAP)
			compare_map(w, lhs, rhs, n);
		else
			compare_list(w, lhs, rhs, &li, &ri, n);
		if (!lhs)
			platform_field_set_set_member(n->added, true);
		else if (!rhs)
			platform_field_set_set_member(n->removed, true);
	}
	list_index_clear(&li);
	list_index_clear(&ri);
}

void platform_object_compare(const json_t *old, const json_t *new, const char *kind, struct platform_field_changes *ret)
{
	_cleanup_free_ struct walk *w = cc_xcalloc(1, sizeof(*w));
	w->kind = kind;
	*ret = (struct platform_field_changes){ platform_field_set_new(), platform_field_set_new(),
						platform_field_set_new() };
	struct change_nodes root = { ret->added, ret->modified, ret->removed };
	if (json_is_object(old) && json_is_object(new))
		compare_map(w, old, new, &root);
	platform_field_set_compact(ret->added);
	platform_field_set_compact(ret->modified);
	platform_field_set_compact(ret->removed);
}

void platform_field_changes_clear(struct platform_field_changes *changes)
{
	platform_field_set_free(changes->added);
	platform_field_set_free(changes->modified);
	platform_field_set_free(changes->removed);
	*changes = (struct platform_field_changes){ 0 };
}

/* ---- merging an applied configuration ---- */

static json_t *merge(struct walk *w, const json_t *lhs, const json_t *rhs);

static json_t *merge_map(struct walk *w, const json_t *lhs, const json_t *rhs)
{
	json_t *out = json_object();
	const char *key;
	json_t *v;
	json_object_foreach ((json_t *)lhs, key, v) {
		struct mark m = push(w, key, false);
		json_object_set_new(out, key, merge(w, v, json_object_get(rhs, key)));
		pop(w, m);
	}
	json_object_foreach ((json_t *)rhs, key, v) {
		if (json_object_get(lhs, key))
			continue;
		json_object_set_new(out, key, json_deep_copy(v));
	}
	return out;
}

/* The merged list: live's items that config does not name stay where they were; config's items come
 * in config's order, each merged with live's item of the same element (a simpler rule than
 * structured-merge-diff's shared-order walk, with the same result when both keep one order). */
static json_t *merge_list(struct walk *w, const json_t *lhs, const json_t *rhs, const struct list_index *li,
			  const struct list_index *ri)
{
	json_t *out = json_array();
	_cleanup_free_ bool *done = cc_xcalloc(ri->n ? ri->n : 1, sizeof(bool));
	size_t next = 0;
	struct mark m = push(w, NULL, true);
	for (size_t i = 0; i <= li->n; i++) {
		size_t upto = ri->n; /* after live's last item: all of config's that are left */
		if (i < li->n) {
			size_t j = ri->n ? list_index_find(ri, li->elements[i]) : NOT_FOUND;
			if (j == NOT_FOUND) {
				json_array_append_new(out, json_deep_copy(json_array_get(lhs, i)));
				continue;
			}
			if (done[j])
				continue;
			upto = j + 1;
		}
		for (; next < upto; next++) {
			if (done[next])
				continue;
			size_t from = li->n ? list_index_find(li, ri->elements[next]) : NOT_FOUND;
			json_array_append_new(out, merge(w, from == NOT_FOUND ? NULL : json_array_get(lhs, from),
							 json_array_get(rhs, next)));
			done[next] = true;
		}
	}
	pop(w, m);
	return out;
}

static json_t *merge(struct walk *w, const json_t *lhs, const json_t *rhs)
{
	if (!rhs)
		return json_deep_copy(lhs);
	if (!lhs)
		return json_deep_copy(rhs);
	struct list_type lt, other;
	type_of(w, rhs, &lt);
	type_of(w, lhs, &other);
	if (lt.shape == SHAPE_LEAF || other.shape != lt.shape)
		return json_deep_copy(rhs);
	if (lt.shape == SHAPE_MAP)
		return merge_map(w, lhs, rhs);
	struct list_index li, ri;
	list_index_build(&li, &lt, lhs);
	list_index_build(&ri, &lt, rhs);
	json_t *out = li.ok && ri.ok ? merge_list(w, lhs, rhs, &li, &ri) : json_deep_copy(rhs);
	list_index_clear(&li);
	list_index_clear(&ri);
	return out;
}

json_t *platform_object_merge(const json_t *live, const json_t *config, const char *kind)
{
	_cleanup_free_ struct walk *w = cc_xcalloc(1, sizeof(*w));
	w->kind = kind;
	return merge(w, live, config);
}

/* ---- pruning what an applier gave up ---- */

static void prune_value(struct walk *w, json_t *v, const struct platform_field_set *last,
			const struct platform_field_set *keep);

static bool is_key_field(const struct list_type *item_of, const char *name)
{
	for (size_t i = 0; item_of && i < MAX_KEYS && item_of->keys[i]; i++)
		if (strcmp(item_of->keys[i], name) == 0)
			return true;
	return false;
}

/* item_of: the list obj is an item of (its key fields stay), or NULL. */
static void prune_map(struct walk *w, json_t *obj, const struct platform_field_set *last,
		      const struct platform_field_set *keep, const struct list_type *item_of)
{
	size_t count = platform_field_set_child_count(last);
	for (size_t i = 0; i < count; i++) {
		const struct platform_field_set *lc;
		const char *element = platform_field_set_child_at(last, i, &lc);
		const char *name = element + 2;
		json_t *v = element[0] == 'f' ? json_object_get(obj, name) : NULL;
		if (!v || is_key_field(item_of, name))
			continue;
		const struct platform_field_set *kc = platform_field_set_get(keep, element);
		struct mark m = push(w, name, false);
		if (platform_field_set_child_count(lc))
			prune_value(w, v, lc, kc);
		pop(w, m);
		/* Nobody else has it: the applier's leaf goes, and a map it alone filled goes once empty. */
		if (!kc && (platform_field_set_is_member(lc) || empty_or_absent(v)))
			json_object_del(obj, name);
	}
}

static void prune_list(struct walk *w, json_t *list, const struct list_type *lt, const struct platform_field_set *last,
		       const struct platform_field_set *keep)
{
	struct list_index x;
	list_index_build(&x, lt, list);
	struct mark m = push(w, NULL, true);
	for (size_t i = x.ok ? x.n : 0; i-- > 0;) {
		const struct platform_field_set *lc = platform_field_set_get(last, x.elements[i]);
		if (!lc)
			continue;
		const struct platform_field_set *kc = platform_field_set_get(keep, x.elements[i]);
		json_t *item = json_array_get(list, i);
		if (!kc && platform_field_set_is_member(lc))
			json_array_remove(list, i);
		else if (json_is_object(item) && platform_field_set_child_count(lc))
			prune_map(w, item, lc, kc, lt);
	}
	pop(w, m);
	list_index_clear(&x);
}

static void prune_value(struct walk *w, json_t *v, const struct platform_field_set *last,
			const struct platform_field_set *keep)
{
	struct list_type lt;
	type_of(w, v, &lt);
	if (lt.shape == SHAPE_MAP)
		prune_map(w, v, last, keep, NULL);
	else if (is_list(&lt))
		prune_list(w, v, &lt, last, keep);
}

void platform_object_prune(json_t *obj, const char *kind, const struct platform_field_set *last,
			   const struct platform_field_set *keep)
{
	if (!json_is_object(obj) || !last)
		return;
	_cleanup_free_ struct walk *w = cc_xcalloc(1, sizeof(*w));
	w->kind = kind;
	prune_map(w, obj, last, keep, NULL);
}
