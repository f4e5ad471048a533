/* The forwarder: three threads around the durable queue.
 * - The reader (reader.h) follows the file inputs and parses their lines into events.
 * - The writer (the caller's thread) takes those batches and reads the socket inputs, chains the
 *   events, appends them to the queue and makes them durable (one fdatasync per round), then
 *   commits the inputs' positions.
 * - The delivery thread gives each output a batch from its cursor and advances the cursor only
 *   when the output confirms delivery. An output that fails backs off (100 ms doubling to 5 s)
 *   without holding up the others; while it is down the queue grows, and when the queue is full
 *   the inputs wait.
 * Parsing, hashing and formatting with TLS each cost about a third, so two cores stay busy. The
 * writer keeps at most LAG_MAX_BYTES ahead of a healthy output, so the events it queued are still
 * in the event cache when they are formatted. */
#include "audit/forward.h"

#include "audit/chain.h"
#include "audit/follow.h"
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

/* Batches written to a pipelining output and not yet confirmed, oldest first. */
#define AUDIT_INFLIGHT_MAX 2

struct inflight {
	uint64_t mark; /* the output's mark for the end of the batch */
	struct audit_queue_pos end;
	size_t count;
	int64_t head_time_ns;
};

struct output_state {
	struct audit_output *out;
	struct audit_queue_pos cursor; /* confirmed by the receiver, persisted */
	struct audit_queue_pos sent;   /* written up to here (pipelining outputs) */
	struct inflight inflight[AUDIT_INFLIGHT_MAX];
	size_t inflight_count;
	int64_t retry_at_ms;
	int64_t backoff_ms;
};

/* Events the forwarder queued in this run, by queue position, so outputs format them without
 * parsing their records back (parsing dominated the cost). Records queued before a restart are
 * not here and are parsed. */
#define EVENT_CACHE_SIZE 8192

struct cached_event {
	struct audit_queue_pos pos;
	struct cc_event *event;
	uint64_t seq;
	char hash[AUDIT_HASH_MAX];
};

/* How far (in queue bytes) the reading thread may run ahead of an output that is keeping up:
 * about 2,000 typical records, well inside the event cache. A backing-off output does not hold
 * the inputs back; the queue takes its backlog. */
#define LAG_MAX_BYTES (6u << 20)

struct audit_forwarder {
	struct cached_event *cache; /* ring of EVENT_CACHE_SIZE slots, under cache_lock */
	uint64_t cache_puts;        /* events put so far: the next one goes to slot cache_puts % size */
	pthread_mutex_t cache_lock;
	struct audit_forward_config *cfg;
	struct audit_queue *queue;
	struct audit_chain chain;
	size_t inputs_started; /* cfg->inputs [0, inputs_started) are started */
	struct audit_reader *reader;
	struct audit_reader_input *followed[AUDIT_MAX_INPUTS]; /* the files the reader follows */
	size_t followed_count;
	struct output_state outputs[AUDIT_MAX_OUTPUTS];
	uint64_t since_checkpoint;
	/* Counters the metrics handler reads from its own thread. */
	_Atomic uint64_t queued_total, rejected_total, blocked_total;
	pthread_mutex_t metrics_lock; /* counters, and the outputs' cursors and back-off times */
	pthread_mutex_t work_lock;    /* the writer's rounds and submitting inputs': one writer of chain and queue */
	/* Either thread tells the other that something moved: new durable records, or deliveries. */
	pthread_mutex_t wake_lock;
	pthread_cond_t wake_cond;
	uint64_t wake_generation;
	pthread_t delivery_thread;
	bool delivery_running;
	atomic_bool delivery_stop;
	/* Asked by audit_forwarder_stop from any thread; every wait of the forwarder's threads is
	 * bounded (at most 100 ms) and checks it. */
	atomic_bool stop;
	struct batch *batch; /* the delivery thread's, and the final flush's once it is joined */
	struct cc_http_route metrics_route;
	struct cc_server *metrics_server;
	struct cc_error *err; /* where the writer's errors go: run's err */
	struct cc_error start_err;
	int append_error;
};

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

