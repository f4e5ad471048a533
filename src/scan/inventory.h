/* What is installed in a root filesystem: the operating system (os-release) and the packages of its
 * package manager's database, each with its source package, which is what distributions' security
 * feeds name. The parsers take the database's bytes (read from an image layer without unpacking it):
 * every one of them is untrusted input. */
#pragma once

#include <stddef.h>

struct cc_error;

/* Limits on what a database may make the parsers do (docs/scan.md, "Inventory"): a database larger
 * than SCAN_INVENTORY_DB_MAX bytes is refused (a caller may check the size before reading it), an
 * inventory holds at most SCAN_INVENTORY_PACKAGES_MAX packages, and a value that is kept (name,
 * version, arch, source, license, os-release's four keys) is at most SCAN_INVENTORY_VALUE_MAX bytes of
 * UTF-8 without control characters. */
#define SCAN_INVENTORY_DB_MAX         ((size_t)256 << 20)
#define SCAN_INVENTORY_PACKAGES_MAX   1000000
#define SCAN_INVENTORY_VALUE_MAX      4096
#define SCAN_INVENTORY_OS_RELEASE_MAX ((size_t)64 << 10)

enum scan_package_type {
	SCAN_PACKAGE_DEB,
	SCAN_PACKAGE_APK,
	SCAN_PACKAGE_RPM,
};

/* "deb", "apk" or "rpm": the purl type, and what reports call the package's kind. */
const char *scan_package_type_name(enum scan_package_type type);

struct scan_package {
	enum scan_package_type type;
	char *name;
	char *version;     /* as the database has it: dpkg [epoch:]v[-r], apk v-rN, rpm [epoch:]version-release */
	char *arch;        /* NULL when the database has none */
	char *source_name; /* dpkg Source: (else name), apk origin (else name), rpm SOURCERPM's name (else name) */
	/* dpkg Source:'s "(version)" (else version); apk: version; rpm: SOURCERPM's version-release with
	 * the package's epoch (the same as version unless a subpackage sets its own), else version */
	char *source_version;
	char *license; /* NULL when the database has none */
	char *db_path; /* the database it came from, as a path in the root filesystem */
};

struct scan_os {
	char *id;               /* os-release ID: "debian", "alpine", "rhel", ... (NULL: unknown) */
	char *version_id;       /* VERSION_ID: "12", "3.18.4", "9.3" */
	char *version_codename; /* VERSION_CODENAME: "bookworm" (NULL when absent) */
	char *pretty_name;
};

struct scan_inventory {
	struct scan_os os;
	struct scan_package *packages;
	size_t n_packages;
	size_t allocated; /* elements packages has room for (scan_inventory_add grows it) */
};

/* An inventory is the caller's (usually `struct scan_inventory inv = { 0 };`): free releases what it
 * holds, not inv itself, and leaves it empty for reuse. */
void scan_inventory_free(struct scan_inventory *inv);
/* Appends a copy of p (all strings duplicated; NULL strings stay NULL). The parsers check
 * SCAN_INVENTORY_PACKAGES_MAX before they add; a caller adding on its own should too. */
void scan_inventory_add(struct scan_inventory *inv, const struct scan_package *p);
void scan_os_clear(struct scan_os *os);

/* Every parser below returns 0 when it succeeds and otherwise leaves inv as it found it (the packages of a database
 * that fails half-way are not kept), with err naming the database (db_path), and the line, stanza or header index at
 * fault. A database over SCAN_INVENTORY_DB_MAX bytes is -EFBIG, an inventory that would pass
 * SCAN_INVENTORY_PACKAGES_MAX packages -E2BIG, malformed input -EBADMSG. */

/* os-release(5): KEY=value lines with shell quoting. Unknown keys are ignored. On success *ret is
 * overwritten (clear a previous value with scan_os_clear first); an absent or empty key is NULL. */
int scan_os_release_parse(const char *data, size_t len, struct scan_os *ret, struct cc_error *err);

/* dpkg's status file (or one file of status.d/, as distroless images have): the stanzas whose
 * Status is "install ok installed", "hold ok installed" or another want with an installed package:
 * the third word (dpkg's db:Status-Status) decides, since the files are on disk whatever is wanted of
 * the package next. "installed" counts, and so do "triggers-pending" and "triggers-awaited" (configured,
 * a trigger not yet run); "config-files", "not-installed" and the half-done states do not. status.d
 * files have no Status and count as installed. Version is kept as dpkg has it; License is not in
 * dpkg's database (NULL). */
int scan_dpkg_parse(const char *data, size_t len, const char *db_path, struct scan_inventory *inv,
		    struct cc_error *err);

/* apk-tools' installed database (/lib/apk/db/installed): P: name, V: version, A: arch, o: origin,
 * L: license; stanzas separated by a blank line. */
int scan_apk_parse(const char *data, size_t len, const char *db_path, struct scan_inventory *inv, struct cc_error *err);

/* One rpm header blob as rpmdb stores it (no lead, no magic: index count, data size, the index,
 * the data store): name, epoch, version, release, arch, sourcerpm, license. The blob is checked the
 * way rpm's own hdrblobInit() checks it before anything is read from it. A gpg-pubkey pseudo-package
 * (rpm's record of an imported signing key) is not a package: it is skipped and 0 returned. */
int scan_rpm_header_parse(const void *blob, size_t len, const char *db_path, struct scan_inventory *inv,
			  struct cc_error *err);
/* The SQLite rpmdb (rpmdb.sqlite; rpm 4.16+, Fedora/RHEL 9/SUSE), given as its bytes (opened in
 * memory, read-only, never written anywhere): every header of its Packages table, errors naming the
 * header's hnum. A file that is not SQLite (rpm < 4.16 keeps a Berkeley DB `Packages`, rpm 4.16+ on
 * SUSE may keep `Packages.db`) or has no Packages table is -EBADMSG. */
int scan_rpm_sqlite_parse(const void *data, size_t len, const char *db_path, struct scan_inventory *inv,
			  struct cc_error *err);
