/* PATCH bodies of the Kubernetes API on jansson trees: RFC 6902 JSON Patch and RFC 7386 JSON Merge
 * Patch here, Kubernetes' strategic merge patch in strategic.c.
 *
 * Every function copies the document once and changes only the copy, so a failed patch leaves
 * nothing half-applied (RFC 6902 §5) and the caller's tree is never touched. The patch is read-only:
 * a value taken from it is copied before it goes into the result, because a later operation may
 * change the result in place.
 */
#include "platform/patch.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- JSON Pointer (RFC 6901) ---- */

struct pointer {
	char **tokens; /* unescaped reference tokens */
	size_t n;
};

static void pointer_clear(struct pointer *p)
{
	for (size_t i = 0; i < p->n; i++)
		free(p->tokens[i]);
	free(p->tokens);
	p->tokens = NULL;
	p->n = 0;
}

/* RFC 6901 §3-4: "~1" is '/', "~0" is '~'; any other '~' is an error. */
static int pointer_token(const char *start, size_t len, char **ret, struct cc_error *err)
{
	char *out = cc_xmalloc(len + 1);
	size_t o = 0;
	for (size_t i = 0; i < len; i++) {
		if (start[i] != '~') {
			out[o++] = start[i];
			continue;
		}
		if (i + 1 >= len || (start[i + 1] != '0' && start[i + 1] != '1')) {
			free(out);
			return cc_error_set(err, EINVAL,
					    "a '~' not followed by 0 or 1 (RFC 6901 §3: write '~' as ~0, '/' as ~1)");
		}
		out[o++] = start[++i] == '0' ? '~' : '/';
	}
	out[o] = '\0';
	*ret = out;
	return 0;
}

static int pointer_parse(const char *text, struct pointer *ret, struct cc_error *err)
{
	*ret = (struct pointer){ 0 };
	if (*text == '\0')
		return 0; /* the whole document */
	if (*text != '/')
		return cc_error_set(err, EINVAL,
				    "not a JSON pointer: it must be empty or start with '/' (RFC 6901 §3)");
	size_t n = 0;
	for (const char *c = text; *c; c++)
		n += *c == '/';
	ret->tokens = cc_xcalloc(n, sizeof(char *));
	const char *start = text + 1;
	for (size_t i = 0; i < n; i++) {
		size_t len = strcspn(start, "/");
		int r = pointer_token(start, len, &ret->tokens[i], err);
		if (r < 0) {
			pointer_clear(ret);
			return r;
		}
		ret->n++;
		start += len + 1;
	}
	return 0;
}

/* RFC 6901 §4: an array index is "0" or digits without a leading zero; "-" names the place after
 * the last element, which only `add` may use (RFC 6902 §4.1). */
static int array_index(const char *token, size_t size, bool allow_end, size_t *ret, struct cc_error *err)
{
	if (strcmp(token, "-") == 0) {
		if (!allow_end)
			return cc_error_set(err, EINVAL, "`-` names no existing array element");
		*ret = size;
		return 0;
	}
	if (token[0] == '\0' || (token[0] == '0' && token[1] != '\0'))
		return cc_error_set(err, EINVAL,
				    "`%s` is not an array index (digits without a leading zero, RFC 6901 §4)", token);
	size_t value = 0;
	for (const char *c = token; *c; c++) {
		if (*c < '0' || *c > '9')
			return cc_error_set(err, EINVAL, "`%s` is not an array index (RFC 6901 §4)", token);
		if (value > (SIZE_MAX - 9) / 10)
			return cc_error_set(err, EINVAL, "array index `%s` is out of range", token);
		value = value * 10 + (size_t)(*c - '0');
	}
	if (value > size || (!allow_end && value == size))
		return cc_error_set(err, EINVAL, "array index %zu is out of range (the array has %zu elements)", value,
				    size);
	*ret = value;
	return 0;
}

static int pointer_child(json_t *container, const char *token, json_t **ret, struct cc_error *err)
{
	if (json_is_object(container)) {
		*ret = json_object_get(container, token);
		if (!*ret)
			return cc_error_set(err, EINVAL, "member `%s` does not exist", token);
		return 0;
	}
	if (json_is_array(container)) {
		size_t i;
		int r = array_index(token, json_array_size(container), false, &i, err);
		if (r < 0)
			return r;
		*ret = json_array_get(container, i);
		return 0;
	}
	return cc_error_set(err, EINVAL, "`%s` is looked up in a value that is neither an object nor an array", token);
}

