/* scan/dpkg_db.c: a trimmed real status file (tests/fixtures/dpkg/status, from Debian 12), the host's
 * own database compared with what dpkg-query says of it, the Status words, status.d files,
 * continuation lines, and malformed or truncated input. */
#include "inventory_unit.h"

#include <errno.h>

static const char fixture_path[] = "/var/lib/dpkg/status";

static void parse_ok(const char *text, size_t len, struct scan_inventory *inv)
{
	struct cc_error err = { 0 };
	int r = scan_dpkg_parse(text, len, fixture_path, inv, &err);
	if (r != 0)
		fail_msg("parse failed (%d): %s", r, err.message);
}

static void parse_refused(const char *text, int code, const char *word)
{
	unit_text_db_refused(scan_dpkg_parse, fixture_path, text, code, word);
}

static void test_fixture(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/dpkg/status", &len);
	struct scan_inventory inv = { 0 };
	parse_ok(data, len, &inv);
	assert_int_equal(inv.n_packages, 9);

	const struct scan_package *bash = unit_package(&inv, "bash"); /* Source: bash (5.2.15-2), a binNMU */
	assert_int_equal(bash->type, SCAN_PACKAGE_DEB);
	unit_assert_str(bash->version, "5.2.15-2+b8");
	unit_assert_str(bash->arch, "amd64");
	unit_assert_str(bash->source_name, "bash");
	unit_assert_str(bash->source_version, "5.2.15-2");
	assert_null(bash->license);
	unit_assert_str(bash->db_path, fixture_path);

	const struct scan_package *bsdutils = unit_package(&inv, "bsdutils"); /* an epoch the source lacks */
	unit_assert_str(bsdutils->version, "1:2.38.1-5+deb12u3");
	unit_assert_str(bsdutils->source_name, "util-linux");
	unit_assert_str(bsdutils->source_version, "2.38.1-5+deb12u3");

	const struct scan_package *libc6 = unit_package(&inv, "libc6"); /* Source: glibc */
	unit_assert_str(libc6->source_name, "glibc");
	unit_assert_str(libc6->source_version, libc6->version);

	const struct scan_package *base_files = unit_package(&inv, "base-files"); /* no Source */
	unit_assert_str(base_files->source_name, "base-files");
	unit_assert_str(base_files->source_version, "12.4+deb12u11");

	unit_assert_str(unit_package(&inv, "tzdata")->arch, "all");
	unit_assert_str(unit_package(&inv, "passwd")->source_name, "shadow");
	scan_inventory_free(&inv);
	free(data);
}

/* The host's database against dpkg-query's view of it: the same packages, versions and sources. */
static void test_host_database_matches_dpkg_query(void **state)
{
	(void)state;
	FILE *f = fopen(fixture_path, "rb");
	if (!f || system("command -v dpkg-query >/dev/null 2>&1") != 0) {
		if (f)
			fclose(f);
		skip(); /* not a Debian host */
		return;
	}
	char *data = NULL;
	size_t len = 0, cap = 0, n;
	char chunk[65536];
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
		if (len + n > cap) {
			cap = (len + n) * 2;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		memcpy(data + len, chunk, n);
		len += n;
	}
	fclose(f);
	struct scan_inventory inv = { 0 };
	parse_ok(data, len, &inv);

	FILE *q = popen("dpkg-query -W -f='${db:Status-Status} ${Package} ${Architecture} ${Version} "
			"${source:Package} ${source:Version}\\n'",
			"r");
	assert_non_null(q);
	char line[4096];
	size_t installed = 0, sources_checked = 0;
	while (fgets(line, sizeof(line), q)) {
		char status[64], name[256], arch[64], version[256], source[256], source_version[256];
		if (sscanf(line, "%63s %255s %63s %255s %255s %255s", status, name, arch, version, source,
			   source_version) != 6)
			fail_msg("dpkg-query line: %s", line);
		if (strcmp(status, "installed") != 0 && strncmp(status, "triggers-", 9) != 0)
			continue;
		installed++;
		bool found = false;
		for (size_t i = 0; i < inv.n_packages && !found; i++) {
			const struct scan_package *p = &inv.packages[i];
			if (strcmp(p->name, name) != 0 || strcmp(p->arch, arch) != 0)
				continue;
			found = true;
			unit_assert_str(p->version, version);
			unit_assert_str(p->source_name, source);
			unit_assert_str(p->source_version, source_version);
			sources_checked += strcmp(source, name) != 0;
		}
		if (!found)
			fail_msg("dpkg-query lists %s:%s, the parser does not", name, arch);
	}
	pclose(q);
	assert_int_equal(inv.n_packages, installed);
	assert_true(installed > 0);
	print_message("host: %zu installed packages, %zu with a source of another name, as dpkg-query says\n",
		      installed, sources_checked);
	scan_inventory_free(&inv);
	free(data);
}

