/* The content scanners of one scan (see scan_content.h). A file is read only when a scanner wants
 * it: the malware engine takes every file up to its size limit, the secret rules text files outside
 * test suites and documentation; what neither wants is passed over without a copy. */
#include "scan/scan_content.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "scan/malware.h"
#include "scan/secrets.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define PROGRESS_EVERY_BYTES (16u << 20)

void scan_content_init(struct scan_content *c)
{
	*c = (struct scan_content){ .malware_found = json_array(),
				    .malware_errors = json_array(),
				    .secrets_found = json_array() };
}

void scan_content_clear(struct scan_content *c)
{
	json_decref(c->malware_found);
	json_decref(c->malware_errors);
	json_decref(c->secrets_found);
	free(c->buf);
	*c = (struct scan_content){ 0 };
}

/* The whole file into c->buf (grown as needed); *ret_len what the layer really held. */
/* Reads the file into c->buf (grown to its declared size) up to want bytes from *len on; a reader
 * that ends early gives what the layer really held. */
static int read_upto(struct scan_content *c, const struct scan_image_file *f, struct scan_file_reader *r, size_t want,
		     size_t *len, struct cc_error *err)
{
	if (f->size >= SIZE_MAX)
		return cc_error_set(err, EFBIG, "/%s: too large to read", f->path);
	if (f->size + 1 > c->buf_size) {
		free(c->buf);
		c->buf_size = (size_t)f->size + 1;
		c->buf = cc_xmalloc(c->buf_size);
	}
	if (want > f->size)
		want = (size_t)f->size;
	while (*len < want) {
		ssize_t n = scan_file_read(r, c->buf + *len, want - *len);
		if (n < 0)
			return cc_error_set(err, (int)-n, "/%s: cannot read its content", f->path);
		if (n == 0)
			break;
		*len += (size_t)n;
	}
	c->buf[*len] = '\0';
	return 0;
}

/* Keeps the reading at or under max_read_rate on average since the first read, so a scan of a
 * busy host leaves its disks to the workloads. */
static void throttle(struct scan_content *c, size_t len)
{
	if (!c->max_read_rate)
		return;
	int64_t now = cc_time_monotonic_ms();
	/* allowance saved up while the engine was busy is kept for at most a second, or it would come
	 * out as a burst at full speed */
	int64_t earliest = now - 1000 - (int64_t)((double)c->read_bytes * 1000.0 / (double)c->max_read_rate);
	if (!c->read_bytes || c->read_start_ms < earliest)
		c->read_start_ms = c->read_bytes ? earliest : now;
	c->read_bytes += len;
	int64_t due = c->read_start_ms + (int64_t)((double)c->read_bytes * 1000.0 / (double)c->max_read_rate);
	if (due > now) {
		struct timespec ts = { .tv_sec = (due - now) / 1000, .tv_nsec = (due - now) % 1000 * 1000000 };
		while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
			;
	}
}

static int scan_malware(struct scan_content *c, const struct scan_image_file *f, size_t len)
{
	const char *signature = NULL;
	_cleanup_free_ char *rooted = cc_xasprintf("/%s", f->path);
	struct cc_error scan_err = { 0 };
	int r = scan_malware_scan(c->malware, c->buf, len, rooted, &signature, &scan_err);
	c->malware_files++;
	if (r < 0) {
		/* One file ClamAV cannot read must not end the scan (a crafted file would hide the rest):
		 * it is reported, and the scan's result says it is incomplete. */
		json_array_append_new(c->malware_errors, json_string(cc_error_message(&scan_err)));
		return 0;
	}
	if (r == 0)
		return 0;
	json_array_append_new(c->malware_found, json_pack("{s:s, s:o, s:s, s:s}", "path", rooted, "layer",
							  f->layer ? json_string(f->layer) : json_null(), "signature",
							  signature, "engine", "clamav"));
	return 0;
}

static void report_progress(struct scan_content *c, const struct scan_image_file *f)
{
	uint64_t before = c->seen.bytes;
	c->seen.files++;
	c->seen.bytes += f->size;
	if (c->progress && before / PROGRESS_EVERY_BYTES != c->seen.bytes / PROGRESS_EVERY_BYTES)
		c->progress(c->progress_ctx, &c->seen);
}

int scan_content_visit(void *ctx, const struct scan_image_file *f, struct scan_file_reader *r, struct cc_error *err)
{
	struct scan_content *c = ctx;
	report_progress(c, f);
	bool malware = c->malware && f->size <= scan_malware_max_file_size(c->malware);
	bool secrets = c->secrets && f->size <= SCAN_SECRETS_MAX_FILE_SIZE && !scan_secrets_path_exempt(f->path) &&
		       (!c->secrets_world_readable_only || (f->mode & S_IROTH));
	if (c->malware && !malware)
		c->malware_too_large++;
	if (!malware && !secrets)
		return 0;
	size_t len = 0;
	/* Only text goes to the secret rules: without the malware engine, a binary's first block is all
	 * that is read of it (most of an image's bytes are binaries). */
	int rc = read_upto(c, f, r, malware ? SIZE_MAX : SCAN_SECRETS_TEXT_PROBE, &len, err);
	bool text = rc == 0 && secrets && scan_secrets_is_text(c->buf, len);
	if (rc == 0 && !malware && !text)
		return 0;
	if (rc == 0)
		rc = read_upto(c, f, r, SIZE_MAX, &len, err);
	if (rc == 0)
		throttle(c, len);
	if (rc == 0 && malware)
		rc = scan_malware(c, f, len);
	if (rc == 0 && text) {
		c->secret_files++;
		scan_secrets_find(c->buf, len, f->path, f->layer, c->secrets_found);
	}
	return rc;
}
