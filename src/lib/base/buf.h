/* A growable byte buffer, always NUL-terminated so text can be used as a C string.
 * Growth is checked for overflow and bounded by an optional limit, so input-driven appends
 * cannot exhaust memory: an append past the limit fails with -EMSGSIZE and leaves the buffer as it was. */
#pragma once

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct cc_buf {
	char *data;
	size_t len;
	size_t cap;
	size_t limit; /* 0: no limit beyond SIZE_MAX */
};

#define CC_BUF_INIT                                                                                                    \
	{                                                                                                              \
		0                                                                                                      \
	}

void cc_buf_init_limited(struct cc_buf *buf, size_t limit);
int cc_buf_reserve(struct cc_buf *buf, size_t extra);
int cc_buf_append_grow(struct cc_buf *buf, const void *data, size_t len);

/* Appends len bytes; -EMSGSIZE past the limit. Inline when the bytes fit, since serialisers call
 * it for every fragment. */
static inline int cc_buf_append(struct cc_buf *buf, const void *data, size_t len)
{
	if (len < buf->cap - buf->len && (!buf->limit || buf->len + len <= buf->limit)) {
		if (len)
			memcpy(buf->data + buf->len, data, len);
		buf->len += len;
		buf->data[buf->len] = '\0';
		return 0;
	}
	return cc_buf_append_grow(buf, data, len);
}
int cc_buf_append_str(struct cc_buf *buf, const char *s);
int cc_buf_appendf(struct cc_buf *buf, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int cc_buf_appendv(struct cc_buf *buf, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
/* Removes the first n bytes (consumed input). */
void cc_buf_consume(struct cc_buf *buf, size_t n);
void cc_buf_reset(struct cc_buf *buf);
/* Frees the memory after wiping it, for buffers that held secrets. */
void cc_buf_free_secure(struct cc_buf *buf);
void cc_buf_free(struct cc_buf *buf);
/* Hands the data to the caller (NUL-terminated); the buffer is empty afterwards. */
char *cc_buf_steal(struct cc_buf *buf, size_t *ret_len);

static inline void cc_buf_freep(struct cc_buf *buf)
{
	cc_buf_free(buf);
}
#define _cleanup_buf_ __attribute__((cleanup(cc_buf_freep)))

static inline void cc_buf_free_securep(struct cc_buf *buf)
{
	cc_buf_free_secure(buf);
}
#define _cleanup_buf_secure_ __attribute__((cleanup(cc_buf_free_securep)))
