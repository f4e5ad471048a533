/* The durable queue between audit inputs and outputs. Records (chained events, one JSON text each)
 * are appended to segment files and survive SIGKILL and power loss once audit_queue_sync has
 * returned; each output reads through its own cursor and a record leaves the queue only when
 * every output has acknowledged it.
 *
 *   <dir>/seg-<16 hex digits>.q    segments, 16 MiB each: records [len u32][crc32c u32][bytes]
 *   <dir>/cursor-<output>          "<segment> <offset>\n", written atomically
 *
 * At open, a torn record at the tail of the newest segment (a crash mid-write) is cut off and
 * counted; a whole record that fails its checksum (bit rot) is counted, logged and skipped, and
 * the records after it are still delivered. The queue is bounded: when the slowest output has
 * max_bytes undelivered, appends fail with -ENOSPC and the caller blocks its producer (the
 * overflow policy is "block", never "drop"). */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define AUDIT_QUEUE_SEGMENT_SIZE (16u << 20)
#define AUDIT_QUEUE_RECORD_MAX   (1u << 20)

struct audit_queue;

struct audit_queue_stats {
	uint64_t bytes; /* on disk, all segments */
	uint64_t records_appended;
	uint64_t torn_records;    /* cut off at open (crash mid-write) */
	uint64_t corrupt_records; /* failed their checksum */
};

/* Position of a record: segment number and byte offset of the record's header. */
struct audit_queue_pos {
	uint64_t segment;
	uint64_t offset;
};

int audit_queue_open(const char *dir, uint64_t max_bytes, struct audit_queue **ret, struct cc_error *err);
void audit_queue_close(struct audit_queue *q);

/* Appends one record (not yet durable); ret_pos (may be NULL) receives where it went.
 * -ENOSPC: the queue is full (or the disk is). */
int audit_queue_append(struct audit_queue *q, const char *data, size_t len, struct audit_queue_pos *ret_pos,
		       struct cc_error *err);
/* Makes every appended record durable (fdatasync) and visible to readers: audit_queue_peek
 * returns only records a sync (or the start-up scan) made durable. Appends and syncs come from
 * one writer at a time; readers and acknowledgements may run in other threads. */
int audit_queue_sync(struct audit_queue *q, struct cc_error *err);

/* The last record in the queue (for restoring the hash chain), or -ENOENT when empty. */
int audit_queue_last(struct audit_queue *q, char **ret, size_t *ret_len, struct cc_error *err);

/* Output cursors. Reads the record at the output's cursor: 1 and the record (NUL-terminated, valid
 * until the next peek), 0 at the end. */
int audit_queue_peek(struct audit_queue *q, const char *output, struct audit_queue_pos *pos, const char **ret,
		     size_t *ret_len, struct audit_queue_pos *ret_next, struct cc_error *err);
/* Registers an output (its cursor starts at the oldest record, or where it was persisted). */
int audit_queue_cursor(struct audit_queue *q, const char *output, struct audit_queue_pos *ret, struct cc_error *err);
/* Persists an output's cursor after its receiver acknowledged everything before pos, and
 * removes segments every output has passed. */
int audit_queue_ack(struct audit_queue *q, const char *output, const struct audit_queue_pos *pos, struct cc_error *err);

/* Records between pos and the end of the queue (for metrics). */
uint64_t audit_queue_pending_bytes(struct audit_queue *q, const struct audit_queue_pos *pos);
void audit_queue_stats(struct audit_queue *q, struct audit_queue_stats *ret);

uint32_t audit_crc32c(const void *data, size_t len);
