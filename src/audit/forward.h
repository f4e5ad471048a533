/* `cocoon audit forward`: inputs -> hash chain -> durable queue -> outputs, each output with its
 * own cursor, retries with backoff and reconnects. Nothing leaves the queue before every output
 * has delivered it; a full queue stops the inputs (backpressure) instead of dropping. */
#pragma once

#include "audit/input.h"
#include "audit/output.h"
#include "lib/base/cleanup.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define AUDIT_MAX_INPUTS  8
#define AUDIT_MAX_OUTPUTS 8

struct audit_forward_config {
	const char *queue_dir;
	uint64_t queue_max_bytes;                    /* default 1 GiB */
	struct audit_input inputs[AUDIT_MAX_INPUTS]; /* audit_input_parse; the forwarder starts and stops them */
	size_t input_count;
	struct audit_output outputs[AUDIT_MAX_OUTPUTS];
	size_t output_count;
	const uint8_t *checkpoint_key; /* HMAC secret or Ed25519 PEM key (checkpoint_auth.h), or NULL */
	size_t checkpoint_key_len;
	uint64_t checkpoint_every;  /* records between checkpoints (default 1000) */
	size_t batch;               /* records per output send (default 512) */
	bool once;                  /* exit when the inputs are at their end and everything is delivered */
	const char *metrics_listen; /* Prometheus text on GET /metrics, or NULL */
	const char *redact[16];     /* dotted paths replaced by "[REDACTED]" before chaining */
	size_t redact_count;
};

/* The forwarder: an object, so two in one process share nothing, and one that knows nothing of
 * signals (the command takes them: lib/base/stop.h). */
struct audit_forwarder;

/* Opens the queue (continuing its hash chain), the inputs and the metrics endpoint, and checks
 * every output's settings, so a misconfigured forwarder fails before any input is read. cfg must
 * outlive the forwarder. */
int audit_forwarder_new(struct audit_forward_config *cfg, struct audit_forwarder **ret, struct cc_error *err);
/* Forwards until audit_forwarder_stop (or, with cfg->once, until the inputs are at their end and
 * everything is delivered); a final checkpoint then covers the tail. */
int audit_forwarder_run(struct audit_forwarder *f, struct cc_error *err);
/* Asks a running forwarder to return from audit_forwarder_run soon (within about 100 ms). Any
 * thread may call it, any number of times; not a signal handler (it takes a lock). */
void audit_forwarder_stop(struct audit_forwarder *f);
void audit_forwarder_free(struct audit_forwarder *f);

CC_DEFINE_CLEANUP_FUNC(struct audit_forwarder *, audit_forwarder_free)
