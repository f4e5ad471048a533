/* Audit inputs: one interface, one file per kind (in_file.c events:FILE, in_k8s_audit.c
 * k8s-audit:FILE, in_socket.c socket:PATH, in_webhook.c the Kubernetes audit webhook), one
 * registry (input.c), as the outputs have (output.h). Each kind keeps its settings private
 * (settings.h).
 *
 * An input hands events to the forwarder in whichever of three ways its source suits:
 * - a followed file: start gives the reader thread the file and how to parse its lines
 *   (audit_forwarder_follow); the writer queues the reader's batches, and commit persists the
 *   position once they are durable;
 * - polled: the writer thread calls poll every round (at least every 20 ms) with the work lock
 *   held; the input reads what is there and queues it (audit_forwarder_queue), and commit, after
 *   the round's group commit, answers its producers;
 * - its own threads (an HTTP server): audit_forwarder_submit queues a batch of events and makes
 *   it durable before it returns.
 * A polled input never blocks: the writer serves every input and the stop request between rounds,
 * so a producer that stalls must stall only itself. */
#pragma once

#include "audit/settings.h"
#include "lib/base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_forwarder;
struct audit_reader_input;
struct cc_error;
struct cc_event;

struct audit_input {
	const struct audit_input_ops *ops;
	char *target;                   /* path or address: the spec after the kind's prefix */
	size_t index;                   /* among the forwarder's inputs: names its persisted state */
	char name[64];                  /* kind and index, for metrics: "socket-1" */
	struct audit_settings settings; /* the kind's own */
	void *state;                    /* the kind's, from start to stop */
};

struct audit_input_ops {
	const char *kind;   /* "socket" */
	const char *prefix; /* of its specs: "socket:" */
	const char *usage;  /* for messages: "socket:PATH" */
	const struct audit_setting *settings;
	size_t settings_size;
	/* Opens the source and tells the forwarder how the input delivers. */
	int (*start)(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err);
	/* Polled inputs: takes what is there without blocking; returns the lines it took (queued or
	 * refused). Writer thread, work lock held. */
	size_t (*poll)(struct audit_input *in, struct audit_forwarder *f);
	/* Everything the input handed over so far is durable (after each group commit). Writer
	 * thread, work lock held. */
	void (*commit)(struct audit_input *in);
	/* Optional: the input's own counters in Prometheus text, from the metrics thread; header for
	 * the first input of its kind (HELP and TYPE come once per metric). */
	void (*metrics)(const struct audit_input *in, bool header, struct cc_buf *out);
	/* Stops the input's threads and frees its state; called once, before the queue closes. */
	void (*stop)(struct audit_input *in);
};

extern const struct audit_input_ops audit_in_file;
extern const struct audit_input_ops audit_in_k8s_audit;
extern const struct audit_input_ops audit_in_socket;
extern const struct audit_input_ops audit_in_webhook;

/* The registry: every input kind, NULL-terminated. */
extern const struct audit_input_ops *const audit_input_kinds[];

/* Parses "k8s-audit:FILE", "events:FILE", "socket:PATH" or "webhook:ADDR" into in. */
int audit_input_parse(const char *spec, struct audit_input *in, struct cc_error *err);
/* Frees what parse allocated (a started input is stopped by its forwarder). */
void audit_input_free(struct audit_input *in);

/* The forwarder's side, for inputs (forward.c). */

/* Followed files: the reader thread reads ri->file and parses its lines. ri must live until the
 * input stops. */
int audit_forwarder_follow(struct audit_forwarder *f, struct audit_reader_input *ri, struct cc_error *err);
/* Polled inputs: chains the event and appends it to the queue, taking ev. 0, or a negative errno
 * when the queue cannot take it (the forwarder is then stopping with an error). */
int audit_forwarder_queue(struct audit_forwarder *f, struct cc_event *ev);
/* Inputs with their own threads: queues the events (taking them all) and makes them durable
 * before it returns 0; a negative errno when the queue cannot take them now (full and stopping,
 * or failing): the sender should send them again. */
int audit_forwarder_submit(struct audit_forwarder *f, struct cc_event **events, size_t count);
/* Counts lines an input refused as unreadable, in cocoon_audit_rejected_total (any thread). */
void audit_forwarder_count_rejected(struct audit_forwarder *f, uint64_t lines);
/* The queue directory, where inputs keep their state (read positions). */
const char *audit_forwarder_state_dir(const struct audit_forwarder *f);
