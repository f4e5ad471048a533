/* One scan of an image: its files read (image_files.h), what it has installed (inventory.h), the
 * advisories of the vulnerability database that apply to it (vulndb.h, match.h), as one result the
 * report formats print. */
#pragma once

#include "scan/image_files.h"
#include "scan/inventory.h"
#include "scan/scan_content.h"

#include <jansson.h>

struct cc_error;
struct scan_malware_engine;
struct scan_vulndb;

struct scan_options {
	struct scan_image_limits limits;
	struct scan_vulndb *vulndb;                /* NULL: inventory only, no findings */
	const struct scan_malware_engine *malware; /* NULL: no malware scan (malware.h) */
	bool secrets;                              /* secrets in files (secrets.h); on by default */
	bool config;                               /* the image config's misconfiguration; on by default */
	void (*progress)(void *ctx, const struct scan_progress *p); /* now and then during the read */
	void *progress_ctx;
	uint64_t max_read_rate; /* bytes per second the content scanners read at most; 0: no limit */
	/* Scanning a host (node.h) rather than an image: the walk's directory filter; secrets are then
	 * reported only in files with the read bit for others (the directories above are not looked
	 * at: a 0600 key in /root/.ssh is where it belongs, a 0644 one there is still reported). */
	const struct scan_host_walk *host;
};

struct scan_host_walk {
	bool (*enter_dir)(void *ctx, const char *path, int dir_fd);
	void *ctx;
};

void scan_options_default(struct scan_options *ret);

struct scan_result {
	char *target; /* what was scanned, as given */
	struct scan_image image;
	struct scan_inventory inventory;
	char *release_key;         /* the feeds' name of the OS release ("12"), NULL when unknown */
	json_t *findings;          /* [{id, package, source_package, installed_version, fixed_version, status, severity,
				    *   title, data_source, package_type}] */
	json_t *malware;           /* [{path, layer, signature, engine}] */
	json_t *secrets;           /* [{path, layer, line, rule, title, severity, match}] (secrets.h) */
	json_t *misconfigurations; /* [{id, title, severity, category, field, message}] (image_config.h) */
	json_t *warnings;          /* ["..."]: what the scan could not judge (no OS found, an unreadable database) */
	json_t *policy_violations; /* the policies' verdict (policy.h) when the caller judged it, else NULL */
	/* What the content scanners read: files ClamAV scanned, files above its size limit, text files
	 * the secret rules read; scanned false when that scanner was off. */
	struct {
		bool malware_scanned, secrets_scanned;
		uint64_t malware_files, malware_too_large, malware_errors, secret_files;
		unsigned malware_signatures;
	} content;
};

int scan_run_image(const char *path, const struct scan_options *opts, struct scan_result *ret, struct cc_error *err);
/* The same for an image of cocoon's image store at store_root (NULL: the default,
 * /var/lib/cocoon/images) named by ref (a name, NAME@DIGEST, an ID), read from its blobs: what the
 * platform runs is what is scanned. */
int scan_run_stored_image(const char *store_root, const char *ref, const struct scan_options *opts,
			  struct scan_result *ret, struct cc_error *err);
void scan_result_clear(struct scan_result *r);

/* The package databases and os-release a scan keeps from an image's final filesystem. */
bool scan_wants_file(const char *path);