/* The value the first `count` tokens name. */
static int pointer_walk(json_t *root, const struct pointer *p, size_t count, json_t **ret, struct cc_error *err)
{
	json_t *cur = root;
	for (size_t i = 0; i < count; i++) {
		int r = pointer_child(cur, p->tokens[i], &cur, err);
		if (r < 0)
			return r;
	}
	*ret = cur;
	return 0;
}

/* ---- RFC 6902 JSON Patch ---- */

struct json_patch {
	json_t *root; /* the copy being patched */
	size_t copied;
};

/* RFC 6902 §4.6: numbers are equal when their values are (1 and 1.0), unlike json_equal. */
static bool json_equal_numeric(const json_t *a, const json_t *b)
{
	if (json_is_integer(a) && json_is_integer(b))
		return json_integer_value(a) == json_integer_value(b);
	if (json_is_number(a) && json_is_number(b))
		return json_number_value(a) == json_number_value(b);
	if (json_typeof(a) != json_typeof(b))
		return false;
	if (json_is_object(a)) {
		const char *key;
		json_t *va;
		if (json_object_size(a) != json_object_size(b))
			return false;
		json_object_foreach ((json_t *)a, key, va) {
			json_t *vb = json_object_get(b, key);
			if (!vb || !json_equal_numeric(va, vb))
				return false;
		}
		return true;
	}
	if (json_is_array(a)) {
		if (json_array_size(a) != json_array_size(b))
			return false;
		for (size_t i = 0; i < json_array_size(a); i++)
			if (!json_equal_numeric(json_array_get(a, i), json_array_get(b, i)))
				return false;
		return true;
	}
	return json_equal(a, b);
}

/* Roughly the bytes of value as compact JSON: the measure of PLATFORM_JSON_PATCH_COPY_LIMIT. */
static size_t json_size(const json_t *value)
{
	size_t size = 2;
	if (json_is_string(value))
		return json_string_length(value) + 2;
	if (json_is_object(value)) {
		const char *key;
		json_t *v;
		json_object_foreach ((json_t *)value, key, v)
			size += strlen(key) + 4 + json_size(v);
		return size;
	}
	if (json_is_array(value)) {
		for (size_t i = 0; i < json_array_size(value); i++)
			size += 1 + json_size(json_array_get(value, i));
		return size;
	}
	return 8;
}

/* Takes value (a reference of its own) in every case. */
static int op_add_value(struct json_patch *jp, const struct pointer *path, json_t *value, struct cc_error *err)
{
	if (path->n == 0) {
		json_decref(jp->root);
		jp->root = value;
		return 0;
	}
	json_t *parent;
	int r = pointer_walk(jp->root, path, path->n - 1, &parent, err);
	const char *last = path->tokens[path->n - 1];
	size_t i;
	if (r < 0) {
		json_decref(value);
		return r;
	}
	if (json_is_object(parent)) {
		if (json_object_set_new(parent, last, value) < 0)
			return cc_error_set(err, EINVAL, "member `%s` cannot be set (not UTF-8?)", last);
		return 0;
	}
	if (json_is_array(parent)) {
		r = array_index(last, json_array_size(parent), true, &i, err);
		if (r < 0) {
			json_decref(value);
			return r;
		}
		json_array_insert_new(parent, i, value);
		return 0;
	}
	json_decref(value);
	return cc_error_set(err, EINVAL, "the parent of `%s` is neither an object nor an array", last);
}

static int op_add(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		  struct cc_error *err)
{
	return op_add_value(jp, path, json_deep_copy(value), err);
}

static int op_remove(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		     struct cc_error *err)
{
	if (path->n == 0)
		return cc_error_set(err, EINVAL, "the whole document cannot be removed");
	json_t *parent;
	int r = pointer_walk(jp->root, path, path->n - 1, &parent, err);
	if (r < 0)
		return r;
	const char *last = path->tokens[path->n - 1];
	size_t i;
	if (json_is_object(parent)) {
		if (json_object_del(parent, last) < 0)
			return cc_error_set(err, EINVAL, "member `%s` does not exist", last);
		return 0;
	}
	if (!json_is_array(parent))
		return cc_error_set(err, EINVAL, "the parent of `%s` is neither an object nor an array", last);
	r = array_index(last, json_array_size(parent), false, &i, err);
	if (r < 0)
		return r;
	json_array_remove(parent, i);
	return 0;
}

