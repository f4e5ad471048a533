/* struct cc_buf: growable, NUL-terminated, optionally size-limited byte buffer. */
#include "lib/base/buf.h"

#include "lib/base/cleanup.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

void cc_buf_init_limited(struct cc_buf *buf, size_t limit)
{
	*buf = (struct cc_buf){ .limit = limit };
}

int cc_buf_reserve(struct cc_buf *buf, size_t extra)
{
	size_t need;
	if (__builtin_add_overflow(buf->len, extra, &need) || __builtin_add_overflow(need, 1, &need))
		return -EOVERFLOW;
	if (buf->limit && need - 1 > buf->limit)
		return -EMSGSIZE;
	if (need <= buf->cap)
		return 0;
	size_t cap = buf->cap ? buf->cap : 64;
	while (cap < need) {
		if (cap > SIZE_MAX / 2) {
			cap = need;
			break;
		}
		cap *= 2;
	}
	buf->data = cc_xrealloc(buf->data, cap);
	buf->cap = cap;
	return 0;
}

int cc_buf_append_grow(struct cc_buf *buf, const void *data, size_t len)
{
	int r = cc_buf_reserve(buf, len);
	if (r < 0)
		return r;
	if (len)
		memcpy(buf->data + buf->len, data, len);
	buf->len += len;
	buf->data[buf->len] = '\0';
	return 0;
}

int cc_buf_append_str(struct cc_buf *buf, const char *s)
{
	return cc_buf_append(buf, s, strlen(s));
}

int cc_buf_appendv(struct cc_buf *buf, const char *fmt, va_list ap)
{
	va_list copy;
	va_copy(copy, ap);
	int n = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (n < 0)
		return -EINVAL;
	int r = cc_buf_reserve(buf, (size_t)n);
	if (r < 0)
		return r;
	vsnprintf(buf->data + buf->len, (size_t)n + 1, fmt, ap);
	buf->len += (size_t)n;
	return 0;
}

int cc_buf_appendf(struct cc_buf *buf, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cc_buf_appendv(buf, fmt, ap);
	va_end(ap);
	return r;
}

void cc_buf_consume(struct cc_buf *buf, size_t n)
{
	if (n >= buf->len) {
		buf->len = 0;
	} else {
		memmove(buf->data, buf->data + n, buf->len - n);
		buf->len -= n;
	}
	if (buf->data)
		buf->data[buf->len] = '\0';
}

void cc_buf_reset(struct cc_buf *buf)
{
	buf->len = 0;
	if (buf->data)
		buf->data[0] = '\0';
}

void cc_buf_free(struct cc_buf *buf)
{
	free(buf->data);
	buf->data = NULL;
	buf->len = buf->cap = 0;
}

void cc_buf_free_secure(struct cc_buf *buf)
{
	if (buf->data)
		OPENSSL_cleanse(buf->data, buf->cap);
	cc_buf_free(buf);
}

char *cc_buf_steal(struct cc_buf *buf, size_t *ret_len)
{
	if (!buf->data) {
		buf->data = cc_xmalloc(1);
		buf->data[0] = '\0';
	}
	char *data = buf->data;
	if (ret_len)
		*ret_len = buf->len;
	buf->data = NULL;
	buf->len = buf->cap = 0;
	return data;
}
