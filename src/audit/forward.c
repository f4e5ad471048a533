/* The forwarder loop. One thread does the work, round-robin: read a batch from each input, chain
 * it, append it to the queue and make it durable, commit the inputs' positions; then give each
 * output a batch from its cursor and advance the cursor only when the output confirms delivery.
 * An output that fails backs off (100 ms doubling to 5 s) without holding up the others; while it
 * is down the queue grows, and when the queue is full the inputs wait. */
#include "audit/forward.h"

#include "audit/chain.h"
#include "audit/in_file.h"
#include "audit/in_socket.h"
#include "audit/k8s.h"
#include "audit/queue.h"
#include "audit/route.h"
#include "base/cleanup.h"
#include "base/error.h"
#include "base/log.h"
#include "base/timeutil.h"
#include "json/json.h"
#include "net/server.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

struct input {
	bool socket;
	struct audit_file_input file;   /* k8s-audit: and events: */
	struct audit_socket_input sock; /* socket: */
	bool k8s;
	uint64_t rejected;
};

struct output_state {
	struct audit_output *out;
	struct audit_queue_pos cursor;
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

struct forwarder {
	struct cached_event *cache; /* EVENT_CACHE_SIZE slots */
	struct audit_forward_config *cfg;
	struct audit_queue *queue;
	struct audit_chain chain;
	struct input inputs[AUDIT_MAX_INPUTS];
	struct output_state outputs[AUDIT_MAX_OUTPUTS];
	uint64_t since_checkpoint;
	uint64_t queued_total, rejected_total, blocked_total;
	pthread_mutex_t metrics_lock;
	pthread_mutex_t work_lock; /* the loop's work and the webhook's: one writer of chain and queue */
	struct cc_error *err;
	int append_error;
};

static volatile sig_atomic_t stop_requested;

static void request_stop(int sig)
{
	stop_requested = 1;
}

static int restore_chain(struct forwarder *f, struct cc_error *err)
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
	if (!hash || !json_is_integer(seq) || strlen(hash) >= sizeof(f->chain.prev))
		return cc_error_set(err, EINVAL, "restore the hash chain: the last queue record has no seq/hash");
	f->chain.next_seq = (uint64_t)json_integer_value(seq) + 1;
	snprintf(f->chain.prev, sizeof(f->chain.prev), "%s", hash);
	cc_info("audit chain continues at seq %" PRIu64, f->chain.next_seq);
	return 0;
}

/* Appends a record, waiting (and delivering) while the queue is full: block, never drop. */
static int append_blocking(struct forwarder *f, const char *data, size_t len, struct audit_queue_pos *ret_pos);

static struct cached_event *cache_slot(struct forwarder *f, const struct audit_queue_pos *pos)
{
	uint64_t h = pos->segment * 0x9E3779B97F4A7C15ull ^ pos->offset;
	return &f->cache[(h ^ (h >> 29)) % EVENT_CACHE_SIZE];
}

static void cache_put(struct forwarder *f, const struct audit_queue_pos *pos, struct cc_event *ev, uint64_t seq,
		      const char *hash)
{
	struct cached_event *slot = cache_slot(f, pos);
	cc_event_free(slot->event);
	*slot = (struct cached_event){ .pos = *pos, .event = ev, .seq = seq };
	snprintf(slot->hash, sizeof(slot->hash), "%s", hash);
}

enum delivery {
	DELIVERY_IDLE,     /* every output is caught up */
	DELIVERY_WAITING,  /* records are pending but their outputs are backing off */
	DELIVERY_PROGRESS, /* something was sent */
};

static enum delivery deliver(struct forwarder *f);

/* Chains the event and appends it to the queue (taking ownership of ev). */
static int queue_event(struct forwarder *f, struct cc_event *ev)
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

static void queue_line(void *ctx, const char *data, size_t len)
{
	struct forwarder *f = ((void **)ctx)[0];
	struct input *in = ((void **)ctx)[1];
	if (f->append_error)
		return;
	struct cc_error err = { 0 };
	struct cc_event *ev = NULL;
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(data, len, AUDIT_LINE_MAX, "audit line", &doc, &err);
	if (r == 0)
		r = in->k8s ? audit_k8s_to_event(doc, &ev, &err) : cc_event_from_json(doc, &ev, &err);
	if (r < 0) {
		in->rejected++;
		f->rejected_total++;
		cc_warning("%s: line rejected: %s", in->file.path, cc_error_message(&err));
		return;
	}
	queue_event(f, ev);
}

