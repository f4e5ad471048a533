/* scan/version*.c: every case of the three fixture files (tests/fixtures/versions, from osv-scalibr),
 * each in both directions and against itself; hand cases for the rules the files cover thinly
 * (tilde, epochs, numbers longer than any integer type); and the versions each tool refuses. */
#include "lib/base/error.h"
#include "scan/version.h"
#include "unit.h"

#include <errno.h>
#include <limits.h>

/* ---- Helpers ---- */

static int compare(enum scan_version_scheme scheme, const char *a, const char *b)
{
	struct cc_error err = { 0 };
	int order = 99;
	int r = scan_version_compare(scheme, a, b, &order, &err);
	if (r != 0)
		fail_msg("%s: compare `%s` with `%s` failed (%d): %s", scan_version_scheme_name(scheme), a, b, r,
			 err.message);
	if (order != -1 && order != 0 && order != 1)
		fail_msg("%s: `%s` vs `%s` gave %d, not -1, 0 or 1", scan_version_scheme_name(scheme), a, b, order);
	return order;
}

/* a op b, and so b (reverse op) a. */
static void assert_order(enum scan_version_scheme scheme, const char *a, const char *op, const char *b)
{
	int want = op[0] == '<' ? -1 : op[0] == '>' ? 1 : 0;
	int got = compare(scheme, a, b), back = compare(scheme, b, a);
	if (got != want || back != -want)
		fail_msg("%s: want `%s` %s `%s`, got %d (and %d the other way)", scan_version_scheme_name(scheme), a,
			 op, b, got, back);
}

static void assert_refused(enum scan_version_scheme scheme, const char *version, const char *word)
{
	struct cc_error err = { 0 };
	int order = 99;
	int r = scan_version_compare(scheme, version, "1.0", &order, &err);
	if (r != -EINVAL)
		fail_msg("%s: `%s` should be refused, got %d (order %d)", scan_version_scheme_name(scheme), version, r,
			 order);
	if (order != 99)
		fail_msg("%s: a refusal set the result", scan_version_scheme_name(scheme));
	if (word && !strstr(err.message, word))
		fail_msg("%s: `%s` not in the message: %s", scan_version_scheme_name(scheme), word, err.message);
	/* The same on the other side. */
	assert_int_equal(scan_version_compare(scheme, "1.0", version, &order, NULL), -EINVAL);
}

static void fixture_path(const char *name, char *path, size_t size)
{
	const char *root = getenv("COCOON_SOURCE_ROOT");
	if (root) {
		snprintf(path, size, "%s/tests/fixtures/versions/%s", root, name);
		return;
	}
	/* Run by hand: __FILE__ is this file's path as the compiler was given it (relative to the
	 * build directory under meson), so this works from the build directory. */
	const char *here = __FILE__;
	const char *tail = strstr(here, "tests/unit/scan/test_version.c");
	if (!tail)
		fail_msg("COCOON_SOURCE_ROOT is not set: run the test through meson (it sets it)");
	snprintf(path, size, "%.*stests/fixtures/versions/%s", (int)(tail - here), here, name);
}

/* Checks every `A op B` line of a fixture; returns how many there were. */
static int check_fixture(enum scan_version_scheme scheme, const char *name)
{
	char path[4096];
	fixture_path(name, path, sizeof(path));
	FILE *f = fopen(path, "r");
	if (!f)
		fail_msg("cannot open fixture %s: run the test through meson, from the build directory, or with "
			 "COCOON_SOURCE_ROOT set to the source tree",
			 path);
	char line[1024];
	int cases = 0, number = 0;
	while (fgets(line, sizeof(line), f)) {
		number++;
		line[strcspn(line, "\r\n")] = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		char a[512], op[8], b[512], extra[2];
		if (sscanf(line, "%511s %7s %511s %1s", a, op, b, extra) != 3 ||
		    (strcmp(op, "<") && strcmp(op, "=") && strcmp(op, ">")))
			fail_msg("%s:%d: not `A op B`: %s", name, number, line);
		assert_order(scheme, a, op, b);
		assert_int_equal(compare(scheme, a, a), 0);
		assert_int_equal(compare(scheme, b, b), 0);
		cases++;
	}
	fclose(f);
	printf("%s: %d cases pass\n", name, cases);
	return cases;
}

