/* The forwarder: three threads around the durable queue.
 * - The reader (reader.h) follows the file inputs and parses their lines into events.
 * - The writer (the thread that calls audit_forwarder_run, here) takes those batches and polls
 *   the polled inputs (the socket), chains the events, appends them to the queue and makes them
 *   durable (one fdatasync per round), then lets the inputs commit their positions and answer
 *   their producers. Inputs with threads of their own (the webhook) submit under the same lock.
 * - The delivery thread (deliver.c) gives each output a batch from its cursor and advances the
 *   cursor only when the output confirms delivery. An output that fails backs off (100 ms
 *   doubling to 5 s) without holding up the others; while it is down the queue grows, and when
 *   the queue is full the inputs wait.
 * Metrics are served from metrics.c. Every wait is bounded and checks the stop request, so
 * audit_forwarder_stop ends a run within about 100 ms, whatever a producer does.
 * Parsing, hashing and formatting with TLS each cost about a third, so two cores stay busy. The
 * writer keeps at most LAG_MAX_BYTES ahead of a healthy output, so the events it queued are still
 * in the event cache when they are formatted. */
#include "audit/forward.h"

#include "audit/chain.h"
#include "audit/follow.h"
#include "audit/forward_internal.h"
#include "audit/input.h"
#include "audit/queue.h"
#include "audit/reader.h"
#include "audit/route.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/net/server.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int restore_chain(struct audit_forwarder *f, struct cc_error *err)
{
	audit_chain_init(&f->chain);
	_cleanup_free_ char *last = NULL;
	size_t len;
	if (audit_queue_last(f->queue, &last, &len, err) < 0)
		return 0; /* a new queue starts a new chain */
	_cleanup_json_ json_t *doc = NULL;
	if (cc_json_parse(last, len, 1u << 20, "queue record", &doc, err) < 0)
		return cc_error_prefix(err, "restore the hash chain");
	json_t *rec = json_object_get(doc, "checkpoint") ? json_object_get(doc, "checkpoint") : doc;
	const char *hash = json_string_value(json_object_get(rec, "hash"));
	json_t *seq = json_object_get(rec, "seq");
	/* The chain writes prev into each record's text as it is: only a well-formed hash continues it. */
	if (!hash || !json_is_integer(seq) || strlen(hash) != 7 + 64 || strncmp(hash, "sha256:", 7) != 0 ||
	    hash[7 + strspn(hash + 7, "0123456789abcdef")] != '\0')
		return cc_error_set(err, EINVAL, "restore the hash chain: the last queue record has no seq/hash");
	f->chain.next_seq = (uint64_t)json_integer_value(seq) + 1;
	snprintf(f->chain.prev, sizeof(f->chain.prev), "%s", hash);
	cc_info("audit chain continues at seq %" PRIu64, f->chain.next_seq);
	return 0;
}

/* Appends a record, waiting (and delivering) while the queue is full: block, never drop. */
static int append_blocking(struct audit_forwarder *f, const char *data, size_t len, struct audit_queue_pos *ret_pos);

static bool pos_before(const struct audit_queue_pos *a, const struct audit_queue_pos *b)
{
	return a->segment < b->segment || (a->segment == b->segment && a->offset < b->offset);
}

/* The ring holds the last EVENT_CACHE_SIZE events in queue order, so it is searched by bisection
 * on their positions: every output finds any of them, wherever its cursor is. */
static void cache_put(struct audit_forwarder *f, const struct audit_queue_pos *pos, struct cc_event *ev, uint64_t seq,
		      const char *hash)
{
	pthread_mutex_lock(&f->cache_lock);
	struct cached_event *slot = &f->cache[f->cache_puts++ % EVENT_CACHE_SIZE];
	struct cc_event *old = slot->event;
	*slot = (struct cached_event){ .pos = *pos, .event = ev, .seq = seq };
	memcpy(slot->hash, hash, sizeof(slot->hash));
	pthread_mutex_unlock(&f->cache_lock);
	if (f->reader)
		audit_reader_recycle(f->reader, old);
	else
		cc_event_free(old);
}

