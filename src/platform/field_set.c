/* Field sets and fieldsV1 (see field_set.h). A node keeps its children in a sorted array: sets are
 * walked in order far more often than they are changed, the order is the one fieldsV1 is written
 * in, and a lookup is a binary search. */
#include "platform/field_set.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A k: or v: element longer than this is refused: no key of a Kubernetes list comes near it. */
#define ELEMENT_MAX 4096

struct child {
	char *element;
	struct platform_field_set *set;
};

struct platform_field_set {
	bool member;
	size_t n, cap;
	struct child *children;
};

struct platform_field_set *platform_field_set_new(void)
{
	return cc_xcalloc(1, sizeof(struct platform_field_set));
}

void platform_field_set_free(struct platform_field_set *set)
{
	if (!set)
		return;
	for (size_t i = 0; i < set->n; i++) {
		free(set->children[i].element);
		platform_field_set_free(set->children[i].set);
	}
	free(set->children);
	free(set);
}

struct platform_field_set *platform_field_set_copy(const struct platform_field_set *set)
{
	struct platform_field_set *copy = platform_field_set_new();
	platform_field_set_union(copy, set);
	return copy;
}

bool platform_field_set_empty(const struct platform_field_set *set)
{
	if (!set)
		return true;
	if (set->member)
		return false;
	for (size_t i = 0; i < set->n; i++)
		if (!platform_field_set_empty(set->children[i].set))
			return false;
	return true;
}

bool platform_field_set_is_member(const struct platform_field_set *set)
{
	return set && set->member;
}

void platform_field_set_set_member(struct platform_field_set *set, bool member)
{
	set->member = member;
}

/* structured-merge-diff orders path elements by kind (field names, keys, values, indexes), then
 * within a kind; the text after the prefix compared bytewise stands in for its comparison of
 * values, which only decides where an element is written. */
static int element_rank(const char *element)
{
	switch (element[0]) {
	case 'f': return 0;
	case 'k': return 1;
	case 'v': return 2;
	default: return 3;
	}
}

static int element_compare(const char *a, const char *b)
{
	int ra = element_rank(a), rb = element_rank(b);
	if (ra != rb)
		return ra < rb ? -1 : 1;
	return strcmp(a, b);
}

/* The position of element, or where it would go (with *found false). */
static size_t find(const struct platform_field_set *set, const char *element, bool *found)
{
	size_t lo = 0, hi = set->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = element_compare(set->children[mid].element, element);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	*found = false;
	return lo;
}

struct platform_field_set *platform_field_set_child(struct platform_field_set *set, const char *element, bool create)
{
	bool found;
	size_t at = find(set, element, &found);
	if (found)
		return set->children[at].set;
	if (!create)
		return NULL;
	if (set->n == set->cap) {
		set->cap = set->cap ? set->cap * 2 : 4;
		set->children = cc_xrealloc(set->children, set->cap * sizeof(*set->children));
	}
	memmove(&set->children[at + 1], &set->children[at], (set->n - at) * sizeof(*set->children));
	set->children[at] = (struct child){ .element = cc_xstrdup(element), .set = platform_field_set_new() };
	set->n++;
	return set->children[at].set;
}

const struct platform_field_set *platform_field_set_get(const struct platform_field_set *set, const char *element)
{
	if (!set)
		return NULL;
	return platform_field_set_child((struct platform_field_set *)set, element, false);
}

size_t platform_field_set_child_count(const struct platform_field_set *set)
{
	return set ? set->n : 0;
}

const char *platform_field_set_child_at(const struct platform_field_set *set, size_t i,
					const struct platform_field_set **ret_child)
{
	*ret_child = set->children[i].set;
	return set->children[i].element;
}

static void remove_at(struct platform_field_set *set, size_t at)
{
	free(set->children[at].element);
	platform_field_set_free(set->children[at].set);
	memmove(&set->children[at], &set->children[at + 1], (set->n - at - 1) * sizeof(*set->children));
	set->n--;
}

void platform_field_set_remove(struct platform_field_set *set, const char *element)
{
	bool found;
	size_t at = find(set, element, &found);
	if (found)
		remove_at(set, at);
}

void platform_field_set_compact(struct platform_field_set *set)
{
	for (size_t i = set->n; i-- > 0;) {
		platform_field_set_compact(set->children[i].set);
		if (!set->children[i].set->member && set->children[i].set->n == 0)
			remove_at(set, i);
	}
}

