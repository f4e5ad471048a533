/* Kubernetes protobuf bodies to JSON (k8s.io/apimachinery/pkg/runtime/serializer/protobuf).
 *
 * A body is the magic "k8s\0" and a runtime.Unknown whose raw field holds the object's message. The
 * object is decoded with the descriptors of protobuf_schema.h (generated from protobuf/k8s-messages.txt):
 * each field read off the wire is looked up by number, checked against the wire type its declared type
 * needs, turned into a JSON value and stored under its JSON name. Unknown field numbers are skipped, as
 * protobuf requires (a newer kubectl may send fields the table lacks); a known field on the wrong wire
 * type is an error, since decoding it anyway would invent a value.
 *
 * The one place where protobuf and JSON disagree is zero values. gogo-protobuf writes every non-pointer
 * field of a Go struct even when it is zero (ObjectMeta.generateName arrives as ""), where the JSON codec
 * omits it (omitempty). So a zero scalar or an empty message is dropped, unless the Go field is a
 * pointer, whose presence is the information (replicas: 0, automountServiceAccountToken: false). Map
 * values and list elements are always kept: a role's apiGroups [""] names the core group.
 *
 * Everything read from the wire is checked before use: a length against what is left of the enclosing
 * message, nesting against PLATFORM_PROTOBUF_MAX_DEPTH, the values made against
 * PLATFORM_PROTOBUF_MAX_VALUES. The input is only read, never copied whole.
 */
#include "platform/protobuf.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"
#include "platform/protobuf_schema.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAGIC            "k8s\0"
#define MAGIC_LEN        4
#define MAX_FIELD_NUMBER ((1u << 29) - 1)
#define NS_PER_SECOND    1000000000LL

/* ---- The wire format (protobuf.dev/programming-guides/encoding) ---- */

enum wire_type {
	WIRE_VARINT = 0,
	WIRE_I64 = 1,
	WIRE_LEN = 2,
	WIRE_I32 = 5,
};

struct reader {
	const uint8_t *p, *end;
};

struct tag {
	uint32_t number;
	unsigned wire;
};

static size_t reader_left(const struct reader *r)
{
	return (size_t)(r->end - r->p);
}

static int read_varint(struct reader *r, uint64_t *ret, struct cc_error *err)
{
	uint64_t value = 0;
	for (unsigned shift = 0;; shift += 7) {
		if (r->p == r->end)
			return cc_error_set(err, EINVAL, "truncated varint");
		uint8_t byte = *r->p++;
		/* The tenth byte may carry only the 64th bit, and no continuation. */
		if (shift == 63 && byte > 1)
			return cc_error_set(err, EINVAL, "varint longer than 64 bits");
		value |= (uint64_t)(byte & 0x7f) << shift;
		if (!(byte & 0x80)) {
			*ret = value;
			return 0;
		}
	}
}

/* A little-endian fixed-width value (wire types I64 and I32). */
static int read_fixed(struct reader *r, size_t n, uint64_t *ret, struct cc_error *err)
{
	if (reader_left(r) < n)
		return cc_error_set(err, EINVAL, "truncated %zu-byte value (%zu bytes left)", n, reader_left(r));
	uint64_t value = 0;
	for (size_t i = n; i-- > 0;)
		value = value << 8 | r->p[i];
	r->p += n;
	*ret = value;
	return 0;
}

/* A length-delimited value, as a reader of its own bytes. */
static int read_len(struct reader *r, struct reader *ret, struct cc_error *err)
{
	uint64_t len;
	int k = read_varint(r, &len, err);
	if (k < 0)
		return k;
	if (len > reader_left(r))
		return cc_error_set(err, EINVAL,
				    "a length of %" PRIu64 " bytes runs past the end of its message (%zu left)", len,
				    reader_left(r));
	*ret = (struct reader){ r->p, r->p + len };
	r->p += len;
	return 0;
}

static int read_tag(struct reader *r, struct tag *ret, struct cc_error *err)
{
	uint64_t key;
	int k = read_varint(r, &key, err);
	if (k < 0)
		return k;
	uint64_t number = key >> 3;
	if (number == 0 || number > MAX_FIELD_NUMBER)
		return cc_error_set(err, EINVAL, "field number %" PRIu64 " is out of range (1 to 2^29-1)", number);
	*ret = (struct tag){ (uint32_t)number, (unsigned)(key & 7) };
	return 0;
}

/* Protobuf skips the fields it does not know. Groups (wire types 3 and 4) are long deprecated and no
 * Kubernetes message has one, so they, like the two unassigned wire types, are refused. */
