/* apk's version order: digit{.digit}...{letter}{_suffix{digits}}...{~hash}{-r#}, where the
 * suffixes sort _alpha < _beta < _pre < _rc < (none) < _cvs < _svn < _git < _hg < _p.
 *
 * Two readings, chosen by whether apk-tools accepts both versions:
 *
 * 1. Both valid (apk_version_validate() would say so): apk-tools 3's src/version.c, token by token
 *    (token_first/token_next/token_cmp and the tail of apk_version_compare_fuzzy()). Numbers
 *    compare by value, except that a component after the first that starts with `0` on either
 *    side compares as a string (Gentoo's rule: `1.01` < `1.1`, `1.001` < `1.01`); a version that
 *    goes on beats one that ended, unless it goes on with a pre-release suffix (`1.2_rc1` < `1.2`
 *    < `1.2.1`, `1.2` < `1.2_p1`). apk-tools reads numbers into a uint64_t, which wraps for 20+
 *    digits; we compare them by value however long, the only intended difference.
 *
 * 2. Either refused (`1.2.0A`, `0..1`, `6.6.2p1`, `1-ruff`, `.1`): apk-tools still answers, with
 *    whatever token its tokenizer stopped at, and apk 2.x and 3.x answer differently (the test data
 *    notes several such cases). We read such a version leniently, as osv-scalibr does (its test data
 *    is tests/fixtures/versions/apk-versions.txt, which follows apk 3 wherever the two disagree):
 *    as many dot-separated numbers as lead the string, an optional letter, `_suffix{digits}`s, a
 *    `~hash`, then `-r{digits}` (empty digits = 0); what is left after that, or instead of `-r`,
 *    is left over. If both versions have something other than `-r` left, they compare as plain
 *    strings; otherwise part by part (a missing number is 0, a missing suffix is "none", a version
 *    with something left over sorts before one without).
 *
 * Both readings are antisymmetric and give 0 for equal strings, which the fuzz target checks. A
 * version is a pair of pointers into the caller's string; nothing is copied or allocated. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/version_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <string.h>

/* The order matters: token_next() refuses a token that may not follow the previous one by
 * comparing them, and the tail of the comparison ranks the token where two versions diverge. */
enum apk_token {
	APK_TOKEN_INITIAL_DIGIT,
	APK_TOKEN_DIGIT,
	APK_TOKEN_LETTER,
	APK_TOKEN_SUFFIX,
	APK_TOKEN_SUFFIX_NO,
	APK_TOKEN_COMMIT_HASH,
	APK_TOKEN_REVISION_NO,
	APK_TOKEN_END,
	APK_TOKEN_INVALID,
};

/* In sort order; NONE is where a version without a suffix sorts. */
enum apk_suffix {
	APK_SUFFIX_INVALID,
	APK_SUFFIX_ALPHA,
	APK_SUFFIX_BETA,
	APK_SUFFIX_PRE,
	APK_SUFFIX_RC,
	APK_SUFFIX_NONE,
	APK_SUFFIX_CVS,
	APK_SUFFIX_SVN,
	APK_SUFFIX_GIT,
	APK_SUFFIX_HG,
	APK_SUFFIX_P,
};

static const char *const apk_suffix_names[] = {
	[APK_SUFFIX_ALPHA] = "alpha", [APK_SUFFIX_BETA] = "beta", [APK_SUFFIX_PRE] = "pre",
	[APK_SUFFIX_RC] = "rc",       [APK_SUFFIX_CVS] = "cvs",   [APK_SUFFIX_SVN] = "svn",
	[APK_SUFFIX_GIT] = "git",     [APK_SUFFIX_HG] = "hg",     [APK_SUFFIX_P] = "p",
};

/* What is left of a version string. */
struct apk_cursor {
	const char *p, *end;
};

struct apk_token_state {
	enum apk_token token;
	enum apk_suffix suffix;
	const char *value;
	size_t value_len;
};

static bool apk_is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool apk_is_lower(char c)
{
	return c >= 'a' && c <= 'z';
}

/* apk's APK_CTYPE_HEXDIGIT: lower-case only. */
static bool apk_is_hex(char c)
{
	return apk_is_digit(c) || (c >= 'a' && c <= 'f');
}

static bool apk_at(const struct apk_cursor *c, char want)
{
	return c->p < c->end && *c->p == want;
}

/* ---- Reading 1: apk-tools 3 ---- */

