/* Small string predicates the components would otherwise each write again. */
#pragma once

#include <stdbool.h>
#include <string.h>

static inline bool cc_str_has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);
	return n >= k && memcmp(s + n - k, suffix, k) == 0;
}
