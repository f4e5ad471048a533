/* Handling secret bytes: constant-time comparison and wiping that the compiler cannot elide. */
#pragma once

#include <openssl/crypto.h>
#include <stdbool.h>
#include <stddef.h>

/* Compares without an early exit, so the time taken says nothing about where bytes differ. */
static inline bool cc_equal_ct(const void *a, const void *b, size_t len)
{
	return CRYPTO_memcmp(a, b, len) == 0;
}

static inline void cc_wipe(void *p, size_t len)
{
	OPENSSL_cleanse(p, len);
}