/* suffix_value(): the whole run of letters must be a known suffix. */
static enum apk_suffix apk_suffix_value(const char *name, size_t len)
{
	for (int s = APK_SUFFIX_ALPHA; s <= APK_SUFFIX_P; s++) {
		const char *known = apk_suffix_names[s];
		if (known && strlen(known) == len && memcmp(known, name, len) == 0)
			return (enum apk_suffix)s;
	}
	return APK_SUFFIX_INVALID;
}

static void apk_token_digits(struct apk_token_state *t, struct apk_cursor *c)
{
	t->value = c->p;
	while (c->p < c->end && apk_is_digit(*c->p))
		c->p++;
	t->value_len = (size_t)(c->p - t->value);
	if (t->value_len == 0)
		t->token = APK_TOKEN_INVALID;
}

static void apk_token_first(struct apk_token_state *t, struct apk_cursor *c)
{
	t->token = APK_TOKEN_INITIAL_DIGIT;
	t->suffix = APK_SUFFIX_INVALID;
	apk_token_digits(t, c);
}

/* token_next(): the next token, or INVALID when it may not follow the previous one. */
static void apk_token_next(struct apk_token_state *t, struct apk_cursor *c)
{
	if (c->p >= c->end) {
		t->token = APK_TOKEN_END;
		return;
	}
	char ch = *c->p;
	if (apk_is_lower(ch)) {
		if (t->token > APK_TOKEN_DIGIT)
			goto invalid;
		t->value = c->p++;
		t->value_len = 1;
		t->token = APK_TOKEN_LETTER;
	} else if (ch == '.' || apk_is_digit(ch)) {
		if (ch == '.') {
			if (t->token > APK_TOKEN_DIGIT)
				goto invalid;
			c->p++;
		}
		if (t->token == APK_TOKEN_INITIAL_DIGIT || t->token == APK_TOKEN_DIGIT)
			t->token = APK_TOKEN_DIGIT;
		else if (t->token == APK_TOKEN_SUFFIX)
			t->token = APK_TOKEN_SUFFIX_NO;
		else
			goto invalid;
		apk_token_digits(t, c);
	} else if (ch == '_') {
		if (t->token > APK_TOKEN_SUFFIX_NO)
			goto invalid;
		t->value = ++c->p;
		while (c->p < c->end && apk_is_lower(*c->p))
			c->p++;
		t->value_len = (size_t)(c->p - t->value);
		t->suffix = apk_suffix_value(t->value, t->value_len);
		if (t->suffix == APK_SUFFIX_INVALID)
			goto invalid;
		t->token = APK_TOKEN_SUFFIX;
	} else if (ch == '~') {
		if (t->token >= APK_TOKEN_COMMIT_HASH)
			goto invalid;
		t->value = ++c->p;
		while (c->p < c->end && apk_is_hex(*c->p))
			c->p++;
		t->value_len = (size_t)(c->p - t->value);
		if (t->value_len == 0)
			goto invalid;
		t->token = APK_TOKEN_COMMIT_HASH;
	} else if (ch == '-') {
		if (t->token >= APK_TOKEN_REVISION_NO || c->end - c->p < 2 || c->p[1] != 'r')
			goto invalid;
		c->p += 2;
		t->token = APK_TOKEN_REVISION_NO;
		apk_token_digits(t, c);
	} else {
		goto invalid;
	}
	return;
invalid:
	t->token = APK_TOKEN_INVALID;
}

/* token_cmp() for two tokens of the same kind. */
static int apk_token_compare(const struct apk_token_state *a, const struct apk_token_state *b)
{
	switch (a->token) {
	case APK_TOKEN_DIGIT:
		/* Gentoo's rule: a leading zero makes the component a string (`1.01` < `1.1`). */
		if (a->value[0] == '0' || b->value[0] == '0')
			return scan_version_bytes_compare(a->value, a->value_len, b->value, b->value_len);
		/* fall through */
	case APK_TOKEN_INITIAL_DIGIT:
	case APK_TOKEN_SUFFIX_NO:
	case APK_TOKEN_REVISION_NO: return scan_version_digits_compare(a->value, a->value_len, b->value, b->value_len);
	case APK_TOKEN_LETTER: return scan_version_bytes_compare(a->value, 1, b->value, 1);
	case APK_TOKEN_SUFFIX: return a->suffix < b->suffix ? -1 : a->suffix > b->suffix;
	default: /* the commit hash: a string */
		return scan_version_bytes_compare(a->value, a->value_len, b->value, b->value_len);
	}
}

/* apk_version_validate() */
static bool apk_valid(const char *text, const char *end)
{
	struct apk_cursor c = { text, end };
	struct apk_token_state t;
	for (apk_token_first(&t, &c); t.token < APK_TOKEN_END; apk_token_next(&t, &c))
		;
	return t.token == APK_TOKEN_END;
}

