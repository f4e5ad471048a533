/* A one-pass JSON reader that writes the canonical form while it reads (see canonical_scan.h).
 *
 * Why one pass: the audit forwarder reads Kubernetes audit lines at the API server's rate, and each
 * must be checked, kept in canonical form and mapped onto a few fields. jansson's loader, a tree and
 * cc_json_canonical would go over every line three times and allocate per value; this reader writes
 * the canonical form (compact, keys sorted bytewise, strings re-escaped the minimal way) as it goes,
 * and notes the values the caller's table of slots names, so no tree is built.
 *
 * Why byte for byte: the canonical text is hashed into the audit chain, and `audit verify`
 * recomputes it through jansson and cc_json_canonical. So this reader accepts exactly what
 * cc_json_parse does - jansson's grammar with duplicate keys refused, \u0000 refused, valid UTF-8
 * only, integers within 64 bits, reals without overflow, nesting up to CC_JSON_MAX_DEPTH - and writes
 * exactly what cc_json_canonical writes for that tree. fuzz_audit_line compares both on every input.
 *
 * Objects: each member's canonical text is written as it is read; at the closing brace the
 * members are put in key order (usually a few dozen bytes moved) and joined with commas. */
#include "lib/json/canonical_scan.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The caller's table, with each key's length. */
struct slot_key {
	unsigned parent;
	const char *key; /* NULL: an array's elements */
	size_t len;
	unsigned slot;
};

/* A noted value; its text is kept as an offset into note_text until the read ends, since the
 * buffer may move while it grows. */
struct note {
	struct cc_json_noted noted;
	size_t text_at; /* SIZE_MAX: no text */
};

struct member {
	size_t key;        /* decoded key in keys, NUL-terminated */
	size_t start, end; /* its canonical "key":value in out */
};

/* The scanner: its buffers keep their memory from one read to the next. */
struct cc_json_scanner {
	const char *p, *end, *start;
	int depth;
	const char *error; /* why the text was refused, and where */
	size_t error_at;
	struct cc_buf out;       /* the canonical text */
	struct cc_buf string;    /* the string being decoded */
	struct cc_buf keys;      /* decoded keys of the open objects */
	struct cc_buf scratch;   /* an object's members while they are put in order */
	struct cc_buf note_text; /* the noted strings and arrays, each NUL-terminated */
	struct member *members;  /* of the open objects, innermost last */
	size_t member_count, member_cap;
	struct note *notes; /* in the order their reading ended */
	size_t note_count, note_cap;
	size_t *last; /* per slot: 1 + the index of its last note, 0 for none */
	unsigned slot_count;
	struct slot_key *keys_noted;
	size_t key_count;
};

static int fail(struct cc_json_scanner *s, const char *why)
{
	if (!s->error) {
		s->error = why;
		s->error_at = (size_t)(s->p - s->start);
	}
	return -1;
}

static void skip_space(struct cc_json_scanner *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static int hex4(const char *p, uint32_t *ret)
{
	uint32_t v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (uint32_t)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (uint32_t)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (uint32_t)(c - 'A' + 10);
		else
			return -1;
	}
	*ret = v;
	return 0;
}

static void put_utf8(struct cc_buf *b, uint32_t cp)
{
	char u[4];
	size_t n;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	cc_buf_append(b, u, n);
}

/* A \u escape (s->p after the 'u': four hex digits); a surrogate pair makes one code point. */
static int unicode_escape(struct cc_json_scanner *s)
{
	uint32_t cp, low;
	if (s->end - s->p < 4 || hex4(s->p, &cp) < 0)
		return fail(s, "invalid \\u escape");
	s->p += 4;
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail(s, "lone low surrogate in \\u escape");
	if (cp >= 0xD800 && cp <= 0xDBFF) {
		if (s->end - s->p < 6 || s->p[0] != '\\' || s->p[1] != 'u' || hex4(s->p + 2, &low) < 0 ||
		    low < 0xDC00 || low > 0xDFFF)
			return fail(s, "high surrogate without its low surrogate in \\u escape");
		s->p += 6;
		cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
	}
	if (cp == 0)
		return fail(s, "\\u0000 is not allowed");
	put_utf8(&s->string, cp);
	return 0;
}