/* ---- The fixtures ---- */

static void test_dpkg_fixture(void **state)
{
	(void)state;
	assert_int_equal(check_fixture(SCAN_VERSION_DPKG, "dpkg-versions.txt"), 30);
}

static void test_rpm_fixture(void **state)
{
	(void)state;
	assert_int_equal(check_fixture(SCAN_VERSION_RPM, "rpm-versions.txt"), 165);
}

static void test_apk_fixture(void **state)
{
	(void)state;
	assert_int_equal(check_fixture(SCAN_VERSION_APK, "apk-versions.txt"), 778);
}

/* ---- Hand cases ---- */

static void test_dpkg_rules(void **state)
{
	(void)state;
	const enum scan_version_scheme s = SCAN_VERSION_DPKG;
	/* `~` before everything, even the end; letters before other characters. */
	assert_order(s, "1.0~rc1", "<", "1.0");
	assert_order(s, "1.0~~", "<", "1.0~");
	assert_order(s, "1.0~~a", "<", "1.0~");
	assert_order(s, "1.0a", "<", "1.0+");
	assert_order(s, "1.0", "<", "1.0a");
	assert_order(s, "1.0+dfsg-1", ">", "1.0-1");
	/* Epochs beat everything after them; a missing one is 0. */
	assert_order(s, "1:0.1", ">", "9.9");
	assert_order(s, "0:9.9", "=", "9.9");
	assert_order(s, "10:1", ">", "9:1");
	assert_order(s, "2147483647:1", ">", "2147483646:9");
	/* strtol() reads the epoch, so a `+` sign and `-0` are accepted, as dpkg accepts them. */
	assert_order(s, "+1:1.0", "=", "1:1.0");
	assert_order(s, "-0:1.0", "=", "1.0");
	/* The revision is after the last hyphen; colons may follow the epoch's. */
	assert_order(s, "1.0-2-1", ">", "1.0-10");
	assert_order(s, "1:2:3", ">", "1:2:2");
	/* Numbers by value, however long. */
	assert_order(s, "1.00000000000000000000000000000000000000001", "=", "1.1");
	assert_order(s, "123456789012345678901234567890", "<", "123456789012345678901234567891");
	assert_order(s, "99999999999999999999999999999", "<", "100000000000000000000000000000");
	/* Blanks around the version are trimmed. */
	assert_order(s, "  1.0\t", "=", "1.0");
	/* dpkg only warns about these, and compares them. */
	assert_order(s, "abc", "<", "abd");
	assert_order(s, "1.0_x", ">", "1.0+x");
	/* A byte >= 0x80 between letters and punctuation, as dpkg on amd64 orders it. */
	assert_order(s, "1.0\xc3\xa9", "<", "1.0+");
	assert_order(s, "1.0\xc3\xa9", ">", "1.0z");
}

static void test_rpm_rules(void **state)
{
	(void)state;
	const enum scan_version_scheme s = SCAN_VERSION_RPM;
	assert_order(s, "1.0~rc1", "<", "1.0");
	assert_order(s, "1.0^git1", ">", "1.0");
	assert_order(s, "1.0^git1", "<", "1.0.1");
	/* Epochs: missing = 0, compared by value. */
	assert_order(s, "1:1.0-1", ">", "2.0-1");
	assert_order(s, "0:2.0-1", "=", "2.0-1");
	assert_order(s, ":2.0-1", "=", "2.0-1");
	assert_order(s, "10:1", ">", "9:1");
	assert_order(s, "99999999999999999999999:1", ">", "99999999999999999999998:1");
	/* The release is after the last hyphen (so the version here is `1.0-2`); none sorts before any. */
	assert_order(s, "1.0-2-1", ">", "1.0-10");
	assert_order(s, "1.0", "<", "1.0-0");
	/* Numeric segments beat alphabetic ones; long numbers by value. */
	assert_order(s, "1.0.1", ">", "1.0.a");
	assert_order(s, "2.0.000000000000000000000000000000000001", "=", "2.0.1");
	assert_order(s, "123456789012345678901234567890", "<", "123456789012345678901234567891");
	/* Characters outside [A-Za-z0-9~^] only separate segments. */
	assert_order(s, "1_0", "=", "1.0");
	assert_order(s, "1.0", "<", "1.0.\x80\x01z");
}