static int skip_field(struct reader *r, const struct tag *tag, struct cc_error *err)
{
	uint64_t ignored;
	struct reader value;
	switch (tag->wire) {
	case WIRE_VARINT: return read_varint(r, &ignored, err);
	case WIRE_I64: return read_fixed(r, 8, &ignored, err);
	case WIRE_LEN: return read_len(r, &value, err);
	case WIRE_I32: return read_fixed(r, 4, &ignored, err);
	default:
		return cc_error_set(err, EINVAL, "field %" PRIu32 " has wire type %u, which Kubernetes never writes",
				    tag->number, tag->wire);
	}
}

/* ---- Built-in messages: runtime.Unknown and the types with a JSON form of their own ---- */

/* One singular field of a small fixed message; the last occurrence wins, as in protobuf. */
struct builtin_field {
	uint32_t number;
	unsigned wire; /* WIRE_VARINT or WIRE_LEN */
	bool seen;
	uint64_t varint;
	struct reader bytes;
};

static int read_builtin(struct reader r, const char *what, struct builtin_field *fields, size_t n, struct cc_error *err)
{
	for (size_t i = 0; i < n; i++)
		fields[i].bytes = (struct reader){ r.end, r.end }; /* absent: empty */
	while (r.p < r.end) {
		struct tag tag;
		int k = read_tag(&r, &tag, err);
		if (k < 0)
			return k;
		struct builtin_field *f = NULL;
		for (size_t i = 0; i < n && !f; i++)
			if (fields[i].number == tag.number)
				f = &fields[i];
		if (!f) {
			k = skip_field(&r, &tag, err);
		} else if (tag.wire != f->wire) {
			return cc_error_set(err, EINVAL, "%s field %" PRIu32 " has wire type %u instead of %u", what,
					    tag.number, tag.wire, f->wire);
		} else {
			f->seen = true;
			k = f->wire == WIRE_VARINT ? read_varint(&r, &f->varint, err) : read_len(&r, &f->bytes, err);
		}
		if (k < 0)
			return k;
	}
	return 0;
}

/* ---- The decoder ---- */

struct decoder {
	size_t values; /* JSON values made so far */
	struct cc_error *err;
};

static int count_value(struct decoder *d)
{
	if (++d->values > PLATFORM_PROTOBUF_MAX_VALUES)
		return cc_error_set(d->err, E2BIG, "the body decodes into more than %u JSON values",
				    PLATFORM_PROTOBUF_MAX_VALUES);
	return 0;
}

/* A string as JSON. Go's JSON encoder writes each byte that is not valid UTF-8 as U+FFFD, and so does
 * this. A NUL byte is refused: cocoond's JSON parser refuses "\u0000" (cc_json_parse), and a protobuf
 * body must not carry what a JSON body cannot. */
static int make_string(struct decoder *d, const struct reader *r, json_t **ret)
{
	const char *s = (const char *)r->p;
	size_t len = reader_left(r), bad;
	if (len && memchr(s, '\0', len))
		return cc_error_set(d->err, EINVAL, "a string holds a NUL byte");
	if (cc_utf8_valid(s, len, &bad)) {
		*ret = json_stringn(len ? s : "", len);
		return 0;
	}
	_cleanup_free_ char *fixed = cc_xmalloc(3 * len + 1); /* len <= PLATFORM_PROTOBUF_MAX_SIZE */
	size_t out = 0, at = 0;
	do {
		memcpy(fixed + out, s + at, bad);
		out += bad;
		memcpy(fixed + out, "\xef\xbf\xbd", 3);
		out += 3;
		at += bad + 1;
	} while (!cc_utf8_valid(s + at, len - at, &bad));
	memcpy(fixed + out, s + at, len - at);
	out += len - at;
	*ret = json_stringn(fixed, out);
	return 0;
}

static bool is_zero(const json_t *value)
{
	switch (json_typeof(value)) {
	case JSON_STRING: return json_string_length(value) == 0;
	case JSON_INTEGER: return json_integer_value(value) == 0;
	case JSON_REAL: return json_real_value(value) == 0.0;
	case JSON_OBJECT: return json_object_size(value) == 0;
	case JSON_ARRAY: return json_array_size(value) == 0;
	case JSON_TRUE: return false;
	default: return true; /* false, null */
	}
}