/* The cached event queued at pos, or NULL; call with cache_lock held. */
static struct cached_event *cache_find(struct audit_forwarder *f, const struct audit_queue_pos *pos)
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

static uint64_t wake_generation(struct audit_forwarder *f)
{
	pthread_mutex_lock(&f->wake_lock);
	uint64_t g = f->wake_generation;
	pthread_mutex_unlock(&f->wake_lock);
	return g;
}

static void wake_other(struct audit_forwarder *f)
{
	pthread_mutex_lock(&f->wake_lock);
	f->wake_generation++;
	pthread_cond_broadcast(&f->wake_cond);
	pthread_mutex_unlock(&f->wake_lock);
}

/* Waits up to ms for a wake after generation seen (the caller read it before checking its
 * condition, so a wake in between is not missed). */
static void wait_for_wake(struct audit_forwarder *f, uint64_t seen, int ms)
{
	struct timespec until;
	cc_time_monotonic_deadline(ms, &until);
	pthread_mutex_lock(&f->wake_lock);
	while (f->wake_generation == seen && !f->stop)
		if (pthread_cond_timedwait(&f->wake_cond, &f->wake_lock, &until) == ETIMEDOUT)
			break;
	pthread_mutex_unlock(&f->wake_lock);
}

enum delivery {
	DELIVERY_IDLE,     /* every output is caught up */
	DELIVERY_WAITING,  /* records are pending but their outputs are backing off */
	DELIVERY_PROGRESS, /* something was sent */
};

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
		wake_other(f); /* new durable records for the delivery thread */
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
		uint64_t seen = wake_generation(f);
		audit_queue_sync(f->queue, NULL);
		wake_other(f);
		if (f->stop || f->delivery_stop) {
			f->append_error = -EINTR;
			cc_error_set(f->err, EINTR, "stopped while the queue was full");
			return -EINTR;
		}
		wait_for_wake(f, seen, 50);
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
		uint64_t seen = wake_generation(f);
		wait_for_wake(f, seen, 100);
	}
}

/* Formats one queue record for an output. Checkpoints pass through as JSON in JSON and RFC 5424
 * outputs (where verify reads them) and as a tagged line elsewhere. */
static int format_record(struct audit_forwarder *f, struct audit_output *out, const struct audit_queue_pos *pos,
			 const char *data, size_t len, struct cc_buf *line)
{
	if (out->format == AUDIT_FORMAT_JSON && !out->routed) /* the record is the JSON line: nothing to parse */
		return cc_buf_append(line, data, len);
	pthread_mutex_lock(&f->cache_lock);
	struct cached_event *cached = cache_find(f, pos);
	if (cached) {
		int r = 1; /* not for this output */
		if (!out->routed || audit_route_match(&out->route, cached->event)) {
			struct audit_record rec = {
				.event = cached->event, .seq = cached->seq, .hash = cached->hash, .json = data
			};
			r = audit_formatter(out->format)->format(&rec, line);
		}
		pthread_mutex_unlock(&f->cache_lock);
		return r;
	}
	pthread_mutex_unlock(&f->cache_lock);
	_cleanup_json_ json_t *doc = NULL;
	if (cc_json_parse(data, len, 1u << 20, "queue record", &doc, NULL) < 0)
		return -EINVAL;
	if (json_object_get(doc, "checkpoint"))
		return audit_format_checkpoint(out->format, data, len, line);
	struct cc_event *ev;
	if (cc_event_from_json(json_object_get(doc, "event"), &ev, NULL) < 0)
		return -EINVAL;
	if (out->routed && !audit_route_match(&out->route, ev)) {
		cc_event_free(ev);
		return 1;
	}
	struct audit_record rec = {
		.event = ev,
		.seq = (uint64_t)json_integer_value(json_object_get(doc, "seq")),
		.hash = json_string_value(json_object_get(doc, "hash")),
		.json = data,
	};
	int r = audit_formatter(out->format)->format(&rec, line);
	cc_event_free(ev);
	return r;
}

