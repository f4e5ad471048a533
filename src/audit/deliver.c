/* The forwarder's delivery thread (see forward.c for the three threads): it gives each output a
 * batch from its cursor, formatted from the event cache where it can, and advances the cursor only
 * when the output confirms delivery. An output that fails backs off (100 ms doubling to 5 s)
 * without holding up the others; a pipelining output (write, then confirm) has the next batch
 * written while the previous one is confirmed. */
#include "audit/forward_internal.h"
#include "audit/route.h"
#include "lib/base/cleanup.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

/* Formats one queue record for an output. Checkpoints pass through as JSON in JSON and RFC 5424
 * outputs (where verify reads them) and as a tagged line elsewhere. */
static int format_record(struct audit_forwarder *f, struct audit_output *out, const struct audit_queue_pos *pos,
			 const char *data, size_t len, struct cc_buf *line)
{
	if (out->format == AUDIT_FORMAT_JSON && !out->routed) /* the record is the JSON line: nothing to parse */
		return cc_buf_append(line, data, len);
	pthread_mutex_lock(&f->cache_lock);
	struct cached_event *cached = audit_forwarder_cache_find(f, pos);
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
	struct cached_event *cached = audit_forwarder_cache_find(f, pos);
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

enum delivery audit_delivery_step(struct audit_forwarder *f)
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
		uint64_t seen = audit_forwarder_wake_generation(f);
		enum delivery d = audit_delivery_step(f);
		if (d == DELIVERY_PROGRESS)
			audit_forwarder_wake(f); /* a reader waiting for room or for its lag to shrink */
		else
			audit_forwarder_wait(f, seen, d == DELIVERY_IDLE ? 20 : 5);
	}
	return NULL;
}

int audit_delivery_start(struct audit_forwarder *f, struct cc_error *err)
{
	int r = cc_thread_start_worker(&f->delivery_thread, delivery_main, f);
	if (r != 0)
		return cc_error_set_errno(err, r, "start the delivery thread");
	f->delivery_running = true;
	return 0;
}

void audit_delivery_stop(struct audit_forwarder *f)
{
	if (!f->delivery_running)
		return;
	f->delivery_stop = true;
	audit_forwarder_wake(f);
	pthread_join(f->delivery_thread, NULL);
	f->delivery_running = false;
}

/* Pending bytes of each output, by the cursors the delivery thread last moved. */
bool audit_delivery_all_done(struct audit_forwarder *f)
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

bool audit_delivery_lagging(struct audit_forwarder *f)
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