/* The member of obj that a repeated field or a map fills, made on first use. */
static json_t *container(json_t *obj, const char *name, json_type type)
{
	json_t *c = json_object_get(obj, name);
	if (!c || json_typeof(c) != type) {
		c = type == JSON_ARRAY ? json_array() : json_object();
		json_object_set_new(obj, name, c);
	}
	return c;
}

static unsigned wire_of(uint8_t type)
{
	switch (type) {
	case PLATFORM_PB_INT32:
	case PLATFORM_PB_INT64:
	case PLATFORM_PB_BOOL: return WIRE_VARINT;
	case PLATFORM_PB_DOUBLE: return WIRE_I64;
	default: return WIRE_LEN;
	}
}

static const char *type_name(uint8_t type)
{
	static const char *const names[] = {
		[PLATFORM_PB_STRING] = "string",
		[PLATFORM_PB_BYTES] = "bytes",
		[PLATFORM_PB_INT32] = "int32",
		[PLATFORM_PB_INT64] = "int64",
		[PLATFORM_PB_BOOL] = "bool",
		[PLATFORM_PB_DOUBLE] = "double",
		[PLATFORM_PB_MESSAGE] = "message",
		[PLATFORM_PB_TIME] = "Time",
		[PLATFORM_PB_MICROTIME] = "MicroTime",
		[PLATFORM_PB_DURATION] = "Duration",
		[PLATFORM_PB_INT_OR_STRING] = "IntOrString",
		[PLATFORM_PB_QUANTITY] = "Quantity",
		[PLATFORM_PB_RAW_EXTENSION] = "RawExtension",
		[PLATFORM_PB_FIELDS_V1] = "FieldsV1",
		[PLATFORM_PB_STRING_LIST] = "StringList",
	};
	return type < CC_ARRAY_SIZE(names) && names[type] ? names[type] : "?";
}

/* A field may arrive on the wire type of its type, and a repeated scalar also packed (proto3's
 * encoding, which protobuf parsers accept for proto2 fields too). */
static bool wire_fits(const struct platform_pb_field *f, unsigned wire)
{
	if (f->label == PLATFORM_PB_MAP || (f->label == PLATFORM_PB_REPEATED && wire == WIRE_LEN))
		return wire == WIRE_LEN;
	return wire == wire_of(f->type);
}

static int wire_error(struct decoder *d, const struct platform_pb_message *m, const struct platform_pb_field *f,
		      const struct tag *tag)
{
	return cc_error_set(d->err, EINVAL, "`%s.%s` (field %" PRIu32 ") has wire type %u; %s%s needs wire type %u",
			    m->name, f->json_name, f->number, tag->wire, f->label == PLATFORM_PB_MAP ? "a map of " : "",
			    type_name(f->type), f->label == PLATFORM_PB_MAP ? WIRE_LEN : wire_of(f->type));
}

static int decode_fields(struct decoder *d, const struct platform_pb_message *m, struct reader r, int depth,
			 json_t *obj);
static int decode_object(struct decoder *d, const uint8_t *data, size_t len, int depth, json_t **ret);

/* A varint or fixed-width value. int32 keeps the low 32 bits of the varint, as protobuf's int32 does
 * (a negative int32 is written sign-extended to ten bytes). */
static int decode_number(struct decoder *d, uint8_t type, struct reader *r, json_t **ret)
{
	uint64_t raw = 0;
	int k = type == PLATFORM_PB_DOUBLE ? read_fixed(r, 8, &raw, d->err) : read_varint(r, &raw, d->err);
	if (k < 0)
		return k;
	switch (type) {
	case PLATFORM_PB_INT32: *ret = json_integer((int32_t)(uint32_t)raw); return 0;
	case PLATFORM_PB_INT64: *ret = json_integer((json_int_t)raw); return 0;
	case PLATFORM_PB_BOOL: *ret = json_boolean(raw != 0); return 0;
	default: {
		double value;
		memcpy(&value, &raw, sizeof(value));
		if (!isfinite(value))
			return cc_error_set(d->err, EINVAL, "a double is NaN or infinite, which JSON cannot hold");
		*ret = json_real(value);
		return 0;
	}
	}
}

/* meta/v1 Time and MicroTime: {seconds=1, nanos=2}. An empty message is the zero time, which JSON
 * writes as null. Time.Unmarshal keeps whole seconds (its JSON never had more); MicroTime keeps the
 * nanoseconds and writes six fractional digits (RFC3339Micro), truncating. */