/* A line from a producer on the audit socket: a cocoon event. */
static int socket_line(void *ctx, const char *line, size_t len, char *reason, size_t reason_size, char id_out[37])
{
	struct forwarder *f = ctx;
	struct cc_error err = { 0 };
	struct cc_event *ev;
	if (f->append_error)
		return -EIO;
	if (cc_event_parse(line, len, &ev, &err) < 0) {
		f->rejected_total++;
		snprintf(reason, reason_size, "%s", cc_error_message(&err));
		return -EINVAL;
	}
	snprintf(id_out, 37, "%s", ev->id);
	if (queue_event(f, ev) < 0) {
		snprintf(reason, reason_size, "the queue cannot take the event");
		return -EIO;
	}
	return 0;
}

static int append_blocking(struct forwarder *f, const char *data, size_t len, struct audit_queue_pos *ret_pos)
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
		audit_queue_sync(f->queue, NULL);
		deliver(f);
		if (stop_requested) {
			f->append_error = -EINTR;
			cc_error_set(f->err, EINTR, "stopped while the queue was full");
			return -EINTR;
		}
		usleep(50000);
	}
}

/* Formats one queue record for an output. Checkpoints pass through as JSON in JSON and RFC 5424
 * outputs (where verify reads them) and as a tagged line elsewhere. */
