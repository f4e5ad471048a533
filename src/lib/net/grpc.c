/* gRPC framing and status helpers (PROTOCOL-HTTP2: Length-Prefixed-Message, Status, Timeout). */
#include "lib/net/grpc.h"

#include <errno.h>
#include <protobuf-c/protobuf-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const code_names[CC_GRPC_CODE_MAX] = {
	"OK",        "CANCELLED",       "UNKNOWN",           "INVALID_ARGUMENT",   "DEADLINE_EXCEEDED",
	"NOT_FOUND", "ALREADY_EXISTS",  "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
	"ABORTED",   "OUT_OF_RANGE",    "UNIMPLEMENTED",     "INTERNAL",           "UNAVAILABLE",
	"DATA_LOSS", "UNAUTHENTICATED",
};

const char *cc_grpc_code_name(enum cc_grpc_code code)
{
	return code < CC_GRPC_CODE_MAX ? code_names[code] : "INVALID";
}

enum cc_grpc_code cc_grpc_fail(struct cc_grpc_call *call, enum cc_grpc_code code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(call->message, sizeof(call->message), fmt, ap);
	va_end(ap);
	call->status = code;
	return code;
}

enum cc_grpc_code cc_grpc_decode_unary(const uint8_t *body, size_t len, size_t max_message, bool compression_allowed,
				       const uint8_t **ret_message, size_t *ret_len, struct cc_grpc_call *call)
{
	if (len < CC_GRPC_FRAME_HEADER)
		return cc_grpc_fail(call, CC_GRPC_INTERNAL,
				    "request ended inside the 5-byte message prefix (%zu bytes)", len);
	uint8_t flags = body[0];
	uint32_t size = (uint32_t)body[1] << 24 | (uint32_t)body[2] << 16 | (uint32_t)body[3] << 8 | body[4];
	if (flags > 1)
		return cc_grpc_fail(call, CC_GRPC_INTERNAL, "invalid message flags 0x%02x", flags);
	if (flags == 1 && !compression_allowed)
		return cc_grpc_fail(call, CC_GRPC_UNIMPLEMENTED,
				    "compressed messages are not supported (use identity)");
	if (size > max_message)
		return cc_grpc_fail(call, CC_GRPC_RESOURCE_EXHAUSTED, "received message larger than max (%u vs. %zu)",
				    size, max_message);
	if (len - CC_GRPC_FRAME_HEADER < size)
		return cc_grpc_fail(call, CC_GRPC_INTERNAL, "request ended inside the message (%zu of %u bytes)",
				    len - CC_GRPC_FRAME_HEADER, size);
	if (len - CC_GRPC_FRAME_HEADER > size)
		return cc_grpc_fail(call, CC_GRPC_UNIMPLEMENTED, "more than one request message for a unary method");
	*ret_message = body + CC_GRPC_FRAME_HEADER;
	*ret_len = size;
	return CC_GRPC_OK;
}

int cc_grpc_frame_message(struct cc_buf *out, const uint8_t *message, size_t len)
{
	if (len > UINT32_MAX)
		return -EMSGSIZE;
	uint8_t prefix[CC_GRPC_FRAME_HEADER] = { 0, (uint8_t)(len >> 24), (uint8_t)(len >> 16), (uint8_t)(len >> 8),
						 (uint8_t)len };
	int r = cc_buf_append(out, prefix, sizeof(prefix));
	return r < 0 ? r : cc_buf_append(out, message, len);
}

void cc_grpc_percent_encode(const char *in, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)in; *p && n + 4 <= size; p++) {
		if (*p >= 0x20 && *p <= 0x7E && *p != '%') {
			out[n++] = (char)*p;
		} else {
			out[n++] = '%';
			out[n++] = hex[*p >> 4];
			out[n++] = hex[*p & 15];
		}
	}
	out[n < size ? n : size - 1] = '\0';
}

int64_t cc_grpc_parse_timeout(const char *value)
{
	size_t digits = strspn(value, "0123456789");
	if (digits == 0 || digits > 8 || value[digits] == '\0' || value[digits + 1] != '\0')
		return -EINVAL;
	int64_t n = 0;
	for (size_t i = 0; i < digits; i++)
		n = n * 10 + (value[i] - '0');
	switch (value[digits]) {
	case 'H': return n * 3600 * 1000;
	case 'M': return n * 60 * 1000;
	case 'S': return n * 1000;
	case 'm': return n;
	case 'u': return (n + 999) / 1000;
	case 'n': return (n + 999999) / 1000000;
	default: return -EINVAL;
	}
}

const struct cc_grpc_method *cc_grpc_find_method(const struct cc_grpc_method *methods, size_t count, const char *path)
{
	for (size_t i = 0; i < count; i++)
		if (strcmp(methods[i].path, path) == 0)
			return &methods[i];
	return NULL;
}

enum cc_grpc_code cc_grpc_reply(struct cc_grpc_call *call, const ProtobufCMessage *message, struct cc_buf *resp)
{
	size_t size = protobuf_c_message_get_packed_size(message);
	if (cc_buf_reserve(resp, size) < 0)
		return cc_grpc_fail(call, CC_GRPC_INTERNAL, "out of memory");
	resp->len = protobuf_c_message_pack(message, (uint8_t *)resp->data);
	return CC_GRPC_OK;
}
