/* Time helpers: wall-clock nanoseconds, monotonic deadlines, RFC 3339 formatting and parsing (UTC). */
#pragma once

#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* "2026-11-28T07:31:18.123456789Z" plus NUL */
#define CC_TIME_RFC3339_MAX 40

int64_t cc_time_now_ns(void);
int64_t cc_time_monotonic_ms(void);
/* The CLOCK_MONOTONIC time ms from now, for pthread_cond_timedwait on a condition variable set to
 * that clock. */
void cc_time_monotonic_deadline(int ms, struct timespec *ret);
/* Formats UTC with nanoseconds: 2026-11-28T07:31:18.123456789Z. */
void cc_time_format_rfc3339(int64_t unix_ns, char *out, size_t size);
/* Formats UTC in whole seconds (rounded down), as Kubernetes writes its timestamps (metav1.Time):
 * 2026-11-28T07:31:18Z. */
void cc_time_format_rfc3339_seconds(int64_t unix_ns, char *out, size_t size);
/* Parses RFC 3339 (any offset, optional fraction up to nanoseconds) into Unix nanoseconds. */
int cc_time_parse_rfc3339(const char *s, int64_t *ret_unix_ns);
