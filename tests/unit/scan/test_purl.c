/* scan/purl.c: the purl-spec's own examples for deb, apk and rpm (PURL-TYPES.rst), the percent
 * encoding of its "Character encoding" rules, and what the scanner adds: the distro, the epoch of
 * an rpm and the upstream source package. */
#include "lib/base/buf.h"
#include "scan/purl.h"
#include "unit.h"

static void assert_purl(const struct scan_purl_package *p, const char *want)
{
	char *got = scan_purl(p);
	if (!got || strcmp(got, want) != 0)
		fail_msg("got `%s`, want `%s`", got ? got : "(null)", want);
	free(got);
}

/* PURL-TYPES.rst's examples, from the components they name. */
static void test_spec_examples(void **state)
{
	(void)state;
	assert_purl(
	    &(struct scan_purl_package){
		.type = "deb", .name = "attr", .version = "1:2.4.47-2+b1", .arch = "amd64", .distro_id = "debian" },
	    "pkg:deb/debian/attr@1:2.4.47-2%2Bb1?arch=amd64");
	assert_purl(
	    &(struct scan_purl_package){
		.type = "deb", .name = "dpkg", .version = "1.19.0.4", .arch = "amd64", .distro_id = "ubuntu" },
	    "pkg:deb/ubuntu/dpkg@1.19.0.4?arch=amd64");
	assert_purl(
	    &(struct scan_purl_package){
		.type = "apk", .name = "curl", .version = "7.83.0-r0", .arch = "x86", .distro_id = "alpine" },
	    "pkg:apk/alpine/curl@7.83.0-r0?arch=x86");
	assert_purl(&(struct scan_purl_package){ .type = "rpm",
						 .name = "curl",
						 .version = "7.50.3-1.fc25",
						 .arch = "i386",
						 .distro_id = "fedora",
						 .distro_version = "25" },
		    "pkg:rpm/fedora/curl@7.50.3-1.fc25?arch=i386&distro=fedora-25");
}

static void test_qualifiers_sorted_and_upstream(void **state)
{
	(void)state;
	/* A binary of another name and (without its epoch) another version: upstream has both. */
	assert_purl(&(struct scan_purl_package){ .type = "deb",
						 .name = "bsdutils",
						 .version = "1:2.38.1-5+deb12u3",
						 .arch = "amd64",
						 .source_name = "util-linux",
						 .source_version = "2.38.1-5+deb12u3",
						 .distro_id = "debian",
						 .distro_version = "12" },
		    "pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux%40"
		    "2.38.1-5%2Bdeb12u3");
	/* A binNMU: the same name, the source's version. */
	assert_purl(&(struct scan_purl_package){ .type = "deb",
						 .name = "bash",
						 .version = "5.2.15-2+b2",
						 .arch = "amd64",
						 .source_name = "bash",
						 .source_version = "5.2.15-2",
						 .distro_id = "debian",
						 .distro_version = "12" },
		    "pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12&upstream=bash%405.2.15-2");
	/* Its own source: no upstream. */
	assert_purl(&(struct scan_purl_package){ .type = "deb",
						 .name = "gzip",
						 .version = "1.12-1",
						 .arch = "amd64",
						 .source_name = "gzip",
						 .source_version = "1.12-1",
						 .distro_id = "debian",
						 .distro_version = "12" },
		    "pkg:deb/debian/gzip@1.12-1?arch=amd64&distro=debian-12");
	/* apk: the origin, the same version. */
	assert_purl(&(struct scan_purl_package){ .type = "apk",
						 .name = "libssl3",
						 .version = "3.1.4-r5",
						 .arch = "x86_64",
						 .source_name = "openssl",
						 .source_version = "3.1.4-r5",
						 .distro_id = "alpine",
						 .distro_version = "3.18.4" },
		    "pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.18.4&upstream=openssl");
}

