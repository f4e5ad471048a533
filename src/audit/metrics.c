/* The forwarder's metrics: GET /metrics in Prometheus text, from the metrics server's thread
 * (counters are atomics; cursors and back-off times are read under metrics_lock). */
#include "audit/forward_internal.h"
#include "lib/base/timeutil.h"

#include <inttypes.h>
#include <stdio.h>

/* The forwarder's own counters, and the queue's. */
static void forwarder_metrics(struct audit_forwarder *f, struct cc_buf *b)
{
	struct audit_queue_stats qs;
	audit_queue_stats(f->queue, &qs);
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
}

/* Per output: delivered, retried, undelivered bytes and the age of the oldest undelivered event;
 * call with metrics_lock held (the cursors and counters the delivery thread moves). */
static void output_metrics(struct audit_forwarder *f, struct cc_buf *b)
{
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
}

void audit_forwarder_metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct audit_forwarder *f = userdata;
	snprintf(resp->content_type, sizeof(resp->content_type), "text/plain; version=0.0.4");
	forwarder_metrics(f, &resp->body);
	/* Inputs' own counters (the socket input's disconnected producers, ...). */
	for (size_t i = 0; i < f->inputs_started; i++) {
		const struct audit_input *in = &f->cfg->inputs[i];
		bool first = true;
		for (size_t j = 0; j < i && first; j++)
			first = f->cfg->inputs[j].ops != in->ops;
		if (in->ops->metrics)
			in->ops->metrics(in, first, &resp->body);
	}
	pthread_mutex_lock(&f->metrics_lock);
	output_metrics(f, &resp->body);
	pthread_mutex_unlock(&f->metrics_lock);
}
