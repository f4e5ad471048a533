/* Hex and base64 (RFC 4648 §4 standard and §5 URL-safe without padding, as JOSE uses). */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* out must hold 2*len+1 bytes. */
void cc_hex_encode(const uint8_t *data, size_t len, char *out);
/* Decodes exactly 2*out_len hex digits (either case); -EINVAL on anything else. */
int cc_hex_decode(const char *hex, uint8_t *out, size_t out_len);

/* Return malloc'd NUL-terminated text. */
char *cc_base64_encode(const uint8_t *data, size_t len);
char *cc_base64url_encode(const uint8_t *data, size_t len);
/* Accept padded or unpadded input of the respective alphabet; -EINVAL on invalid characters.
 * *ret is malloc'd (NUL-terminated for convenience). */
int cc_base64_decode(const char *text, size_t text_len, uint8_t **ret, size_t *ret_len);
int cc_base64url_decode(const char *text, size_t text_len, uint8_t **ret, size_t *ret_len);