static int op_replace(struct json_patch *jp, const struct pointer *path, const struct pointer *from,
		      const json_t *value, struct cc_error *err)
{
	/* RFC 6902 §4.3: the target must exist; then it is a remove and an add. */
	if (path->n > 0) {
		int r = op_remove(jp, path, from, value, err);
		if (r < 0)
			return r;
	}
	return op_add(jp, path, from, value, err);
}

/* Whether a is b or one of b's parents. */
static bool pointer_is_prefix(const struct pointer *a, const struct pointer *b)
{
	if (a->n > b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->tokens[i], b->tokens[i]) != 0)
			return false;
	return true;
}

static int op_move(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		   struct cc_error *err)
{
	json_t *moved;
	int r = pointer_walk(jp->root, from, from->n, &moved, err);
	if (r < 0)
		return cc_error_prefix(err, "from");
	if (pointer_is_prefix(from, path)) {
		if (from->n == path->n)
			return 0; /* to where it is */
		/* RFC 6902 §4.4: a location cannot be moved into one of its children. */
		return cc_error_set(err, EINVAL, "`from` is a parent of `path`: a value cannot move into itself");
	}
	json_incref(moved);
	r = op_remove(jp, from, NULL, NULL, err);
	if (r < 0) {
		json_decref(moved);
		return cc_error_prefix(err, "from");
	}
	return op_add_value(jp, path, moved, err);
}

static int op_copy(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		   struct cc_error *err)
{
	json_t *source;
	int r = pointer_walk(jp->root, from, from->n, &source, err);
	if (r < 0)
		return cc_error_prefix(err, "from");
	jp->copied += json_size(source);
	if (jp->copied > PLATFORM_JSON_PATCH_COPY_LIMIT)
		return cc_error_set(err, E2BIG,
				    "the copies of this patch exceed %u bytes together; send the values instead",
				    PLATFORM_JSON_PATCH_COPY_LIMIT);
	return op_add_value(jp, path, json_deep_copy(source), err);
}

static int op_test(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		   struct cc_error *err)
{
	json_t *target;
	int r = pointer_walk(jp->root, path, path->n, &target, err);
	if (r < 0)
		return r;
	if (!json_equal_numeric(target, value))
		return cc_error_set(err, EINVAL, "test failed: the value differs from the expected one");
	return 0;
}

/* RFC 6902 §4: the six operations and the members each needs besides `op` and `path`. */
static const struct json_patch_op {
	const char *name;
	bool needs_value;
	bool needs_from;
	int (*apply)(struct json_patch *jp, const struct pointer *path, const struct pointer *from, const json_t *value,
		     struct cc_error *err);
} json_patch_ops[] = {
	{ "add", true, false, op_add },   { "remove", false, false, op_remove }, { "replace", true, false, op_replace },
	{ "move", false, true, op_move }, { "copy", false, true, op_copy },      { "test", true, false, op_test },
};

static int json_patch_member(const json_t *operation, const char *name, const char **ret, struct cc_error *err)
{
	json_t *v = json_object_get(operation, name);
	if (!json_is_string(v))
		return cc_error_set(err, EINVAL, "`%s` is missing or not a string", name);
	*ret = json_string_value(v);
	return 0;
}

static int json_patch_apply(struct json_patch *jp, const struct json_patch_op *op, const json_t *operation,
			    const char *path_text, struct cc_error *err)
{
	struct pointer path = { 0 }, from = { 0 };
	const json_t *value = json_object_get(operation, "value");
	const char *from_text = NULL;
	int r = pointer_parse(path_text, &path, err);
	if (r < 0)
		return r;
	if (op->needs_value && !value)
		r = cc_error_set(err, EINVAL, "`value` is missing");
	if (r == 0 && op->needs_from) {
		r = json_patch_member(operation, "from", &from_text, err);
		if (r == 0 && (r = pointer_parse(from_text, &from, err)) < 0)
			cc_error_prefix(err, "from `%s`", from_text);
	}
	if (r == 0)
		r = op->apply(jp, &path, &from, value, err);
	pointer_clear(&path);
	pointer_clear(&from);
	return r;
}

