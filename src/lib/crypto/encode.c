/* Hex and base64 codecs. Written out rather than via OpenSSL's BIO base64, which silently stops at
 * the first invalid character; here every byte of untrusted input is checked. */
#include "lib/crypto/encode.h"

#include "lib/base/cleanup.h"

#include <errno.h>
#include <string.h>

static const char hex_digits[] = "0123456789abcdef";

void cc_hex_encode(const uint8_t *data, size_t len, char *out)
{
	for (size_t i = 0; i < len; i++) {
		out[2 * i] = hex_digits[data[i] >> 4];
		out[2 * i + 1] = hex_digits[data[i] & 15];
	}
	out[2 * len] = '\0';
}

static int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int cc_hex_decode(const char *hex, uint8_t *out, size_t out_len)
{
	if (strlen(hex) != 2 * out_len)
		return -EINVAL;
	for (size_t i = 0; i < out_len; i++) {
		int hi = hex_value(hex[2 * i]), lo = hex_value(hex[2 * i + 1]);
		if (hi < 0 || lo < 0)
			return -EINVAL;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static char *encode(const uint8_t *data, size_t len, const char *alphabet, int pad)
{
	char *out = cc_xmalloc((len + 2) / 3 * 4 + 1);
	char *p = out;
	size_t i = 0;
	for (; i + 2 < len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 | (uint32_t)data[i + 1] << 8 | data[i + 2];
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
		*p++ = alphabet[v >> 6 & 63];
		*p++ = alphabet[v & 63];
	}
	if (i < len) {
		uint32_t v = (uint32_t)data[i] << 16 | (i + 1 < len ? (uint32_t)data[i + 1] << 8 : 0);
		*p++ = alphabet[v >> 18 & 63];
		*p++ = alphabet[v >> 12 & 63];
		if (i + 1 < len)
			*p++ = alphabet[v >> 6 & 63];
		else if (pad)
			*p++ = '=';
		if (pad)
			*p++ = '=';
	}
	*p = '\0';
	return out;
}

static const char std_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char url_alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

char *cc_base64_encode(const uint8_t *data, size_t len)
{
	return encode(data, len, std_alphabet, 1);
}

char *cc_base64url_encode(const uint8_t *data, size_t len)
{
	return encode(data, len, url_alphabet, 0);
}

static int decode(const char *text, size_t len, const char *alphabet, uint8_t **ret, size_t *ret_len)
{
	while (len > 0 && text[len - 1] == '=')
		len--;
	if (len % 4 == 1)
		return -EINVAL;
	uint8_t *out = cc_xmalloc(len / 4 * 3 + 3);
	size_t n = 0;
	uint32_t acc = 0;
	int bits = 0;
	for (size_t i = 0; i < len; i++) {
		const char *pos = text[i] ? strchr(alphabet, text[i]) : NULL;
		if (!pos) {
			free(out);
			return -EINVAL;
		}
		acc = acc << 6 | (uint32_t)(pos - alphabet);
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[n++] = (uint8_t)(acc >> bits);
		}
	}
	/* RFC 4648 §3.5: leftover bits must be zero for a canonical encoding. */
	if (bits > 0 && (acc & ((1u << bits) - 1))) {
		free(out);
		return -EINVAL;
	}
	out[n] = '\0';
	*ret = out;
	*ret_len = n;
	return 0;
}

int cc_base64_decode(const char *text, size_t text_len, uint8_t **ret, size_t *ret_len)
{
	return decode(text, text_len, std_alphabet, ret, ret_len);
}

int cc_base64url_decode(const char *text, size_t text_len, uint8_t **ret, size_t *ret_len)
{
	return decode(text, text_len, url_alphabet, ret, ret_len);
}