struct cached_event *audit_forwarder_cache_find(struct audit_forwarder *f, const struct audit_queue_pos *pos)
{
	uint64_t low = f->cache_puts > EVENT_CACHE_SIZE ? f->cache_puts - EVENT_CACHE_SIZE : 0, high = f->cache_puts;
	while (low < high) {
		uint64_t mid = low + (high - low) / 2;
		struct cached_event *slot = &f->cache[mid % EVENT_CACHE_SIZE];
		if (pos_before(&slot->pos, pos))
			low = mid + 1;
		else if (pos_before(pos, &slot->pos))
			high = mid;
		else
			return slot;
	}
	return NULL;
}

uint64_t audit_forwarder_wake_generation(struct audit_forwarder *f)
{
	pthread_mutex_lock(&f->wake_lock);
	uint64_t g = f->wake_generation;
	pthread_mutex_unlock(&f->wake_lock);
	return g;
}

void audit_forwarder_wake(struct audit_forwarder *f)
{
	pthread_mutex_lock(&f->wake_lock);
	f->wake_generation++;
	pthread_cond_broadcast(&f->wake_cond);
	pthread_mutex_unlock(&f->wake_lock);
}

void audit_forwarder_wait(struct audit_forwarder *f, uint64_t seen, int ms)
{
	struct timespec until;
	cc_time_monotonic_deadline(ms, &until);
	pthread_mutex_lock(&f->wake_lock);
	while (f->wake_generation == seen && !f->stop)
		if (pthread_cond_timedwait(&f->wake_cond, &f->wake_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->wake_lock);
}

/* Chains the event and appends it to the queue (taking ownership of ev). */
static int queue_event(struct audit_forwarder *f, struct cc_event *ev)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *json = NULL;
	char hash[AUDIT_HASH_MAX];
	uint64_t seq;
	struct audit_chain saved = f->chain;
	struct audit_queue_pos pos;
	for (size_t i = 0; i < f->cfg->redact_count; i++)
		audit_redact(ev, f->cfg->redact[i]);
	int r = audit_chain_append(&f->chain, ev, &json, hash, &seq, &err);
	if (r == 0)
		r = append_blocking(f, json, strlen(json), &pos);
	if (r < 0) {
		f->chain = saved;
		cc_event_free(ev);
		return r;
	}
	f->queued_total++;
	f->since_checkpoint++;
	cache_put(f, &pos, ev, seq, hash);
	if (f->cfg->checkpoint_key && f->since_checkpoint >= f->cfg->checkpoint_every) {
		_cleanup_free_ char *cp = NULL;
		if (audit_chain_checkpoint(&f->chain, f->cfg->checkpoint_key, f->cfg->checkpoint_key_len, &cp, NULL) ==
			0 &&
		    append_blocking(f, cp, strlen(cp), NULL) == 0)
			f->since_checkpoint = 0;
	}
	return 0;
}

/* Queues a batch of parsed lines from the reader; the input's mark is committed after the sync. */
static int write_batch(struct audit_forwarder *f, struct audit_read_batch *batch, struct cc_error *err)
{
	if (batch->error.code) {
		*err = batch->error;
		return -batch->error.code;
	}
	f->rejected_total += batch->rejected;
	while (batch->taken < batch->count && !f->append_error)
		queue_event(f, batch->events[batch->taken++]);
	if (f->append_error)
		return f->append_error;
	batch->input->read_to = batch->mark; /* committed by its input after the group commit */
	batch->input->read_any = true;
	return 0;
}

int audit_forwarder_follow(struct audit_forwarder *f, struct audit_reader_input *ri, struct cc_error *err)
{
	if (f->followed_count == CC_ARRAY_SIZE(f->followed))
		return cc_error_set(err, EINVAL, "at most %zu followed files", CC_ARRAY_SIZE(f->followed));
	f->followed[f->followed_count++] = ri;
	return 0;
}