static int format_record(struct forwarder *f, struct audit_output *out, const struct audit_queue_pos *pos,
			 const char *data, size_t len, struct cc_buf *line)
{
	if (out->format == AUDIT_FORMAT_JSON && !out->routed) /* the record is the JSON line: nothing to parse */
		return cc_buf_append(line, data, len);
	struct cached_event *cached = cache_slot(f, pos);
	if (cached->event && cached->pos.segment == pos->segment && cached->pos.offset == pos->offset) {
		if (out->routed && !audit_route_match(&out->route, cached->event))
			return 1; /* not for this output */
		struct audit_record rec = {
			.event = cached->event, .seq = cached->seq, .hash = cached->hash, .json = data
		};
		return audit_formatter(out->format)->format(&rec, line);
	}
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
static int64_t record_time_ns(struct forwarder *f, const struct audit_queue_pos *pos, const char *data, size_t len)
{
	struct cached_event *cached = cache_slot(f, pos);
	if (cached->event && cached->pos.segment == pos->segment && cached->pos.offset == pos->offset)
		return cached->event->time_ns;
	_cleanup_json_ json_t *doc = NULL;
	if (cc_json_parse(data, len, 1u << 20, "queue record", &doc, NULL) < 0)
		return cc_time_now_ns();
	const char *time = json_string_value(json_object_get(json_object_get(doc, "event"), "time"));
	int64_t ns;
	if (!time || cc_time_parse_rfc3339(time, &ns) < 0)
		return cc_time_now_ns();
	return ns;
}

/* Gives each output one batch. */
static enum delivery deliver_once(struct forwarder *f)
{
	enum delivery result = DELIVERY_IDLE;
	int64_t now = cc_time_monotonic_ms();
	for (size_t i = 0; i < f->cfg->output_count; i++) {
		struct output_state *o = &f->outputs[i];
		if (now < o->retry_at_ms) {
			if (audit_queue_pending_bytes(f->queue, &o->cursor) > 0 && result == DELIVERY_IDLE)
				result = DELIVERY_WAITING;
			continue;
		}
		struct audit_message batch[1024];
		struct cc_buf lines[1024];
		char *raw[1024];
		size_t count = 0, limit = f->cfg->batch < 1024 ? f->cfg->batch : 1024;
		struct audit_queue_pos pos = o->cursor, next = pos;
		int64_t head_time_ns = 0;
		while (count < limit) {
			size_t len;
			struct audit_queue_pos after;
			if (audit_queue_peek(f->queue, o->out->name, &next, &raw[count], &len, &after, NULL) != 1)
				break;
			lines[count] = (struct cc_buf)CC_BUF_INIT;
			int fr = format_record(f, o->out, &next, raw[count], len, &lines[count]);
			if (fr == 1) { /* routed elsewhere: pass over it, the cursor still moves */
				free(raw[count]);
				cc_buf_free(&lines[count]);
				next = after;
				continue;
			}
			if (fr < 0)
				cc_buf_append(&lines[count], raw[count], len); /* never drop: send it as it is */
			if (count == 0)
				head_time_ns = record_time_ns(f, &next, raw[count], len);
			batch[count] = (struct audit_message){ lines[count].data, lines[count].len };
			next = after;
			count++;
		}
		if (count == 0) {
			if (next.segment != pos.segment || next.offset != pos.offset) {
				o->cursor = next; /* everything read was routed elsewhere */
				audit_queue_ack(f->queue, o->out->name, &next, NULL);
				result = DELIVERY_PROGRESS;
			}
			continue;
		}
		struct cc_error err = { 0 };
		int r = o->out->ops->send(o->out, batch, count, &err);
		for (size_t k = 0; k < count; k++) {
			cc_buf_free(&lines[k]);
			free(raw[k]);
		}
		pthread_mutex_lock(&f->metrics_lock);
		if (r == 0) {
			o->out->delivered += count;
			o->out->oldest_undelivered_ns = 0; /* known again when the next batch is read */
			o->backoff_ms = 0;
			o->cursor = next;
			audit_queue_ack(f->queue, o->out->name, &next, NULL);
			result = DELIVERY_PROGRESS;
		} else {
			if (result == DELIVERY_IDLE)
				result = DELIVERY_WAITING;
			o->out->retried += count;
			o->out->oldest_undelivered_ns = head_time_ns;
			o->out->failures++;
			o->backoff_ms = o->backoff_ms ? (o->backoff_ms * 2 > 5000 ? 5000 : o->backoff_ms * 2) : 100;
			o->retry_at_ms = cc_time_monotonic_ms() + o->backoff_ms;
			cc_warning("audit output %s: %s; retrying in %" PRId64 " ms", o->out->target,
				   cc_error_message(&err), o->backoff_ms);
		}
		pthread_mutex_unlock(&f->metrics_lock);
		(void)pos;
	}
	return result;
}

/* Rounds of deliver_once while they make progress (bounded, so inputs are read again); returns
 * the last round's outcome. */
static enum delivery deliver(struct forwarder *f)
{
	enum delivery d = deliver_once(f);
	for (int round = 1; round < 64 && d == DELIVERY_PROGRESS && !stop_requested; round++)
		d = deliver_once(f);
	return d;
}

static bool all_delivered(struct forwarder *f)
{
	for (size_t i = 0; i < f->cfg->output_count; i++)
		if (audit_queue_pending_bytes(f->queue, &f->outputs[i].cursor) > 0)
			return false;
	return true;
}

/* POST of an audit.k8s.io/v1 EventList from kube-apiserver's webhook backend. */
static void webhook(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct forwarder *f = userdata;
	_cleanup_json_ json_t *doc = NULL;
	if (cc_http_request_json(req, resp, &doc) < 0)
		return;
	json_t *items = json_object_get(doc, "items");
	const char *kind = json_string_value(json_object_get(doc, "kind"));
	if (!json_is_array(items) || !kind || strcmp(kind, "EventList") != 0) {
		cc_http_response_error(resp, 400, "expected an audit.k8s.io EventList with items");
		return;
	}
	size_t accepted = 0, rejected = 0, i;
	json_t *item;
	int r = 0;
	pthread_mutex_lock(&f->work_lock);
	json_array_foreach (items, i, item) {
		struct cc_error err = { 0 };
		struct cc_event *ev;
		if (audit_k8s_to_event(item, &ev, &err) < 0) {
			rejected++;
			f->rejected_total++;
			cc_warning("audit webhook: event %zu rejected: %s", i, cc_error_message(&err));
			continue;
		}
		if ((r = queue_event(f, ev)) < 0)
			break;
		accepted++;
	}
	if (r == 0)
		r = audit_queue_sync(f->queue, NULL);
	pthread_mutex_unlock(&f->work_lock);
	/* 503 makes the API server retry the whole batch: duplicates, never losses. */
	if (r < 0)
		cc_http_response_error(resp, 503, "the audit queue cannot take the events now");
	else
		cc_http_response_json(
		    resp, 200,
		    json_pack("{s:I, s:I}", "accepted", (json_int_t)accepted, "rejected", (json_int_t)rejected));
}

static void metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct forwarder *f = userdata;
	struct audit_queue_stats qs;
	audit_queue_stats(f->queue, &qs);
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; version=0.0.4");
	struct cc_buf *b = &resp->body;
	pthread_mutex_lock(&f->metrics_lock);
	cc_buf_appendf(b,
		       "# HELP cocoon_audit_queued_total Events chained and written to the durable queue.\n"
		       "# TYPE cocoon_audit_queued_total counter\ncocoon_audit_queued_total %" PRIu64 "\n",
		       f->queued_total);
	cc_buf_appendf(
	    b,
	    "# HELP cocoon_audit_rejected_total Input lines rejected as unreadable (logged with the reason).\n"
	    "# TYPE cocoon_audit_rejected_total counter\ncocoon_audit_rejected_total %" PRIu64 "\n",
	    f->rejected_total);
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
		       f->blocked_total);
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

