/* rpm's version order over whole [epoch:]version[-release] strings.
 *
 * A transcription of rpm 4.18: rpmio/rpmver.c parseEVR() and rpmverCmp() (what `rpm.vercmp()` in
 * rpm's Lua and `rpmdev-vercmp` answer) around rpmio/rpmvercmp.c rpmvercmp() with the `~` and `^`
 * of rpm 4.15+, checked against rpm 4.18's rpm.vercmp() on every case of
 * tests/fixtures/versions/rpm-versions.txt. rpm accepts any non-empty string as a version (its
 * parseEVR cannot fail), so the empty string is the only version refused here.
 *
 * Splitting, as parseEVR() does it:
 *   - an epoch is the leading run of digits when a `:` follows it (`1:2.0`; `:2.0` has epoch 0);
 *     a colon after anything else is part of the version (`a:1`, `1.m+e2:1` have no epoch);
 *   - the release is what follows the last `-` (`1.0-1.el9`), and a version without a `-` has
 *     none at all, which rpmverCmp() orders before every release, even an empty one (`1 < 1-`).
 * Comparing: epochs (missing = "0"), then versions, then releases, each with rpmvercmp().
 *
 * Nothing is copied: rpmvercmp() in rpm copies its arguments to cut segments with NULs; here a
 * segment is a slice, and every loop stops at its slice's end. */
#include "lib/base/error.h"
#include "scan/version_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

struct rpm_slice {
	const char *start, *end; /* start == NULL: the part is absent */
};

struct rpm_evr {
	struct rpm_slice epoch, version, release;
};

/* rpm's risdigit()/risalpha() are ASCII-only, whatever the locale. */
static bool rpm_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool rpm_is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* The character at p, or 0 at the end of the slice (rpm's *one on a NUL-terminated copy). */
static char rpm_at(const char *p, const char *end)
{
	return p < end ? *p : '\0';
}

/* rpmvercmp(): segments of letters or of digits, anything else only separating them. `~` sorts
 * before everything, even the end (`1.0~rc1` < `1.0`); `^` sorts after the end but before anything
 * else (`1.0` < `1.0^git1` < `1.0.1`). A numeric segment beats an alphabetic one; numbers compare
 * by value, however long; letters compare bytewise. */
static int rpm_vercmp(const char *one, const char *one_end, const char *two, const char *two_end)
{
	if (scan_version_bytes_compare(one, (size_t)(one_end - one), two, (size_t)(two_end - two)) == 0)
		return 0;
	while (one < one_end || two < two_end) {
		while (one < one_end && !rpm_is_digit(*one) && !rpm_is_alpha(*one) && *one != '~' && *one != '^')
			one++;
		while (two < two_end && !rpm_is_digit(*two) && !rpm_is_alpha(*two) && *two != '~' && *two != '^')
			two++;
		char c1 = rpm_at(one, one_end), c2 = rpm_at(two, two_end);

		if (c1 == '~' || c2 == '~') {
			if (c1 != '~')
				return 1;
			if (c2 != '~')
				return -1;
			one++, two++;
			continue;
		}
		/* Like `~`, except that a version which has ended is the lower one. */
		if (c1 == '^' || c2 == '^') {
			if (!c1)
				return -1;
			if (!c2)
				return 1;
			if (c1 != '^')
				return 1;
			if (c2 != '^')
				return -1;
			one++, two++;
			continue;
		}
		if (!c1 || !c2)
			break;

		/* The segment type is the one of `one`; `two` contributes its run of the same type,
		 * which may be empty. */
		bool numeric = rpm_is_digit(c1);
		const char *seg1 = one, *seg2 = two;
		while (one < one_end && (numeric ? rpm_is_digit(*one) : rpm_is_alpha(*one)))
			one++;
		while (two < two_end && (numeric ? rpm_is_digit(*two) : rpm_is_alpha(*two)))
			two++;
		if (two == seg2)
			return numeric ? 1 : -1;
		int r = numeric ? scan_version_digits_compare(seg1, (size_t)(one - seg1), seg2, (size_t)(two - seg2))
				: scan_version_bytes_compare(seg1, (size_t)(one - seg1), seg2, (size_t)(two - seg2));
		if (r != 0)
			return r;
	}
	if (one >= one_end && two >= two_end)
		return 0;
	/* Whichever version still has characters left wins. */
	return one >= one_end ? -1 : 1;
}

/* rpmverCmp()'s compare_values(): an absent part before any present one, then rpmvercmp(). */
static int rpm_compare_part(struct rpm_slice a, struct rpm_slice b)
{
	if (!a.start || !b.start)
		return (a.start != NULL) - (b.start != NULL);
	return rpm_vercmp(a.start, a.end, b.start, b.end);
}

static void rpm_parse_evr(const char *text, struct rpm_evr *ret)
{
	static const char zero[] = "0";
	const char *end = text + strlen(text);
	const char *s = text;
	while (rpm_is_digit(*s))
		s++;
	const char *hyphen = strrchr(s, '-');
	if (*s == ':') {
		/* An epoch that is empty (`:1.0`) is "0", as parseEVR() makes it. */
		ret->epoch = s == text ? (struct rpm_slice){ zero, zero + 1 } : (struct rpm_slice){ text, s };
		ret->version.start = s + 1;
	} else {
		ret->epoch = (struct rpm_slice){ zero, zero + 1 }; /* rpmverCmp(): a missing epoch is "0" */
		ret->version.start = text;
	}
	ret->version.end = hyphen ? hyphen : end;
	ret->release = hyphen ? (struct rpm_slice){ hyphen + 1, end } : (struct rpm_slice){ NULL, NULL };
}

int scan_version_rpm_compare(const char *a, const char *b, int *ret, struct cc_error *err)
{
	/* rpmverParse() returns NULL for an empty string, and rpm.vercmp() refuses it. */
	if (!*a || !*b)
		return cc_error_set(err, EINVAL, "rpm version is empty (rpm refuses an empty version)");
	struct rpm_evr va, vb;
	rpm_parse_evr(a, &va);
	rpm_parse_evr(b, &vb);
	int r = rpm_compare_part(va.epoch, vb.epoch);
	if (r == 0)
		r = rpm_compare_part(va.version, vb.version);
	if (r == 0)
		r = rpm_compare_part(va.release, vb.release);
	*ret = r;
	return 0;
}