int audit_forwarder_queue(struct audit_forwarder *f, struct cc_event *ev)
{
	if (f->append_error) {
		cc_event_free(ev);
		return f->append_error;
	}
	return queue_event(f, ev);
}

int audit_forwarder_submit(struct audit_forwarder *f, struct cc_event **events, size_t count)
{
	int r = 0;
	size_t i = 0;
	pthread_mutex_lock(&f->work_lock);
	while (i < count && (r = audit_forwarder_queue(f, events[i++])) == 0)
		;
	if (r == 0)
		r = audit_queue_sync(f->queue, NULL);
	pthread_mutex_unlock(&f->work_lock);
	while (i < count)
		cc_event_free(events[i++]);
	if (r == 0)
		audit_forwarder_wake(f); /* new durable records for the delivery thread */
	return r;
}

void audit_forwarder_count_rejected(struct audit_forwarder *f, uint64_t lines)
{
	f->rejected_total += lines;
}

const char *audit_forwarder_state_dir(const struct audit_forwarder *f)
{
	return f->cfg->queue_dir;
}

static int append_blocking(struct audit_forwarder *f, const char *data, size_t len, struct audit_queue_pos *ret_pos)
{
	for (;;) {
		struct cc_error err = { 0 };
		int r = audit_queue_append(f->queue, data, len, ret_pos, &err);
		if (r != -ENOSPC) {
			if (r < 0) {
				f->append_error = r;
				*f->err = err;
			}
			return r;
		}
		/* Full (queue limit or disk): make what we have durable, let outputs drain it. */
		f->blocked_total++;
		uint64_t seen = audit_forwarder_wake_generation(f);
		audit_queue_sync(f->queue, NULL);
		audit_forwarder_wake(f);
		if (f->stop || f->delivery_stop) {
			f->append_error = -EINTR;
			cc_error_set(f->err, EINTR, "stopped while the queue was full");
			return -EINTR;
		}
		audit_forwarder_wait(f, seen, 50);
	}
}

/* Makes the queue durable, waiting while the disk is full (the inputs wait with it): block, never
 * drop. */
static int sync_blocking(struct audit_forwarder *f, struct cc_error *err)
{
	for (bool logged = false;; logged = true) {
		int r = audit_queue_sync(f->queue, err);
		if (r != -ENOSPC)
			return r;
		if (!logged)
			cc_warning("%s; the inputs wait", cc_error_message(err));
		f->blocked_total++;
		if (f->stop)
			return r;
		uint64_t seen = audit_forwarder_wake_generation(f);
		audit_forwarder_wait(f, seen, 100);
	}
}

/* A submitting input's thread may be putting events in the cache (and so recycling through the
 * reader): the reader goes under the work lock. */
static void stop_reader(struct audit_forwarder *f)
{
	pthread_mutex_lock(&f->work_lock);
	struct audit_reader *reader = f->reader;
	f->reader = NULL;
	pthread_mutex_unlock(&f->work_lock);
	audit_reader_stop(reader);
}

static void set_defaults(struct audit_forward_config *cfg)
{
	if (!cfg->queue_max_bytes)
		cfg->queue_max_bytes = 1ull << 30;
	if (!cfg->checkpoint_every)
		cfg->checkpoint_every = 1000;
	if (!cfg->batch)
		cfg->batch = 512;
}

/* Start, first phase: the queue, and the hash chain continued from its last record. */
static int open_queue(struct audit_forwarder *f, struct cc_error *err)
{
	int r = audit_queue_open(f->cfg->queue_dir, f->cfg->queue_max_bytes, &f->queue, err);
	if (r < 0)
		return r;
	return restore_chain(f, err);
}

