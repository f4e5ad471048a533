/* libFuzzer target: base64 / base64url decoding (JOSE, Kubernetes Secret data) and round trips. */
#include "lib/crypto/encode.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *out;
	size_t len;
	if (cc_base64_decode((const char *)data, size, &out, &len) == 0) {
		char *again = cc_base64_encode(out, len);
		uint8_t *back;
		size_t back_len;
		if (cc_base64_decode(again, strlen(again), &back, &back_len) != 0 || back_len != len ||
		    memcmp(back, out, len) != 0)
			abort();
		free(back);
		free(again);
		free(out);
	}
	if (cc_base64url_decode((const char *)data, size, &out, &len) == 0)
		free(out);
	return 0;
}