int audit_forward_run(struct audit_forward_config *cfg, struct cc_error *err)
{
	if (cfg->output_count == 0)
		return cc_error_set(err, EINVAL, "give at least one --output");
	if (!cfg->queue_max_bytes)
		cfg->queue_max_bytes = 1ull << 30;
	if (!cfg->checkpoint_every)
		cfg->checkpoint_every = 1000;
	if (!cfg->batch)
		cfg->batch = 512;
	struct forwarder f = { .cfg = cfg,
			       .err = err,
			       .cache = cc_xcalloc(EVENT_CACHE_SIZE, sizeof(struct cached_event)) };
	pthread_mutex_init(&f.metrics_lock, NULL);
	pthread_mutex_init(&f.work_lock, NULL);
	int r = audit_queue_open(cfg->queue_dir, cfg->queue_max_bytes, &f.queue, err);
	if (r < 0)
		return r;
	struct cc_server *server = NULL, *webhook_server = NULL;
	size_t opened = 0;
	bool locked = false;
	if ((r = restore_chain(&f, err)) < 0)
		goto out;
	for (size_t i = 0; i < cfg->input_count; i++) {
		const char *spec = cfg->inputs[i];
		bool k8s = strncmp(spec, "k8s-audit:", 10) == 0;
		if (strncmp(spec, "socket:", 7) == 0) {
			f.inputs[i].socket = true;
			if ((r = audit_socket_input_open(&f.inputs[i].sock, spec + 7, err)) < 0)
				goto out;
			opened++;
			continue;
		}
		if (!k8s && strncmp(spec, "events:", 7) != 0) {
			r = cc_error_set(err, EINVAL,
					 "unsupported input `%s` (use k8s-audit:FILE, events:FILE or socket:PATH)",
					 spec);
			goto out;
		}
		const char *path = strchr(spec, ':') + 1;
		_cleanup_free_ char *state = cc_xasprintf("%s/input-%zu.position", cfg->queue_dir, i);
		f.inputs[i].k8s = k8s;
		if ((r = audit_file_input_open(&f.inputs[i].file, path, state, err)) < 0)
			goto out;
		opened++;
	}
	for (size_t i = 0; i < cfg->output_count; i++) {
		struct audit_output *out = &cfg->outputs[i];
		snprintf(out->name, sizeof(out->name), "%s-%zu", out->ops->scheme, i);
		for (char *p = out->name; *p; p++)
			if (*p == '+')
				*p = '_';
		f.outputs[i].out = out;
		if ((r = audit_queue_cursor(f.queue, out->name, &f.outputs[i].cursor, err)) < 0)
			goto out;
	}
	if (cfg->metrics_listen) {
		static struct cc_http_route route = { .method = "GET", .path = "/metrics", .handler = metrics };
		route.userdata = &f;
		struct cc_server_config scfg = { .listen = cfg->metrics_listen, .routes = &route, .route_count = 1 };
		if ((r = cc_server_start(&scfg, &server, err)) < 0) {
			cc_error_prefix(err, "metrics");
			goto out;
		}
	}
	if (cfg->webhook_listen) {
		static struct cc_http_route route = {
			.method = "POST", .path = "/", .prefix = true, .handler = webhook
		};
		route.userdata = &f;
		struct cc_server_config scfg = {
			.listen = cfg->webhook_listen,
			.tls_cert = cfg->webhook_cert,
			.tls_key = cfg->webhook_key,
			.client_ca = cfg->webhook_client_ca,
			.require_client_cert = cfg->webhook_client_ca != NULL,
			.routes = &route,
			.route_count = 1,
			.max_body = 64u << 20, /* kube-apiserver batches up to hundreds of events */
		};
		if ((r = cc_server_start(&scfg, &webhook_server, err)) < 0) {
			cc_error_prefix(err, "audit webhook");
			goto out;
		}
	}
	struct sigaction sa = { .sa_handler = request_stop };
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	stop_requested = 0;
	while (!stop_requested) {
		pthread_mutex_lock(&f.work_lock);
		locked = true;
		size_t lines = 0;
		for (size_t i = 0; i < cfg->input_count && !f.append_error; i++) {
			if (f.inputs[i].socket) {
				lines += (size_t)audit_socket_input_read(&f.inputs[i].sock, socket_line, &f);
				continue;
			}
			void *ctx[2] = { &f, &f.inputs[i] };
			/* 1024 lines a round: few enough that their events are still cached when delivered */
			int n = audit_file_input_read(&f.inputs[i].file, 1024, queue_line, ctx, err);
			if (n < 0) {
				r = n;
				goto out;
			}
			lines += (size_t)n;
		}
		if (f.append_error) {
			r = f.append_error;
			goto out;
		}
		if (lines) {
			/* Group commit: the batch is durable before any input position moves past it. */
			if ((r = audit_queue_sync(f.queue, err)) < 0)
				goto out;
			for (size_t i = 0; i < cfg->input_count; i++) {
				if (f.inputs[i].socket)
					audit_socket_input_commit(&f.inputs[i].sock); /* producers hear "ok" only now */
				else
					audit_file_input_commit(&f.inputs[i].file, NULL);
			}
		}
		/* Deliver what was just read before reading more, while its events are still in the
		 * event cache (formatting them from there instead of parsing their records back). */
		enum delivery d = deliver(&f);
		pthread_mutex_unlock(&f.work_lock);
		locked = false;
		if (cfg->once && lines == 0 && all_delivered(&f))
			break;
		/* Sleep only when nothing moved: new input, or a batch delivered, means go on at once. */
		if (lines == 0 && d == DELIVERY_IDLE)
			usleep(20000);
		else if (lines == 0 && d == DELIVERY_WAITING)
			usleep(5000);
	}
	/* A final checkpoint covers the tail, so verify can tell the log was not cut short. */
	if (cfg->checkpoint_key && f.since_checkpoint > 0) {
		_cleanup_free_ char *cp = NULL;
		if (audit_chain_checkpoint(&f.chain, cfg->checkpoint_key, cfg->checkpoint_key_len, &cp, NULL) == 0 &&
		    audit_queue_append(f.queue, cp, strlen(cp), NULL, NULL) == 0 &&
		    audit_queue_sync(f.queue, NULL) == 0)
			for (int i = 0; i < 200 && !all_delivered(&f); i++)
				if (deliver_once(&f) == DELIVERY_IDLE)
					break;
	}
	cc_info("audit forwarder: %" PRIu64 " queued, %" PRIu64 " rejected lines", f.queued_total, f.rejected_total);
	r = 0;
out:
	if (locked)
		pthread_mutex_unlock(&f.work_lock);
	cc_server_stop(webhook_server);
	cc_server_stop(server);
	for (size_t i = 0; i < opened; i++) {
		if (f.inputs[i].socket)
			audit_socket_input_close(&f.inputs[i].sock);
		else
			audit_file_input_close(&f.inputs[i].file);
	}
	audit_queue_close(f.queue);
	for (size_t i = 0; i < EVENT_CACHE_SIZE; i++)
		cc_event_free(f.cache[i].event);
	free(f.cache);
	pthread_mutex_destroy(&f.metrics_lock);
	pthread_mutex_destroy(&f.work_lock);
	return r;
}
