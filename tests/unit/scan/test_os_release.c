/* scan/os_release.c: real os-release files (Debian 12, Debian testing, Alpine 3.18), systemd's
 * quoting rules, and the lines it refuses. */
#include "inventory_unit.h"

#include <errno.h>

static const char debian_12[] = "PRETTY_NAME=\"Debian GNU/Linux 12 (bookworm)\"\n"
				"NAME=\"Debian GNU/Linux\"\n"
				"VERSION_ID=\"12\"\n"
				"VERSION=\"12 (bookworm)\"\n"
				"VERSION_CODENAME=bookworm\n"
				"ID=debian\n"
				"HOME_URL=\"https://www.debian.org/\"\n"
				"SUPPORT_URL=\"https://www.debian.org/support\"\n"
				"BUG_REPORT_URL=\"https://bugs.debian.org/\"\n";

static const char debian_testing[] = "PRETTY_NAME=\"Debian GNU/Linux trixie/sid\"\n"
				     "NAME=\"Debian GNU/Linux\"\n"
				     "VERSION_CODENAME=trixie\n"
				     "ID=debian\n"
				     "HOME_URL=\"https://www.debian.org/\"\n";

static const char alpine_3_18[] = "NAME=\"Alpine Linux\"\n"
				  "ID=alpine\n"
				  "VERSION_ID=3.18.4\n"
				  "PRETTY_NAME=\"Alpine Linux v3.18\"\n"
				  "HOME_URL=\"https://alpinelinux.org/\"\n"
				  "BUG_REPORT_URL=\"https://gitlab.alpinelinux.org/alpine/aports/-/issues\"\n";

static struct scan_os parse_ok(const char *text)
{
	struct scan_os os = { 0 };
	struct cc_error err = { 0 };
	int r = scan_os_release_parse(text, strlen(text), &os, &err);
	if (r != 0)
		fail_msg("parse failed (%d): %s", r, err.message);
	return os;
}

/* A refused file leaves *ret as it was. */
static void parse_refused(const char *text, size_t len, int code, const char *word)
{
	char sentinel[] = "untouched";
	struct scan_os os = { .id = sentinel };
	struct cc_error err = { 0 };
	int r = scan_os_release_parse(text, len, &os, &err);
	unit_assert_refused(r, code, &err, word);
	assert_ptr_equal(os.id, sentinel);
	assert_null(os.version_id);
}

static void test_debian_12(void **state)
{
	(void)state;
	struct scan_os os = parse_ok(debian_12);
	unit_assert_str(os.id, "debian");
	unit_assert_str(os.version_id, "12");
	unit_assert_str(os.version_codename, "bookworm");
	unit_assert_str(os.pretty_name, "Debian GNU/Linux 12 (bookworm)");
	scan_os_clear(&os);
	assert_null(os.id);
}

static void test_debian_testing_has_no_version_id(void **state)
{
	(void)state;
	struct scan_os os = parse_ok(debian_testing);
	unit_assert_str(os.id, "debian");
	assert_null(os.version_id);
	unit_assert_str(os.version_codename, "trixie");
	scan_os_clear(&os);
}

static void test_alpine(void **state)
{
	(void)state;
	struct scan_os os = parse_ok(alpine_3_18);
	unit_assert_str(os.id, "alpine");
	unit_assert_str(os.version_id, "3.18.4");
	assert_null(os.version_codename);
	unit_assert_str(os.pretty_name, "Alpine Linux v3.18");
	scan_os_clear(&os);
}

/* The host's own file, whatever distribution it is: it must parse and name an ID. */
static void test_host_os_release(void **state)
{
	(void)state;
	FILE *f = fopen("/etc/os-release", "r");
	if (!f)
		f = fopen("/usr/lib/os-release", "r");
	if (!f) {
		skip(); /* a host without os-release(5) */
		return;
	}
	char buf[65536];
	size_t n = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	struct scan_os os = { 0 };
	struct cc_error err = { 0 };
	if (scan_os_release_parse(buf, n, &os, &err) != 0)
		fail_msg("/etc/os-release: %s", err.message);
	assert_non_null(os.id);
	scan_os_clear(&os);
}

