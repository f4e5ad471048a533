/* Logging for every cocoon binary: levels, plain text or JSON lines, to stderr or a file.
 * Messages are for operators; security decisions go through lib/event instead. Never pass a
 * secret to these functions: log lines leave the trust boundary (journald, files, terminals). */
#pragma once

#include <stdarg.h>
#include <stdbool.h>

enum cc_log_level {
	CC_LOG_DEBUG,
	CC_LOG_INFO,
	CC_LOG_WARNING,
	CC_LOG_ERROR,
	CC_LOG_LEVEL_MAX, /* invalid */
};

enum cc_log_format {
	CC_LOG_TEXT,
	CC_LOG_JSON,
	CC_LOG_FORMAT_MAX, /* invalid */
};

/* Parse "debug|info|warning|error" and "text|json"; return the _MAX value on unknown input. */
enum cc_log_level cc_log_level_from_string(const char *s);
enum cc_log_format cc_log_format_from_string(const char *s);
const char *cc_log_level_to_string(enum cc_log_level level);

/* Sets up logging for this process. path NULL or "-" means stderr. ident names the program in
 * every line. Returns a negative errno when the file cannot be opened. */
int cc_log_setup(const char *ident, enum cc_log_level level, enum cc_log_format format, const char *path);
void cc_log_close(void);
bool cc_log_enabled(enum cc_log_level level);

void cc_log(enum cc_log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cc_logv(enum cc_log_level level, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));

#define cc_debug(...)   cc_log(CC_LOG_DEBUG, __VA_ARGS__)
#define cc_info(...)    cc_log(CC_LOG_INFO, __VA_ARGS__)
#define cc_warning(...) cc_log(CC_LOG_WARNING, __VA_ARGS__)
#define cc_err(...)     cc_log(CC_LOG_ERROR, __VA_ARGS__)