/* The text of a string just read: its bytes, and whether they needed no escapes (then its
 * canonical form is the input as it stands, quotes included, just before s->p). */
struct string_read {
	const char *data;
	size_t len;
	bool plain;
};

static int decode_string(struct cc_json_scanner *s);

/* A string (s->p at its quote). Most have no escapes: those are checked and left where they are;
 * the others are decoded into s->string. */
static int read_string(struct cc_json_scanner *s, struct string_read *ret)
{
	const char *start = s->p + 1, *q = start;
	while (q < s->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
		q++;
	if (q < s->end && *q == '"') {
		if (!cc_utf8_valid(start, (size_t)(q - start), NULL)) {
			s->p = start;
			return fail(s, "invalid UTF-8 in string");
		}
		s->p = q + 1;
		*ret = (struct string_read){ start, (size_t)(q - start), true };
		return 0;
	}
	if (decode_string(s) < 0)
		return -1;
	*ret = (struct string_read){ s->string.data ? s->string.data : "", s->string.len, false };
	return 0;
}

/* Appends a string read in canonical form. */
static void put_string_read(struct cc_json_scanner *s, const struct string_read *str)
{
	if (str->plain)
		cc_buf_append(&s->out, str->data - 1, str->len + 2);
	else
		cc_json_string_append(&s->out, str->data, str->len);
}

/* A string with escapes (s->p at its quote), decoded into s->string. */
static int decode_string(struct cc_json_scanner *s)
{
	cc_buf_reset(&s->string);
	s->p++;
	for (;;) {
		const char *run = s->p;
		while (s->p < s->end && *s->p != '"' && *s->p != '\\' && (unsigned char)*s->p >= 0x20)
			s->p++;
		if (s->p > run) {
			/* A run ends at ASCII, so a valid sequence never straddles two runs. */
			if (!cc_utf8_valid(run, (size_t)(s->p - run), NULL))
				return fail(s, "invalid UTF-8 in string");
			cc_buf_append(&s->string, run, (size_t)(s->p - run));
		}
		if (s->p == s->end)
			return fail(s, "unterminated string");
		char c = *s->p++;
		if (c == '"')
			return 0;
		if (c != '\\') {
			s->p--;
			return fail(s, "control character in string");
		}
		if (s->p == s->end)
			return fail(s, "unterminated string");
		char e = *s->p++, plain;
		switch (e) {
		case '"': plain = '"'; break;
		case '\\': plain = '\\'; break;
		case '/': plain = '/'; break;
		case 'b': plain = '\b'; break;
		case 'f': plain = '\f'; break;
		case 'n': plain = '\n'; break;
		case 'r': plain = '\r'; break;
		case 't': plain = '\t'; break;
		case 'u':
			if (unicode_escape(s) < 0)
				return -1;
			continue;
		default: return fail(s, "invalid escape in string");
		}
		cc_buf_append(&s->string, &plain, 1);
	}
}

/* Notes a value in slot; text (a string's decoded bytes, an array's canonical text) is copied,
 * since the canonical text around it is still to be reordered. */
static void note(struct cc_json_scanner *s, unsigned slot, enum cc_json_noted_type type, const char *text, size_t len,
		 int64_t integer)
{
	/* Each note takes at least one byte of input, so the count cannot overflow the doubling. */
	if (s->note_count == s->note_cap) {
		s->note_cap = s->note_cap ? 2 * s->note_cap : 32;
		s->notes = cc_xrealloc(s->notes, s->note_cap * sizeof(*s->notes));
	}
	struct note *n = &s->notes[s->note_count++];
	*n = (struct note){ .noted = { .slot = slot, .type = type, .len = len, .integer = integer } };
	if (text) {
		n->text_at = s->note_text.len;
		cc_buf_append(&s->note_text, text, len);
		cc_buf_append(&s->note_text, "", 1);
	} else {
		n->text_at = SIZE_MAX;
	}
	s->last[slot] = s->note_count;
}

/* Integers as jansson reads them (64-bit, else refused); reals are rare in audit events and are
 * written by jansson itself, so their digits match its own canonical output. */
static int read_number(struct cc_json_scanner *s, unsigned slot)
{
	const char *start = s->p;
	bool integer = true;
	if (s->p < s->end && *s->p == '-')
		s->p++;
	if (s->p < s->end && *s->p == '0') {
		s->p++;
	} else if (s->p < s->end && *s->p >= '1' && *s->p <= '9') {
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	} else {
		return fail(s, "invalid number");
	}
	if (s->p < s->end && *s->p == '.') {
		integer = false;
		s->p++;
		if (s->p == s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	if (s->p < s->end && (*s->p == 'e' || *s->p == 'E')) {
		integer = false;
		s->p++;
		if (s->p < s->end && (*s->p == '+' || *s->p == '-'))
			s->p++;
		if (s->p == s->end || *s->p < '0' || *s->p > '9')
			return fail(s, "invalid number");
		while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
			s->p++;
	}
	/* A NUL-terminated copy for strtoll/strtod; scratch is free between objects' closing. */
	cc_buf_reset(&s->scratch);
	cc_buf_append(&s->scratch, start, (size_t)(s->p - start));
	const char *text = s->scratch.data;
	errno = 0;
	if (integer) {
		long long v = strtoll(text, NULL, 10);
		if (errno == ERANGE)
			return fail(s, "integer out of the 64-bit range");
		/* The grammar leaves one integer text that is not its canonical form: -0. */
		if (v == 0)
			cc_buf_append(&s->out, "0", 1);
		else
			cc_buf_append(&s->out, text, s->scratch.len);
		if (slot != CC_JSON_SLOT_NONE)
			note(s, slot, CC_JSON_NOTED_INTEGER, NULL, 0, v);
		return 0;
	}
	double v = strtod(text, NULL);
	if (errno == ERANGE && (v == HUGE_VAL || v == -HUGE_VAL))
		return fail(s, "real number overflow");
	json_t *real = json_real(v);
	char *dumped = real ? json_dumps(real, JSON_ENCODE_ANY | JSON_COMPACT) : NULL;
	json_decref(real);
	if (!dumped)
		return fail(s, "real number not representable");
	cc_buf_append_str(&s->out, dumped);
	free(dumped);
	if (slot != CC_JSON_SLOT_NONE)
		note(s, slot, CC_JSON_NOTED_REAL, NULL, 0, 0);
	return 0;
}

static int read_literal(struct cc_json_scanner *s, const char *word, unsigned slot, enum cc_json_noted_type type)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid token");
	s->p += n;
	cc_buf_append(&s->out, word, n);
	if (slot != CC_JSON_SLOT_NONE)
		note(s, slot, type, NULL, 0, 0);
	return 0;
}

static int read_value(struct cc_json_scanner *s, unsigned slot);

/* The slot of member key of an object in slot parent, or with key NULL of an element of an array in
 * it. Tables are a few dozen entries, small enough for a linear search. */
static unsigned child_slot(const struct cc_json_scanner *s, unsigned parent, const char *key, size_t len)
{
	if (parent == CC_JSON_SLOT_NONE)
		return CC_JSON_SLOT_NONE;
	for (size_t i = 0; i < s->key_count; i++) {
		const struct slot_key *k = &s->keys_noted[i];
		if (k->parent == parent && (key ? k->key && k->len == len && memcmp(k->key, key, len) == 0 : !k->key))
			return k->slot;
	}
	return CC_JSON_SLOT_NONE;
}

static int by_key(const void *a, const void *b, void *keys)
{
	const char *k = keys;
	return strcmp(k + ((const struct member *)a)->key, k + ((const struct member *)b)->key);
}

/* Puts the members [first, member_count) written since obj_start in key order. */
static int close_object(struct cc_json_scanner *s, size_t obj_start, size_t first)
{
	size_t n = s->member_count - first;
	struct member *m = s->members + first;
	size_t keys_start = m[0].key; /* this object's keys, in the order they came */
	if (n <= 16) {
		/* Objects of audit events are small and often nearly in order. */
		for (size_t i = 1; i < n; i++) {
			struct member moving = m[i];
			size_t j = i;
			while (j > 0 && by_key(&m[j - 1], &moving, s->keys.data) > 0) {
				m[j] = m[j - 1];
				j--;
			}
			m[j] = moving;
		}
	} else {
		qsort_r(m, n, sizeof(*m), by_key, s->keys.data);
	}
	for (size_t i = 1; i < n; i++)
		if (strcmp(s->keys.data + m[i - 1].key, s->keys.data + m[i].key) == 0)
			return fail(s, "duplicate object key");
	cc_buf_reset(&s->scratch);
	cc_buf_append(&s->scratch, s->out.data + obj_start, s->out.len - obj_start);
	s->out.len = obj_start;
	cc_buf_append(&s->out, "{", 1);
	for (size_t i = 0; i < n; i++) {
		if (i)
			cc_buf_append(&s->out, ",", 1);
		cc_buf_append(&s->out, s->scratch.data + (m[i].start - obj_start), m[i].end - m[i].start);
	}
	cc_buf_append(&s->out, "}", 1);
	s->keys.len = keys_start;
	s->member_count = first;
	return 0;
}

static int read_object(struct cc_json_scanner *s, unsigned slot)
{
	s->p++; /* '{' */
	if (slot != CC_JSON_SLOT_NONE)
		note(s, slot, CC_JSON_NOTED_OBJECT, NULL, 0, 0);
	size_t obj_start = s->out.len, first = s->member_count;
	skip_space(s);
	if (s->p < s->end && *s->p == '}') {
		s->p++;
		cc_buf_append(&s->out, "{}", 2);
		return 0;
	}
	for (;;) {
		if (s->p == s->end || *s->p != '"')
			return fail(s, "expected a string as object key");
		struct string_read key;
		if (read_string(s, &key) < 0)
			return -1;
		if (s->member_count == s->member_cap) {
			s->member_cap = s->member_cap ? 2 * s->member_cap : 64;
			s->members = cc_xrealloc(s->members, s->member_cap * sizeof(*s->members));
		}
		struct member *m = &s->members[s->member_count++];
		m->key = s->keys.len;
		cc_buf_append(&s->keys, key.data, key.len);
		cc_buf_append(&s->keys, "", 1);
		m->start = s->out.len;
		put_string_read(s, &key);
		cc_buf_append(&s->out, ":", 1);
		skip_space(s);
		if (s->p == s->end || *s->p != ':')
			return fail(s, "expected ':' after an object key");
		s->p++;
		skip_space(s);
		size_t index = s->member_count - 1;
		if (read_value(s, child_slot(s, slot, s->keys.data + m->key, key.len)) < 0)
			return -1;
		s->members[index].end = s->out.len; /* members may have moved with a nested object */
		skip_space(s);
		if (s->p < s->end && *s->p == ',') {
			s->p++;
			skip_space(s);
			continue;
		}
		if (s->p < s->end && *s->p == '}') {
			s->p++;
			return close_object(s, obj_start, first);
		}
		return fail(s, "expected ',' or '}' in an object");
	}
}

static int read_array(struct cc_json_scanner *s, unsigned slot)
{
	s->p++; /* '[' */
	size_t start = s->out.len;
	cc_buf_append(&s->out, "[", 1);
	skip_space(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
	} else {
		unsigned item = child_slot(s, slot, NULL, 0);
		for (;;) {
			if (read_value(s, item) < 0)
				return -1;
			skip_space(s);
			if (s->p < s->end && *s->p == ',') {
				s->p++;
				cc_buf_append(&s->out, ",", 1);
				skip_space(s);
				continue;
			}
			if (s->p < s->end && *s->p == ']') {
				s->p++;
				break;
			}
			return fail(s, "expected ',' or ']' in an array");
		}
	}
	cc_buf_append(&s->out, "]", 1);
	if (slot != CC_JSON_SLOT_NONE)
		note(s, slot, CC_JSON_NOTED_ARRAY, s->out.data + start, s->out.len - start, 0);
	return 0;
}

static int read_value(struct cc_json_scanner *s, unsigned slot)
{
	if (s->p == s->end)
		return fail(s, "unexpected end of the line");
	char c = *s->p;
	if (c == '{' || c == '[') {
		if (++s->depth > CC_JSON_MAX_DEPTH)
			return fail(s, "nesting too deep");
		int r = c == '{' ? read_object(s, slot) : read_array(s, slot);
		s->depth--;
		return r;
	}
	if (c == '"') {
		struct string_read str;
		if (read_string(s, &str) < 0)
			return -1;
		put_string_read(s, &str);
		if (slot != CC_JSON_SLOT_NONE)
			note(s, slot, CC_JSON_NOTED_STRING, str.data, str.len, 0);
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return read_number(s, slot);
	if (c == 't')
		return read_literal(s, "true", slot, CC_JSON_NOTED_TRUE);
	if (c == 'f')
		return read_literal(s, "false", slot, CC_JSON_NOTED_FALSE);
	if (c == 'n')
		return read_literal(s, "null", slot, CC_JSON_NOTED_NULL);
	return fail(s, "invalid token");
}

struct cc_json_scanner *cc_json_scanner_new(const struct cc_json_slot_key *keys, size_t key_count, unsigned slot_count)
{
	struct cc_json_scanner *s = cc_xcalloc(1, sizeof(*s));
	if (slot_count <= CC_JSON_SLOT_ROOT)
		slot_count = CC_JSON_SLOT_ROOT + 1;
	s->slot_count = slot_count;
	s->last = cc_xcalloc(slot_count, sizeof(*s->last));
	s->keys_noted = cc_xcalloc(key_count ? key_count : 1, sizeof(*s->keys_noted));
	s->key_count = key_count;
	for (size_t i = 0; i < key_count; i++) {
		/* A slot outside the table is the caller's mistake, not the input's. */
		assert(keys[i].parent < slot_count && keys[i].slot < slot_count);
		s->keys_noted[i] = (struct slot_key){ keys[i].parent, keys[i].key,
						      keys[i].key ? strlen(keys[i].key) : 0, keys[i].slot };
	}
	return s;
}

void cc_json_scanner_free(struct cc_json_scanner *s)
{
	if (!s)
		return;
	cc_buf_free(&s->out);
	cc_buf_free(&s->string);
	cc_buf_free(&s->keys);
	cc_buf_free(&s->scratch);
	cc_buf_free(&s->note_text);
	free(s->members);
	free(s->notes);
	free(s->last);
	free(s->keys_noted);
	free(s);
}

int cc_json_scanner_read(struct cc_json_scanner *s, const char *text, size_t len, const char *what,
			 struct cc_error *err)
{
	s->p = s->start = text;
	s->end = text + len;
	s->depth = 0;
	s->error = NULL;
	s->error_at = 0;
	s->member_count = 0;
	s->note_count = 0;
	memset(s->last, 0, s->slot_count * sizeof(*s->last));
	s->out.len = s->keys.len = s->note_text.len = 0;
	cc_buf_reserve(&s->out, len + 64);
	skip_space(s);
	int r = read_value(s, CC_JSON_SLOT_ROOT);
	skip_space(s);
	if (r == 0 && s->p != s->end)
		fail(s, "text after the JSON value");
	if (s->error) {
		s->note_count = 0;
		memset(s->last, 0, s->slot_count * sizeof(*s->last));
		return cc_error_set(err, EINVAL, "%s: invalid JSON at byte %zu: %s", what, s->error_at, s->error);
	}
	/* The text buffer has stopped moving: the notes can point into it. */
	for (size_t i = 0; i < s->note_count; i++)
		if (s->notes[i].text_at != SIZE_MAX)
			s->notes[i].noted.text = s->note_text.data + s->notes[i].text_at;
	return 0;
}

size_t cc_json_scanner_error_offset(const struct cc_json_scanner *s)
{
	return s->error_at;
}

const char *cc_json_scanner_text(const struct cc_json_scanner *s, size_t *ret_len)
{
	if (ret_len)
		*ret_len = s->out.len;
	return s->out.data ? s->out.data : "";
}

char *cc_json_scanner_steal_text(struct cc_json_scanner *s, size_t *ret_len)
{
	return cc_buf_steal(&s->out, ret_len);
}

const struct cc_json_noted *cc_json_scanner_noted(const struct cc_json_scanner *s, unsigned slot)
{
	static const struct cc_json_noted absent = { .type = CC_JSON_NOTED_ABSENT };
	if (slot >= s->slot_count || s->last[slot] == 0)
		return &absent;
	return &s->notes[s->last[slot] - 1].noted;
}

size_t cc_json_scanner_note_count(const struct cc_json_scanner *s)
{
	return s->note_count;
}

const struct cc_json_noted *cc_json_scanner_note(const struct cc_json_scanner *s, size_t index)
{
	return index < s->note_count ? &s->notes[index].noted : NULL;
}