static void test_quoting(void **state)
{
	(void)state;
	struct scan_os os = parse_ok("PRETTY_NAME=\"a \\\"b\\\" \\\\ \\$x \\`y\\` \\z\"\n"
				     "ID='it''s'\n"
				     "VERSION_ID=\"1\"'.'2\n"
				     "VERSION_CODENAME=foo\\ bar\n");
	unit_assert_str(os.pretty_name, "a \"b\" \\ $x `y` \\z"); /* \z is not an escape inside "" */
	unit_assert_str(os.id, "its");
	unit_assert_str(os.version_id, "1.2");
	unit_assert_str(os.version_codename, "foo bar");
	scan_os_clear(&os);

	/* no expansion; single quotes keep backslashes; unquoted inner whitespace kept, trailing dropped */
	os = parse_ok("ID='a\\\"b'\nVERSION_ID=$HOME\nPRETTY_NAME=Foo  Linux  \t\n");
	unit_assert_str(os.id, "a\\\"b");
	unit_assert_str(os.version_id, "$HOME");
	unit_assert_str(os.pretty_name, "Foo  Linux");
	scan_os_clear(&os);
}

static void test_comments_blanks_crlf_repeats(void **state)
{
	(void)state;
	struct scan_os os = parse_ok("# a comment\n\n   \n  # indented comment\r\n"
				     "ID=fedora\r\n"
				     "  VERSION_ID=39\n"
				     "ID=rhel\n" /* the later assignment wins */
				     "VERSION_CODENAME=\n"
				     "PRETTY_NAME=\"\"\n"
				     "LOGO=fedora-logo-icon"); /* no newline at the end */
	unit_assert_str(os.id, "rhel");
	unit_assert_str(os.version_id, "39");
	assert_null(os.version_codename); /* empty is absent */
	assert_null(os.pretty_name);
	scan_os_clear(&os);

	os = parse_ok("");
	assert_null(os.id);
}

static void test_unknown_keys_only_checked_for_syntax(void **state)
{
	(void)state;
	/* a control character and a long value in a key that is not kept are not this parser's business */
	char text[8192];
	int n = snprintf(text, sizeof(text), "ANSI_COLOR=\"0;\x1b[31m\"\nDOCUMENTATION_URL=\"%05000d\"\nID=x\n", 7);
	struct scan_os os = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_os_release_parse(text, (size_t)n, &os, &err), 0);
	unit_assert_str(os.id, "x");
	scan_os_clear(&os);
}

static void test_refused(void **state)
{
	(void)state;
	const char *bad[][2] = {
		{ "ID=debian\nPRETTY_NAME=\"Debian\n", "line 2" },
		{ "ID='debian\n", "single quote" },
		{ "HOME_URL=\"x\nID=debian\n", "HOME_URL" },
		{ "ID debian\n", "KEY=value" },
		{ "=debian\n", "KEY=value" },
		{ "1ID=debian\n", "KEY=value" },
		{ "ID-X=debian\n", "KEY=value" },
		{ "ID=debian\\\nVERSION_ID=1\n", "backslash" },
		{ "ID=\"de\tbian\"\n", "control character" },
		{ "ID=\"deb\xe9\"\n", "UTF-8" },
		{ "PRETTY_NAME=\"x\x1b]0;owned\x07\"\n", "control character" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		parse_refused(bad[i][0], strlen(bad[i][0]), EBADMSG, bad[i][1]);
	parse_refused("ID=de\0bian\n", 11, EBADMSG, "control character");

	char text[SCAN_INVENTORY_VALUE_MAX + 16];
	memcpy(text, "ID=", 3);
	memset(text + 3, 'a', SCAN_INVENTORY_VALUE_MAX + 1);
	parse_refused(text, 3 + SCAN_INVENTORY_VALUE_MAX + 1, EBADMSG, "longer than");
	parse_refused(text, SCAN_INVENTORY_OS_RELEASE_MAX + 1, EFBIG, "os-release"); /* checked before read */
}

static void test_null_err(void **state)
{
	(void)state;
	struct scan_os os = { 0 };
	assert_int_equal(scan_os_release_parse("ID='x\n", 6, &os, NULL), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_debian_12),
		cmocka_unit_test(test_debian_testing_has_no_version_id),
		cmocka_unit_test(test_alpine),
		cmocka_unit_test(test_host_os_release),
		cmocka_unit_test(test_quoting),
		cmocka_unit_test(test_comments_blanks_crlf_repeats),
		cmocka_unit_test(test_unknown_keys_only_checked_for_syntax),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_null_err),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
