/* One Kubernetes audit log line -> cocoon event, in one pass and without a tree (see k8s.h).
 *
 * A recursive-descent JSON reader that writes the canonical form (cc_json_canonical's: compact,
 * keys sorted bytewise, strings re-escaped the minimal way) as it goes, and notes the few fields
 * the mapping needs. It accepts exactly what cc_json_parse does - jansson's grammar with
 * duplicate keys refused, \u0000 refused, valid UTF-8 only, integers within 64 bits, reals
 * without overflow, nesting up to CC_JSON_MAX_DEPTH - because the chain's hash covers this text
 * and `audit verify` recomputes it through jansson. fuzz_audit_line compares both on every input.
 *
 * Objects: each member's canonical text is written as it is read; at the closing brace the
 * members are put in key order (usually a few dozen bytes moved) and joined with commas. */
#include "audit/k8s.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* What a value is to the mapping. */
enum slot {
	SLOT_NONE,
	SLOT_ROOT,
	SLOT_KIND,
	SLOT_API_VERSION,
	SLOT_AUDIT_ID,
	SLOT_VERB,
	SLOT_STAGE_TIMESTAMP,
	SLOT_RECEIVED_TIMESTAMP,
	SLOT_SOURCE_IPS,
	SLOT_SOURCE_IP, /* an element of sourceIPs; noted only when it is not a string */
	SLOT_USER,
	SLOT_OBJECT_REF,
	SLOT_RESPONSE_STATUS,
	SLOT_ANNOTATIONS,
	SLOT_USERNAME,
	SLOT_RESOURCE,
	SLOT_SUBRESOURCE,
	SLOT_NAMESPACE,
	SLOT_NAME,
	SLOT_CODE,
	SLOT_REASON,
	SLOT_COUNT,
};

struct slot_key {
	enum slot parent;
	const char *key;
	size_t len;
	enum slot slot;
};

#define KEY(parent, key, slot)                                                                                         \
	{                                                                                                              \
		parent, key, sizeof(key) - 1, slot                                                                     \
	}

static const struct slot_key slot_keys[] = {
	KEY(SLOT_ROOT, "kind", SLOT_KIND),
	KEY(SLOT_ROOT, "apiVersion", SLOT_API_VERSION),
	KEY(SLOT_ROOT, "auditID", SLOT_AUDIT_ID),
	KEY(SLOT_ROOT, "verb", SLOT_VERB),
	KEY(SLOT_ROOT, "stageTimestamp", SLOT_STAGE_TIMESTAMP),
	KEY(SLOT_ROOT, "requestReceivedTimestamp", SLOT_RECEIVED_TIMESTAMP),
	KEY(SLOT_ROOT, "sourceIPs", SLOT_SOURCE_IPS),
	KEY(SLOT_ROOT, "user", SLOT_USER),
	KEY(SLOT_ROOT, "objectRef", SLOT_OBJECT_REF),
	KEY(SLOT_ROOT, "responseStatus", SLOT_RESPONSE_STATUS),
	KEY(SLOT_ROOT, "annotations", SLOT_ANNOTATIONS),
	KEY(SLOT_USER, "username", SLOT_USERNAME),
	KEY(SLOT_OBJECT_REF, "resource", SLOT_RESOURCE),
	KEY(SLOT_OBJECT_REF, "subresource", SLOT_SUBRESOURCE),
	KEY(SLOT_OBJECT_REF, "namespace", SLOT_NAMESPACE),
	KEY(SLOT_OBJECT_REF, "name", SLOT_NAME),
	KEY(SLOT_RESPONSE_STATUS, "code", SLOT_CODE),
	KEY(SLOT_ANNOTATIONS, "authorization.k8s.io/reason", SLOT_REASON),
};

enum value_type { TYPE_ABSENT, TYPE_STRING, TYPE_INTEGER, TYPE_OTHER, TYPE_NULL, TYPE_OBJECT, TYPE_ARRAY };

struct noted {
	enum value_type type;
	size_t text;     /* a string's decoded bytes, or an array's canonical text, in scan.notes */
	int64_t integer; /* TYPE_INTEGER */
};

struct member {
	size_t key;        /* decoded key in scan.keys, NUL-terminated */
	size_t start, end; /* its canonical "key":value in scan.out */
};

/* The scanner: its buffers keep their memory from line to line. */
struct audit_k8s_scanner {
	const char *p, *end, *start;
	int depth;
	const char *error; /* why the line was refused, and where */
	size_t error_at;
	struct cc_buf out;     /* the canonical text */
	struct cc_buf string;  /* the string being decoded */
	struct cc_buf keys;    /* decoded keys of the open objects */
	struct cc_buf scratch; /* an object's members while they are put in order */
	struct cc_buf notes;   /* decoded values of the noted fields */
	struct cc_buf ips;     /* the string elements of sourceIPs, NUL-separated */
	size_t ip_count;
	struct member *members; /* of the open objects, innermost last */
	size_t member_count, member_cap;
	struct noted noted[SLOT_COUNT];
};