/* The time of the fact a queue record holds, for the oldest-undelivered-age metric: from the
 * event cache, else from the record itself; checkpoints and unreadable records count as now. */
static int64_t record_time_ns(struct audit_forwarder *f, const struct audit_queue_pos *pos, const char *data,
			      size_t len)
{
	pthread_mutex_lock(&f->cache_lock);
	struct cached_event *cached = cache_find(f, pos);
	int64_t cached_ns = cached ? cached->event->time_ns : 0;
	pthread_mutex_unlock(&f->cache_lock);
	if (cached_ns)
		return cached_ns;
	_cleanup_json_ json_t *doc = NULL;
	if (cc_json_parse(data, len, 1u << 20, "queue record", &doc, NULL) < 0)
		return cc_time_now_ns();
	const char *time = json_string_value(json_object_get(json_object_get(doc, "event"), "time"));
	int64_t ns;
	if (!time || cc_time_parse_rfc3339(time, &ns) < 0)
		return cc_time_now_ns();
	return ns;
}

/* One batch read from the queue and formatted for an output. */
struct batch {
	struct audit_message messages[1024];
	struct cc_buf lines[1024];
	size_t count;
	struct audit_queue_pos next; /* after the last record read (routed-away ones included) */
	int64_t head_time_ns;        /* time of the first event, for the oldest-undelivered metric */
};

static void batch_read(struct audit_forwarder *f, struct output_state *o, const struct audit_queue_pos *from,
		       struct batch *b)
{
	size_t limit = f->cfg->batch < 1024 ? f->cfg->batch : 1024;
	b->count = 0;
	b->next = *from;
	b->head_time_ns = 0;
	while (b->count < limit) {
		const char *raw;
		size_t len;
		struct audit_queue_pos after;
		if (audit_queue_peek(f->queue, o->out->name, &b->next, &raw, &len, &after, NULL) != 1)
			break;
		struct cc_buf *line = &b->lines[b->count];
		*line = (struct cc_buf)CC_BUF_INIT;
		int fr = format_record(f, o->out, &b->next, raw, len, line);
		if (fr == 1) { /* routed elsewhere: pass over it, the cursor still moves */
			cc_buf_free(line);
			b->next = after;
			continue;
		}
		if (fr < 0)
			cc_buf_append(line, raw, len); /* never drop: send it as it is */
		if (b->count == 0)
			b->head_time_ns = record_time_ns(f, &b->next, raw, len);
		b->messages[b->count++] = (struct audit_message){ line->data, line->len };
		b->next = after;
	}
}

static void batch_free(struct batch *b)
{
	for (size_t i = 0; i < b->count; i++)
		cc_buf_free(&b->lines[i]);
	b->count = 0;
}

/* The receiver has everything before pos: persist the cursor, count the delivery. */
static void delivered(struct audit_forwarder *f, struct output_state *o, const struct audit_queue_pos *pos,
		      size_t count)
{
	audit_queue_ack(f->queue, o->out->name, pos, NULL);
	pthread_mutex_lock(&f->metrics_lock);
	o->out->delivered += count;
	o->out->oldest_undelivered_ns = 0; /* known again when the next batch is read */
	o->backoff_ms = 0;
	o->cursor = *pos;
	pthread_mutex_unlock(&f->metrics_lock);
	o->sent = o->inflight_count ? o->sent : *pos;
}

