/* libFuzzer target: WWW-Authenticate challenges (registry_parse_challenge, src/image/registry.c),
 * the header a registry answers 401 with; its realm is where the client then sends its credentials.
 * A parsed challenge has a scheme of token characters; a refusal says why. */
#include "image/registry.h"
#include "lib/base/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct registry_challenge c;
	struct cc_error err = { 0 };
	if (registry_parse_challenge(text, &c, &err) == 0) {
		if (!c.scheme || !c.scheme[0] || strpbrk(c.scheme, " \t,=\""))
			abort();
		registry_challenge_clear(&c);
	} else if (!err.code || !err.message[0]) {
		abort();
	}
	free(text);
	return 0;
}
