/* Matching an inventory against the vulnerability database: by source package, in the installed
 * distribution release only, and by the package manager's own version order, so a backported fix
 * (a Debian "+deb12u1", an Alpine "-r3") counts as fixed exactly when the distribution says so. */
#pragma once

#include <jansson.h>

struct cc_error;
struct scan_inventory;
struct scan_vulndb;

/* Appends to findings one object per (package, advisory) that applies:
 *   {"id", "package", "source_package", "installed_version", "fixed_version" (null: none yet),
 *    "status": "fixed" (a fixed version exists, above the installed one) | "unfixed",
 *    "severity", "title", "data_source", "package_type"}
 * distro and release as scan_vulndb_lookup takes them. */
int scan_match(struct scan_vulndb *db, const struct scan_inventory *inv, const char *distro, const char *release,
	       json_t *findings, struct cc_error *err);