static void test_rpm_epoch(void **state)
{
	(void)state;
	/* The epoch leaves the version for its qualifier; the name keeps its case; a source package
	 * with the same epoch and version-release is no upstream of another version. */
	assert_purl(&(struct scan_purl_package){ .type = "rpm",
						 .name = "NetworkManager",
						 .version = "1:1.46.0-1.fc40",
						 .arch = "x86_64",
						 .source_name = "NetworkManager",
						 .source_version = "1:1.46.0-1.fc40",
						 .distro_id = "fedora",
						 .distro_version = "40" },
		    "pkg:rpm/fedora/NetworkManager@1.46.0-1.fc40?arch=x86_64&distro=fedora-40&epoch=1");
	assert_purl(&(struct scan_purl_package){ .type = "rpm",
						 .name = "bash",
						 .version = "5.2.26-3.el9",
						 .arch = "x86_64",
						 .source_name = "bash",
						 .source_version = "5.2.26-3.el9",
						 .distro_id = "rhel",
						 .distro_version = "9.4" },
		    "pkg:rpm/rhel/bash@5.2.26-3.el9?arch=x86_64&distro=rhel-9.4");
	/* A colon that does not end a number is no epoch. */
	assert_purl(&(struct scan_purl_package){ .type = "rpm", .name = "x", .version = "a:1-1" }, "pkg:rpm/x@a:1-1");
}

static void test_normalisation(void **state)
{
	(void)state;
	/* deb and apk names and every namespace are lowered; the version is not. */
	assert_purl(
	    &(struct scan_purl_package){
		.type = "deb", .name = "LibFoo", .version = "1.0~RC1", .distro_id = "Debian", .distro_version = "12" },
	    "pkg:deb/debian/libfoo@1.0~RC1?distro=debian-12");
	/* Without an OS: no namespace, no distro. */
	assert_purl(&(struct scan_purl_package){ .type = "apk", .name = "musl", .version = "1.2.4-r2" },
		    "pkg:apk/musl@1.2.4-r2");
	/* Debian testing has no VERSION_ID; the caller passes the codename. */
	assert_purl(&(struct scan_purl_package){ .type = "deb",
						 .name = "g++",
						 .version = "4:13.2.0-7",
						 .distro_id = "debian",
						 .distro_version = "trixie" },
		    "pkg:deb/debian/g%2B%2B@4:13.2.0-7?distro=debian-trixie");
	/* Not a package manager of ours, or no name: none. */
	assert_null(scan_purl(&(struct scan_purl_package){ .type = "npm", .name = "x" }));
	assert_null(scan_purl(&(struct scan_purl_package){ .type = "deb", .name = "" }));
	assert_null(scan_purl(&(struct scan_purl_package){ .name = "x" }));
}

static void test_encoding(void **state)
{
	(void)state;
	struct cc_buf out = CC_BUF_INIT;
	/* Unreserved and ":" stay; separators, "+", "%", blanks, non-ASCII and control bytes are %XX. */
	scan_purl_encode(&out, "aZ09.-_~:/@?=&#+% \xc3\xa9\x01");
	assert_string_equal(out.data, "aZ09.-_~:%2F%40%3F%3D%26%23%2B%25%20%C3%A9%01");
	cc_buf_free(&out);
	/* Separators inside components are encoded, so the purl parses back to them. */
	assert_purl(&(struct scan_purl_package){ .type = "rpm", .name = "a/b", .version = "1@2?3#4", .arch = "x&y=z" },
		    "pkg:rpm/a%2Fb@1%402%3F3%234?arch=x%26y%3Dz");
}

static void test_from_report(void **state)
{
	(void)state;
	json_t *p = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:n, s:s}", "type", "deb", "name", "libssl3", "version",
			      "3.0.11-1~deb12u1", "arch", "amd64", "source_name", "openssl", "source_version",
			      "3.0.11-1~deb12u1", "license", "db_path", "/var/lib/dpkg/status");
	json_t *os = json_pack("{s:s, s:s, s:s}", "id", "debian", "version_id", "12", "version_codename", "bookworm");
	char *purl = scan_purl_from_report(p, os);
	assert_string_equal(purl,
			    "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-12&upstream=openssl");
	free(purl);
	/* The codename where there is no VERSION_ID; a null os (unknown) gives neither namespace nor distro. */
	json_object_del(os, "version_id");
	purl = scan_purl_from_report(p, os);
	assert_string_equal(
	    purl, "pkg:deb/debian/libssl3@3.0.11-1~deb12u1?arch=amd64&distro=debian-bookworm&upstream=openssl");
	free(purl);
	purl = scan_purl_from_report(p, json_null());
	assert_string_equal(purl, "pkg:deb/libssl3@3.0.11-1~deb12u1?arch=amd64&upstream=openssl");
	free(purl);
	json_decref(p);
	json_decref(os);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_spec_examples), cmocka_unit_test(test_qualifiers_sorted_and_upstream),
		cmocka_unit_test(test_rpm_epoch),     cmocka_unit_test(test_normalisation),
		cmocka_unit_test(test_encoding),      cmocka_unit_test(test_from_report),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
