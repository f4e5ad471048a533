/* Kubernetes quantities (k8s.io/apimachinery resource.Quantity), the subset that describes
 * requests and capacities: a decimal number and an optional suffix. Exponents ("1e3") are refused
 * rather than half-supported, because "1E" would then mean an exabyte or an exponent depending on
 * what follows it. */
#include "scale/quantity.h"

#include "lib/base/error.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

struct suffix {
	const char *text;
	int64_t multiplier;
};

static const struct suffix memory_suffixes[] = {
	{ "Ki", INT64_C(1) << 10 },      { "Mi", INT64_C(1) << 20 },         { "Gi", INT64_C(1) << 30 },
	{ "Ti", INT64_C(1) << 40 },      { "Pi", INT64_C(1) << 50 },         { "Ei", INT64_C(1) << 60 },
	{ "k", INT64_C(1000) },          { "M", INT64_C(1000000) },          { "G", INT64_C(1000000000) },
	{ "T", INT64_C(1000000000000) }, { "P", INT64_C(1000000000000000) }, { "E", INT64_C(1000000000000000000) },
};

/* Parses "DIGITS[.DIGITS]" at the start of text into value * multiplier, rounded up to a unit;
 * ret_end points past the number. Refuses no digits and anything over SCALE_QUANTITY_MAX. Digits past
 * the ninth after the point only decide whether to round up, which keeps the arithmetic in 128 bits. */
static int parse_decimal(const char *text, const char *what, int64_t multiplier, int64_t *ret, const char **ret_end,
			 struct cc_error *err)
{
	const char *p = text;
	unsigned __int128 whole = 0, fraction = 0, scale = 1;
	bool finer = false;
	size_t digits = 0;
	for (; isdigit((unsigned char)*p); p++, digits++) {
		whole = whole * 10 + (unsigned)(*p - '0');
		if (whole > (unsigned __int128)(SCALE_QUANTITY_MAX / multiplier))
			return cc_error_set(err, ERANGE, "%s `%s` is too large", what, text);
	}
	if (*p == '.') {
		p++;
		for (; isdigit((unsigned char)*p); p++, digits++) {
			if (scale < 1000000000u) {
				fraction = fraction * 10 + (unsigned)(*p - '0');
				scale *= 10;
			} else if (*p != '0') {
				finer = true;
			}
		}
	}
	if (digits == 0)
		return cc_error_set(err, EINVAL, "%s `%s` is not a quantity: it must start with a digit", what, text);
	unsigned __int128 numerator = (whole * scale + fraction) * (unsigned __int128)multiplier + (finer ? 1 : 0);
	unsigned __int128 value = (numerator + scale - 1) / scale;
	if (value > (unsigned __int128)SCALE_QUANTITY_MAX)
		return cc_error_set(err, ERANGE, "%s `%s` is too large", what, text);
	*ret = (int64_t)value;
	*ret_end = p;
	return 0;
}

static int check_text(const char *text, const char *what, struct cc_error *err)
{
	if (!text || !*text)
		return cc_error_set(err, EINVAL, "%s is empty: give a quantity such as `4000m` or `8Gi`", what);
	if (text[0] == '-')
		return cc_error_set(err, EINVAL, "%s `%s` is negative", what, text);
	if (text[0] == '+' || isspace((unsigned char)text[0]))
		return cc_error_set(err, EINVAL, "%s `%s` must start with a digit", what, text);
	return 0;
}

static int parse_cpu_what(const char *text, const char *what, int64_t *ret_milli, struct cc_error *err)
{
	int r = check_text(text, what, err);
	if (r < 0)
		return r;
	size_t len = strlen(text);
	bool milli = text[len - 1] == 'm';
	const char *end;
	int64_t value;
	r = parse_decimal(text, what, milli ? 1 : 1000, &value, &end, err);
	if (r < 0)
		return r;
	if (end != text + len - (milli ? 1 : 0))
		return cc_error_set(err, EINVAL,
				    "%s `%s` is not a cpu quantity: use cores (`4`, `0.5`) or millicores (`4000m`)",
				    what, text);
	*ret_milli = value;
	return 0;
}

int scale_parse_cpu(const char *text, int64_t *ret_milli, struct cc_error *err)
{
	return parse_cpu_what(text, "cpu", ret_milli, err);
}