static int json_patch_operation(struct json_patch *jp, size_t index, const json_t *operation, struct cc_error *err)
{
	const char *name = NULL, *path = NULL;
	int r = json_patch_member(operation, "op", &name, err);
	if (r < 0)
		return cc_error_prefix(err, "json patch operation %zu", index);
	r = json_patch_member(operation, "path", &path, err);
	if (r < 0)
		return cc_error_prefix(err, "json patch operation %zu (%s)", index, name);
	for (size_t i = 0; i < CC_ARRAY_SIZE(json_patch_ops); i++) {
		if (strcmp(json_patch_ops[i].name, name) != 0)
			continue;
		r = json_patch_apply(jp, &json_patch_ops[i], operation, path, err);
		if (r < 0)
			return cc_error_prefix(err, "json patch operation %zu (%s `%s`)", index, name, path);
		return 0;
	}
	return cc_error_set(err, EINVAL,
			    "json patch operation %zu: unknown op `%s` (add, remove, replace, move, copy or test)",
			    index, name);
}

int platform_json_patch(const json_t *doc, const json_t *patch, json_t **ret, struct cc_error *err)
{
	if (!json_is_array(patch))
		return cc_error_set(err, EBADMSG,
				    "json patch: the body is not a JSON array of operations (RFC 6902 §3)");
	size_t n = json_array_size(patch);
	if (n > PLATFORM_JSON_PATCH_MAX_OPERATIONS)
		return cc_error_set(err, E2BIG, "json patch: %zu operations, more than the %d allowed", n,
				    PLATFORM_JSON_PATCH_MAX_OPERATIONS);
	for (size_t i = 0; i < n; i++)
		if (!json_is_object(json_array_get(patch, i)))
			return cc_error_set(err, EBADMSG, "json patch: operation %zu is not a JSON object", i);
	if (cc_json_depth(doc) > PLATFORM_PATCH_MAX_DEPTH)
		return cc_error_set(err, EINVAL, "json patch: the document is nested deeper than %d levels",
				    PLATFORM_PATCH_MAX_DEPTH);

	struct json_patch jp = { .root = json_deep_copy(doc) };
	for (size_t i = 0; i < n; i++) {
		int r = json_patch_operation(&jp, i, json_array_get(patch, i), err);
		if (r < 0) {
			json_decref(jp.root);
			return r;
		}
	}
	if (cc_json_depth(jp.root) > PLATFORM_PATCH_MAX_DEPTH) {
		json_decref(jp.root);
		return cc_error_set(err, EINVAL, "json patch: the result would be nested deeper than %d levels",
				    PLATFORM_PATCH_MAX_DEPTH);
	}
	*ret = jp.root;
	return 0;
}

/* ---- RFC 7386 JSON Merge Patch ---- */

/* RFC 7386 §2 MergePatch(Target, Patch), with *target owned (NULL when absent) and replaced. */
static int merge_patch_into(json_t **target, const json_t *patch, int depth, struct cc_error *err)
{
	if (!json_is_object(patch)) {
		json_decref(*target);
		*target = json_deep_copy(patch);
		return 0;
	}
	if (depth > PLATFORM_PATCH_MAX_DEPTH)
		return cc_error_set(err, EINVAL, "merge patch: nested deeper than %d levels", PLATFORM_PATCH_MAX_DEPTH);
	if (!json_is_object(*target)) {
		json_decref(*target);
		*target = json_object();
	}
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)patch, key, value) {
		if (json_is_null(value)) {
			json_object_del(*target, key);
			continue;
		}
		json_t *child = json_incref(json_object_get(*target, key));
		int r = merge_patch_into(&child, value, depth + 1, err);
		if (r < 0) {
			json_decref(child);
			return r;
		}
		json_object_set_new(*target, key, child);
	}
	return 0;
}

int platform_merge_patch(const json_t *doc, const json_t *patch, json_t **ret, struct cc_error *err)
{
	json_t *target = json_deep_copy(doc);
	int r = merge_patch_into(&target, patch, 0, err);
	if (r < 0) {
		json_decref(target);
		return r;
	}
	*ret = target;
	return 0;
}