static int decode_time(struct decoder *d, struct reader r, bool micro, json_t **ret)
{
	if (r.p == r.end) {
		*ret = json_null();
		return 0;
	}
	struct builtin_field f[] = { { .number = 1, .wire = WIRE_VARINT }, { .number = 2, .wire = WIRE_VARINT } };
	int k = read_builtin(r, micro ? "MicroTime" : "Time", f, CC_ARRAY_SIZE(f), d->err);
	if (k < 0)
		return k;
	int64_t seconds = (int64_t)f[0].varint, nanos = micro ? (int32_t)(uint32_t)f[1].varint : 0;
	/* Unix nanoseconds in an int64 reach from 1677 to 2262: any timestamp a client sends. The margin
	 * of 3 s leaves room for the nanoseconds (an int32, so up to about 2.1 s either way). */
	if (seconds > INT64_MAX / NS_PER_SECOND - 3 || seconds < INT64_MIN / NS_PER_SECOND + 3)
		return cc_error_set(d->err, EINVAL, "time %" PRId64 " s is outside the years 1677 to 2262", seconds);
	int64_t ns = seconds * NS_PER_SECOND + nanos, whole = ns / NS_PER_SECOND, frac = ns % NS_PER_SECOND;
	if (frac < 0) {
		frac += NS_PER_SECOND;
		whole--;
	}
	char text[CC_TIME_RFC3339_MAX + 8];
	cc_time_format_rfc3339_seconds(whole * NS_PER_SECOND, text, CC_TIME_RFC3339_MAX);
	size_t n = strlen(text);
	if (micro && n > 0 && text[n - 1] == 'Z')
		snprintf(text + n - 1, sizeof(text) - (n - 1), ".%06" PRId64 "Z", frac / 1000);
	*ret = json_string(text);
	return 0;
}

/* Go's time.Duration.String ("1h0m0s", "1.5s", "300ms", "0s"), which meta/v1 Duration writes. */
static void format_duration(int64_t d, char *out, size_t size)
{
	char buf[32];
	size_t w = sizeof(buf);
	uint64_t u = d < 0 ? -(uint64_t)d : (uint64_t)d;
	int prec = 9;
	buf[--w] = 's';
	if (u < (uint64_t)NS_PER_SECOND) {
		/* Below a second, the unit shrinks instead: ns (no fraction), µs (3 digits), ms (6). */
		if (u == 0) {
			snprintf(out, size, "0s");
			return;
		}
		if (u < 1000) {
			prec = 0;
			buf[--w] = 'n';
		} else if (u < 1000000) {
			prec = 3;
			w -= 2;
			memcpy(buf + w, "\xc2\xb5", 2);
		} else {
			prec = 6;
			buf[--w] = 'm';
		}
	}
	bool print = false; /* the fraction, without trailing zeros, and no point when it is 0 */
	for (int i = 0; i < prec; i++, u /= 10) {
		print = print || u % 10 != 0;
		if (print)
			buf[--w] = (char)('0' + u % 10);
	}
	if (print)
		buf[--w] = '.';
	uint64_t seconds = u, units[3] = { 0 }; /* seconds (or the sub-second unit), minutes, hours */
	size_t n_units = 1;
	units[0] = seconds;
	if (prec == 9 && seconds >= 60) {
		units[0] = seconds % 60;
		units[1] = seconds / 60 % 60;
		n_units = 2;
		if (seconds >= 3600) {
			units[2] = seconds / 3600;
			n_units = 3;
		}
	}
	for (size_t i = 0; i < n_units; i++) {
		if (i > 0)
			buf[--w] = i == 1 ? 'm' : 'h';
		uint64_t v = units[i];
		do
			buf[--w] = (char)('0' + v % 10);
		while ((v /= 10) > 0);
	}
	if (d < 0)
		buf[--w] = '-';
	snprintf(out, size, "%.*s", (int)(sizeof(buf) - w), buf + w);
}

static int decode_duration(struct decoder *d, struct reader r, json_t **ret)
{
	struct builtin_field f[] = { { .number = 1, .wire = WIRE_VARINT } };
	int k = read_builtin(r, "Duration", f, CC_ARRAY_SIZE(f), d->err);
	if (k < 0)
		return k;
	char text[32];
	format_duration((int64_t)f[0].varint, text, sizeof(text));
	*ret = json_string(text);
	return 0;
}

