/* The forwarder's metrics: GET /metrics in Prometheus text (lib/metrics/prometheus.h), from the
 * metrics server's thread (counters are atomics; cursors and back-off times are read under
 * metrics_lock). */
#include "audit/forward_internal.h"
#include "lib/base/cleanup.h"
#include "lib/base/timeutil.h"
#include "lib/metrics/process.h"
#include "lib/metrics/prometheus.h"

#include <stdio.h>

/* The forwarder's own counters, and the queue's. */
static void forwarder_metrics(struct audit_forwarder *f, struct cc_buf *b)
{
	struct audit_queue_stats qs;
	audit_queue_stats(f->queue, &qs);
	cc_prom_write_single(b, "cocoon_audit_queued_total", CC_PROM_COUNTER,
			     "Events chained and written to the durable queue.", (double)f->queued_total);
	cc_prom_write_single(b, "cocoon_audit_rejected_total", CC_PROM_COUNTER,
			     "Input lines rejected as unreadable (logged with the reason).", (double)f->rejected_total);
	cc_prom_write_single(b, "cocoon_audit_dropped_total", CC_PROM_COUNTER,
			     "Events dropped. Always 0: a full queue blocks the inputs.", 0);
	cc_prom_write_single(b, "cocoon_audit_queue_bytes", CC_PROM_GAUGE, "Bytes in the durable queue.",
			     (double)qs.bytes);
	cc_prom_write_single(b, "cocoon_audit_queue_blocked_total", CC_PROM_COUNTER,
			     "Times the inputs waited for a full queue.", (double)f->blocked_total);
	cc_prom_write_single(b, "cocoon_audit_queue_torn_records_total", CC_PROM_COUNTER,
			     "Records found cut short when the queue was opened (a crash during a write), skipped.",
			     (double)qs.torn_records);
	cc_prom_write_single(b, "cocoon_audit_queue_corrupt_records_total", CC_PROM_COUNTER,
			     "Records whose checksum did not match, skipped.", (double)qs.corrupt_records);
}

/* Per output: delivered, retried, undelivered bytes and the age of the oldest undelivered event;
 * call with metrics_lock held (the cursors and counters the delivery thread moves). */
static void output_metrics(struct audit_forwarder *f, struct cc_buf *b)
{
	static const char *const output[] = { "output", NULL };
	static const struct {
		const char *name, *help;
		enum cc_prom_type type;
	} families[] = {
		{ "cocoon_audit_oldest_undelivered_age_seconds",
		  "Age of the oldest event an output failed to deliver so far (0 when it is keeping up).",
		  CC_PROM_GAUGE },
		{ "cocoon_audit_delivered_total", "Events an output delivered.", CC_PROM_COUNTER },
		{ "cocoon_audit_retried_total", "Deliveries an output tried again.", CC_PROM_COUNTER },
		{ "cocoon_audit_undelivered_bytes", "Bytes of the queue an output has yet to deliver.", CC_PROM_GAUGE },
	};
	/* Each output's figures read once, then written family by family (the format wants a family's
	 * samples together). */
	size_t n = f->cfg->output_count;
	_cleanup_free_ double *values = cc_xcalloc(n * CC_ARRAY_SIZE(families), sizeof(double));
	int64_t now_ns = cc_time_now_ns();
	for (size_t i = 0; i < n; i++) {
		struct output_state *o = &f->outputs[i];
		uint64_t pending = audit_queue_pending_bytes(f->queue, &o->cursor);
		int64_t since = o->out->oldest_undelivered_ns;
		double *v = &values[i * CC_ARRAY_SIZE(families)];
		/* In milliseconds, as seconds: 12.345. */
		v[0] = pending > 0 && since > 0 && now_ns > since ? (double)((now_ns - since) / 1000000) / 1e3 : 0.0;
		v[1] = (double)o->out->delivered;
		v[2] = (double)o->out->retried;
		v[3] = (double)pending;
	}
	for (size_t k = 0; k < CC_ARRAY_SIZE(families); k++) {
		cc_prom_write_header(b, families[k].name, families[k].type, families[k].help);
		for (size_t i = 0; i < n; i++)
			cc_prom_write_sample(b, families[k].name, output, (const char *[]){ f->outputs[i].out->name },
					     values[i * CC_ARRAY_SIZE(families) + k]);
	}
}

void audit_forwarder_metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct audit_forwarder *f = userdata;
	snprintf(resp->content_type, sizeof(resp->content_type), "%s", CC_PROM_CONTENT_TYPE);
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
	cc_prom_write_process(&resp->body);
}
