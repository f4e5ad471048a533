/* libFuzzer target: version comparison (src/scan/version*.c), whose inputs come from package
 * databases and advisory feeds. The input is one scheme byte (modulo 3: '0' dpkg, '1' rpm, '2' apk),
 * then version A, a newline, version B. Each version is copied to an allocation of exactly its size,
 * so a read past its end is a read past the allocation. Beyond not crashing, the answers must be
 * those of an order: a version that is accepted equals itself; a pair is refused in both directions
 * or in neither; and b against a is the opposite of a against b. A refusal says why. */
#include "lib/base/error.h"
#include "scan/version.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static char *copy(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

static int compare(enum scan_version_scheme scheme, const char *a, const char *b, int *ret)
{
	struct cc_error err = { 0 };
	*ret = 42;
	int r = scan_version_compare(scheme, a, b, ret, &err);
	if (r == 0 && *ret != -1 && *ret != 0 && *ret != 1)
		abort();
	if (r < 0 && (r != -EINVAL || err.code != EINVAL || !err.message[0] || *ret != 42))
		abort();
	return r;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	enum scan_version_scheme scheme = (enum scan_version_scheme)(data[0] % 3);
	data++, size--;
	const uint8_t *newline = memchr(data, '\n', size);
	size_t a_size = newline ? (size_t)(newline - data) : size;
	char *a = copy(data, a_size);
	char *b = newline ? copy(newline + 1, size - a_size - 1) : copy(data, 0);

	int ab, ba, aa, bb;
	int r_ab = compare(scheme, a, b, &ab);
	int r_ba = compare(scheme, b, a, &ba);
	int r_aa = compare(scheme, a, a, &aa);
	int r_bb = compare(scheme, b, b, &bb);
	if (r_ab != r_ba)
		abort();
	if (r_aa == 0 && aa != 0)
		abort();
	if (r_bb == 0 && bb != 0)
		abort();
	/* A pair is accepted exactly when both versions are. */
	if ((r_ab == 0) != (r_aa == 0 && r_bb == 0))
		abort();
	if (r_ab == 0 && ab != -ba)
		abort();
	free(a);
	free(b);
	return 0;
}