/* util/intstr IntOrString {type=1, intVal=2, strVal=3}: type 0 is a number, 1 a string. */
static int decode_int_or_string(struct decoder *d, struct reader r, json_t **ret)
{
	struct builtin_field f[] = {
		{ .number = 1, .wire = WIRE_VARINT },
		{ .number = 2, .wire = WIRE_VARINT },
		{ .number = 3, .wire = WIRE_LEN },
	};
	int k = read_builtin(r, "IntOrString", f, CC_ARRAY_SIZE(f), d->err);
	if (k < 0)
		return k;
	if (f[0].varint == 1)
		return make_string(d, &f[2].bytes, ret);
	if (f[0].varint != 0)
		return cc_error_set(d->err, EINVAL, "IntOrString type %" PRIu64 " is neither 0 (int) nor 1 (string)",
				    f[0].varint);
	*ret = json_integer((int32_t)(uint32_t)f[1].varint);
	return 0;
}

/* api/resource Quantity {string=1}. A message without its string is the zero quantity, "0". */
static int decode_quantity(struct decoder *d, struct reader r, json_t **ret)
{
	struct builtin_field f[] = { { .number = 1, .wire = WIRE_LEN } };
	int k = read_builtin(r, "Quantity", f, CC_ARRAY_SIZE(f), d->err);
	if (k < 0)
		return k;
	if (!f[0].seen) {
		*ret = json_string("0");
		return 0;
	}
	return make_string(d, &f[0].bytes, ret);
}

/* runtime.RawExtension and meta/v1 FieldsV1, {raw=1}: JSON text their MarshalJSON writes as is, parsed
 * with cocoond's limits. A RawExtension may also hold a nested object in Kubernetes protobuf, which is
 * decoded the same way. */
static int decode_raw(struct decoder *d, struct reader r, bool extension, int depth, json_t **ret)
{
	const char *what = extension ? "RawExtension" : "FieldsV1";
	struct builtin_field f[] = { { .number = 1, .wire = WIRE_LEN } };
	int k = read_builtin(r, what, f, CC_ARRAY_SIZE(f), d->err);
	if (k < 0)
		return k;
	size_t len = reader_left(&f[0].bytes);
	if (len == 0) {
		*ret = json_null();
		return 0;
	}
	if (extension && len >= MAGIC_LEN && memcmp(f[0].bytes.p, MAGIC, MAGIC_LEN) == 0)
		return decode_object(d, f[0].bytes.p, len, depth + 1, ret);
	return cc_json_parse((const char *)f[0].bytes.p, len, PLATFORM_PROTOBUF_MAX_SIZE, what, ret, d->err);
}

/* A named []string such as ExtraValue: {items=1 repeated}, written as a JSON array. */
static int decode_string_list(struct decoder *d, struct reader r, json_t **ret)
{
	_cleanup_json_ json_t *items = json_array();
	while (r.p < r.end) {
		struct tag tag;
		int k = read_tag(&r, &tag, d->err);
		if (k < 0)
			return k;
		if (tag.number != 1) {
			if ((k = skip_field(&r, &tag, d->err)) < 0)
				return k;
			continue;
		}
		if (tag.wire != WIRE_LEN)
			return cc_error_set(d->err, EINVAL, "a string list item has wire type %u instead of 2",
					    tag.wire);
		struct reader item;
		json_t *s;
		if ((k = count_value(d)) < 0 || (k = read_len(&r, &item, d->err)) < 0 ||
		    (k = make_string(d, &item, &s)) < 0)
			return k;
		json_array_append_new(items, s);
	}
	*ret = CC_TAKE_PTR(items);
	return 0;
}

static int decode_message(struct decoder *d, const struct platform_pb_message *m, struct reader r, int depth,
			  json_t **ret)
{
	_cleanup_json_ json_t *obj = json_object();
	int k = decode_fields(d, m, r, depth, obj);
	if (k < 0)
		return k;
	*ret = CC_TAKE_PTR(obj);
	return 0;
}

/* A length-delimited value of the given type; depth is the nesting of the message that holds it. */
static int decode_len_value(struct decoder *d, uint8_t type, uint16_t message, struct reader r, int depth, json_t **ret)
{
	switch (type) {
	case PLATFORM_PB_STRING: return make_string(d, &r, ret);
	case PLATFORM_PB_BYTES: *ret = cc_json_base64(r.p, reader_left(&r)); return 0;
	case PLATFORM_PB_MESSAGE: return decode_message(d, &platform_pb_messages[message], r, depth + 1, ret);
	case PLATFORM_PB_TIME: return decode_time(d, r, false, ret);
	case PLATFORM_PB_MICROTIME: return decode_time(d, r, true, ret);
	case PLATFORM_PB_DURATION: return decode_duration(d, r, ret);
	case PLATFORM_PB_INT_OR_STRING: return decode_int_or_string(d, r, ret);
	case PLATFORM_PB_QUANTITY: return decode_quantity(d, r, ret);
	case PLATFORM_PB_RAW_EXTENSION: return decode_raw(d, r, true, depth, ret);
	case PLATFORM_PB_FIELDS_V1: return decode_raw(d, r, false, depth, ret);
	case PLATFORM_PB_STRING_LIST: return decode_string_list(d, r, ret);
	default: return cc_error_set(d->err, EINVAL, "field type %u has no decoder", type);
	}
}