void platform_field_set_union(struct platform_field_set *dst, const struct platform_field_set *src)
{
	if (!src)
		return;
	dst->member |= src->member;
	for (size_t i = 0; i < src->n; i++)
		platform_field_set_union(platform_field_set_child(dst, src->children[i].element, true),
					 src->children[i].set);
}

static void subtract(struct platform_field_set *dst, const struct platform_field_set *src)
{
	if (src->member)
		dst->member = false;
	for (size_t i = 0; i < src->n; i++) {
		struct platform_field_set *d = platform_field_set_child(dst, src->children[i].element, false);
		if (d)
			subtract(d, src->children[i].set);
	}
}

void platform_field_set_subtract(struct platform_field_set *dst, const struct platform_field_set *src)
{
	if (!src)
		return;
	subtract(dst, src);
	platform_field_set_compact(dst);
}

static void intersect(struct platform_field_set *out, const struct platform_field_set *a,
		      const struct platform_field_set *b)
{
	out->member = a->member && b->member;
	for (size_t i = 0; i < a->n; i++) {
		const struct platform_field_set *other = platform_field_set_get(b, a->children[i].element);
		if (other)
			intersect(platform_field_set_child(out, a->children[i].element, true), a->children[i].set,
				  other);
	}
}

struct platform_field_set *platform_field_set_intersect(const struct platform_field_set *a,
							const struct platform_field_set *b)
{
	struct platform_field_set *out = platform_field_set_new();
	if (a && b) {
		intersect(out, a, b);
		platform_field_set_compact(out);
	}
	return out;
}

/* ---- paths as structured-merge-diff prints them ---- */

/* A key's value as Go's value.ToString gives it: strings quoted, the rest as JSON. */
static void render_value(const json_t *value, struct cc_buf *out)
{
	_cleanup_free_ char *text = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	cc_buf_append_str(out, text ? text : "null");
}

void platform_field_element_render(const char *element, struct cc_buf *out)
{
	const char *rest = element + 2;
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *value = NULL;
	switch (element[0]) {
	case 'f': cc_buf_appendf(out, ".%s", rest); return;
	case 'i': cc_buf_appendf(out, "[%s]", rest); return;
	default: break;
	}
	/* k: and v: are canonical JSON (they were made or checked so); a failure still prints something. */
	if (cc_json_parse(rest, strlen(rest), ELEMENT_MAX, "path element", &value, &err) < 0) {
		cc_buf_appendf(out, "[%s]", rest);
		return;
	}
	cc_buf_append_str(out, "[");
	if (element[0] == 'v') {
		cc_buf_append_str(out, "=");
		render_value(value, out);
	} else {
		const char *key;
		json_t *v;
		bool first = true;
		json_object_foreach (value, key, v) {
			cc_buf_appendf(out, "%s%s=", first ? "" : ",", key);
			render_value(v, out);
			first = false;
		}
	}
	cc_buf_append_str(out, "]");
}

struct foreach_state {
	int (*fn)(const char *path, void *userdata);
	void *userdata;
	struct cc_buf path;
};

static int foreach_level(const struct platform_field_set *set, struct foreach_state *s)
{
	size_t base = s->path.len;
	int r = 0;
	/* Members first, then what lies below: the order of structured-merge-diff's Set.Iterate. */
	for (size_t i = 0; i < set->n && r == 0; i++) {
		if (!set->children[i].set->member)
			continue;
		platform_field_element_render(set->children[i].element, &s->path);
		cc_buf_append(&s->path, "", 1);
		r = s->fn(s->path.data, s->userdata);
		s->path.len = base;
	}
	for (size_t i = 0; i < set->n && r == 0; i++) {
		if (set->children[i].set->n == 0)
			continue;
		platform_field_element_render(set->children[i].element, &s->path);
		r = foreach_level(set->children[i].set, s);
		s->path.len = base;
	}
	return r;
}

int platform_field_set_foreach(const struct platform_field_set *set, int (*fn)(const char *path, void *userdata),
			       void *userdata)
{
	if (!set)
		return 0;
	struct foreach_state s = { .fn = fn, .userdata = userdata };
	int r = foreach_level(set, &s);
	cc_buf_free(&s.path);
	return r;
}

/* ---- fieldsV1 ---- */

json_t *platform_field_set_to_fields_v1(const struct platform_field_set *set)
{
	json_t *out = json_object();
	if (set->member && set->n)
		json_object_set_new(out, ".", json_object());
	for (size_t i = 0; i < set->n; i++)
		json_object_set_new(out, set->children[i].element,
				    platform_field_set_to_fields_v1(set->children[i].set));
	return out;
}

