/* UTF-8 validation following the well-formed byte sequence table of Unicode §3.9 (Table 3-7). */
#include "lib/base/utf8.h"

#include <stdint.h>

bool cc_utf8_valid(const char *data, size_t len, size_t *ret_offset)
{
	const uint8_t *s = (const uint8_t *)data;
	size_t i = 0;
	while (i < len) {
		uint8_t c = s[i];
		size_t need;
		uint8_t lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			need = 1;
		} else if (c >= 0xE0 && c <= 0xEF) {
			need = 2;
			if (c == 0xE0)
				lo = 0xA0; /* no overlongs */
			else if (c == 0xED)
				hi = 0x9F; /* no surrogates */
		} else if (c >= 0xF0 && c <= 0xF4) {
			need = 3;
			if (c == 0xF0)
				lo = 0x90;
			else if (c == 0xF4)
				hi = 0x8F; /* nothing above U+10FFFF */
		} else {
			goto invalid;
		}
		if (len - i <= need)
			goto invalid;
		if (s[i + 1] < lo || s[i + 1] > hi)
			goto invalid;
		for (size_t k = 2; k <= need; k++)
			if ((s[i + k] & 0xC0) != 0x80)
				goto invalid;
		i += need + 1;
	}
	return true;
invalid:
	if (ret_offset)
		*ret_offset = i;
	return false;
}
