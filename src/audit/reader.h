/* The forwarder's first stage: a thread that follows the file inputs and parses each line into an
 * event, handing batches to the writer (which chains, queues and commits them). Parsing is the
 * largest single cost per event; on its own thread it runs beside hashing and delivery.
 *
 * Each batch carries the mark of its input after its last line; the writer commits that mark only
 * once the batch is durable in the queue, so a crash re-reads, never skips. At most two batches
 * wait: the reader then waits too, and the inputs are read no faster than the queue is written. */
#pragma once

#include "audit/follow.h"
#include "lib/base/error.h"
#include "lib/event/event.h"

#include <stdbool.h>
#include <stddef.h>

/* A followed file of an input (in_file.h), and how far the writer has queued its lines. */
struct audit_reader_input {
	struct audit_follower *file;
	bool k8s; /* Kubernetes audit events (k8s-audit:), else cocoon events (events:) */
	/* The writer's: the mark of the last batch it queued, committed (by the input) once durable. */
	struct audit_file_mark read_to;
	bool read_any;
};

struct audit_read_batch {
	struct audit_reader_input *input;
	struct cc_event **events;
	size_t count, taken; /* the writer takes events [taken, count); release frees the rest */
	uint64_t rejected;   /* lines refused (each logged with its reason) */
	struct audit_file_mark mark;
	struct cc_error error; /* error.code != 0: reading the input failed */
};

struct audit_reader;

/* The inputs must outlive the reader; only the reader reads their files until it is stopped. */
int audit_reader_start(struct audit_reader_input *const *inputs, size_t count, struct audit_reader **ret,
		       struct cc_error *err);
/* Stops the thread and frees what it had not handed over. */
void audit_reader_stop(struct audit_reader *r);

/* The next batch, waiting up to timeout_ms for one: 1 with a batch (release it after use), 0 with
 * none; then *ret_caught_up says whether every input was read to its end and handed over. */
int audit_reader_take(struct audit_reader *r, int timeout_ms, struct audit_read_batch **ret, bool *ret_caught_up);
void audit_read_batch_release(struct audit_read_batch *b);

/* Gives an event back to be freed by the reader thread, which allocated it: glibc frees a block
 * from another thread's arena under that arena's lock, and doing so for every event cost more
 * than the parsing it moved away. */
void audit_reader_recycle(struct audit_reader *r, struct cc_event *ev);
