/* The descriptors of the Kubernetes protobuf messages cocoond decodes: C tables generated at build time
 * by scripts/gen-k8s-protobuf.py from src/platform/protobuf/k8s-messages.txt (which says where the field
 * numbers come from). Only platform/protobuf.c reads them. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum platform_pb_type {
	PLATFORM_PB_STRING,
	PLATFORM_PB_BYTES, /* base64 in JSON */
	PLATFORM_PB_INT32,
	PLATFORM_PB_INT64,
	PLATFORM_PB_BOOL,
	PLATFORM_PB_DOUBLE,
	PLATFORM_PB_MESSAGE, /* platform_pb_messages[field.message] */
	/* Types with a JSON form of their own (their Go types implement json.Marshaler). */
	PLATFORM_PB_TIME,          /* meta/v1 Time {seconds=1, nanos=2}: RFC 3339 in whole seconds */
	PLATFORM_PB_MICROTIME,     /* meta/v1 MicroTime: RFC 3339 with six fractional digits */
	PLATFORM_PB_DURATION,      /* meta/v1 Duration {duration=1}: Go's time.Duration string */
	PLATFORM_PB_INT_OR_STRING, /* util/intstr {type=1, intVal=2, strVal=3}: a number or a string */
	PLATFORM_PB_QUANTITY,      /* api/resource Quantity {string=1}: the string */
	PLATFORM_PB_RAW_EXTENSION, /* runtime.RawExtension {raw=1}: JSON, or a nested protobuf object */
	PLATFORM_PB_FIELDS_V1,     /* meta/v1 FieldsV1 {raw=1}: JSON */
	PLATFORM_PB_STRING_LIST,   /* a named []string ({items=1}), e.g. ExtraValue: a JSON array */
};

enum platform_pb_label {
	PLATFORM_PB_SINGLE,
	PLATFORM_PB_REPEATED,
	PLATFORM_PB_MAP, /* map<string, type>: entries {key=1, value=2} */
};

/* The Go field is a pointer: its zero value was sent on purpose and is kept. */
#define PLATFORM_PB_POINTER 0x1u
/* The Go field is embedded `json:",inline"`: its members go into the enclosing JSON object. */
#define PLATFORM_PB_INLINE 0x2u

struct platform_pb_field {
	uint32_t number;
	const char *json_name;
	uint8_t type;  /* enum platform_pb_type */
	uint8_t label; /* enum platform_pb_label */
	uint8_t flags; /* PLATFORM_PB_POINTER, PLATFORM_PB_INLINE */
	uint16_t message;
};

struct platform_pb_message {
	const char *name;
	const struct platform_pb_field *fields; /* sorted by number */
	size_t n_fields;
};

struct platform_pb_kind {
	const char *api_version; /* "*": any group-version */
	const char *kind;
	uint16_t message;
};

extern const struct platform_pb_message platform_pb_messages[];
extern const size_t platform_pb_message_count;
extern const struct platform_pb_kind platform_pb_kinds[];
extern const size_t platform_pb_kind_count;
