/* Package URLs of installed packages (purl-spec: PURL-SPECIFICATION.rst, its "Character encoding"
 * as ECMA-427 words it, and PURL-TYPES.rst's deb, apk and rpm), the identifier the SBOMs and SARIF
 * give each package:
 *
 *   pkg:deb/debian/bsdutils@1:2.38.1-5%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=util-linux%402.38.1-5%2Bdeb12u3
 *   pkg:apk/alpine/libssl3@3.1.4-r5?arch=x86_64&distro=alpine-3.18.4&upstream=openssl
 *   pkg:rpm/fedora/bash@5.2.26-3.fc40?arch=x86_64&distro=fedora-40&epoch=1 */
#pragma once

#include <jansson.h>

struct cc_buf;

struct scan_purl_package {
	const char *type;    /* "deb", "apk", "rpm" */
	const char *name;    /* required */
	const char *version; /* as the database spells it; rpm's "[epoch:]version-release" */
	const char *arch;
	const char *source_name, *source_version; /* the source package (inventory.h) */
	const char *distro_id;                    /* os-release ID: the namespace */
	const char *distro_version;               /* os-release VERSION_ID, else VERSION_CODENAME */
};

/* The purl, malloc'd; NULL when the type is none of deb, apk and rpm or the name is missing.
 * The namespace is the distribution's ID (lower case, as the types require; none when the OS is
 * unknown), deb and apk names are lowered, rpm's epoch moves into a qualifier, and the qualifiers
 * arch, distro (ID-VERSION), epoch and upstream (the source package, with "@version" when that
 * differs from the package's own) are sorted by key. */
char *scan_purl(const struct scan_purl_package *p);

/* The same from a report's package object ({type, name, version, arch, source_name,
 * source_version}) and its os object (null when the OS is unknown). */
char *scan_purl_from_report(const json_t *package, const json_t *os);

/* Appends s percent-encoded as a purl component: ASCII letters, digits, ".-_~" and ":" stay, every
 * other byte is %XX (upper-case hex, RFC 3986 §2.1). */
void scan_purl_encode(struct cc_buf *out, const char *s);
