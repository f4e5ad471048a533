/* libFuzzer target: gRPC length-prefixed message decoding and grpc-timeout parsing. */
#include "lib/net/grpc.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_grpc_call call = { 0 };
	const uint8_t *message;
	size_t len;
	if (cc_grpc_decode_unary(data, size, 1u << 16, false, &message, &len, &call) == CC_GRPC_OK &&
	    (message < data || message + len > data + size))
		abort();
	char text[32];
	size_t n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;
	memcpy(text, data, n);
	text[n] = '\0';
	cc_grpc_parse_timeout(text);
	char encoded[3 * 32 + 1];
	cc_grpc_percent_encode(text, encoded, sizeof(encoded));
	return 0;
}
