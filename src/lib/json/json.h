/* JSON helpers over jansson: parsing with a size limit and precise errors, typed field access
 * that names the missing or mistyped field, and the canonical serialisation every signed or hashed
 * structure in cocoon uses. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_buf;
struct cc_error;

/* Default limit for JSON documents read from the outside (requests, files). */
#define CC_JSON_MAX_SIZE (4u * 1024 * 1024)
/* Nesting deeper than this is refused; jansson itself allows 2048, which is more stack than needed. */
#define CC_JSON_MAX_DEPTH 128

/* Parses one JSON value. what names the input in messages ("request body", a file name).
 * Rejects input over max_size, NUL bytes inside strings, duplicate object keys, and nesting
 * deeper than CC_JSON_MAX_DEPTH. */
int cc_json_parse(const char *data, size_t len, size_t max_size, const char *what, json_t **ret, struct cc_error *err);
int cc_json_load_file(const char *path, size_t max_size, json_t **ret, struct cc_error *err);

/* For readers that walk a large document one member at a time (the Debian security tracker's
 * 60 MB of JSON, one source package after another) instead of holding its whole tree:
 * cc_json_check_text checks the whole text once as cc_json_parse would (size, NUL bytes, nesting);
 * cc_json_parse_prefix then parses the value at the start of data (whitespace first is fine) and
 * says how many bytes it took; first_line is the line data starts at, for messages. Duplicate keys
 * are refused inside the value. */
int cc_json_check_text(const char *data, size_t len, size_t max_size, const char *what, struct cc_error *err);
int cc_json_parse_prefix(const char *data, size_t len, size_t first_line, size_t *ret_consumed, json_t **ret,
			 struct cc_error *err);

/* Canonical form: compact, object keys sorted bytewise, UTF-8 unescaped, integers as integers.
 * Returns a malloc'd NUL-terminated string. Two equal trees always give the same bytes. */
char *cc_json_canonical(const json_t *value);
/* The same, appended to a buffer (one without a size limit); and one string in canonical escaping,
 * for writers that put a fixed-shape object together themselves. */
void cc_json_canonical_append(struct cc_buf *out, const json_t *value);
void cc_json_string_append(struct cc_buf *out, const char *s, size_t n);

/* Typed access. Each returns -ENOENT when the field is absent and required, -EINVAL when present
 * with the wrong type, and says which field of what in err. */
int cc_json_get_string(const json_t *obj, const char *field, bool required, const char **ret, struct cc_error *err);
int cc_json_get_int(const json_t *obj, const char *field, bool required, int64_t *ret, struct cc_error *err);
int cc_json_get_bool(const json_t *obj, const char *field, bool required, bool *ret, struct cc_error *err);
int cc_json_get_object(const json_t *obj, const char *field, bool required, json_t **ret, struct cc_error *err);
int cc_json_get_array(const json_t *obj, const char *field, bool required, json_t **ret, struct cc_error *err);

/* Lenient reading of documents whose fields may be absent, null or of another type (Kubernetes
 * objects, scan reports): the member unless absent or null; a non-empty string or NULL. */
static inline const json_t *cc_json_member(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
	return json_is_null(v) ? NULL : v;
}
static inline const char *cc_json_nonempty_string(const json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));
	return s && *s ? s : NULL;
}

/* Deepest nesting of value (a scalar is 0). */
int cc_json_depth(const json_t *value);

static inline void cc_json_decrefp(json_t **p)
{
	json_decref(*p);
}
#define _cleanup_json_ __attribute__((cleanup(cc_json_decrefp)))

/* Byte strings as JSON strings: hex (lower case), base64 (RFC 4648 §4) and base64url without padding
 * (§5, as JOSE uses). */
json_t *cc_json_hex(const void *data, size_t len);
json_t *cc_json_base64(const void *data, size_t len);
json_t *cc_json_base64url(const void *data, size_t len);