/* apk_version_compare_fuzzy() without fuzziness, for two valid versions. */
static int apk_compare_valid(const char *a, const char *a_end, const char *b, const char *b_end)
{
	struct apk_cursor ca = { a, a_end }, cb = { b, b_end };
	struct apk_token_state ta, tb;
	for (apk_token_first(&ta, &ca), apk_token_first(&tb, &cb); ta.token == tb.token && ta.token < APK_TOKEN_END;
	     apk_token_next(&ta, &ca), apk_token_next(&tb, &cb)) {
		int r = apk_token_compare(&ta, &tb);
		if (r != 0)
			return r;
	}
	if (ta.token == tb.token)
		return 0;
	/* Equal so far and one goes on: the longer is newer, unless it goes on with a pre-release
	 * suffix; and where both go on differently, the earlier kind of token is newer (`1.0.1` >
	 * `1.0a` > `1.0_p1` > `1.0-r5`). */
	if (ta.token == APK_TOKEN_SUFFIX && ta.suffix < APK_SUFFIX_NONE)
		return -1;
	if (tb.token == APK_TOKEN_SUFFIX && tb.suffix < APK_SUFFIX_NONE)
		return 1;
	return ta.token > tb.token ? -1 : 1;
}

/* ---- Reading 2: lenient, for versions apk-tools refuses ---- */

struct apk_lenient {
	const char *numbers, *numbers_end;   /* digit runs, each followed by at most one `.` */
	char letter;                         /* 0: none */
	const char *suffixes, *suffixes_end; /* `_name{digits}`, one after another */
	const char *revision, *revision_end; /* the digits after `-r`, maybe none (= 0) */
	bool leftover;                       /* something was left unread (after -r{digits}, or unreadable) */
	bool unreadable;                     /* where -r{digits} may stand, something else does */
};

/* The known suffix name at the cursor, tried in the order of osv-scalibr's regular expression
 * alternation (so `_pre` is pre, not p followed by `re`); its length, or 0 for none. */
static size_t apk_lenient_suffix_name(const struct apk_cursor *c, enum apk_suffix *ret)
{
	static const enum apk_suffix order[] = { APK_SUFFIX_ALPHA, APK_SUFFIX_BETA, APK_SUFFIX_PRE,
						 APK_SUFFIX_RC,    APK_SUFFIX_CVS,  APK_SUFFIX_SVN,
						 APK_SUFFIX_GIT,   APK_SUFFIX_HG,   APK_SUFFIX_P };
	for (size_t i = 0; i < CC_ARRAY_SIZE(order); i++) {
		const char *name = apk_suffix_names[order[i]];
		size_t len = strlen(name);
		if ((size_t)(c->end - c->p) >= len && memcmp(c->p, name, len) == 0) {
			*ret = order[i];
			return len;
		}
	}
	return 0;
}

static void apk_skip_digits(struct apk_cursor *c)
{
	while (c->p < c->end && apk_is_digit(*c->p))
		c->p++;
}

static void apk_lenient_parse(const char *text, const char *end, struct apk_lenient *ret)
{
	struct apk_cursor c = { text, end };
	/* No revision reads as an empty one, which is 0; the pointers stay valid for memcmp(). */
	*ret = (struct apk_lenient){ .revision = end, .revision_end = end };

	ret->numbers = c.p;
	while (c.p < c.end && apk_is_digit(*c.p)) {
		apk_skip_digits(&c);
		if (apk_at(&c, '.'))
			c.p++;
	}
	ret->numbers_end = c.p;

	if (c.p < c.end && apk_is_lower(*c.p))
		ret->letter = *c.p++;

	ret->suffixes = c.p;
	while (apk_at(&c, '_')) {
		struct apk_cursor name = { c.p + 1, c.end };
		enum apk_suffix suffix;
		size_t len = apk_lenient_suffix_name(&name, &suffix);
		if (len == 0)
			break;
		c.p = name.p + len;
		apk_skip_digits(&c);
	}
	ret->suffixes_end = c.p;

	if (apk_at(&c, '~') && c.end - c.p >= 2 && apk_is_hex(c.p[1])) {
		c.p++;
		while (c.p < c.end && apk_is_hex(*c.p))
			c.p++;
	}

	if (c.p == c.end)
		return;
	if (c.end - c.p < 2 || c.p[0] != '-' || c.p[1] != 'r') {
		ret->unreadable = ret->leftover = true;
		return;
	}
	c.p += 2;
	ret->revision = c.p;
	apk_skip_digits(&c);
	ret->revision_end = c.p;
	ret->leftover = c.p < c.end;
}