/* Nothing after the cursor is confirmed: back off, then send it all again (at least once). */
static void failed(struct audit_forwarder *f, struct output_state *o, size_t count, int64_t head_time_ns,
		   const struct cc_error *err)
{
	pthread_mutex_lock(&f->metrics_lock);
	o->out->retried += count;
	o->out->oldest_undelivered_ns = head_time_ns;
	o->out->failures++;
	o->backoff_ms = o->backoff_ms ? (o->backoff_ms * 2 > 5000 ? 5000 : o->backoff_ms * 2) : 100;
	o->retry_at_ms = cc_time_monotonic_ms() + o->backoff_ms;
	pthread_mutex_unlock(&f->metrics_lock);
	o->sent = o->cursor;
	o->inflight_count = 0;
	cc_warning("audit output %s: %s; retrying in %" PRId64 " ms", o->out->target, cc_error_message(err),
		   o->backoff_ms);
}

/* One step for an output whose send confirms before it returns (file, RELP). */
static enum delivery deliver_confirmed(struct audit_forwarder *f, struct output_state *o, struct batch *b)
{
	batch_read(f, o, &o->cursor, b);
	bool moved = b->next.segment != o->cursor.segment || b->next.offset != o->cursor.offset;
	if (b->count == 0) {
		if (moved) /* everything read was routed elsewhere */
			delivered(f, o, &b->next, 0);
		return moved ? DELIVERY_PROGRESS : DELIVERY_IDLE;
	}
	struct cc_error err = { 0 };
	int r = o->out->ops->send(o->out, b->messages, b->count, &err);
	if (r == 0)
		delivered(f, o, &b->next, b->count);
	else
		failed(f, o, b->count, b->head_time_ns, &err);
	batch_free(b);
	return r == 0 ? DELIVERY_PROGRESS : DELIVERY_WAITING;
}

static size_t inflight_records(const struct output_state *o)
{
	size_t n = 0;
	for (size_t i = 0; i < o->inflight_count; i++)
		n += o->inflight[i].count;
	return n;
}

/* One step for an output that writes now and confirms later (syslog over TLS): the next batch is
 * written while the receiver is still taking the previous one, so it never waits for us; a
 * batch's records leave the cursor only once it is confirmed. */
static enum delivery deliver_pipelined(struct audit_forwarder *f, struct output_state *o, struct batch *b)
{
	enum delivery result = DELIVERY_IDLE;
	struct cc_error err = { 0 };
	bool wrote = false;
	if (o->inflight_count < AUDIT_INFLIGHT_MAX) {
		batch_read(f, o, &o->sent, b);
		if (b->next.segment != o->sent.segment || b->next.offset != o->sent.offset)
			result = DELIVERY_PROGRESS;
		if (b->count > 0) {
			uint64_t mark;
			int r = o->out->ops->write(o->out, b->messages, b->count, &mark, &err);
			struct inflight batch = {
				.mark = mark, .end = b->next, .count = b->count, .head_time_ns = b->head_time_ns
			};
			batch_free(b);
			if (r < 0) {
				failed(f, o, batch.count + inflight_records(o), batch.head_time_ns, &err);
				return DELIVERY_WAITING;
			}
			o->inflight[o->inflight_count++] = batch;
			wrote = true;
		}
		o->sent = b->next; /* routed-away records go with the batch confirmed after them */
		if (o->inflight_count == 0 && result == DELIVERY_PROGRESS)
			delivered(f, o, &o->sent, 0);
	}
	/* Confirm the oldest batch once the window is full, or when there is nothing more to write. */
	if (o->inflight_count > 0 && (o->inflight_count == AUDIT_INFLIGHT_MAX || !wrote)) {
		struct inflight oldest = o->inflight[0];
		if (o->out->ops->confirm(o->out, oldest.mark, &err) < 0) {
			failed(f, o, inflight_records(o), oldest.head_time_ns, &err);
			return DELIVERY_WAITING;
		}
		memmove(o->inflight, o->inflight + 1, --o->inflight_count * sizeof(o->inflight[0]));
		/* The last one out takes the cursor to everything written, routed-away records included. */
		delivered(f, o, o->inflight_count ? &oldest.end : &o->sent, oldest.count);
		result = DELIVERY_PROGRESS;
	}
	return result;
}

