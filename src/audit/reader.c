/* The reading stage of the forwarder (see reader.h). */
#include "audit/reader.h"

#include "audit/k8s.h"
#include "lib/base/cleanup.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <time.h>

#define LINES_PER_BATCH 1024
#define BATCHES_WAITING 2
#define RECYCLE_MAX     (4 * LINES_PER_BATCH)

struct audit_reader {
	struct audit_reader_input *const *inputs;
	size_t input_count;
	struct audit_k8s_scanner *scanner; /* the reader thread's */
	pthread_t thread;
	pthread_mutex_t lock;
	pthread_cond_t changed; /* a batch was handed over or taken, or stop was asked */
	struct audit_read_batch *waiting[BATCHES_WAITING];
	size_t waiting_count;
	bool caught_up; /* the last pass over the inputs found no new line */
	bool stop;
	/* Events given back to be freed here; swapped with the spare list under recycle_lock. */
	pthread_mutex_t recycle_lock;
	struct cc_event **recycled, **recycled_spare;
	size_t recycled_count;
};

void audit_reader_recycle(struct audit_reader *r, struct cc_event *ev)
{
	if (!ev)
		return;
	pthread_mutex_lock(&r->recycle_lock);
	bool kept = r->recycled_count < RECYCLE_MAX;
	if (kept)
		r->recycled[r->recycled_count++] = ev;
	pthread_mutex_unlock(&r->recycle_lock);
	if (!kept)
		cc_event_free(ev);
}

static void free_recycled(struct audit_reader *r)
{
	pthread_mutex_lock(&r->recycle_lock);
	struct cc_event **list = r->recycled;
	size_t count = r->recycled_count;
	r->recycled = r->recycled_spare;
	r->recycled_spare = list;
	r->recycled_count = 0;
	pthread_mutex_unlock(&r->recycle_lock);
	for (size_t i = 0; i < count; i++)
		cc_event_free(list[i]);
}

struct line_context {
	const struct audit_reader_input *input;
	struct audit_read_batch *batch;
	struct audit_k8s_scanner *scanner;
};

static void parse_line(void *ctx, const char *data, size_t len)
{
	struct line_context *c = ctx;
	struct cc_error err = { 0 };
	struct cc_event *ev = NULL;
	int r;
	if (c->input->k8s) {
		r = audit_k8s_scanner_read(c->scanner, data, len, &ev, &err);
	} else {
		_cleanup_json_ json_t *doc = NULL;
		r = cc_json_parse(data, len, AUDIT_LINE_MAX, "audit line", &doc, &err);
		if (r == 0)
			r = cc_event_from_json(doc, &ev, &err);
	}
	if (r < 0) {
		c->batch->rejected++;
		cc_warning("%s: line rejected: %s", c->input->file->path, cc_error_message(&err));
		return;
	}
	c->batch->events[c->batch->count++] = ev;
}

/* Hands a batch over, waiting while BATCHES_WAITING are not taken yet; false when stopping. */
static bool hand_over(struct audit_reader *r, struct audit_read_batch *batch)
{
	pthread_mutex_lock(&r->lock);
	while (r->waiting_count == BATCHES_WAITING && !r->stop)
		pthread_cond_wait(&r->changed, &r->lock);
	bool stopping = r->stop;
	if (!stopping) {
		r->waiting[r->waiting_count++] = batch;
		r->caught_up = false;
		pthread_cond_broadcast(&r->changed);
	}
	pthread_mutex_unlock(&r->lock);
	if (stopping)
		audit_read_batch_release(batch);
	return !stopping;
}

