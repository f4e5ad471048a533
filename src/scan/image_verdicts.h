/* The scan reports an admission decision reads: a directory of `cocoon scan image --format json`
 * reports (one file each, *.json), indexed by the names the images go by: every repo tag of a
 * report, normalized as podman reads references (`nginx` is `docker.io/library/nginx:latest`);
 * with the manifest digest (reports of OCI archives and layouts, and of the image store),
 * NAME@DIGEST and DIGEST; and the image ID (the config digest). A reference with a digest is
 * matched by its digest only, never by its tag; of two reports for one name the newer file wins.
 * The directory is read again when it changes (a CI job drops a new report, the vulnerability data
 * is refreshed and the images rescanned), by one thread at a time, and lookups never see half a
 * reload. At most 10,000 reports and 256 MiB of them are held. */
#pragma once

#include <jansson.h>

struct cc_error;
struct scan_image_verdicts;

/* Reads dir now; fails when it cannot be read (a report that is not one is skipped with a log). */
int scan_image_verdicts_open(const char *dir, struct scan_image_verdicts **ret, struct cc_error *err);
void scan_image_verdicts_free(struct scan_image_verdicts *v);

/* Re-reads the directory when a report in it was added, removed or rewritten (looked at at most
 * once a second). */
void scan_image_verdicts_refresh(struct scan_image_verdicts *v);
/* The same at once, for the writer of the reports that knows it just wrote one. */
void scan_image_verdicts_reload(struct scan_image_verdicts *v);

/* The report for a container's image reference (a new reference to it), or NULL when no report
 * names it. */
json_t *scan_image_verdicts_find(struct scan_image_verdicts *v, const char *image);

/* How many reports are loaded. */
size_t scan_image_verdicts_count(struct scan_image_verdicts *v);
