/* What the three version comparators (version_dpkg.c, version_rpm.c, version_apk.c) share with the
 * dispatcher in version.c. Private to src/scan/version*.c. Each comparator takes two NUL-terminated
 * versions, sets *ret to -1, 0 or 1 and returns 0, or returns -EINVAL with err naming the version. */
#pragma once

#include <stddef.h>

struct cc_error;

int scan_version_dpkg_compare(const char *a, const char *b, int *ret, struct cc_error *err);
int scan_version_rpm_compare(const char *a, const char *b, int *ret, struct cc_error *err);
int scan_version_apk_compare(const char *a, const char *b, int *ret, struct cc_error *err);

/* Compares two runs of ASCII digits as the numbers they write, however long (versions such as
 * 20240101123456789012 overflow every integer type): leading zeros do not count, then the longer
 * number is the larger, then the first differing digit decides. Returns -1, 0 or 1. */
int scan_version_digits_compare(const char *a, size_t a_len, const char *b, size_t b_len);

/* Bytewise order of two byte strings, a prefix before the longer string (strcmp without NULs).
 * Returns -1, 0 or 1. */
int scan_version_bytes_compare(const char *a, size_t a_len, const char *b, size_t b_len);

/* A version as an error message may show it: at most SCAN_VERSION_QUOTE_SHOWN bytes, "..." after
 * a longer one, every byte outside printable ASCII as `?` (versions come from untrusted package
 * databases and feeds, and a message may reach a terminal). Returns buf. */
#define SCAN_VERSION_QUOTE_SHOWN 64
#define SCAN_VERSION_QUOTE_SIZE  (SCAN_VERSION_QUOTE_SHOWN + sizeof("..."))
const char *scan_version_quote(const char *version, char buf[static SCAN_VERSION_QUOTE_SIZE]);