/* The next number of a numbers region, or false when it has none left. */
static bool apk_lenient_next_number(struct apk_cursor *c, const char **ret, size_t *ret_len)
{
	if (c->p >= c->end)
		return false;
	*ret = c->p;
	apk_skip_digits(c);
	*ret_len = (size_t)(c->p - *ret);
	if (apk_at(c, '.'))
		c->p++;
	return true;
}

static int apk_lenient_compare_numbers(const struct apk_lenient *a, const struct apk_lenient *b)
{
	struct apk_cursor ca = { a->numbers, a->numbers_end }, cb = { b->numbers, b->numbers_end };
	for (size_t i = 0;; i++) {
		const char *na = "0", *nb = "0";
		size_t la = 1, lb = 1;
		bool has_a = apk_lenient_next_number(&ca, &na, &la);
		bool has_b = apk_lenient_next_number(&cb, &nb, &lb);
		if (!has_a && !has_b)
			return 0;
		int r;
		/* The leading-zero rule applies only between two numbers that are there. */
		if (has_a && has_b && i > 0 && (na[0] == '0' || nb[0] == '0'))
			r = scan_version_bytes_compare(na, la, nb, lb);
		else
			r = scan_version_digits_compare(na, la, nb, lb);
		if (r != 0)
			return r;
	}
}

/* The next suffix of a suffixes region, or a "none" suffix numbered 0 when it has none left. */
static void apk_lenient_next_suffix(struct apk_cursor *c, enum apk_suffix *ret, const char **number, size_t *number_len)
{
	*ret = APK_SUFFIX_NONE;
	*number = c->p;
	*number_len = 0;
	if (c->p >= c->end)
		return;
	c->p++; /* the `_` */
	size_t len = apk_lenient_suffix_name(c, ret);
	c->p += len;
	*number = c->p;
	apk_skip_digits(c);
	*number_len = (size_t)(c->p - *number);
}

static int apk_lenient_compare_suffixes(const struct apk_lenient *a, const struct apk_lenient *b)
{
	struct apk_cursor ca = { a->suffixes, a->suffixes_end }, cb = { b->suffixes, b->suffixes_end };
	while (ca.p < ca.end || cb.p < cb.end) {
		enum apk_suffix sa, sb;
		const char *na, *nb;
		size_t la, lb;
		apk_lenient_next_suffix(&ca, &sa, &na, &la);
		apk_lenient_next_suffix(&cb, &sb, &nb, &lb);
		if (sa != sb)
			return sa < sb ? -1 : 1;
		int r = scan_version_digits_compare(na, la, nb, lb);
		if (r != 0)
			return r;
	}
	return 0;
}

static int apk_compare_lenient(const char *a, const char *a_end, const char *b, const char *b_end)
{
	struct apk_lenient la, lb;
	apk_lenient_parse(a, a_end, &la);
	apk_lenient_parse(b, b_end, &lb);
	if (la.unreadable && lb.unreadable)
		return scan_version_bytes_compare(a, (size_t)(a_end - a), b, (size_t)(b_end - b));
	int r = apk_lenient_compare_numbers(&la, &lb);
	if (r != 0)
		return r;
	if (la.letter != lb.letter)
		return (unsigned char)la.letter < (unsigned char)lb.letter ? -1 : 1; /* none (0) first */
	r = apk_lenient_compare_suffixes(&la, &lb);
	if (r != 0)
		return r;
	r = scan_version_digits_compare(la.revision, (size_t)(la.revision_end - la.revision), lb.revision,
					(size_t)(lb.revision_end - lb.revision));
	if (r != 0)
		return r;
	return la.leftover == lb.leftover ? 0 : la.leftover ? -1 : 1;
}

int scan_version_apk_compare(const char *a, const char *b, int *ret, struct cc_error *err)
{
	/* apk-tools has no empty version (abuild and `apk mkpkg` refuse one); an empty string in a
	 * database or feed is a defect to report, not a version to place. */
	if (!*a || !*b)
		return cc_error_set(err, EINVAL, "apk version is empty (apk refuses an empty version)");
	const char *a_end = a + strlen(a), *b_end = b + strlen(b);
	if (apk_valid(a, a_end) && apk_valid(b, b_end))
		*ret = apk_compare_valid(a, a_end, b, b_end);
	else
		*ret = apk_compare_lenient(a, a_end, b, b_end);
	return 0;
}