static int canonical_json(const char *text, bool want_object, char **ret, struct cc_error *err)
{
	_cleanup_json_ json_t *value = NULL;
	struct cc_error parse_err = { 0 };
	if (cc_json_parse(text, strlen(text), ELEMENT_MAX, "path element", &value, &parse_err) < 0)
		return cc_error_set(err, EINVAL, "not valid JSON after its prefix (%s)", cc_error_message(&parse_err));
	if (want_object) {
		if (!json_is_object(value) || json_object_size(value) == 0)
			return cc_error_set(err, EINVAL,
					    "a k: element names the key fields of a list item as a "
					    "non-empty JSON object, such as k:{\"name\":\"nginx\"}");
		const char *key;
		json_t *v;
		json_object_foreach (value, key, v) {
			if (json_is_object(v) || json_is_array(v))
				return cc_error_set(err, EINVAL, "the key field \"%s\" of a k: element is not a scalar",
						    key);
		}
	}
	*ret = json_dumps(value, JSON_ENCODE_ANY | JSON_COMPACT | JSON_SORT_KEYS);
	if (!*ret)
		return cc_error_set(err, EINVAL, "cannot be written back as JSON");
	return 0;
}

int platform_field_element_canonical(const char *text, char **ret, struct cc_error *err)
{
	size_t len = strlen(text);
	if (len > ELEMENT_MAX)
		return cc_error_set(err, EINVAL, "longer than %d bytes", ELEMENT_MAX);
	if (len < 2 || text[1] != ':' || !strchr("fkvi", text[0]))
		return cc_error_set(err, EINVAL,
				    "not a path element: each key is \".\" or starts with f:, k:, v: or i:");
	const char *rest = text + 2;
	_cleanup_free_ char *json = NULL;
	switch (text[0]) {
	case 'f': *ret = cc_xstrdup(text); return 0;
	case 'i': {
		char *end;
		errno = 0;
		unsigned long long index = strtoull(rest, &end, 10);
		if (!rest[0] || *end || errno || rest[0] == '-' || rest[0] == '+' || rest[0] == ' ' ||
		    index > INT32_MAX)
			return cc_error_set(err, EINVAL, "an i: element is a list position, a non-negative integer");
		*ret = cc_xasprintf("i:%llu", index);
		return 0;
	}
	default: break;
	}
	int r = canonical_json(rest, text[0] == 'k', &json, err);
	if (r < 0)
		return r;
	*ret = cc_xasprintf("%c:%s", text[0], json);
	return 0;
}

static int decode_node(const json_t *value, struct platform_field_set *node, struct cc_buf *where, struct cc_error *err)
{
	const char *key;
	json_t *child;
	json_object_foreach ((json_t *)value, key, child) {
		size_t base = where->len;
		cc_buf_appendf(where, "%s%s", base ? "." : "", key);
		cc_buf_append(where, "", 1);
		where->len--;
		if (!json_is_object(child))
			return cc_error_set(err, EINVAL,
					    "`%s`: the value is not an object (fieldsV1 maps each key "
					    "to an object: {} for a field of the set)",
					    where->data);
		if (strcmp(key, ".") == 0) {
			node->member = true; /* the node itself; what "." maps to carries nothing */
			where->len = base;
			continue;
		}
		_cleanup_free_ char *element = NULL;
		struct cc_error why = { 0 };
		if (platform_field_element_canonical(key, &element, &why) < 0)
			return cc_error_set(err, EINVAL, "`%s`: %s", where->data, cc_error_message(&why));
		struct platform_field_set *sub = platform_field_set_child(node, element, true);
		if (json_object_size(child) == 0)
			sub->member = true;
		else if (decode_node(child, sub, where, err) < 0)
			return -EINVAL;
		where->len = base;
	}
	return 0;
}

int platform_field_set_from_fields_v1(const json_t *value, struct platform_field_set **ret, struct cc_error *err)
{
	if (!json_is_object(value))
		return cc_error_set(err, EINVAL, "fieldsV1 is not a JSON object");
	_cleanup_(platform_field_set_freep) struct platform_field_set *set = platform_field_set_new();
	_cleanup_buf_ struct cc_buf where = { 0 };
	if (decode_node(value, set, &where, err) < 0)
		return -EINVAL;
	/* The root is the object itself, never a member of its own set. */
	set->member = false;
	platform_field_set_compact(set);
	*ret = CC_TAKE_PTR(set);
	return 0;
}