/* One value of a field whose wire type was checked. */
static int decode_value(struct decoder *d, uint8_t type, uint16_t message, struct reader *r, int depth, json_t **ret)
{
	int k = count_value(d);
	if (k < 0)
		return k;
	if (wire_of(type) != WIRE_LEN)
		return decode_number(d, type, r, ret);
	struct reader value;
	k = read_len(r, &value, d->err);
	if (k < 0)
		return k;
	return decode_len_value(d, type, message, value, depth, ret);
}

/* What a map entry without a value stands for: the value type's zero. */
static json_t *zero_value(uint8_t type)
{
	switch (type) {
	case PLATFORM_PB_STRING:
	case PLATFORM_PB_BYTES: return json_string("");
	case PLATFORM_PB_INT32:
	case PLATFORM_PB_INT64:
	case PLATFORM_PB_INT_OR_STRING: return json_integer(0);
	case PLATFORM_PB_BOOL: return json_false();
	case PLATFORM_PB_DOUBLE: return json_real(0.0);
	case PLATFORM_PB_MESSAGE: return json_object();
	case PLATFORM_PB_DURATION: return json_string("0s");
	case PLATFORM_PB_QUANTITY: return json_string("0");
	case PLATFORM_PB_STRING_LIST: return json_array();
	default: return json_null();
	}
}

/* A map is a repeated entry message {key=1, value=2}; a later entry with the same key wins. */
static int decode_map_entry(struct decoder *d, const struct platform_pb_field *f, struct reader *r, int depth,
			    json_t *obj)
{
	struct reader entry;
	int k = read_len(r, &entry, d->err);
	if (k < 0)
		return k;
	_cleanup_json_ json_t *key = NULL, *value = NULL;
	while (entry.p < entry.end) {
		struct tag tag;
		struct reader bytes;
		if ((k = read_tag(&entry, &tag, d->err)) < 0)
			return k;
		if (tag.number == 1 && tag.wire == WIRE_LEN) {
			json_decref(key);
			key = NULL;
			k = read_len(&entry, &bytes, d->err);
			if (k >= 0)
				k = make_string(d, &bytes, &key);
		} else if (tag.number == 2 && tag.wire == wire_of(f->type)) {
			json_decref(value);
			value = NULL;
			k = decode_value(d, f->type, f->message, &entry, depth + 1, &value);
		} else if (tag.number == 1 || tag.number == 2) {
			k = cc_error_set(d->err, EINVAL, "a map entry's %s has wire type %u",
					 tag.number == 1 ? "key" : "value", tag.wire);
		} else {
			k = skip_field(&entry, &tag, d->err);
		}
		if (k < 0)
			return k;
	}
	if ((k = count_value(d)) < 0)
		return k;
	json_t *map = container(obj, f->json_name, JSON_OBJECT);
	json_object_setn_new(map, key ? json_string_value(key) : "", key ? json_string_length(key) : 0,
			     value ? CC_TAKE_PTR(value) : zero_value(f->type));
	return 0;
}

/* A packed repeated scalar: the values one after the other in one length-delimited field. */
static int decode_packed(struct decoder *d, const struct platform_pb_field *f, struct reader *r, json_t *obj)
{
	struct reader packed;
	int k = read_len(r, &packed, d->err);
	while (k >= 0 && packed.p < packed.end) {
		json_t *value;
		if ((k = count_value(d)) >= 0 && (k = decode_number(d, f->type, &packed, &value)) >= 0)
			json_array_append_new(container(obj, f->json_name, JSON_ARRAY), value);
	}
	return k;
}

/* Stores a singular or repeated field's value. Protobuf lets the last occurrence of a singular field
 * win, a zero one included, which then takes the member away as JSON's omitempty would. */
