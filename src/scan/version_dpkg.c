/* dpkg's version order, deb-version(7): [epoch:]upstream_version[-debian_revision].
 *
 * A transcription of dpkg's lib/dpkg/parsehelp.c parseversion() for what a version may be, and of
 * lib/dpkg/version.c verrevcmp() and dpkg_version_compare() for the order, checked against
 * `dpkg --compare-versions` (dpkg 1.21, Debian 12) on every case of
 * tests/fixtures/versions/dpkg-versions.txt. parseversion() has two kinds of complaint: errors, which
 * make dpkg refuse the version (we return -EINVAL), and warnings (an upstream version that does not
 * start with a digit, a character outside deb-version(7)'s alphabet), after which dpkg compares
 * anyway, and so do we.
 *
 * Nothing is copied or allocated: a version is a set of (pointer, length) slices into the caller's
 * string, and every loop is bounded by a slice's end, so no input can make us read past it. */
#include "lib/base/error.h"
#include "scan/version_internal.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct dpkg_version {
	int epoch;
	const char *upstream, *upstream_end;
	/* Empty when the version has no hyphen; verrevcmp() orders "" like "0", so `1.0` equals
	 * `1.0-0`, as deb-version(7) says an absent revision does. */
	const char *revision, *revision_end;
};

