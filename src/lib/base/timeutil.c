/* Time helpers. RFC 3339 §5.6 grammar: date-time = full-date "T" full-time; full-time carries
 * either "Z" or a numeric offset. Parsing is strict so timestamps from untrusted input are exact. */
#include "lib/base/timeutil.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t cc_time_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int64_t cc_time_monotonic_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

void cc_time_monotonic_deadline(int ms, struct timespec *ret)
{
	clock_gettime(CLOCK_MONOTONIC, ret);
	ret->tv_nsec += (long)(ms % 1000) * 1000000L;
	ret->tv_sec += ms / 1000 + ret->tv_nsec / 1000000000L;
	ret->tv_nsec %= 1000000000L;
}

static void put_digits(char **p, long value, int width)
{
	for (int i = width - 1; i >= 0; i--) {
		(*p)[i] = (char)('0' + value % 10);
		value /= 10;
	}
	*p += width;
}

/* gmtime_r without its time-zone lock (threads formatting times at once queued on it): the
 * proleptic Gregorian date from days since 1970 (H. Hinnant's civil_from_days). */
static void utc_from_unix(time_t secs, struct tm *tm)
{
	int64_t days = secs / 86400, rem = secs % 86400;
	if (rem < 0) {
		rem += 86400;
		days--;
	}
	int64_t z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;                                      /* [0, 146096] */
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365; /* [0, 399] */
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);               /* [0, 365] */
	int64_t mp = (5 * doy + 2) / 153;                                    /* [0, 11], from March */
	int64_t month = mp < 10 ? mp + 3 : mp - 9;
	*tm = (struct tm){
		.tm_year = (int)(yoe + era * 400 + (month <= 2) - 1900),
		.tm_mon = (int)month - 1,
		.tm_mday = (int)(doy - (153 * mp + 2) / 5 + 1),
		.tm_hour = (int)(rem / 3600),
		.tm_min = (int)(rem % 3600 / 60),
		.tm_sec = (int)(rem % 60),
	};
}

void cc_time_format_rfc3339(int64_t unix_ns, char *out, size_t size)
{
	time_t secs = (time_t)(unix_ns / 1000000000LL);
	long nanos = (long)(unix_ns % 1000000000LL);
	if (nanos < 0) {
		nanos += 1000000000L;
		secs -= 1;
	}
	struct tm tm;
	utc_from_unix(secs, &tm);
	int year = tm.tm_year + 1900; /* 1677..2262: int64 nanoseconds span no more */
	if (size < sizeof("YYYY-MM-DDTHH:MM:SS.NNNNNNNNNZ")) {
		if (size)
			out[0] = '\0';
		return;
	}
	/* Digits by hand: every audit event is formatted at least twice, and printf was most of it. */
	char *p = out;
	put_digits(&p, year, 4);
	*p++ = '-';
	put_digits(&p, tm.tm_mon + 1, 2);
	*p++ = '-';
	put_digits(&p, tm.tm_mday, 2);
	*p++ = 'T';
	put_digits(&p, tm.tm_hour, 2);
	*p++ = ':';
	put_digits(&p, tm.tm_min, 2);
	*p++ = ':';
	put_digits(&p, tm.tm_sec, 2);
	*p++ = '.';
	put_digits(&p, nanos, 9);
	*p++ = 'Z';
	*p = '\0';
}

void cc_time_format_rfc3339_seconds(int64_t unix_ns, char *out, size_t size)
{
	char full[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(unix_ns, full, sizeof(full));
	char *dot = strchr(full, '.');
	if (!dot || size < (size_t)(dot - full) + 2) {
		if (size)
			out[0] = '\0';
		return;
	}
	memcpy(out, full, (size_t)(dot - full));
	out[dot - full] = 'Z';
	out[dot - full + 1] = '\0';
}

static int parse_digits(const char **p, int count, int *ret)
{
	int value = 0;
	for (int i = 0; i < count; i++) {
		if (!isdigit((unsigned char)(*p)[i]))
			return -EINVAL;
		value = value * 10 + ((*p)[i] - '0');
	}
	*p += count;
	*ret = value;
	return 0;
}

static int expect_char(const char **p, char c)
{
	if (**p != c)
		return -EINVAL;
	(*p)++;
	return 0;
}

int cc_time_parse_rfc3339(const char *s, int64_t *ret_unix_ns)
{
	const char *p = s;
	int year, mon, day, hour, min, sec;
	if (parse_digits(&p, 4, &year) < 0 || expect_char(&p, '-') < 0 || parse_digits(&p, 2, &mon) < 0 ||
	    expect_char(&p, '-') < 0 || parse_digits(&p, 2, &day) < 0)
		return -EINVAL;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -EINVAL;
	p++;
	if (parse_digits(&p, 2, &hour) < 0 || expect_char(&p, ':') < 0 || parse_digits(&p, 2, &min) < 0 ||
	    expect_char(&p, ':') < 0 || parse_digits(&p, 2, &sec) < 0)
		return -EINVAL;
	if (mon < 1 || mon > 12 || day < 1 || day > 31 || hour > 23 || min > 59 || sec > 60)
		return -EINVAL;
	int64_t nanos = 0;
	if (*p == '.') {
		p++;
		int digits = 0;
		while (isdigit((unsigned char)*p)) {
			if (digits < 9) {
				nanos = nanos * 10 + (*p - '0');
				digits++;
			}
			p++;
		}
		if (digits == 0)
			return -EINVAL;
		for (; digits < 9; digits++)
			nanos *= 10;
	}
	int offset_min = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p == '-' ? -1 : 1;
		int oh, om;
		p++;
		if (parse_digits(&p, 2, &oh) < 0 || expect_char(&p, ':') < 0 || parse_digits(&p, 2, &om) < 0 ||
		    oh > 23 || om > 59)
			return -EINVAL;
		offset_min = sign * (oh * 60 + om);
	} else {
		return -EINVAL;
	}
	if (*p != '\0')
		return -EINVAL;
	struct tm tm = {
		.tm_year = year - 1900,
		.tm_mon = mon - 1,
		.tm_mday = day,
		.tm_hour = hour,
		.tm_min = min,
		.tm_sec = sec > 59 ? 59 : sec,
	};
	time_t secs = timegm(&tm);
	/* timegm normalises 31 February into March: reject dates that did not survive unchanged. */
	struct tm check;
	gmtime_r(&secs, &check);
	if (check.tm_mday != day || check.tm_mon != mon - 1)
		return -EINVAL;
	/* Nanoseconds since 1970 in 64 bits cover the years 1678 to 2262; refuse what does not fit. */
	int64_t total;
	if (__builtin_mul_overflow((int64_t)secs - (int64_t)offset_min * 60, 1000000000LL, &total) ||
	    __builtin_add_overflow(total, nanos, &total))
		return -ERANGE;
	*ret_unix_ns = total;
	return 0;
}