static void store(const struct platform_pb_field *f, json_t *obj, json_t *value)
{
	if (f->label == PLATFORM_PB_REPEATED) {
		json_array_append_new(container(obj, f->json_name, JSON_ARRAY), value);
		return;
	}
	if (json_is_null(value) || (!(f->flags & PLATFORM_PB_POINTER) && is_zero(value))) {
		json_object_del(obj, f->json_name);
		json_decref(value);
		return;
	}
	json_object_set_new(obj, f->json_name, value);
}

/* One occurrence of a field, whose wire type fits (wire_fits). */
static int decode_field(struct decoder *d, const struct platform_pb_field *f, const struct tag *tag, struct reader *r,
			int depth, json_t *obj)
{
	if (f->label == PLATFORM_PB_MAP)
		return decode_map_entry(d, f, r, depth, obj);
	if (f->label == PLATFORM_PB_REPEATED && tag->wire != wire_of(f->type))
		return decode_packed(d, f, r, obj);

	/* An embedded struct's members go into this object; a message that occurs again is merged into
	 * what the first occurrence made, as gogo-protobuf unmarshals into the existing struct. */
	json_t *existing = json_object_get(obj, f->json_name);
	if (f->type == PLATFORM_PB_MESSAGE &&
	    (f->flags & PLATFORM_PB_INLINE || (f->label == PLATFORM_PB_SINGLE && json_is_object(existing)))) {
		struct reader value;
		int k = read_len(r, &value, d->err);
		if (k < 0)
			return k;
		return decode_fields(d, &platform_pb_messages[f->message], value, depth + 1,
				     f->flags & PLATFORM_PB_INLINE ? obj : existing);
	}
	json_t *value;
	int k = decode_value(d, f->type, f->message, r, depth, &value);
	if (k < 0)
		return k;
	store(f, obj, value);
	return 0;
}

static const struct platform_pb_field *find_field(const struct platform_pb_message *m, uint32_t number)
{
	size_t lo = 0, hi = m->n_fields;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (m->fields[mid].number == number)
			return &m->fields[mid];
		if (m->fields[mid].number < number)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

/* Puts a step of the JSON path in front of an error, as long as the cause stays whole: a path as deep
 * as PLATFORM_PROTOBUF_MAX_DEPTH would otherwise push it out of the message. */
static int prefix_path(struct decoder *d, const char *step)
{
	if (strlen(d->err->message) + strlen(step) + 2 < sizeof(d->err->message))
		return cc_error_prefix(d->err, "%s", step);
	return -d->err->code;
}

/* The fields of one message, into obj. An error names the JSON path it was found at. */
static int decode_fields(struct decoder *d, const struct platform_pb_message *m, struct reader r, int depth,
			 json_t *obj)
{
	if (depth > PLATFORM_PROTOBUF_MAX_DEPTH)
		return cc_error_set(d->err, EINVAL, "messages nest deeper than %d", PLATFORM_PROTOBUF_MAX_DEPTH);
	while (r.p < r.end) {
		struct tag tag;
		int k = read_tag(&r, &tag, d->err);
		if (k < 0)
			return k;
		const struct platform_pb_field *f = find_field(m, tag.number);
		if (!f) {
			if ((k = skip_field(&r, &tag, d->err)) < 0)
				return k;
			continue;
		}
		if (!wire_fits(f, tag.wire))
			return wire_error(d, m, f, &tag);
		if ((k = decode_field(d, f, &tag, &r, depth, obj)) < 0)
			return f->flags & PLATFORM_PB_INLINE ? k : prefix_path(d, f->json_name);
	}
	return 0;
}

/* ---- The envelope: magic, runtime.Unknown, the kind's message ---- */

static const struct platform_pb_message *find_kind(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < platform_pb_kind_count; i++) {
		const struct platform_pb_kind *k = &platform_pb_kinds[i];
		if (strcmp(k->kind, kind) == 0 &&
		    (strcmp(k->api_version, "*") == 0 || strcmp(k->api_version, api_version) == 0))
			return &platform_pb_messages[k->message];
	}
	return NULL;
}

/* runtime.Unknown {typeMeta=1 {apiVersion=1, kind=2}, raw=2, contentEncoding=3, contentType=4}. */
struct unknown {
	json_t *api_version, *kind;
	struct reader raw;
};

static void unknown_clear(struct unknown *u)
{
	json_decref(u->api_version);
	json_decref(u->kind);
}