static void test_status_words(void **state)
{
	(void)state;
	const char *text = "Package: removed\nStatus: deinstall ok config-files\nVersion: 1\n\n"
			   "Package: held\nStatus: hold ok installed\nVersion: 2\n\n"
			   "Package: half\nStatus: install ok half-installed\nVersion: 3\n\n"
			   "Package: unpacked\nStatus: install reinstreq unpacked\nVersion: 4\n\n"
			   "Package: purged\nStatus: purge ok not-installed\n\n" /* no Version: not needed */
			   "Package: going\nStatus: deinstall ok installed\nVersion: 5\n\n"
			   "Package: triggered\nStatus: install ok triggers-pending\nVersion: 6\n\n"
			   "Package: kept\nStatus: install ok installed\nVersion: 7\n";
	struct scan_inventory inv = { 0 };
	parse_ok(text, strlen(text), &inv);
	assert_int_equal(inv.n_packages, 4);
	unit_assert_str(inv.packages[0].name, "held");
	unit_assert_str(inv.packages[1].name, "going");
	unit_assert_str(inv.packages[2].name, "triggered");
	unit_assert_str(inv.packages[3].name, "kept");
	scan_inventory_free(&inv);
}

/* A file of /var/lib/dpkg/status.d/ as distroless writes it: no Status, so installed. */
static void test_status_d(void **state)
{
	(void)state;
	const char *text = "Package: libssl3\n"
			   "Version: 3.0.11-1~deb12u2\n"
			   "Architecture: amd64\n"
			   "Source: openssl\n"
			   "Maintainer: Debian OpenSSL Team <pkg-openssl-devel@alioth-lists.debian.net>\n"
			   "Installed-Size: 6165\n"
			   "Depends: libc6 (>= 2.34)\n"
			   "Section: libs\n"
			   "Priority: optional\n"
			   "Multi-Arch: same\n"
			   "Homepage: https://www.openssl.org/\n"
			   "Description: Secure Sockets Layer toolkit - shared libraries\n"
			   " This package is part of the OpenSSL project's implementation of the SSL and TLS\n"
			   " cryptographic protocols for secure communication over the Internet.\n";
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scan_dpkg_parse(text, strlen(text), "/var/lib/dpkg/status.d/libssl3", &inv, &err), 0);
	assert_int_equal(inv.n_packages, 1);
	unit_assert_str(inv.packages[0].source_name, "openssl");
	unit_assert_str(inv.packages[0].source_version, "3.0.11-1~deb12u2");
	unit_assert_str(inv.packages[0].db_path, "/var/lib/dpkg/status.d/libssl3");
	scan_inventory_free(&inv);
}

static void test_layout(void **state)
{
	(void)state;
	/* continuation lines (with tabs, and " ." paragraphs) of fields not kept, blank lines made of
	 * whitespace, several blank lines, names in any case, a value without a space after the colon,
	 * spaces around values, no newline at the end */
	const char *text = "\n\n"
			   "package: a\n"
			   "STATUS: install ok installed\n"
			   "Conffiles:\n"
			   " /etc/a.conf 0123456789abcdef\n"
			   "\t/etc/b.conf 0123456789abcdef obsolete\n"
			   "Description: short\n"
			   " long\n"
			   " .\n"
			   " more\n"
			   "Version:1.0-1  \n"
			   " \t \n"
			   "\n"
			   "Package: b\n"
			   "Version: 2\n"
			   "Source:   b-src   (2-0.1)  ";
	struct scan_inventory inv = { 0 };
	parse_ok(text, strlen(text), &inv);
	assert_int_equal(inv.n_packages, 2);
	unit_assert_str(inv.packages[0].name, "a");
	unit_assert_str(inv.packages[0].version, "1.0-1");
	assert_null(inv.packages[0].arch);
	unit_assert_str(inv.packages[1].source_name, "b-src");
	unit_assert_str(inv.packages[1].source_version, "2-0.1");
	scan_inventory_free(&inv);

	parse_ok("", 0, &inv);
	parse_ok("\n\n  \n", 4, &inv);
	assert_int_equal(inv.n_packages, 0);
}

