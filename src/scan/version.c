/* Version comparison: the registry of schemes and the pieces every scheme uses. The schemes
 * themselves live one per file (version_dpkg.c, version_rpm.c, version_apk.c), each a transcription
 * of its package manager's own algorithm; the comments there name the function they follow. */
#include "scan/version.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scan/version_internal.h"

#include <errno.h>
#include <string.h>

struct version_scheme {
	const char *name;
	int (*compare)(const char *a, const char *b, int *ret, struct cc_error *err);
};

static const struct version_scheme schemes[] = {
	[SCAN_VERSION_DPKG] = { "dpkg", scan_version_dpkg_compare },
	[SCAN_VERSION_RPM] = { "rpm", scan_version_rpm_compare },
	[SCAN_VERSION_APK] = { "apk", scan_version_apk_compare },
};

int scan_version_scheme_parse(const char *name, enum scan_version_scheme *ret)
{
	if (!name)
		return -EINVAL;
	/* "deb" is what feeds (OSV's ecosystem "Debian", purl's pkg:deb) call dpkg's scheme. */
	if (strcmp(name, "deb") == 0) {
		*ret = SCAN_VERSION_DPKG;
		return 0;
	}
	for (size_t i = 0; i < CC_ARRAY_SIZE(schemes); i++) {
		if (strcmp(name, schemes[i].name) == 0) {
			*ret = (enum scan_version_scheme)i;
			return 0;
		}
	}
	return -EINVAL;
}

const char *scan_version_scheme_name(enum scan_version_scheme scheme)
{
	if ((unsigned)scheme >= CC_ARRAY_SIZE(schemes))
		return "unknown";
	return schemes[scheme].name;
}

int scan_version_compare(enum scan_version_scheme scheme, const char *a, const char *b, int *ret, struct cc_error *err)
{
	if ((unsigned)scheme >= CC_ARRAY_SIZE(schemes))
		return cc_error_set(err, EINVAL, "unknown version scheme %d", (int)scheme);
	if (!a || !b)
		return cc_error_set(err, EINVAL, "compare %s versions: a version is missing", schemes[scheme].name);
	int order;
	int r = schemes[scheme].compare(a, b, &order, err);
	if (r < 0)
		return r;
	*ret = order < 0 ? -1 : order > 0;
	return 0;
}

int scan_version_digits_compare(const char *a, size_t a_len, const char *b, size_t b_len)
{
	while (a_len > 0 && *a == '0')
		a++, a_len--;
	while (b_len > 0 && *b == '0')
		b++, b_len--;
	if (a_len != b_len)
		return a_len < b_len ? -1 : 1;
	int r = memcmp(a, b, a_len);
	return r < 0 ? -1 : r > 0;
}

int scan_version_bytes_compare(const char *a, size_t a_len, const char *b, size_t b_len)
{
	int r = memcmp(a, b, a_len < b_len ? a_len : b_len);
	if (r != 0)
		return r < 0 ? -1 : 1;
	if (a_len != b_len)
		return a_len < b_len ? -1 : 1;
	return 0;
}

const char *scan_version_quote(const char *version, char buf[static SCAN_VERSION_QUOTE_SIZE])
{
	size_t i = 0;
	for (; version[i] && i < SCAN_VERSION_QUOTE_SHOWN; i++) {
		unsigned char c = (unsigned char)version[i];
		buf[i] = c >= 0x20 && c < 0x7f ? (char)c : '?';
	}
	if (version[i])
		memcpy(buf + i, "...", 3), i += 3;
	buf[i] = '\0';
	return buf;
}