static int read_unknown(struct decoder *d, struct reader r, struct unknown *ret)
{
	struct builtin_field f[] = {
		{ .number = 1, .wire = WIRE_LEN },
		{ .number = 2, .wire = WIRE_LEN },
		{ .number = 3, .wire = WIRE_LEN },
		{ .number = 4, .wire = WIRE_LEN },
	};
	struct builtin_field type_meta[] = { { .number = 1, .wire = WIRE_LEN }, { .number = 2, .wire = WIRE_LEN } };
	int k = read_builtin(r, "runtime.Unknown", f, CC_ARRAY_SIZE(f), d->err);
	if (k >= 0)
		k = read_builtin(f[0].bytes, "runtime.Unknown typeMeta", type_meta, CC_ARRAY_SIZE(type_meta), d->err);
	if (k < 0)
		return k;
	/* The protobuf serializer writes no content encoding and, for its own raw, no content type. */
	if (reader_left(&f[2].bytes) > 0)
		return cc_error_set(d->err, ENOTSUP, "the body has a content encoding, which Kubernetes never writes");
	json_t *content_type = NULL;
	if ((k = make_string(d, &f[3].bytes, &content_type)) < 0)
		return k;
	bool foreign = json_string_length(content_type) > 0 &&
		       strcmp(json_string_value(content_type), PLATFORM_PROTOBUF_CONTENT_TYPE) != 0;
	json_decref(content_type);
	if (foreign)
		return cc_error_set(d->err, ENOTSUP, "the object inside is not protobuf (runtime.Unknown contentType)");
	*ret = (struct unknown){ .raw = f[1].bytes };
	if ((k = make_string(d, &type_meta[0].bytes, &ret->api_version)) < 0 ||
	    (k = make_string(d, &type_meta[1].bytes, &ret->kind)) < 0) {
		unknown_clear(ret);
		return k;
	}
	if (json_string_length(ret->kind) == 0 || json_string_length(ret->api_version) == 0) {
		unknown_clear(ret);
		return cc_error_set(d->err, EINVAL, "the body names no apiVersion and kind (runtime.Unknown typeMeta)");
	}
	return 0;
}

/* A whole object: magic, runtime.Unknown, and the message its kind names. A RawExtension may nest one. */
static int decode_object(struct decoder *d, const uint8_t *data, size_t len, int depth, json_t **ret)
{
	if (len < MAGIC_LEN || memcmp(data, MAGIC, MAGIC_LEN) != 0)
		return cc_error_set(
		    d->err, EINVAL,
		    "not a Kubernetes protobuf object: it does not start with the magic bytes \"k8s\\0\"");
	struct unknown u;
	int k = read_unknown(d, (struct reader){ data + MAGIC_LEN, data + len }, &u);
	if (k < 0)
		return k;
	const char *api_version = json_string_value(u.api_version), *kind = json_string_value(u.kind);
	const struct platform_pb_message *m = find_kind(api_version, kind);
	if (!m) {
		k = cc_error_set(d->err, ENOTSUP,
				 "kind %.100s of %.100s has no protobuf schema in cocoond; send it as application/json",
				 kind, api_version);
		unknown_clear(&u);
		return k;
	}
	_cleanup_json_ json_t *body = NULL, *out = json_object();
	if ((k = decode_message(d, m, u.raw, depth + 1, &body)) < 0) {
		char step[256];
		snprintf(step, sizeof(step), "%.100s %.100s", api_version, kind);
		k = prefix_path(d, step);
		unknown_clear(&u);
		return k;
	}
	json_object_set_new(out, "apiVersion", u.api_version);
	json_object_set_new(out, "kind", u.kind);
	json_object_update(out, body);
	*ret = CC_TAKE_PTR(out);
	return 0;
}

int platform_protobuf_decode(const void *data, size_t len, json_t **ret, struct cc_error *err)
{
	if (len > PLATFORM_PROTOBUF_MAX_SIZE)
		return cc_error_set(err, E2BIG, "the protobuf body has %zu bytes, more than the %u allowed", len,
				    PLATFORM_PROTOBUF_MAX_SIZE);
	/* Without a caller's err, one of our own keeps the codes that cc_error_prefix would lose. */
	struct cc_error own;
	struct decoder d = { .err = err ? err : &own };
	json_t *out;
	int k = decode_object(&d, data, len, 0, &out);
	if (k < 0)
		return k;
	/* Lists and maps add JSON levels the message depth does not count, and a RawExtension brings JSON
	 * of its own: the result keeps to the nesting limit every JSON body keeps to. */
	if (cc_json_depth(out) > CC_JSON_MAX_DEPTH) {
		json_decref(out);
		return cc_error_set(err, EINVAL, "the object nests deeper than %d levels as JSON", CC_JSON_MAX_DEPTH);
	}
	*ret = out;
	return 0;
}
