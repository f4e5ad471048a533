/* What the forwarder's files share: forward.c (the object, its start and stop, and the writer),
 * deliver.c (the delivery thread) and metrics.c (the metrics endpoint). Other components use
 * forward.h and input.h. */
#pragma once

#include "audit/chain.h"
#include "audit/forward.h"
#include "audit/queue.h"
#include "audit/reader.h"
#include "lib/base/error.h"
#include "lib/net/server.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

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

/* One batch read from the queue and formatted for an output. */
struct batch {
	struct audit_message messages[1024];
	struct cc_buf lines[1024];
	size_t count;
	struct audit_queue_pos next; /* after the last record read (routed-away ones included) */
	int64_t head_time_ns;        /* time of the first event, for the oldest-undelivered metric */
};

enum delivery {
	DELIVERY_IDLE,     /* every output is caught up */
	DELIVERY_WAITING,  /* records are pending but their outputs are backing off */
	DELIVERY_PROGRESS, /* something was sent */
};

/* forward.c: waking the other thread, and the event cache. */
uint64_t audit_forwarder_wake_generation(struct audit_forwarder *f);
/* Tells the other threads that something moved: new durable records, or deliveries. */
void audit_forwarder_wake(struct audit_forwarder *f);
/* Waits up to ms for a wake after generation seen (the caller read it before checking its
 * condition, so a wake in between is not missed), or for a stop. */
void audit_forwarder_wait(struct audit_forwarder *f, uint64_t seen, int ms);
/* The cached event queued at pos, or NULL; call with cache_lock held. */
struct cached_event *audit_forwarder_cache_find(struct audit_forwarder *f, const struct audit_queue_pos *pos);

/* deliver.c: the delivery thread. */
int audit_delivery_start(struct audit_forwarder *f, struct cc_error *err);
void audit_delivery_stop(struct audit_forwarder *f);
/* Gives each output one step (from the delivery thread, or once it is stopped). */
enum delivery audit_delivery_step(struct audit_forwarder *f);
/* Every output has delivered everything durable. */
bool audit_delivery_all_done(struct audit_forwarder *f);
/* An output that is not backing off is more than LAG_MAX_BYTES behind. */
bool audit_delivery_lagging(struct audit_forwarder *f);

/* metrics.c: GET /metrics (Prometheus text); userdata is the forwarder. */
void audit_forwarder_metrics(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata);
