/* Between the vulnerability database (vulndb.c) and the readers of each feed format (feed_debian.c,
 * feed_alpine.c, feed_osv.c): a reader turns one feed into advisory rows through a feed_writer and
 * knows no SQL; the database knows no feed's shape. The writer checks every string it is given
 * against the bounds below, so a reader only has to say where in the feed it is when one is refused.
 *
 * Internal to src/scan: the matcher and the commands use vulndb.h. */
#pragma once

#include "scan/vulndb.h"

#include <stdbool.h>
#include <stddef.h>

struct cc_error;
struct feed_writer;

#define FEED_ID_MAX      128
#define FEED_VERSION_MAX 256
#define FEED_PACKAGE_MAX 256
#define FEED_RELEASE_MAX 32
#define FEED_SUMMARY_MAX 1024 /* longer summaries are cut here, at a character boundary */
/* Whole feed files: the Debian tracker's JSON is about 60 MB today. */
#define FEED_FILE_MAX_SIZE ((size_t)512 * 1024 * 1024)
/* One OSV record (a file of a directory or an entry of a zip). */
#define FEED_RECORD_MAX_SIZE ((size_t)16 * 1024 * 1024)

/* One (distro, release, package, id) row. */
struct feed_advisory {
	const char *distro;        /* os-release ID: "debian", "alpine", "ubuntu" */
	const char *release;       /* the release key (scan_vulndb_release_key) */
	const char *package;       /* source package */
	const char *id;            /* CVE-..., TEMP-..., GHSA-..., DSA-... */
	const char *introduced;    /* NULL: every version before fixed_version is affected */
	const char *fixed_version; /* NULL: no fix yet */
	const char *severity;      /* one of feed_severity's words */
};

/* Writes a row; one that repeats a row this import already wrote is dropped. Rows that differ only
 * in introduced or fixed_version are all kept (a package is affected while any applies). Counts it
 * in the import's advisories. */
int feed_write_advisory(struct feed_writer *w, const struct feed_advisory *a, struct cc_error *err);
/* Records an id the feed names, affected or not, and its summary (may be NULL; the first one given
 * is kept, cut at FEED_SUMMARY_MAX). Counts distinct ids in the import's vulnerabilities. */
int feed_note_vulnerability(struct feed_writer *w, const char *id, const char *summary, struct cc_error *err);
/* Counts an entry that says "not affected" or names nothing the database can match. */
void feed_count_skipped(struct feed_writer *w);
/* What the file covers beyond its name, for feeds whose files share names across releases (Alpine's
 * v3.18/main.json and v3.19/main.json, OSV's Debian/all.zip and Alpine/all.zip): an import replaces
 * the rows of an earlier one with the same format, file name and scope. Parts are kept sorted and
 * unique; "" is the scope of a file that added none. */
void feed_add_scope(struct feed_writer *w, const char *part);
/* The digest to record when the input is not one file (a directory of OSV records). */
void feed_set_sha256(struct feed_writer *w, const char *hex);

/* "critical", "high", "medium", "low", "negligible" or "unknown" for a feed's word of len bytes in
 * any case, with the synonyms feeds use (moderate, important, unimportant); "unknown" for anything
 * else or NULL. */
const char *feed_severity(const char *word, size_t len);
/* s made safe to quote in a message: cut to fit out (with "..."), control characters as '?'. */
#define FEED_QUOTE_SIZE 80
const char *feed_quote(const char *s, char out[FEED_QUOTE_SIZE]);
/* The release key of a Debian codename ("bookworm" -> "12", "sid" -> "unstable"); NULL when the
 * codename is not one the database keeps. */
const char *feed_debian_release(const char *codename);

/* The release key of an Alpine branch: "v3.18" -> "3.18", "edge" -> "edge"; false otherwise. */
bool feed_alpine_release(const char *branch, char out[FEED_RELEASE_MAX + 1]);

/* The readers. data is the whole input (not NUL-terminated). */
int feed_debian_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err);
int feed_alpine_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err);
/* One record, a JSON array of records, or a zip of record files. */
int feed_osv_read(struct feed_writer *w, const char *data, size_t len, struct cc_error *err);
/* A zip file read entry by entry, never whole. */
int feed_osv_read_zip_file(struct feed_writer *w, const char *path, struct cc_error *err);
/* The *.json files of a directory, in name order; sets the digest (feed_set_sha256). */
int feed_osv_read_dir(struct feed_writer *w, const char *path, struct cc_error *err);
/* True when data starts like a zip file. */
bool feed_osv_is_zip(const void *data, size_t len);