/* Gives each output one step. */
static enum delivery deliver_once(struct audit_forwarder *f)
{
	struct batch *b = f->batch;
	enum delivery result = DELIVERY_IDLE;
	int64_t now = cc_time_monotonic_ms();
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		struct output_state *o = &f->outputs[i]; /* this thread writes it; others read under metrics_lock */
		enum delivery d;
		if (now < o->retry_at_ms)
			d = audit_queue_pending_bytes(f->queue, &o->cursor) > 0 ? DELIVERY_WAITING : DELIVERY_IDLE;
		else if (o->out->ops->write && o->out->ops->confirm)
			d = deliver_pipelined(f, o, b);
		else
			d = deliver_confirmed(f, o, b);
		if (d > result)
			result = d;
	}
	return result;
}

static void *delivery_main(void *arg)
{
	struct audit_forwarder *f = arg;
	while (!f->delivery_stop) {
		uint64_t seen = wake_generation(f);
		enum delivery d = deliver_once(f);
		if (d == DELIVERY_PROGRESS)
			wake_other(f); /* a reader waiting for room or for its lag to shrink */
		else
			wait_for_wake(f, seen, d == DELIVERY_IDLE ? 20 : 5);
	}
	return NULL;
}

static int start_delivery(struct audit_forwarder *f, struct cc_error *err)
{
	int r = cc_thread_start_worker(&f->delivery_thread, delivery_main, f);
	if (r != 0)
		return cc_error_set_errno(err, r, "start the delivery thread");
	f->delivery_running = true;
	return 0;
}

static void stop_delivery(struct audit_forwarder *f)
{
	if (!f->delivery_running)
		return;
	f->delivery_stop = true;
	wake_other(f);
	pthread_join(f->delivery_thread, NULL);
	f->delivery_running = false;
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

/* Pending bytes of each output, by the cursors the delivery thread last moved. */
static bool all_delivered(struct audit_forwarder *f)
{
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		pthread_mutex_lock(&f->metrics_lock);
		struct audit_queue_pos cursor = f->outputs[i].cursor;
		pthread_mutex_unlock(&f->metrics_lock);
		if (audit_queue_pending_bytes(f->queue, &cursor) > 0)
			return false;
	}
	return true;
}

/* True when an output that is not backing off is more than LAG_MAX_BYTES behind. */
static bool outputs_lagging(struct audit_forwarder *f)
{
	int64_t now = cc_time_monotonic_ms();
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		pthread_mutex_lock(&f->metrics_lock);
		struct audit_queue_pos cursor = f->outputs[i].cursor;
		bool backing_off = now < f->outputs[i].retry_at_ms;
		pthread_mutex_unlock(&f->metrics_lock);
		if (!backing_off && audit_queue_pending_bytes(f->queue, &cursor) > LAG_MAX_BYTES)
			return true;
	}
	return false;
}