static void test_refused(void **state)
{
	(void)state;
	const char *bad[][2] = {
		{ " continued\nPackage: a\nVersion: 1\n", "line 1: a continuation line" },
		{ "Package: a\nVersion: 1\n 2\n", "line 3: the Version field continues" },
		{ "Package: a\nVersion 1\n", "line 2: not a `Field: value`" },
		{ "Package: a\n: 1\n", "line 2" },
		{ "Package: a\nVersion: 1\npackage: b\n", "a second Package field" },
		{ "Package: a\nStatus: install ok installed\n", "stanza at line 1 (package `a`): no Version" },
		{ "Version: 1\n", "no Package" },
		{ "Package: a\nVersion: 1\n\nPackage: b\nStatus: install ok\nVersion: 1\n", "stanza at line 4" },
		{ "Package: a\nStatus: install  ok installed\nVersion: 1\n", "want flag status" },
		{ "Package: a\nStatus: install ok installed extra\nVersion: 1\n", "want flag status" },
		{ "Package: a\nStatus: install ok bogus\nVersion: 1\n", "does not write" },
		{ "Package: a\nStatus: wish ok installed\nVersion: 1\n", "does not write" },
		{ "Package: a\nVersion: 1\nSource: b (1\n", "Source is not" },
		{ "Package: a\nVersion: 1\nSource: b 1\n", "Source is not" },
		{ "Package: a\nVersion: 1\nSource: b ()\n", "Source is not" },
		{ "Package: a\nVersion: 1\nSource: b ( )\n", "no version" },
		{ "Package: a\nVersion: 1\nSource: b (1 2)\n", "no version" },
		{ "Package: a\nVersion: 1\x1b[2J\n", "control character" },
		{ "Package: a\nVersion: 1\r\n", "control character" },
		{ "Package: \xff\xfe\nVersion: 1\n", "stanza at line 1: Package (line 1) has invalid UTF-8" },
		{ "Package: a\nVersion: 1\nSource: caf\xe9\n", "invalid UTF-8" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		parse_refused(bad[i][0], EBADMSG, bad[i][1]);

	char *long_version = malloc(SCAN_INVENTORY_VALUE_MAX + 64);
	int n = snprintf(long_version, SCAN_INVENTORY_VALUE_MAX + 64, "Package: a\nVersion: %0*d\n",
			 SCAN_INVENTORY_VALUE_MAX + 1, 1);
	assert_true(n > SCAN_INVENTORY_VALUE_MAX);
	parse_refused(long_version, EBADMSG, "more than 4096 bytes");
	free(long_version);
}

/* Every prefix of the real file parses or is refused cleanly (no read past it, inventory as it was). */
static void test_truncated(void **state)
{
	(void)state;
	size_t len;
	char *data = unit_fixture("tests/fixtures/dpkg/status", &len);
	size_t refused = 0;
	for (size_t cut = 0; cut < len; cut++) {
		char *prefix = malloc(cut ? cut : 1); /* exactly cut bytes, for ASan */
		memcpy(prefix, data, cut);
		struct scan_inventory inv = { 0 };
		struct cc_error err = { 0 };
		int r = scan_dpkg_parse(prefix, cut, NULL, &inv, &err);
		if (r < 0) {
			assert_int_equal(r, -EBADMSG);
			assert_true(err.message[0] != '\0');
			assert_int_equal(inv.n_packages, 0);
			refused++;
		}
		scan_inventory_free(&inv);
		free(prefix);
	}
	assert_true(refused > 0); /* cut inside "Version:" of a stanza, say */
	free(data);
}

static void test_limits(void **state)
{
	(void)state;
	struct scan_inventory inv = { 0 };
	struct cc_error err = { 0 };
	/* the size is checked before a byte is read */
	unit_assert_refused(scan_dpkg_parse("", SCAN_INVENTORY_DB_MAX + 1, fixture_path, &inv, &err), EFBIG, &err,
			    fixture_path);
	inv.n_packages = SCAN_INVENTORY_PACKAGES_MAX; /* a full inventory (no array: nothing is read from it) */
	unit_assert_refused(scan_dpkg_parse("Package: a\nVersion: 1\n", 22, fixture_path, &inv, &err), E2BIG, &err,
			    "packages");
	assert_int_equal(inv.n_packages, SCAN_INVENTORY_PACKAGES_MAX);
	inv.n_packages = 0;
	scan_inventory_free(&inv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fixture),      cmocka_unit_test(test_host_database_matches_dpkg_query),
		cmocka_unit_test(test_status_words), cmocka_unit_test(test_status_d),
		cmocka_unit_test(test_layout),       cmocka_unit_test(test_refused),
		cmocka_unit_test(test_truncated),    cmocka_unit_test(test_limits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
