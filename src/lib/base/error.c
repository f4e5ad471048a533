/* struct cc_error: one recorded failure with its errno and a sentence that names the thing. */
#include "lib/base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int cc_error_setv(struct cc_error *err, int code, const char *fmt, va_list ap)
{
	if (code <= 0)
		code = EIO;
	if (err) {
		err->code = code;
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
	}
	return -code;
}

int cc_error_set(struct cc_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cc_error_setv(err, code, fmt, ap);
	va_end(ap);
	return r;
}

int cc_error_set_errno(struct cc_error *err, int code, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int r = cc_error_setv(err, code, fmt, ap);
	va_end(ap);
	if (err) {
		size_t used = strlen(err->message);
		snprintf(err->message + used, sizeof(err->message) - used, ": %s", strerror(err->code));
	}
	return r;
}

int cc_error_prefix(struct cc_error *err, const char *fmt, ...)
{
	if (!err)
		return -EIO;
	if (err->code == 0)
		err->code = EIO;
	char prefix[CC_ERROR_MESSAGE_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	/* Shift the message right and put "prefix: " in front, truncating the tail if needed. */
	size_t prefix_len = strlen(prefix) + 2;
	if (prefix_len >= sizeof(err->message)) {
		memcpy(err->message, prefix, sizeof(err->message) - 1);
		err->message[sizeof(err->message) - 1] = '\0';
		return -err->code;
	}
	size_t keep = strlen(err->message);
	if (keep > sizeof(err->message) - 1 - prefix_len)
		keep = sizeof(err->message) - 1 - prefix_len;
	memmove(err->message + prefix_len, err->message, keep);
	err->message[prefix_len + keep] = '\0';
	memcpy(err->message, prefix, prefix_len - 2);
	memcpy(err->message + prefix_len - 2, ": ", 2);
	return -err->code;
}

void cc_error_clear(struct cc_error *err)
{
	if (err) {
		err->code = 0;
		err->message[0] = '\0';
	}
}

const char *cc_error_message(const struct cc_error *err)
{
	if (!err || err->code == 0)
		return "no error";
	if (err->message[0] == '\0')
		return strerror(err->code);
	return err->message;
}