/* Start: the inputs, each in its kind's way (input.h). */
static int start_inputs(struct audit_forwarder *f, struct cc_error *err)
{
	for (size_t i = 0; i < f->cfg->input_count; i++) {
		struct audit_input *in = &f->cfg->inputs[i];
		in->index = i;
		snprintf(in->name, sizeof(in->name), "%s-%zu", in->ops->kind, i);
		int r = in->ops->start(in, f, err);
		f->inputs_started = i + 1; /* stopped at the end even when its start failed half-way */
		if (r < 0)
			return r;
	}
	return 0;
}

/* Start: each output's name (its cursor's), its settings checked, its cursor read. */
static int prepare_outputs(struct audit_forwarder *f, struct cc_error *err)
{
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		struct audit_output *out = &f->cfg->outputs[i];
		snprintf(out->name, sizeof(out->name), "%s-%zu", out->ops->scheme, i);
		for (char *p = out->name; *p; p++)
			if (*p == '+')
				*p = '_';
		f->outputs[i].out = out;
		int r;
		if (out->ops->prepare && (r = out->ops->prepare(out, err)) < 0)
			return r;
		if ((r = audit_queue_cursor(f->queue, out->name, &f->outputs[i].cursor, err)) < 0)
			return r;
		f->outputs[i].sent = f->outputs[i].cursor;
	}
	return 0;
}

/* Start: the metrics endpoint, with its route in the forwarder (not in a static: two forwarders
 * in one process must not share one). */
static int start_metrics(struct audit_forwarder *f, struct cc_error *err)
{
	if (!f->cfg->metrics_listen)
		return 0;
	f->metrics_route = (struct cc_http_route){
		.method = "GET", .path = "/metrics", .handler = audit_forwarder_metrics, .userdata = f
	};
	struct cc_server_config scfg = { .listen = f->cfg->metrics_listen,
					 .routes = &f->metrics_route,
					 .route_count = 1 };
	int r = cc_server_start(&scfg, &f->metrics_server, err);
	return r < 0 ? cc_error_prefix(err, "metrics") : 0;
}

int audit_forwarder_new(struct audit_forward_config *cfg, struct audit_forwarder **ret, struct cc_error *err)
{
	if (cfg->output_count == 0)
		return cc_error_set(err, EINVAL, "give at least one --output");
	set_defaults(cfg);
	struct audit_forwarder *f = cc_xcalloc(1, sizeof(*f));
	f->cfg = cfg;
	f->err = &f->start_err;
	f->cache = cc_xcalloc(EVENT_CACHE_SIZE, sizeof(struct cached_event));
	f->batch = cc_xcalloc(1, sizeof(*f->batch));
	pthread_mutex_init(&f->metrics_lock, NULL);
	pthread_mutex_init(&f->work_lock, NULL);
	pthread_mutex_init(&f->cache_lock, NULL);
	pthread_mutex_init(&f->wake_lock, NULL);
	cc_cond_init_monotonic(&f->wake_cond);
	int r;
	if ((r = open_queue(f, err)) < 0 || (r = prepare_outputs(f, err)) < 0 || (r = start_inputs(f, err)) < 0 ||
	    (r = start_metrics(f, err)) < 0) {
		audit_forwarder_free(f);
		return r;
	}
	*ret = f;
	return 0;
}

void audit_forwarder_stop(struct audit_forwarder *f)
{
	f->stop = true;
	audit_forwarder_wake(f);
}

/* One round of the writer: the reader's next batch and whatever the socket inputs have, chained
 * and queued, made durable together (group commit), and only then the inputs' positions moved
 * and the producers answered. After an idle round it waits up to 20 ms for the reader. Returns
 * the number of lines taken, or a negative errno. */