static int fail(struct audit_k8s_scanner *s, const char *why)
{
	if (!s->error) {
		s->error = why;
		s->error_at = (size_t)(s->p - s->start);
	}
	return -1;
}

static void skip_space(struct audit_k8s_scanner *s)
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
static int unicode_escape(struct audit_k8s_scanner *s)
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

static int decode_string(struct audit_k8s_scanner *s);

/* A string (s->p at its quote). Most have no escapes: those are checked and left where they are;
 * the others are decoded into s->string. */
static int read_string(struct audit_k8s_scanner *s, struct string_read *ret)
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
static void put_string_read(struct audit_k8s_scanner *s, const struct string_read *str)
{
	if (str->plain)
		cc_buf_append(&s->out, str->data - 1, str->len + 2);
	else
		cc_json_string_append(&s->out, str->data, str->len);
}

/* A string with escapes (s->p at its quote), decoded into s->string. */
static int decode_string(struct audit_k8s_scanner *s)
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

static void note_string(struct audit_k8s_scanner *s, enum slot slot, const struct string_read *str)
{
	s->noted[slot] = (struct noted){ .type = TYPE_STRING, .text = s->notes.len };
	cc_buf_append(&s->notes, str->data, str->len);
	cc_buf_append(&s->notes, "", 1);
}

/* Integers as jansson reads them (64-bit, else refused); reals are rare in audit events and are
 * written by jansson itself, so their digits match its own canonical output. */
static int read_number(struct audit_k8s_scanner *s, enum slot slot)
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
		if (slot != SLOT_NONE)
			s->noted[slot] = (struct noted){ .type = TYPE_INTEGER, .integer = v };
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
	if (slot != SLOT_NONE)
		s->noted[slot] = (struct noted){ .type = TYPE_OTHER };
	return 0;
}

static int read_literal(struct audit_k8s_scanner *s, const char *word, enum slot slot, enum value_type type)
{
	size_t n = strlen(word);
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n) != 0)
		return fail(s, "invalid token");
	s->p += n;
	cc_buf_append(&s->out, word, n);
	if (slot != SLOT_NONE)
		s->noted[slot] = (struct noted){ .type = type };
	return 0;
}

static int read_value(struct audit_k8s_scanner *s, enum slot slot);

static enum slot child_slot(enum slot parent, const char *key, size_t len)
{
	if (parent == SLOT_NONE)
		return SLOT_NONE;
	for (size_t i = 0; i < sizeof(slot_keys) / sizeof(slot_keys[0]); i++)
		if (slot_keys[i].parent == parent && slot_keys[i].len == len && memcmp(slot_keys[i].key, key, len) == 0)
			return slot_keys[i].slot;
	return SLOT_NONE;
}

static int by_key(const void *a, const void *b, void *keys)
{
	const char *k = keys;
	return strcmp(k + ((const struct member *)a)->key, k + ((const struct member *)b)->key);
}

/* Puts the members [first, member_count) written since obj_start in key order. */
static int close_object(struct audit_k8s_scanner *s, size_t obj_start, size_t first)
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

static int read_object(struct audit_k8s_scanner *s, enum slot slot)
{
	s->p++; /* '{' */
	if (slot != SLOT_NONE)
		s->noted[slot] = (struct noted){ .type = TYPE_OBJECT };
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
		if (read_value(s, child_slot(slot, s->keys.data + m->key, key.len)) < 0)
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

static int read_array(struct audit_k8s_scanner *s, enum slot slot)
{
	s->p++; /* '[' */
	size_t start = s->out.len;
	cc_buf_append(&s->out, "[", 1);
	skip_space(s);
	if (s->p < s->end && *s->p == ']') {
		s->p++;
	} else {
		enum slot item = slot == SLOT_SOURCE_IPS ? SLOT_SOURCE_IP : SLOT_NONE;
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
	if (slot != SLOT_NONE) {
		s->noted[slot] = (struct noted){ .type = TYPE_ARRAY, .text = s->notes.len };
		cc_buf_append(&s->notes, s->out.data + start, s->out.len - start);
		cc_buf_append(&s->notes, "", 1);
	}
	return 0;
}

static int read_value(struct audit_k8s_scanner *s, enum slot slot)
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
		if (slot == SLOT_SOURCE_IP) {
			cc_buf_append(&s->ips, str.data, str.len);
			cc_buf_append(&s->ips, "", 1);
			s->ip_count++;
		} else if (slot != SLOT_NONE) {
			note_string(s, slot, &str);
		}
		return 0;
	}
	if (c == '-' || (c >= '0' && c <= '9'))
		return read_number(s, slot);
	if (c == 't')
		return read_literal(s, "true", slot, TYPE_OTHER);
	if (c == 'f')
		return read_literal(s, "false", slot, TYPE_OTHER);
	if (c == 'n')
		return read_literal(s, "null", slot, TYPE_NULL);
	return fail(s, "invalid token");
}

