/* libFuzzer target: image references (src/image/reference.c). A reference that parses must print
 * back to one that parses to the same parts (the normal form is a fixed point), and must name a
 * repository; refusals must say why. */
#include "image/reference.h"
#include "lib/base/error.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	struct image_reference ref, again;
	struct cc_error err = { 0 };
	if (image_reference_parse(text, &ref, &err) < 0) {
		if (!err.code || !err.message[0])
			abort();
		free(text);
		return 0;
	}
	if (!ref.repository || (!ref.tag && !ref.digest))
		abort();
	char *normal = image_reference_string(&ref);
	if (image_reference_parse(normal, &again, &err) < 0)
		abort();
	if (!same(ref.domain, again.domain) || !same(ref.repository, again.repository) || !same(ref.tag, again.tag) ||
	    !same(ref.digest, again.digest))
		abort();
	char *normal_again = image_reference_string(&again);
	if (strcmp(normal, normal_again) != 0)
		abort();
	free(normal_again);
	free(normal);
	image_reference_clear(&again);
	image_reference_clear(&ref);
	free(text);
	return 0;
}