static int parse_memory_what(const char *text, const char *what, int64_t *ret_bytes, struct cc_error *err)
{
	int r = check_text(text, what, err);
	if (r < 0)
		return r;
	const char *end;
	int64_t bytes;
	/* The number first with a multiplier of 1 only to find where it ends. */
	r = parse_decimal(text, what, 1, &bytes, &end, err);
	if (r < 0)
		return r;
	if (*end == '\0') {
		if (strchr(text, '.'))
			return cc_error_set(
			    err, EINVAL, "%s `%s` is a fraction of a byte: give whole bytes or a suffix", what, text);
		*ret_bytes = bytes;
		return 0;
	}
	for (size_t i = 0; i < sizeof(memory_suffixes) / sizeof(memory_suffixes[0]); i++) {
		if (strcmp(end, memory_suffixes[i].text) != 0)
			continue;
		const char *end2;
		r = parse_decimal(text, what, memory_suffixes[i].multiplier, ret_bytes, &end2, err);
		return r;
	}
	if (strcmp(end, "m") == 0)
		return cc_error_set(err, EINVAL, "%s `%s` is in milli-bytes: did you mean `%.*sMi`?", what, text,
				    (int)(end - text), text);
	if (*end == 'e' || *end == 'E')
		return cc_error_set(err, EINVAL, "%s `%s`: exponents are not accepted; use a suffix such as Gi", what,
				    text);
	return cc_error_set(err, EINVAL, "%s `%s` has an unknown suffix `%s`: use Ki, Mi, Gi, Ti (or k, M, G, T)", what,
			    text, end);
}

int scale_parse_memory(const char *text, int64_t *ret_bytes, struct cc_error *err)
{
	return parse_memory_what(text, "memory", ret_bytes, err);
}

/* A JSON number as text, so both paths share one set of rules (a negative number, a huge one). */
static int number_text(const json_t *value, const char *what, char *buf, size_t size, struct cc_error *err)
{
	if (json_is_integer(value)) {
		snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(value));
		return 0;
	}
	double d = json_real_value(value);
	if (d != d || d > 1e18 || d < -1e18)
		return cc_error_set(err, ERANGE, "%s is out of range", what);
	snprintf(buf, size, "%.6f", d);
	return 0;
}

int scale_json_cpu(const json_t *value, const char *what, int64_t *ret_milli, struct cc_error *err)
{
	char buf[64];
	if (json_is_string(value))
		return parse_cpu_what(json_string_value(value), what, ret_milli, err);
	if (!json_is_number(value))
		return cc_error_set(err, EINVAL, "%s must be a quantity string such as `500m` or a number of cores",
				    what);
	int r = number_text(value, what, buf, sizeof(buf), err);
	return r < 0 ? r : parse_cpu_what(buf, what, ret_milli, err);
}

int scale_json_memory(const json_t *value, const char *what, int64_t *ret_bytes, struct cc_error *err)
{
	char buf[64];
	if (json_is_string(value))
		return parse_memory_what(json_string_value(value), what, ret_bytes, err);
	if (!json_is_integer(value))
		return cc_error_set(err, EINVAL,
				    "%s must be a quantity string such as `512Mi` or a whole number of bytes", what);
	int r = number_text(value, what, buf, sizeof(buf), err);
	return r < 0 ? r : parse_memory_what(buf, what, ret_bytes, err);
}

void scale_format_cpu(int64_t milli, char *buf, size_t size)
{
	if (milli % 1000 == 0)
		snprintf(buf, size, "%" PRId64, milli / 1000);
	else
		snprintf(buf, size, "%" PRId64 "m", milli);
}

void scale_format_memory(int64_t bytes, char *buf, size_t size)
{
	static const char *const units[] = { "Ei", "Pi", "Ti", "Gi", "Mi", "Ki" };
	for (int i = 0; i < 6; i++) {
		int64_t unit = INT64_C(1) << (10 * (6 - i));
		if (bytes != 0 && bytes % unit == 0) {
			snprintf(buf, size, "%" PRId64 "%s", bytes / unit, units[i]);
			return;
		}
	}
	snprintf(buf, size, "%" PRId64, bytes);
}