static void *reader_main(void *arg)
{
	struct audit_reader *r = arg;
	for (;;) {
		size_t lines = 0;
		free_recycled(r);
		for (size_t i = 0; i < r->input_count; i++) {
			struct audit_read_batch *batch = cc_xcalloc(1, sizeof(*batch));
			batch->input = r->inputs[i];
			batch->events = cc_xcalloc(LINES_PER_BATCH, sizeof(*batch->events));
			struct line_context ctx = { r->inputs[i], batch, r->scanner };
			int n =
			    audit_follower_read(r->inputs[i]->file, LINES_PER_BATCH, parse_line, &ctx, &batch->error);
			if (n == 0 && batch->error.code == 0) {
				audit_read_batch_release(batch);
				continue;
			}
			audit_follower_mark(r->inputs[i]->file, &batch->mark);
			lines += n > 0 ? (size_t)n : 1;
			if (!hand_over(r, batch))
				return NULL;
		}
		pthread_mutex_lock(&r->lock);
		if (lines == 0) {
			/* Nothing new anywhere: say so, and look again in 20 ms (files do not signal). */
			r->caught_up = true;
			pthread_cond_broadcast(&r->changed);
			struct timespec until;
			cc_time_monotonic_deadline(20, &until);
			while (!r->stop && pthread_cond_timedwait(&r->changed, &r->lock, &until) != ETIMEDOUT)
				;
		}
		bool stop = r->stop;
		pthread_mutex_unlock(&r->lock);
		if (stop)
			return NULL;
	}
}

/* Frees what a stopped (or never started) reader holds. */
static void free_reader(struct audit_reader *r)
{
	for (size_t i = 0; i < r->waiting_count; i++)
		audit_read_batch_release(r->waiting[i]);
	free_recycled(r);
	free(r->recycled);
	free(r->recycled_spare);
	audit_k8s_scanner_free(r->scanner);
	pthread_cond_destroy(&r->changed);
	pthread_mutex_destroy(&r->lock);
	pthread_mutex_destroy(&r->recycle_lock);
	free(r);
}

int audit_reader_start(struct audit_reader_input *const *inputs, size_t count, struct audit_reader **ret,
		       struct cc_error *err)
{
	struct audit_reader *r = cc_xcalloc(1, sizeof(*r));
	r->inputs = inputs;
	r->input_count = count;
	r->scanner = audit_k8s_scanner_new();
	r->recycled = cc_xcalloc(RECYCLE_MAX, sizeof(*r->recycled));
	r->recycled_spare = cc_xcalloc(RECYCLE_MAX, sizeof(*r->recycled));
	pthread_mutex_init(&r->lock, NULL);
	pthread_mutex_init(&r->recycle_lock, NULL);
	cc_cond_init_monotonic(&r->changed);
	int e = cc_thread_start_worker(&r->thread, reader_main, r);
	if (e != 0) {
		r->stop = true;
		free_reader(r);
		return cc_error_set_errno(err, e, "start the input reader thread");
	}
	*ret = r;
	return 0;
}

void audit_reader_stop(struct audit_reader *r)
{
	if (!r)
		return;
	pthread_mutex_lock(&r->lock);
	r->stop = true;
	pthread_cond_broadcast(&r->changed);
	pthread_mutex_unlock(&r->lock);
	pthread_join(r->thread, NULL);
	free_reader(r);
}

int audit_reader_take(struct audit_reader *r, int timeout_ms, struct audit_read_batch **ret, bool *ret_caught_up)
{
	struct timespec until;
	cc_time_monotonic_deadline(timeout_ms, &until);
	pthread_mutex_lock(&r->lock);
	while (r->waiting_count == 0 && timeout_ms > 0 &&
	       pthread_cond_timedwait(&r->changed, &r->lock, &until) != ETIMEDOUT)
		;
	int got = r->waiting_count > 0;
	if (got) {
		*ret = r->waiting[0];
		for (size_t i = 1; i < r->waiting_count; i++)
			r->waiting[i - 1] = r->waiting[i];
		r->waiting_count--;
		pthread_cond_broadcast(&r->changed);
	}
	*ret_caught_up = !got && r->caught_up;
	pthread_mutex_unlock(&r->lock);
	return got;
}

void audit_read_batch_release(struct audit_read_batch *b)
{
	if (!b)
		return;
	for (size_t i = b->taken; i < b->count; i++)
		cc_event_free(b->events[i]);
	free(b->events);
	free(b);
}
