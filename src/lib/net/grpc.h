/* Unary gRPC over HTTP/2 (the PROTOCOL-HTTP2 spec of grpc/grpc): message framing, status codes,
 * grpc-message encoding, grpc-timeout, and the method table a server registers. Message bodies are
 * protobuf, packed and unpacked by the handler with protobuf-c; this layer never looks inside. */
#pragma once

#include "lib/base/buf.h"
#include "lib/net/peer.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* gRPC's default maximum message size, both directions. */
#define CC_GRPC_DEFAULT_MAX_MESSAGE (4u * 1024 * 1024)
#define CC_GRPC_FRAME_HEADER        5

enum cc_grpc_code {
	CC_GRPC_OK = 0,
	CC_GRPC_CANCELLED = 1,
	CC_GRPC_UNKNOWN = 2,
	CC_GRPC_INVALID_ARGUMENT = 3,
	CC_GRPC_DEADLINE_EXCEEDED = 4,
	CC_GRPC_NOT_FOUND = 5,
	CC_GRPC_ALREADY_EXISTS = 6,
	CC_GRPC_PERMISSION_DENIED = 7,
	CC_GRPC_RESOURCE_EXHAUSTED = 8,
	CC_GRPC_FAILED_PRECONDITION = 9,
	CC_GRPC_ABORTED = 10,
	CC_GRPC_OUT_OF_RANGE = 11,
	CC_GRPC_UNIMPLEMENTED = 12,
	CC_GRPC_INTERNAL = 13,
	CC_GRPC_UNAVAILABLE = 14,
	CC_GRPC_DATA_LOSS = 15,
	CC_GRPC_UNAUTHENTICATED = 16,
	CC_GRPC_CODE_MAX, /* invalid */
};

const char *cc_grpc_code_name(enum cc_grpc_code code);

/* What a handler gets besides the request bytes, and where it puts the outcome. */
struct cc_grpc_call {
	const char *method;    /* "/package.Service/Method" */
	const char *authority; /* as sent; for unix sockets often the socket path */
	const struct cc_peer *peer;
	int64_t deadline_ms; /* monotonic ms, or 0 for none */
	enum cc_grpc_code status;
	char message[512];
};

/* Handlers return CC_GRPC_OK after writing the response message bytes into resp, or a failure
 * code set with cc_grpc_fail (which also fills call->message). */
typedef enum cc_grpc_code (*cc_grpc_unary_fn)(struct cc_grpc_call *call, const uint8_t *request, size_t len,
					      struct cc_buf *resp, void *userdata);

struct cc_grpc_method {
	const char *path;
	cc_grpc_unary_fn handler;
	void *userdata;
};

enum cc_grpc_code cc_grpc_fail(struct cc_grpc_call *call, enum cc_grpc_code code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Packs a protobuf-c response message into resp (the handler's reply); CC_GRPC_INTERNAL when it
 * cannot be held. */
struct ProtobufCMessage;
enum cc_grpc_code cc_grpc_reply(struct cc_grpc_call *call, const struct ProtobufCMessage *message, struct cc_buf *resp);

/* Decodes the single length-prefixed message of a unary request body.
 On failure returns the
 * status to answer and writes why into call. */
enum cc_grpc_code cc_grpc_decode_unary(const uint8_t *body, size_t len, size_t max_message, bool compression_allowed,
				       const uint8_t **ret_message, size_t *ret_len, struct cc_grpc_call *call);

/* Appends the 5-byte prefix and the message. */
int cc_grpc_frame_message(struct cc_buf *out, const uint8_t *message, size_t len);

/* grpc-message is percent-encoded (PROTOCOL-HTTP2 "Status-Message"): bytes outside 0x20-0x7E and
 * '%' itself become %XX. out must hold 3*strlen(in)+1 bytes. */
void cc_grpc_percent_encode(const char *in, char *out, size_t size);

/* grpc-timeout: 1-8 digits and a unit (H, M, S, m, u, n). Returns milliseconds, or -EINVAL. */
int64_t cc_grpc_parse_timeout(const char *value);

const struct cc_grpc_method *cc_grpc_find_method(const struct cc_grpc_method *methods, size_t count, const char *path);
