/* Version ordering exactly as the package managers define it, so a fix is reported fixed only when
 * the installed version really is at or above it (backported fixes carry the distribution's own
 * version, compared the distribution's way).
 *   dpkg: deb-version(7), [epoch:]upstream[-revision], `~` sorts before everything.
 *   rpm:  rpmvercmp with [epoch:]version-release, `~` and `^` as rpm 4.15+ treat them.
 *   apk:  apk-tools' version grammar (digits, letter, _suffix, -rN). */
#pragma once

struct cc_error;

enum scan_version_scheme {
	SCAN_VERSION_DPKG,
	SCAN_VERSION_RPM,
	SCAN_VERSION_APK,
};

/* "dpkg", "rpm" or "apk" (also "deb"); -EINVAL for anything else. */
int scan_version_scheme_parse(const char *name, enum scan_version_scheme *ret);
const char *scan_version_scheme_name(enum scan_version_scheme scheme);

/* Compares a with b: *ret is -1, 0 or 1 (a older, the same, newer), set only on success. A version
 * the scheme's own tool refuses is -EINVAL with err naming it: for dpkg what parseversion() calls an
 * error (empty, a space inside, a bad epoch, an empty upstream version or revision; what it only
 * warns about is compared), for rpm and apk the empty string. Versions read from package databases
 * and feeds are untrusted, so this never crashes, allocates nothing, and never reads past either
 * string; numbers of any length compare by value. docs/scan.md has the rules. */
int scan_version_compare(enum scan_version_scheme scheme, const char *a, const char *b, int *ret, struct cc_error *err);
