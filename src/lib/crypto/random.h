/* Cryptographically secure random bytes (OpenSSL's DRBG, seeded from the kernel). */
#pragma once

#include <stddef.h>

struct cc_error;

int cc_random_bytes(void *out, size_t len, struct cc_error *err);
/* A random UUID (version 4) as 36 characters plus NUL. */
int cc_random_uuid(char out[37], struct cc_error *err);
