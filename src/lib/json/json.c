/* jansson helpers: bounded parsing, canonical output and typed field access. */
#include "lib/json/json.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/encode.h"

#include <errno.h>
#include <string.h>

int cc_json_depth(const json_t *value)
{
	int deepest = 0;
	if (json_is_object(value)) {
		const char *key;
		json_t *child;
		json_object_foreach ((json_t *)value, key, child) {
			int d = cc_json_depth(child);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	if (json_is_array(value)) {
		size_t i;
		json_t *child;
		json_array_foreach (value, i, child) {
			int d = cc_json_depth(child);
			if (d > deepest)
				deepest = d;
		}
		return deepest + 1;
	}
	return 0;
}

/* Counts nesting on the raw text before jansson recurses over it, so a hostile "[[[[..." costs a
 * linear scan and not a deep recursion. Brackets inside strings do not count. */
static bool nesting_within(const char *data, size_t len, int max_depth)
{
	int depth = 0;
	bool in_string = false;
	for (size_t i = 0; i < len; i++) {
		char c = data[i];
		if (in_string) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_string = false;
			continue;
		}
		if (c == '"')
			in_string = true;
		else if (c == '[' || c == '{') {
			if (++depth > max_depth)
				return false;
		} else if (c == ']' || c == '}')
			depth--;
	}
	return true;
}

int cc_json_check_text(const char *data, size_t len, size_t max_size, const char *what, struct cc_error *err)
{
	if (len > max_size)
		return cc_error_set(err, EMSGSIZE, "%s: JSON document of %zu bytes exceeds the limit of %zu bytes",
				    what, len, max_size);
	/* A raw NUL is never valid JSON, but jansson skips one that follows a number or a literal
	 * (its stream marks an empty buffer with NUL): refuse it here. */
	const char *nul = memchr(data, '\0', len);
	if (nul)
		return cc_error_set(err, EINVAL, "%s: invalid JSON: a NUL byte at offset %zu", what,
				    (size_t)(nul - data));
	if (!nesting_within(data, len, CC_JSON_MAX_DEPTH))
		return cc_error_set(err, EINVAL, "%s: JSON nesting deeper than %d levels", what, CC_JSON_MAX_DEPTH);
	return 0;
}

int cc_json_parse(const char *data, size_t len, size_t max_size, const char *what, json_t **ret, struct cc_error *err)
{
	int r = cc_json_check_text(data, len, max_size, what, err);
	if (r < 0)
		return r;
	json_error_t jerr;
	json_t *value = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
	if (!value)
		return cc_error_set(err, EINVAL, "%s: invalid JSON at line %d, column %d: %s", what, jerr.line,
				    jerr.column, jerr.text);
	*ret = value;
	return 0;
}

int cc_json_parse_prefix(const char *data, size_t len, size_t first_line, size_t *ret_consumed, json_t **ret,
			 struct cc_error *err)
{
	json_error_t jerr;
	json_t *value = json_loadb(data, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_DISABLE_EOF_CHECK, &jerr);
	if (!value)
		return cc_error_set(err, EINVAL, "invalid JSON at line %zu: %s",
				    first_line + (size_t)(jerr.line > 1 ? jerr.line - 1 : 0), jerr.text);
	*ret_consumed = (size_t)jerr.position;
	*ret = value;
	return 0;
}

int cc_json_load_file(const char *path, size_t max_size, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = cc_read_file(path, max_size, &data, &len, err);
	if (r < 0)
		return r;
	return cc_json_parse(data, len, max_size, path, ret, err);
}

static int get_field(const json_t *obj, const char *field, bool required, json_t **ret, struct cc_error *err)
{
	json_t *v = json_is_object(obj) ? json_object_get(obj, field) : NULL;
	if (!v || json_is_null(v)) {
		if (required)
			return cc_error_set(err, ENOENT, "required field `%s` is missing", field);
		*ret = NULL;
		return 0;
	}
	*ret = v;
	return 1;
}

static const char *type_name(const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return "an object";
	case JSON_ARRAY: return "an array";
	case JSON_STRING: return "a string";
	case JSON_INTEGER: return "an integer";
	case JSON_REAL: return "a number";
	case JSON_TRUE:
	case JSON_FALSE: return "a boolean";
	default: return "null";
	}
}

int cc_json_get_string(const json_t *obj, const char *field, bool required, const char **ret, struct cc_error *err)
{
	json_t *v = NULL;
	int r = get_field(obj, field, required, &v, err);
	if (r <= 0)
		return r < 0 ? r : (*ret = NULL, 0);
	if (!json_is_string(v))
		return cc_error_set(err, EINVAL, "field `%s` must be a string, not %s", field, type_name(v));
	*ret = json_string_value(v);
	return 0;
}

int cc_json_get_int(const json_t *obj, const char *field, bool required, int64_t *ret, struct cc_error *err)
{
	json_t *v = NULL;
	int r = get_field(obj, field, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_integer(v))
		return cc_error_set(err, EINVAL, "field `%s` must be an integer, not %s", field, type_name(v));
	*ret = json_integer_value(v);
	return 0;
}

int cc_json_get_bool(const json_t *obj, const char *field, bool required, bool *ret, struct cc_error *err)
{
	json_t *v = NULL;
	int r = get_field(obj, field, required, &v, err);
	if (r <= 0)
		return r;
	if (!json_is_boolean(v))
		return cc_error_set(err, EINVAL, "field `%s` must be a boolean, not %s", field, type_name(v));
	*ret = json_is_true(v);
	return 0;
}

int cc_json_get_object(const json_t *obj, const char *field, bool required, json_t **ret, struct cc_error *err)
{
	json_t *v = NULL;
	int r = get_field(obj, field, required, &v, err);
	if (r <= 0)
		return r < 0 ? r : (*ret = NULL, 0);
	if (!json_is_object(v))
		return cc_error_set(err, EINVAL, "field `%s` must be an object, not %s", field, type_name(v));
	*ret = v;
	return 0;
}

int cc_json_get_array(const json_t *obj, const char *field, bool required, json_t **ret, struct cc_error *err)
{
	json_t *v = NULL;
	int r = get_field(obj, field, required, &v, err);
	if (r <= 0)
		return r < 0 ? r : (*ret = NULL, 0);
	if (!json_is_array(v))
		return cc_error_set(err, EINVAL, "field `%s` must be an array, not %s", field, type_name(v));
	*ret = v;
	return 0;
}

json_t *cc_json_hex(const void *data, size_t len)
{
	char *text = cc_xmalloc(2 * len + 1);
	cc_hex_encode(data, len, text);
	json_t *value = json_string(text);
	free(text);
	return value;
}

json_t *cc_json_base64(const void *data, size_t len)
{
	char *text = cc_base64_encode(data, len);
	json_t *value = text ? json_string(text) : NULL;
	free(text);
	return value;
}

json_t *cc_json_base64url(const void *data, size_t len)
{
	char *text = cc_base64url_encode(data, len);
	json_t *value = text ? json_string(text) : NULL;
	free(text);
	return value;
}
