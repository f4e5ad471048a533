/* UTF-8 validation (RFC 3629): the gate in front of parsers and outputs that require valid text. */
#pragma once

#include <stdbool.h>
#include <stddef.h>

/* Returns true when data is valid UTF-8 (no overlongs, no surrogates, nothing above U+10FFFF).
 * Otherwise, when ret_offset is given, stores the offset of the first invalid byte. */
bool cc_utf8_valid(const char *data, size_t len, size_t *ret_offset);
