/* The content scanners of one scan: every regular file of every layer goes through here once, is
 * read into memory once when a scanner wants it, and is handed to the malware engine and the secret
 * rules. Internal to the scanner (scan.c sets it up as the image reader's visitor). */
#pragma once

#include "scan/image_files.h"

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_error;
struct scan_malware_engine;

struct scan_progress {
	uint64_t files, bytes; /* visited so far */
};

struct scan_content {
	const struct scan_malware_engine *malware; /* NULL: no malware scan */
	bool secrets;
	void (*progress)(void *ctx, const struct scan_progress *p); /* called now and then, may be NULL */
	void *progress_ctx;
	uint64_t max_read_rate;           /* bytes per second, 0: no limit */
	bool secrets_world_readable_only; /* a host: a secret is a finding where anyone can read it */
	json_t *malware_found;            /* [{path, layer, signature, engine}] */
	json_t *malware_errors;           /* ["PATH: what libclamav said"]: files the engine could not scan */
	json_t *secrets_found;            /* secrets.h */
	uint64_t malware_files, malware_too_large, secret_files;
	struct scan_progress seen;
	uint64_t read_bytes;   /* content read so far, for the rate limit */
	int64_t read_start_ms; /* when the first content was read (monotonic) */
	char *buf;
	size_t buf_size;
};

void scan_content_init(struct scan_content *c);
void scan_content_clear(struct scan_content *c);

/* The image reader's visitor (scan_image_options.visit) with c as its context. */
int scan_content_visit(void *c, const struct scan_image_file *f, struct scan_file_reader *r, struct cc_error *err);
