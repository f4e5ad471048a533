/* Process-wide logger. One mutex-protected FILE; a line is formatted completely before it is
 * written so concurrent threads never interleave within a line. JSON output escapes with jansson
 * so a message with quotes or control characters still yields one valid JSON object per line. */
#include "lib/base/log.h"

#include "lib/base/timeutil.h"

#include <errno.h>
#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *const level_names[CC_LOG_LEVEL_MAX] = {
	[CC_LOG_DEBUG] = "debug",
	[CC_LOG_INFO] = "info",
	[CC_LOG_WARNING] = "warning",
	[CC_LOG_ERROR] = "error",
};

static struct {
	pthread_mutex_t lock;
	FILE *out; /* NULL: stderr */
	enum cc_log_level level;
	enum cc_log_format format;
	char ident[64];
} logger = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.level = CC_LOG_INFO,
	.format = CC_LOG_TEXT,
	.ident = "cocoon",
};

enum cc_log_level cc_log_level_from_string(const char *s)
{
	for (int i = 0; i < CC_LOG_LEVEL_MAX; i++)
		if (s && strcasecmp(s, level_names[i]) == 0)
			return (enum cc_log_level)i;
	if (s && strcasecmp(s, "warn") == 0)
		return CC_LOG_WARNING;
	return CC_LOG_LEVEL_MAX;
}

enum cc_log_format cc_log_format_from_string(const char *s)
{
	if (s && strcasecmp(s, "text") == 0)
		return CC_LOG_TEXT;
	if (s && strcasecmp(s, "json") == 0)
		return CC_LOG_JSON;
	return CC_LOG_FORMAT_MAX;
}

const char *cc_log_level_to_string(enum cc_log_level level)
{
	return level < CC_LOG_LEVEL_MAX ? level_names[level] : "invalid";
}

int cc_log_setup(const char *ident, enum cc_log_level level, enum cc_log_format format, const char *path)
{
	FILE *out = NULL;
	if (path && strcmp(path, "-") != 0) {
		out = fopen(path, "ae");
		if (!out)
			return -errno;
		setvbuf(out, NULL, _IOLBF, 0);
	}
	pthread_mutex_lock(&logger.lock);
	if (logger.out)
		fclose(logger.out);
	logger.out = out;
	logger.level = level < CC_LOG_LEVEL_MAX ? level : CC_LOG_INFO;
	logger.format = format < CC_LOG_FORMAT_MAX ? format : CC_LOG_TEXT;
	if (ident)
		snprintf(logger.ident, sizeof(logger.ident), "%s", ident);
	pthread_mutex_unlock(&logger.lock);
	return 0;
}

void cc_log_close(void)
{
	pthread_mutex_lock(&logger.lock);
	if (logger.out)
		fclose(logger.out);
	logger.out = NULL;
	pthread_mutex_unlock(&logger.lock);
}

bool cc_log_enabled(enum cc_log_level level)
{
	return level >= logger.level;
}

void cc_logv(enum cc_log_level level, const char *fmt, va_list ap)
{
	if (level >= CC_LOG_LEVEL_MAX || !cc_log_enabled(level))
		return;
	int saved_errno = errno;
	char message[4096];
	vsnprintf(message, sizeof(message), fmt, ap);
	char now[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));

	char *line = NULL;
	if (logger.format == CC_LOG_JSON) {
		json_t *obj = json_pack("{s:s, s:s, s:s, s:s}", "time", now, "level", level_names[level], "program",
					logger.ident, "msg", message);
		line = obj ? json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
		json_decref(obj);
	} else if (asprintf(&line, "%s %s %s: %s", now, logger.ident, level_names[level], message) < 0) {
		line = NULL;
	}
	if (line) {
		pthread_mutex_lock(&logger.lock);
		FILE *out = logger.out ? logger.out : stderr;
		fprintf(out, "%s\n", line);
		fflush(out);
		pthread_mutex_unlock(&logger.lock);
		free(line);
	}
	errno = saved_errno;
}

void cc_log(enum cc_log_level level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_logv(level, fmt, ap);
	va_end(ap);
}