static void test_apk_rules(void **state)
{
	(void)state;
	const enum scan_version_scheme s = SCAN_VERSION_APK;
	/* Suffixes: pre-releases below none, the rest above. */
	assert_order(s, "1.0_alpha", "<", "1.0_beta");
	assert_order(s, "1.0_beta", "<", "1.0_pre");
	assert_order(s, "1.0_pre", "<", "1.0_rc");
	assert_order(s, "1.0_rc", "<", "1.0");
	assert_order(s, "1.0", "<", "1.0_cvs");
	assert_order(s, "1.0_cvs", "<", "1.0_svn");
	assert_order(s, "1.0_svn", "<", "1.0_git");
	assert_order(s, "1.0_git", "<", "1.0_hg");
	assert_order(s, "1.0_hg", "<", "1.0_p");
	assert_order(s, "1.0_p1", "<", "1.0_p10");
	/* Revisions by value; a longer version is newer; a leading zero makes a string. */
	assert_order(s, "1.0-r9", "<", "1.0-r10");
	assert_order(s, "1.0", "<", "1.0.0");
	assert_order(s, "1.01", "<", "1.1");
	assert_order(s, "1.001", "<", "1.01");
	assert_order(s, "1.0a", "<", "1.0.1");
	assert_order(s, "1.0a", ">", "1.0_p1");
	/* Commit hashes compare as strings. */
	assert_order(s, "1.0~abc-r1", "<", "1.0~abd-r1");
	/* Numbers longer than apk's uint64_t, by value. */
	assert_order(s, "123456789012345678901234567890", "<", "123456789012345678901234567891");
	assert_order(s, "1.0-r99999999999999999999999", ">", "1.0-r99999999999999999999998");
	assert_order(s, "1.0_git123456789012345678901234567891", ">", "1.0_git123456789012345678901234567890");
}

/* ---- Refusals, and inputs that must not crash ---- */

static void test_refused(void **state)
{
	(void)state;
	assert_refused(SCAN_VERSION_DPKG, "", "empty");
	assert_refused(SCAN_VERSION_DPKG, " \t ", "empty");
	assert_refused(SCAN_VERSION_DPKG, "1.0 1", "space");
	assert_refused(SCAN_VERSION_DPKG, "a:1", "epoch");
	assert_refused(SCAN_VERSION_DPKG, ":1", "epoch");
	assert_refused(SCAN_VERSION_DPKG, "1a:1", "epoch");
	assert_refused(SCAN_VERSION_DPKG, "-1:1", "negative");
	assert_refused(SCAN_VERSION_DPKG, "2147483648:1", "larger");
	assert_refused(SCAN_VERSION_DPKG, "99999999999999999999999999:1", "larger");
	assert_refused(SCAN_VERSION_DPKG, "1:", "nothing after");
	assert_refused(SCAN_VERSION_DPKG, "1.0-", "empty revision");
	assert_refused(SCAN_VERSION_DPKG, "-1", "empty upstream");
	assert_refused(SCAN_VERSION_DPKG, "1:-1", "empty upstream");
	assert_refused(SCAN_VERSION_RPM, "", "empty");
	assert_refused(SCAN_VERSION_APK, "", "empty");

	/* The message names the version, shortened and with control bytes replaced. */
	struct cc_error err = { 0 };
	int order;
	assert_int_equal(scan_version_compare(SCAN_VERSION_DPKG, "x:\x1b[31mred", "1", &order, &err), -EINVAL);
	assert_non_null(strstr(err.message, "`x:?[31mred`"));
	char longer[200];
	memset(longer, '7', sizeof(longer));
	longer[0] = 'x', longer[1] = ':', longer[sizeof(longer) - 1] = '\0';
	assert_int_equal(scan_version_compare(SCAN_VERSION_DPKG, longer, "1", &order, &err), -EINVAL);
	assert_non_null(strstr(err.message, "...`"));
	assert_true(strlen(err.message) < 150);

	/* No version, or no scheme. */
	assert_int_equal(scan_version_compare(SCAN_VERSION_RPM, NULL, "1", &order, &err), -EINVAL);
	assert_int_equal(scan_version_compare((enum scan_version_scheme)7, "1", "1", &order, &err), -EINVAL);
}