static void metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct audit_forwarder *f = userdata;
	struct audit_queue_stats qs;
	audit_queue_stats(f->queue, &qs);
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; version=0.0.4");
	struct cc_buf *b = &resp->body;
	pthread_mutex_lock(&f->metrics_lock);
	cc_buf_appendf(b,
		       "# HELP cocoon_audit_queued_total Events chained and written to the durable queue.\n"
		       "# TYPE cocoon_audit_queued_total counter\ncocoon_audit_queued_total %" PRIu64 "\n",
		       (uint64_t)f->queued_total);
	cc_buf_appendf(
	    b,
	    "# HELP cocoon_audit_rejected_total Input lines rejected as unreadable (logged with the reason).\n"
	    "# TYPE cocoon_audit_rejected_total counter\ncocoon_audit_rejected_total %" PRIu64 "\n",
	    (uint64_t)f->rejected_total);
	cc_buf_appendf(b,
		       "# HELP cocoon_audit_dropped_total Events dropped. Always 0: a full queue blocks the inputs.\n"
		       "# TYPE cocoon_audit_dropped_total counter\ncocoon_audit_dropped_total 0\n");
	cc_buf_appendf(b,
		       "# HELP cocoon_audit_queue_bytes Bytes in the durable queue.\n"
		       "# TYPE cocoon_audit_queue_bytes gauge\ncocoon_audit_queue_bytes %" PRIu64 "\n",
		       qs.bytes);
	cc_buf_appendf(b,
		       "# HELP cocoon_audit_queue_blocked_total Times the inputs waited for a full queue.\n"
		       "# TYPE cocoon_audit_queue_blocked_total counter\ncocoon_audit_queue_blocked_total %" PRIu64
		       "\n",
		       (uint64_t)f->blocked_total);
	cc_buf_appendf(
	    b,
	    "# TYPE cocoon_audit_queue_torn_records_total counter\ncocoon_audit_queue_torn_records_total %" PRIu64
	    "\n# TYPE cocoon_audit_queue_corrupt_records_total counter\ncocoon_audit_queue_corrupt_records_total "
	    "%" PRIu64 "\n",
	    qs.torn_records, qs.corrupt_records);
	cc_buf_append_str(b, "# TYPE cocoon_audit_delivered_total counter\n# TYPE cocoon_audit_retried_total counter\n"
			     "# TYPE cocoon_audit_undelivered_bytes gauge\n"
			     "# HELP cocoon_audit_oldest_undelivered_age_seconds Age of the oldest event an output "
			     "failed to deliver so far (0 when it is keeping up).\n"
			     "# TYPE cocoon_audit_oldest_undelivered_age_seconds gauge\n");
	for (size_t i = 0; i < f->cfg->input_count; i++)
		if (f->cfg->inputs[i].ops->metrics && i < f->inputs_started)
			f->cfg->inputs[i].ops->metrics(&f->cfg->inputs[i], b);
	int64_t now_ns = cc_time_now_ns();
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		struct output_state *o = &f->outputs[i];
		uint64_t pending = audit_queue_pending_bytes(f->queue, &o->cursor);
		int64_t since = o->out->oldest_undelivered_ns;
		double age = pending > 0 && since > 0 && now_ns > since ? (double)(now_ns - since) / 1e9 : 0.0;
		cc_buf_appendf(b, "cocoon_audit_oldest_undelivered_age_seconds{output=\"%s\"} %.3f\n", o->out->name,
			       age);
		cc_buf_appendf(b, "cocoon_audit_delivered_total{output=\"%s\"} %" PRIu64 "\n", o->out->name,
			       o->out->delivered);
		cc_buf_appendf(b, "cocoon_audit_retried_total{output=\"%s\"} %" PRIu64 "\n", o->out->name,
			       o->out->retried);
		cc_buf_appendf(b, "cocoon_audit_undelivered_bytes{output=\"%s\"} %" PRIu64 "\n", o->out->name, pending);
	}
	pthread_mutex_unlock(&f->metrics_lock);
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
	f->metrics_route =
	    (struct cc_http_route){ .method = "GET", .path = "/metrics", .handler = metrics, .userdata = f };
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
	wake_other(f);
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
		wait_for_wake(f, seen, 20);
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
		for (int i = 0; i < 200 && !all_delivered(f); i++)
			if (deliver_once(f) == DELIVERY_IDLE)
				break;
}

int audit_forwarder_run(struct audit_forwarder *f, struct cc_error *err)
{
	f->err = err;
	int r = start_delivery(f, err);
	if (r == 0 && f->followed_count)
		r = audit_reader_start(f->followed, f->followed_count, &f->reader, err);
	for (bool idle = false; r == 0 && !f->stop;) {
		uint64_t seen = wake_generation(f);
		if (outputs_lagging(f)) {
			wait_for_wake(f, seen, 20);
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
			wake_other(f); /* new durable records for the delivery thread */
		else if (f->cfg->once && caught_up && all_delivered(f))
			break;
	}
	stop_reader(f);
	stop_delivery(f);
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
	stop_delivery(f);
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
