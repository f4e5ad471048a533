/* SPIFFE ID and DNS name checks for certificate SANs (see x509_names.h). Both refuse rather than
 * normalize: a name that needed fixing would be a name the requester did not ask for. */
#include "lib/crypto/x509_names.h"

#include "lib/base/error.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/* Names come from requesters: one with control bytes is shown as a placeholder, so that a message
 * never carries them into a log. */
static const char *shown(const char *s)
{
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
			return "(a name with non-printable bytes)";
	return s;
}

static bool is_lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static bool is_alnum(char c)
{
	return is_lower_alnum(c) || (c >= 'A' && c <= 'Z');
}

/* whole names what is checked in messages: "SPIFFE ID `spiffe://...`" or "trust domain `...`". */
static int check_trust_domain(const char *whole, const char *td, size_t len, struct cc_error *err)
{
	if (len == 0)
		return cc_error_set(err, EINVAL, "%s has an empty trust domain", whole);
	if (len > CC_SPIFFE_TRUST_DOMAIN_MAX)
		return cc_error_set(err, EINVAL, "%s: the trust domain is longer than %d characters", whole,
				    CC_SPIFFE_TRUST_DOMAIN_MAX);
	for (size_t i = 0; i < len; i++)
		if (!is_lower_alnum(td[i]) && td[i] != '.' && td[i] != '-' && td[i] != '_')
			return cc_error_set(
			    err, EINVAL,
			    "%s: the trust domain may hold only lower-case letters, digits, `.`, `-` and "
			    "`_` (no port, user or upper case)",
			    whole);
	return 0;
}

/* SPIFFE-ID.md §2.2: segments of [a-zA-Z0-9._-], none empty and none `.` or `..`. */
static int check_path(const char *id, const char *path, struct cc_error *err)
{
	if (*path == '\0')
		return cc_error_set(err, EINVAL,
				    "SPIFFE ID `%s` has no path; a workload's ID needs one (X.509-SVID §2)", id);
	const char *p = path;
	while (*p) {
		if (*p != '/')
			return cc_error_set(err, EINVAL, "SPIFFE ID `%s`: byte 0x%02x is not allowed in the path",
					    shown(id), (unsigned char)*p);
		const char *seg = ++p;
		while (is_alnum(*p) || *p == '.' || *p == '-' || *p == '_')
			p++;
		size_t n = (size_t)(p - seg);
		if (n == 0)
			return cc_error_set(err, EINVAL, "SPIFFE ID `%s` has an empty path segment or a trailing `/`",
					    shown(id));
		if ((n == 1 && seg[0] == '.') || (n == 2 && seg[0] == '.' && seg[1] == '.'))
			return cc_error_set(err, EINVAL, "SPIFFE ID `%s` has a `.` or `..` path segment", shown(id));
	}
	return 0;
}

int cc_spiffe_id_check(const char *id, struct cc_error *err)
{
	static const char scheme[] = "spiffe://";
	if (!id)
		return cc_error_set(err, EINVAL, "no SPIFFE ID given");
	size_t len = strnlen(id, CC_SPIFFE_ID_MAX + 1);
	if (len > CC_SPIFFE_ID_MAX)
		return cc_error_set(err, EINVAL, "SPIFFE ID is longer than %d bytes", CC_SPIFFE_ID_MAX);
	if (strncmp(id, scheme, sizeof(scheme) - 1) != 0)
		return cc_error_set(err, EINVAL, "SPIFFE ID `%s` does not start with `spiffe://` (lower case)",
				    shown(id));
	const char *td = id + sizeof(scheme) - 1;
	const char *slash = strchr(td, '/');
	size_t td_len = slash ? (size_t)(slash - td) : strlen(td);
	char whole[CC_SPIFFE_TRUST_DOMAIN_MAX + 96];
	snprintf(whole, sizeof(whole), "SPIFFE ID `%s`", shown(id));
	int r = check_trust_domain(whole, td, td_len, err);
	return r < 0 ? r : check_path(id, td + td_len, err);
}

int cc_spiffe_trust_domain_check(const char *trust_domain, struct cc_error *err)
{
	if (!trust_domain)
		return cc_error_set(err, EINVAL, "no trust domain given");
	size_t len = strnlen(trust_domain, CC_SPIFFE_TRUST_DOMAIN_MAX + 1);
	char whole[CC_SPIFFE_TRUST_DOMAIN_MAX + 96];
	snprintf(whole, sizeof(whole), "trust domain `%.*s`", (int)(len > 64 ? 64 : len), shown(trust_domain));
	return check_trust_domain(whole, trust_domain, len, err);
}

int cc_dns_name_check(const char *name, struct cc_error *err)
{
	if (!name || !*name)
		return cc_error_set(err, EINVAL, "empty DNS name");
	size_t len = strnlen(name, 254);
	if (len > 253)
		return cc_error_set(err, EINVAL, "DNS name `%.64s...` is longer than 253 characters", shown(name));
	const char *label = name;
	for (const char *p = name;; p++) {
		if (*p != '.' && *p != '\0') {
			if (!is_alnum(*p) && *p != '-')
				return cc_error_set(err, EINVAL,
						    "DNS name `%s`: byte 0x%02x is not a letter, digit, `-` or `.`",
						    shown(name), (unsigned char)*p);
			continue;
		}
		size_t n = (size_t)(p - label);
		if (n == 0)
			return cc_error_set(err, EINVAL, "DNS name `%s` has an empty label (or a trailing dot)",
					    shown(name));
		if (n > 63)
			return cc_error_set(err, EINVAL, "DNS name `%s` has a label longer than 63 characters",
					    shown(name));
		if (label[0] == '-' || p[-1] == '-')
			return cc_error_set(err, EINVAL, "DNS name `%s` has a label that starts or ends with `-`",
					    shown(name));
		if (*p == '\0')
			return 0;
		label = p + 1;
	}
}
