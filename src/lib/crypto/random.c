/* Random bytes from OpenSSL's DRBG; UUIDs straight from the kernel. */
#include "lib/crypto/random.h"

#include "lib/base/error.h"

#include <errno.h>
#include <limits.h>
#include <openssl/rand.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/random.h>

int cc_random_bytes(void *out, size_t len, struct cc_error *err)
{
	unsigned char *p = out;
	while (len > 0) {
		int chunk = len > INT_MAX ? INT_MAX : (int)len;
		if (RAND_bytes(p, chunk) != 1)
			return cc_error_set(err, EIO, "the random generator failed");
		p += chunk;
		len -= (size_t)chunk;
	}
	return 0;
}

int cc_random_uuid(char out[37], struct cc_error *err)
{
	/* An identifier, not key material: the kernel's generator spares a short-lived process the
	 * DRBG's instantiation (its cipher fetch is most of an audit event's cost in the runtime). */
	uint8_t b[16];
	ssize_t got;
	do
		got = getrandom(b, sizeof(b), 0);
	while (got < 0 && errno == EINTR);
	if (got != (ssize_t)sizeof(b))
		return cc_error_set(err, EIO, "the kernel's random generator failed");
	b[6] = (uint8_t)((b[6] & 0x0f) | 0x40); /* RFC 9562 §5.4: version 4 */
	b[8] = (uint8_t)((b[8] & 0x3f) | 0x80); /* variant 10 */
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
	return 0;
}
