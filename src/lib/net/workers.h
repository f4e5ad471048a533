/* A fixed pool of worker threads with a bounded queue: where cc_server runs request handlers, which
 * may block (a database, a TPM, a key broker round trip) without holding up the event loop. */
#pragma once

#include <stddef.h>

struct cc_error;
struct cc_workers;

typedef void (*cc_work_fn)(void *arg);

int cc_workers_new(int threads, size_t max_queued, struct cc_workers **ret, struct cc_error *err);
/* Queues fn(arg); -EBUSY when max_queued jobs are already waiting (the caller answers 503). */
int cc_workers_submit(struct cc_workers *pool, cc_work_fn fn, void *arg);
/* Refuses new jobs, runs the jobs still queued, and joins the threads. */
void cc_workers_stop(struct cc_workers *pool);
/* Stops (if not yet) and frees. */
void cc_workers_free(struct cc_workers *pool);
