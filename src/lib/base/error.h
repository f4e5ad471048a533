/* The one error convention of cocoon: functions return 0 (or a count) on success and a negative
 * errno on failure, and write one human-readable sentence into a struct cc_error the caller passes
 * down. Callers may add context on the way up (cc_error_prefix), so the top level prints a precise
 * message such as "load config `/etc/x.yaml`: line 3: mapping values are not allowed here". */
#pragma once

#include <stdarg.h>
#include <stddef.h>

#define CC_ERROR_MESSAGE_MAX 1024

struct cc_error {
	int code; /* positive errno value; 0 when no error was recorded */
	char message[CC_ERROR_MESSAGE_MAX];
};

/* Records code and message and returns -code, so a call site reads
 * `return cc_error_set(err, EINVAL, "field `%s` is missing", name);`.
 * A NULL err is allowed: the return value is still -code. */
int cc_error_set(struct cc_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int cc_error_setv(struct cc_error *err, int code, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));

/* Like cc_error_set, and appends ": strerror(code)". */
int cc_error_set_errno(struct cc_error *err, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Puts "context: " in front of the recorded message and returns -err->code. */
int cc_error_prefix(struct cc_error *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

void cc_error_clear(struct cc_error *err);

/* The message, or a generic text built from the code when none was recorded. */
const char *cc_error_message(const struct cc_error *err);