static void test_schemes(void **state)
{
	(void)state;
	enum scan_version_scheme s;
	assert_int_equal(scan_version_scheme_parse("dpkg", &s), 0);
	assert_int_equal(s, SCAN_VERSION_DPKG);
	assert_int_equal(scan_version_scheme_parse("deb", &s), 0);
	assert_int_equal(s, SCAN_VERSION_DPKG);
	assert_int_equal(scan_version_scheme_parse("rpm", &s), 0);
	assert_int_equal(s, SCAN_VERSION_RPM);
	assert_int_equal(scan_version_scheme_parse("apk", &s), 0);
	assert_int_equal(s, SCAN_VERSION_APK);
	assert_int_equal(scan_version_scheme_parse("APK", &s), -EINVAL);
	assert_int_equal(scan_version_scheme_parse("", &s), -EINVAL);
	assert_int_equal(scan_version_scheme_parse(NULL, &s), -EINVAL);
	assert_string_equal(scan_version_scheme_name(SCAN_VERSION_RPM), "rpm");
	assert_string_equal(scan_version_scheme_name((enum scan_version_scheme)42), "unknown");
}

/* Every byte value in every position of a short version, and a megabyte of digits: no crash, an
 * answer or a refusal, and the invariants of an order. */
static void test_hostile(void **state)
{
	(void)state;
	static const char *const bases[] = { "1.0-1", "1:2.3~4^5_p6-r7", "0..1", "~", "-r", "1.0~abc-r1" };
	for (int scheme = SCAN_VERSION_DPKG; scheme <= SCAN_VERSION_APK; scheme++) {
		for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
			size_t len = strlen(bases[i]);
			for (size_t at = 0; at <= len; at++) {
				for (int byte = 1; byte < 256; byte++) {
					char v[32];
					memcpy(v, bases[i], len + 1);
					v[at] = (char)byte;
					if (at == len)
						v[len + 1] = '\0';
					int ab = 9, ba = 9, aa = 9;
					int r1 = scan_version_compare(scheme, v, bases[i], &ab, NULL);
					int r2 = scan_version_compare(scheme, bases[i], v, &ba, NULL);
					int r3 = scan_version_compare(scheme, v, v, &aa, NULL);
					assert_true(r1 == 0 || r1 == -EINVAL);
					assert_int_equal(r1, r2);
					if (r1 == 0) {
						assert_int_equal(ab, -ba);
						assert_int_equal(r3, 0);
						assert_int_equal(aa, 0);
					}
				}
			}
		}
	}
	size_t size = 1 << 20;
	char *big = malloc(size + 1), *bigger = malloc(size + 2);
	assert_non_null(big);
	assert_non_null(bigger);
	memset(big, '9', size);
	big[size] = '\0';
	bigger[0] = '1';
	memset(bigger + 1, '0', size);
	bigger[size + 1] = '\0';
	for (int scheme = SCAN_VERSION_DPKG; scheme <= SCAN_VERSION_APK; scheme++)
		assert_order(scheme, big, "<", bigger);
	free(big);
	free(bigger);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dpkg_fixture), cmocka_unit_test(test_rpm_fixture),
		cmocka_unit_test(test_apk_fixture),  cmocka_unit_test(test_dpkg_rules),
		cmocka_unit_test(test_rpm_rules),    cmocka_unit_test(test_apk_rules),
		cmocka_unit_test(test_refused),      cmocka_unit_test(test_schemes),
		cmocka_unit_test(test_hostile),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