static const char *noted_string(const struct audit_k8s_scanner *s, enum slot slot)
{
	return s->noted[slot].type == TYPE_STRING ? s->notes.data + s->noted[slot].text : NULL;
}

static bool noted_not_string(const struct audit_k8s_scanner *s, enum slot slot)
{
	enum value_type t = s->noted[slot].type;
	return t != TYPE_ABSENT && t != TYPE_NULL && t != TYPE_STRING;
}

struct audit_k8s_scanner *audit_k8s_scanner_new(void)
{
	return cc_xcalloc(1, sizeof(struct audit_k8s_scanner));
}

void audit_k8s_scanner_free(struct audit_k8s_scanner *s)
{
	if (!s)
		return;
	cc_buf_free(&s->out);
	cc_buf_free(&s->string);
	cc_buf_free(&s->keys);
	cc_buf_free(&s->scratch);
	cc_buf_free(&s->notes);
	cc_buf_free(&s->ips);
	free(s->members);
	free(s);
}

/* sourceIPs as a tree: built from its strings when it holds only strings (as it does), else parsed
 * from its canonical text (jansson's loader cost a fifth of the reading before). */
static json_t *source_ips(const struct audit_k8s_scanner *s)
{
	if (s->noted[SLOT_SOURCE_IP].type != TYPE_ABSENT) {
		/* our own canonical text of a value the scanner accepted: the limit only restates it */
		const char *text = s->notes.data + s->noted[SLOT_SOURCE_IPS].text;
		json_t *ips = NULL;
		cc_json_parse(text, strlen(text), 1u << 20, "sourceIPs", &ips, NULL);
		return ips;
	}
	json_t *ips = json_array();
	const char *ip = s->ips.data;
	for (size_t i = 0; i < s->ip_count; i++, ip += strlen(ip) + 1)
		json_array_append_new(ips, json_string(ip));
	return ips;
}

int audit_k8s_scanner_read(struct audit_k8s_scanner *s, const char *line, size_t len, struct cc_event **ret,
			   struct cc_error *err)
{
	s->p = s->start = line;
	s->end = line + len;
	s->depth = 0;
	s->error = NULL;
	s->member_count = 0;
	memset(s->noted, 0, sizeof(s->noted));
	s->out.len = s->keys.len = s->notes.len = s->ips.len = 0;
	s->ip_count = 0;
	cc_buf_reserve(&s->out, len + 64);
	skip_space(s);
	int r = read_value(s, SLOT_ROOT);
	skip_space(s);
	if (r == 0 && s->p != s->end)
		fail(s, "text after the JSON value");
	if (s->error)
		return cc_error_set(err, EINVAL, "audit line: invalid JSON at byte %zu: %s", s->error_at, s->error);
	if (s->noted[SLOT_ROOT].type != TYPE_OBJECT)
		return cc_error_set(err, EINVAL, "Kubernetes audit event must be a JSON object");
	struct audit_k8s_fields f = {
		.kind = noted_string(s, SLOT_KIND),
		.api_version = noted_string(s, SLOT_API_VERSION),
		.audit_id = noted_string(s, SLOT_AUDIT_ID),
		.audit_id_not_string = noted_not_string(s, SLOT_AUDIT_ID),
		.verb = noted_string(s, SLOT_VERB),
		.verb_not_string = noted_not_string(s, SLOT_VERB),
		.stage_timestamp = noted_string(s, SLOT_STAGE_TIMESTAMP),
		.received_timestamp = noted_string(s, SLOT_RECEIVED_TIMESTAMP),
		.username = noted_string(s, SLOT_USERNAME),
		.has_object_ref = s->noted[SLOT_OBJECT_REF].type == TYPE_OBJECT,
		.resource = noted_string(s, SLOT_RESOURCE),
		.subresource = noted_string(s, SLOT_SUBRESOURCE),
		.namespace_ = noted_string(s, SLOT_NAMESPACE),
		.name = noted_string(s, SLOT_NAME),
		.code = s->noted[SLOT_CODE].type == TYPE_INTEGER ? s->noted[SLOT_CODE].integer : 0,
		.reason = noted_string(s, SLOT_REASON),
	};
	struct cc_event *ev;
	if ((r = audit_k8s_fields_to_event(&f, &ev, err)) < 0)
		return r;
	if (s->noted[SLOT_SOURCE_IPS].type == TYPE_ARRAY)
		cc_event_set_extra(ev, "sourceIPs", source_ips(s));
	/* The text goes with the event; the next line gets a new buffer of its size. */
	cc_event_set_extra_text(ev, "k8s", cc_buf_steal(&s->out, NULL));
	*ret = ev;
	return 0;
}

int audit_k8s_line_to_event(const char *line, size_t len, struct cc_event **ret, struct cc_error *err)
{
	struct audit_k8s_scanner *s = audit_k8s_scanner_new();
	int r = audit_k8s_scanner_read(s, line, len, ret, err);
	audit_k8s_scanner_free(s);
	return r;
}
