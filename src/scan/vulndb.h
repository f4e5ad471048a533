/* The vulnerability database: distributions' security feeds imported into one indexed SQLite file,
 * with where and when each came from, and the lookup a scan makes per source package.
 * docs/scan.md ("Vulnerability data") gives the schema and what each feed's entries mean.
 *
 * A handle is one SQLite connection: use it from one thread at a time. Several processes may use
 * the same file; an import is one write transaction, and readers see the data before or after it. */
#pragma once

#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct scan_vulndb;

enum scan_feed_format {
	SCAN_FEED_DEBIAN_TRACKER, /* security-tracker.debian.org/tracker/data/json */
	SCAN_FEED_ALPINE_SECDB,   /* secdb.alpinelinux.org/vX.Y/{main,community}.{yaml,json} */
	SCAN_FEED_OSV,            /* OSV schema records: a .json file, a directory of them, or a .zip */
};

/* "debian-tracker", "alpine-secdb" or "osv"; -EINVAL otherwise. */
int scan_feed_format_parse(const char *name, enum scan_feed_format *ret);
const char *scan_feed_format_name(enum scan_feed_format format);

/* Opens (create: also creates, with its parent directory) the database at path; ":memory:" is a
 * private database that lives as long as the handle (tests, fuzzing). A file that is not this
 * database (another SQLite file, anything else) is refused, and so is a missing or empty one unless
 * create is set. */
int scan_vulndb_open(const char *path, bool create, struct scan_vulndb **ret, struct cc_error *err);
void scan_vulndb_close(struct scan_vulndb *db);
CC_DEFINE_CLEANUP_FUNC(struct scan_vulndb *, scan_vulndb_close)

struct scan_import_stats {
	uint64_t vulnerabilities; /* distinct ids in the file */
	uint64_t advisories;      /* (release, package, id, fixed version) rows written */
	uint64_t skipped;         /* entries that say "not affected" or name nothing installable */
};

/* Imports one feed file (for osv also a directory of records) in one transaction: the rows an
 * earlier import of the same file name and format wrote are replaced, never mixed. Where a feed's
 * files share a name across releases (Alpine's main.json of every branch, OSV's all.zip of every
 * ecosystem), what the file says it covers (Alpine's distroversion and reponame, OSV's ecosystems)
 * is part of that identity: the source's "scope". A malformed feed changes nothing and err names
 * where it is wrong (package, id, release). */
int scan_vulndb_import(struct scan_vulndb *db, enum scan_feed_format format, const char *path,
		       struct scan_import_stats *ret, struct cc_error *err);
/* The same for a feed already in memory; name stands for the file name (fuzzing, tests). */
int scan_vulndb_import_data(struct scan_vulndb *db, enum scan_feed_format format, const char *name, const void *data,
			    size_t len, struct scan_import_stats *ret, struct cc_error *err);

/* What is loaded: {"sources": [{format, file, scope, sha256, imported, vulnerabilities, advisories,
 * skipped}], "distributions": [{distro, release, advisories}], "newest_import": RFC 3339 or null}.
 * imported and newest_import are UTC in whole seconds; how old is too old is the caller's call
 * (`cocoon scan db status --max-age`). */
int scan_vulndb_status(struct scan_vulndb *db, json_t **ret, struct cc_error *err);

/* One advisory for a source package of a distribution release. */
struct scan_advisory {
	const char *id;            /* CVE-..., GHSA-..., DSA-... */
	const char *fixed_version; /* NULL: no fix yet (open) */
	const char *severity;      /* "critical", "high", "medium", "low", "negligible" or "unknown" */
	const char *summary;       /* may be NULL */
	const char *source;        /* the feed format it came from */
	/* NULL: every version before fixed_version is affected (the Debian tracker and Alpine secdb
	 * say no more). Else the first affected version: an OSV range that starts later; a version below
	 * it is not affected. A matcher that ignores it reports too much, never too little. */
	const char *introduced;
};

/* Calls found for every advisory of package in distro/release: distro is os-release's ID ("debian",
 * "alpine", "ubuntu"), release the feed's release key for it ("12" for Debian bookworm, "3.18" for
 * Alpine v3.18; see scan_vulndb_release_key). Entries that say "not affected" are never stored, so
 * every advisory found applies unless the installed version is at or above fixed_version (or below
 * introduced). Advisories come ordered by id; one id may come more than once: from two feeds (the
 * Debian tracker and OSV's Debian records), from two ranges of one OSV record, or fixed in two
 * versions (Alpine lists a fix backported to an older branch beside the branch's own). The package is
 * affected while any of them applies. The strings are valid only during the call. found returns 0 to
 * go on; a negative errno stops the lookup, which returns it (with err saying so unless err already
 * holds a message). Returns the number of advisories found. */
int scan_vulndb_lookup(struct scan_vulndb *db, const char *distro, const char *release, const char *package,
		       int (*found)(void *ctx, const struct scan_advisory *a), void *ctx, struct cc_error *err);

/* The release key of an installed OS: Debian's VERSION_ID major ("12"; a codename from the tracker
 * maps to it: bookworm -> 12; without VERSION_ID, as on testing, the codename decides; sid ->
 * "unstable"), Alpine's major.minor ("3.18"; a _alpha/_pre VERSION_ID is "edge"), Ubuntu's
 * VERSION_ID ("22.04"). version_id and codename may be NULL. Returns a new string, NULL when the
 * distribution is not one the database knows or the version says nothing it can use. */
char *scan_vulndb_release_key(const char *distro, const char *version_id, const char *codename);