static int write_round(struct audit_forwarder *f, bool idle, uint64_t seen, bool *ret_caught_up, struct cc_error *err)
{
	struct audit_forward_config *cfg = f->cfg;
	struct audit_read_batch *batch = NULL;
	*ret_caught_up = true;
	if (f->reader)
		audit_reader_take(f->reader, idle ? 20 : 0, &batch, ret_caught_up);
	else if (idle)
		audit_forwarder_wait(f, seen, 20);
	pthread_mutex_lock(&f->work_lock);
	size_t lines = 0;
	int r = 0;
	if (batch) {
		lines += batch->count + batch->rejected;
		r = write_batch(f, batch, err);
		audit_read_batch_release(batch);
	}
	for (size_t i = 0; i < cfg->input_count && r == 0 && !f->append_error; i++)
		if (cfg->inputs[i].ops->poll)
			lines += cfg->inputs[i].ops->poll(&cfg->inputs[i], f);
	if (r == 0 && f->append_error)
		r = f->append_error;
	if (r == 0 && lines && (r = sync_blocking(f, err)) == 0) {
		for (size_t i = 0; i < cfg->input_count; i++)
			if (cfg->inputs[i].ops->commit)
				cfg->inputs[i].ops->commit(&cfg->inputs[i]);
	}
	pthread_mutex_unlock(&f->work_lock);
	return r < 0 ? r : (int)(lines > INT32_MAX ? INT32_MAX : lines);
}

/* A final checkpoint covers the tail, so verify can tell the log was not cut short; the delivery
 * thread is stopped, so this thread delivers it (for a bounded number of steps). */
static void final_checkpoint(struct audit_forwarder *f)
{
	struct audit_forward_config *cfg = f->cfg;
	if (!cfg->checkpoint_key || f->since_checkpoint == 0)
		return;
	_cleanup_free_ char *cp = NULL;
	if (audit_chain_checkpoint(&f->chain, cfg->checkpoint_key, cfg->checkpoint_key_len, &cp, NULL) == 0 &&
	    audit_queue_append(f->queue, cp, strlen(cp), NULL, NULL) == 0 && audit_queue_sync(f->queue, NULL) == 0)
		for (int i = 0; i < 200 && !audit_delivery_all_done(f); i++)
			if (audit_delivery_step(f) == DELIVERY_IDLE)
				break;
}

int audit_forwarder_run(struct audit_forwarder *f, struct cc_error *err)
{
	f->err = err;
	int r = audit_delivery_start(f, err);
	if (r == 0 && f->followed_count)
		r = audit_reader_start(f->followed, f->followed_count, &f->reader, err);
	for (bool idle = false; r == 0 && !f->stop;) {
		uint64_t seen = audit_forwarder_wake_generation(f);
		if (audit_delivery_lagging(f)) {
			audit_forwarder_wait(f, seen, 20);
			continue;
		}
		bool caught_up;
		int lines = write_round(f, idle, seen, &caught_up, err);
		if (lines < 0) {
			r = lines;
			break;
		}
		idle = lines == 0;
		if (lines)
			audit_forwarder_wake(f); /* new durable records for the delivery thread */
		else if (f->cfg->once && caught_up && audit_delivery_all_done(f))
			break;
	}
	stop_reader(f);
	audit_delivery_stop(f);
	if (r < 0)
		return r;
	final_checkpoint(f);
	cc_info("audit forwarder: %" PRIu64 " queued, %" PRIu64 " rejected lines", (uint64_t)f->queued_total,
		(uint64_t)f->rejected_total);
	return 0;
}

void audit_forwarder_free(struct audit_forwarder *f)
{
	if (!f)
		return;
	stop_reader(f);
	audit_delivery_stop(f);
	cc_server_stop(f->metrics_server);
	for (size_t i = f->inputs_started; i-- > 0;)
		f->cfg->inputs[i].ops->stop(&f->cfg->inputs[i]);
	audit_queue_close(f->queue);
	for (size_t i = 0; i < EVENT_CACHE_SIZE; i++)
		cc_event_free(f->cache[i].event);
	free(f->cache);
	free(f->batch);
	pthread_mutex_destroy(&f->metrics_lock);
	pthread_mutex_destroy(&f->work_lock);
	pthread_mutex_destroy(&f->cache_lock);
	pthread_mutex_destroy(&f->wake_lock);
	pthread_cond_destroy(&f->wake_cond);
	free(f);
}
