/* The canonical JSON writer behind cc_json_canonical: compact, object keys sorted bytewise, strings
 * escaped exactly as jansson escapes them (", \, \b \f \n \r \t, other controls as \u00XX, nothing
 * else), integers in decimal. It produces the same bytes as json_dumps(JSON_COMPACT | JSON_SORT_KEYS
 * | JSON_ENCODE_ANY) - the fuzz target fuzz_json checks that on every input - without jansson's per
 * fragment callbacks and sort arrays: the audit pipeline hashes every record in this form, and it was
 * a third of the forwarder's time. */
#include "lib/base/buf.h"
#include "lib/json/json.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Writes go straight into the cc_buf's fields: the buffer's own checked append, called per
 * fragment, cost more than the escaping. Buffers given here have no size limit. */
static void grow(struct cc_buf *o, size_t extra)
{
	if (o->len + extra + 1 <= o->cap)
		return;
	size_t cap = o->cap ? o->cap : 256;
	while (cap < o->len + extra + 1)
		cap *= 2;
	char *data = realloc(o->data, cap);
	if (!data)
		abort(); /* as cc_xmalloc: allocation failure is not recoverable here */
	o->data = data;
	o->cap = cap;
}

static inline void put(struct cc_buf *o, const char *s, size_t n)
{
	grow(o, n);
	memcpy(o->data + o->len, s, n);
	o->len += n;
}

static inline void put_char(struct cc_buf *o, char c)
{
	grow(o, 1);
	o->data[o->len++] = c;
}

static void put_string(struct cc_buf *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";
	put_char(o, '"');
	size_t run = 0; /* bytes that need no escaping are copied in runs */
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		put(o, s + run, i - run);
		run = i + 1;
		char esc[6] = { '\\', 0 };
		switch (c) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default:
			put(o, "\\u00", 4);
			put_char(o, hex[c >> 4]);
			put_char(o, hex[c & 15]);
			continue;
		}
		put(o, esc, 2);
	}
	put(o, s + run, n - run);
	put_char(o, '"');
}

struct member {
	const char *key;
	json_t *value;
};

static int by_key(const void *a, const void *b)
{
	return strcmp(((const struct member *)a)->key, ((const struct member *)b)->key);
}

static void put_value(struct cc_buf *o, const json_t *v);

static void put_object(struct cc_buf *o, const json_t *obj)
{
	size_t n = json_object_size(obj);
	struct member small[16], *members = n <= 16 ? small : malloc(n * sizeof(*members));
	if (!members)
		abort();
	size_t i = 0;
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)obj, key, value)
		members[i++] = (struct member){ key, value };
	qsort(members, n, sizeof(*members), by_key);
	put_char(o, '{');
	for (i = 0; i < n; i++) {
		if (i)
			put_char(o, ',');
		put_string(o, members[i].key, strlen(members[i].key));
		put_char(o, ':');
		put_value(o, members[i].value);
	}
	put_char(o, '}');
	if (members != small)
		free(members);
}

static void put_value(struct cc_buf *o, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: put_object(o, v); break;
	case JSON_ARRAY:
		put_char(o, '[');
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put_char(o, ',');
			put_value(o, json_array_get(v, i));
		}
		put_char(o, ']');
		break;
	case JSON_STRING: put_string(o, json_string_value(v), json_string_length(v)); break;
	case JSON_INTEGER: {
		char digits[24];
		int n = snprintf(digits, sizeof(digits), "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(o, digits, (size_t)n);
		break;
	}
	case JSON_REAL: {
		/* Rare in events; jansson's own formatting keeps the bytes identical. */
		char *text = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
		if (!text)
			abort();
		put(o, text, strlen(text));
		free(text);
		break;
	}
	case JSON_TRUE: put(o, "true", 4); break;
	case JSON_FALSE: put(o, "false", 5); break;
	case JSON_NULL: put(o, "null", 4); break;
	}
}

void cc_json_canonical_append(struct cc_buf *out, const json_t *value)
{
	put_value(out, value);
	grow(out, 0);
	out->data[out->len] = '\0';
}

void cc_json_string_append(struct cc_buf *out, const char *s, size_t n)
{
	put_string(out, s, n);
	grow(out, 0);
	out->data[out->len] = '\0';
}

char *cc_json_canonical(const json_t *value)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_json_canonical_append(&out, value);
	return out.data;
}