static bool dpkg_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool dpkg_is_letter(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* parseversion() trims and splits at c_isblank(): space and tab only. */
static bool dpkg_is_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* isspace() in the C locale, which is what strtol(3) skips. */
static bool dpkg_is_space(char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r');
}

/* dpkg reads the epoch with strtol(3) and then requires it to end at the first colon, so what it
 * accepts is strtol's syntax: white space (isspace, in the C locale), an optional sign, decimal
 * digits. `+1:0` is epoch 1 and `-0:0` epoch 0; `-1:0` is refused as negative and anything above
 * INT_MAX as too big, in parseversion()'s order of checks. */
static int dpkg_parse_epoch(const char *start, const char *colon, int *ret, const char *text, struct cc_error *err)
{
	char shown[SCAN_VERSION_QUOTE_SIZE];
	const char *p = start;
	while (p < colon && dpkg_is_space(*p))
		p++;
	bool negative = false;
	if (p < colon && (*p == '+' || *p == '-'))
		negative = *p++ == '-';
	const char *digits = p;
	while (p < colon && dpkg_is_digit(*p))
		p++;
	if (p == digits)
		return cc_error_set(err, EINVAL, "dpkg version `%s`: the epoch before `:` is empty or not a number",
				    scan_version_quote(text, shown));
	if (p != colon)
		return cc_error_set(err, EINVAL, "dpkg version `%s`: the epoch before `:` is not a number",
				    scan_version_quote(text, shown));
	while (digits < colon - 1 && *digits == '0')
		digits++;
	bool zero = *digits == '0';
	if (negative && !zero)
		return cc_error_set(err, EINVAL, "dpkg version `%s`: the epoch is negative",
				    scan_version_quote(text, shown));
	/* INT_MAX has 10 digits; an 11-digit epoch is too big however it starts. */
	long long epoch = 0;
	for (; digits < colon; digits++) {
		epoch = epoch * 10 + (*digits - '0');
		if (epoch > INT_MAX)
			return cc_error_set(err, EINVAL, "dpkg version `%s`: the epoch is larger than %d",
					    scan_version_quote(text, shown), INT_MAX);
	}
	*ret = (int)epoch;
	return 0;
}

static int dpkg_parse(const char *text, struct dpkg_version *ret, struct cc_error *err)
{
	char shown[SCAN_VERSION_QUOTE_SIZE];
	const char *start = text;
	while (dpkg_is_blank(*start))
		start++;
	if (!*start)
		return cc_error_set(err, EINVAL, "dpkg version `%s` is empty", scan_version_quote(text, shown));
	const char *end = start;
	while (*end && !dpkg_is_blank(*end))
		end++;
	for (const char *p = end; *p; p++) {
		if (!dpkg_is_blank(*p))
			return cc_error_set(err, EINVAL, "dpkg version `%s` has a space inside it",
					    scan_version_quote(text, shown));
	}

	ret->epoch = 0;
	const char *version = start;
	const char *colon = memchr(start, ':', (size_t)(end - start));
	if (colon) {
		int r = dpkg_parse_epoch(start, colon, &ret->epoch, text, err);
		if (r < 0)
			return r;
		version = colon + 1;
		if (version == end)
			return cc_error_set(err, EINVAL, "dpkg version `%s` has nothing after the epoch's `:`",
					    scan_version_quote(text, shown));
	}

	/* The revision is what follows the last hyphen, so the upstream version may contain hyphens. */
	const char *hyphen = NULL;
	for (const char *p = version; p < end; p++) {
		if (*p == '-')
			hyphen = p;
	}
	ret->upstream = version;
	ret->upstream_end = hyphen ? hyphen : end;
	ret->revision = hyphen ? hyphen + 1 : end;
	ret->revision_end = end;
	if (hyphen && hyphen + 1 == end)
		return cc_error_set(err, EINVAL, "dpkg version `%s` has an empty revision after its last `-`",
				    scan_version_quote(text, shown));
	if (ret->upstream == ret->upstream_end)
		return cc_error_set(err, EINVAL, "dpkg version `%s` has an empty upstream version",
				    scan_version_quote(text, shown));
	return 0;
}

/* verrevcmp()'s order(): digits 0 (they are compared as numbers, never as characters), letters
 * their ASCII value, `~` -1 (so it sorts before everything, even the end of the string), the end 0,
 * and every other character after all letters. dpkg hands order() a plain char, which is signed on
 * amd64: a byte >= 0x80 (only ever there with a warning) then orders as its own value, 128..255,
 * between letters and punctuation. On arm64, where char is unsigned, dpkg puts it after punctuation;
 * we follow amd64 on every host, so one database gives one answer. */
static int dpkg_order(const char *p, const char *end)
{
	if (p >= end)
		return 0;
	unsigned char c = (unsigned char)*p;
	if (dpkg_is_digit((char)c))
		return 0;
	if (dpkg_is_letter((char)c))
		return c;
	if (c == '~')
		return -1;
	if (c >= 0x80)
		return c;
	return c + 256;
}

/* verrevcmp(): alternately a run of non-digits, compared character by character in dpkg_order(),
 * and a run of digits, compared as a number (so `0.10` > `0.9` and `1.01` = `1.1`). */
static int dpkg_verrevcmp(const char *a, const char *a_end, const char *b, const char *b_end)
{
	while (a < a_end || b < b_end) {
		while ((a < a_end && !dpkg_is_digit(*a)) || (b < b_end && !dpkg_is_digit(*b))) {
			int ac = dpkg_order(a, a_end), bc = dpkg_order(b, b_end);
			if (ac != bc)
				return ac < bc ? -1 : 1;
			/* Equal orders here mean both are the same kind of non-digit, so neither is at
			 * its end; the checks only make that visible. */
			if (a < a_end)
				a++;
			if (b < b_end)
				b++;
		}
		const char *a_digits = a, *b_digits = b;
		while (a < a_end && dpkg_is_digit(*a))
			a++;
		while (b < b_end && dpkg_is_digit(*b))
			b++;
		int r = scan_version_digits_compare(a_digits, (size_t)(a - a_digits), b_digits, (size_t)(b - b_digits));
		if (r != 0)
			return r;
	}
	return 0;
}

int scan_version_dpkg_compare(const char *a, const char *b, int *ret, struct cc_error *err)
{
	struct dpkg_version va, vb;
	int r = dpkg_parse(a, &va, err);
	if (r < 0)
		return r;
	r = dpkg_parse(b, &vb, err);
	if (r < 0)
		return r;
	/* dpkg_version_compare(): epoch, then upstream version, then revision. */
	if (va.epoch != vb.epoch) {
		*ret = va.epoch < vb.epoch ? -1 : 1;
		return 0;
	}
	r = dpkg_verrevcmp(va.upstream, va.upstream_end, vb.upstream, vb.upstream_end);
	if (r == 0)
		r = dpkg_verrevcmp(va.revision, va.revision_end, vb.revision, vb.revision_end);
	*ret = r;
	return 0;
}
