/* The simulator (simulate.h). Time moves from event to event: a pod created or deleted (the trace),
 * a block's nodes becoming ready (a scale-up plus the provisioning delay), and the planner's tick
 * every `interval` seconds. The scheduler is first-fit over ready nodes, pending pods in arrival
 * order. The planner is the one of `cocoon scale plan`, on a struct scale_cluster this file keeps up
 * to date; it is skipped on a tick when nothing changed and no time rule is due (its next_check).
 * The history it needs (underutilized_since, last scale events) is kept here, as a real caller keeps
 * it between calls.
 *
 * What keeps a week of trace at the speed of a day: every pod change goes through plan_state.h, so
 * the planner's totals (requests per node and block, the pods of each block, the pending pods) are
 * kept up to date instead of added up over every pod at every decision; the scheduler's first fit
 * is a segment tree of the nodes' free room (pack.h) instead of a scan of every node; and the
 * planner is asked for terse decisions (no reason sentences, only the blocks that may go ordered).
 * Removing a block renumbers nodes and blocks: the totals are then built afresh, once per
 * scale-down. A test (tests/unit/scale/test_simulate.c) compares every decision with the one
 * scale_plan_make takes from scratch.
 *
 * Measures: node-hours count a block from its order to its removal (it is billed while it boots);
 * utilization is requested over the billed nodes' allocatable (the larger of cpu and memory),
 * weighted by time; a pod's pending time is from creation to its first placement (or to its deletion,
 * or the end of the trace, when it never ran). A flap is a scale-up within flap_window seconds after
 * a scale-down: capacity given back and bought again. */
#include "scale/simulate.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "scale/pack.h"
#include "scale/plan.h"
#include "scale/plan_state.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

enum event_kind {
	EVENT_DELETE, /* deletions first at equal times: they make room */
	EVENT_CREATE,
};

struct event {
	int64_t time;
	enum event_kind kind;
	size_t pod;
};

struct segment {
	double utilization;
	double seconds;
};

struct sim {
	const struct scale_trace *trace;
	const struct scale_sim_options *o;
	const struct event *events;
	size_t n_events;
	const bool *unschedulable;
	bool autoscale, scale_down;
	int64_t npb;
	struct scale_cluster *cluster;
	long *cluster_pod; /* trace pod -> cluster pod, -1 when not live */
	size_t *trace_pod; /* cluster pod -> trace pod */
	size_t cap_trace_pod;
	struct scale_plan_state state; /* the planner's running totals, kept in step with cluster */
	struct scale_bins room;        /* the scheduler's index of free room, parallel to cluster->nodes */
	bool room_stale;               /* nodes came or went: rebuild room before the next placement */
	size_t n_provisioning;         /* blocks ordered and not ready */
	int64_t *ready_at;             /* parallel to cluster->blocks */
	size_t cap_ready_at;
	size_t *pending; /* trace pods waiting, in arrival order */
	size_t n_pending, cap_pending;
	double *pending_time; /* per trace pod, -1 until known */
	struct scale_resources running, live;
	struct segment *segments;
	size_t n_segments, cap_segments;
	int64_t now, last_change;
	double node_seconds;
	bool dirty, need_schedule;
	int64_t next_check;
	int64_t last_scale_down_at;
	bool last_down_flapped;
	size_t block_serial;
	struct scale_sim_result *result;
	struct scale_sim_series *demand; /* NULL except in the blocks run */
};

static void *grow(void *array, size_t need, size_t *cap, size_t element)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap : 64;
	while (n < need)
		n *= 2;
	array = cc_xrealloc(array, n * element);
	memset((char *)array + *cap * element, 0, (n - *cap) * element);
	*cap = n;
	return array;
}

static void series_add(struct scale_sim_series *s, int64_t time, double value)
{
	if (s->n > 0 && s->points[s->n - 1].value == value)
		return;
	if (s->n > 0 && s->points[s->n - 1].time == time) {
		s->points[s->n - 1].value = value;
		return;
	}
	s->points = grow(s->points, s->n + 1, &s->cap, sizeof(*s->points));
	s->points[s->n++] = (struct scale_sim_point){ time, value };
}

static int64_t billed_nodes(const struct sim *s)
{
	return (int64_t)s->cluster->n_blocks * s->npb;
}

static void record(struct sim *s)
{
	int64_t nodes = billed_nodes(s);
	series_add(&s->result->nodes, s->now, (double)nodes);
	if (nodes > s->result->max_nodes)
		s->result->max_nodes = nodes;
	if (s->demand) {
		struct scale_resources a = scale_sku_node_allocatable(&s->cluster->sku);
		double cpu = (double)s->live.cpu_milli / (double)a.cpu_milli,
		       mem = (double)s->live.memory / (double)a.memory;
		series_add(s->demand, s->now, ceil(cpu > mem ? cpu : mem));
	}
}

/* Accounts the time from the last change to `to` at the current state. */
static void advance(struct sim *s, int64_t to)
{
	double seconds = (double)(to - s->now);
	if (seconds <= 0)
		return;
	int64_t nodes = billed_nodes(s);
	s->node_seconds += (double)nodes * seconds;
	if (nodes > 0) {
		struct scale_resources a = scale_sku_node_allocatable(&s->cluster->sku);
		double cpu = (double)s->running.cpu_milli / ((double)a.cpu_milli * (double)nodes);
		double mem = (double)s->running.memory / ((double)a.memory * (double)nodes);
		s->segments = grow(s->segments, s->n_segments + 1, &s->cap_segments, sizeof(*s->segments));
		s->segments[s->n_segments++] = (struct segment){ cpu > mem ? cpu : mem, seconds };
	}
	s->now = to;
}

static void add_resources(struct scale_resources *sum, struct scale_resources r, int sign)
{
	sum->cpu_milli += sign * r.cpu_milli;
	sum->memory += sign * r.memory;
}

static void place(struct sim *s, size_t ci, size_t node)
{
	struct scale_resources r = s->cluster->pods[ci].requests;
	scale_plan_state_move_pod(&s->state, s->cluster, ci, (long)node);
	scale_bins_take(&s->room, node, r);
	add_resources(&s->running, r, 1);
	size_t tp = s->trace_pod[ci];
	s->pending_time[tp] = (double)(s->now - s->trace->pods[tp].created);
	s->dirty = true;
}

/* The free room of every node, from the running totals. A node's requests never pass its
 * allocatable here (the scheduler and the planner's drain only use room there is), so the bins'
 * clamping at zero never hides an overcommitted node. */
static void rebuild_room(struct sim *s)
{
	const struct scale_cluster *c = s->cluster;
	scale_bins_free(&s->room);
	scale_bins_init(&s->room, c->n_nodes);
	for (size_t n = 0; n < c->n_nodes; n++) {
		const struct scale_node *node = &c->nodes[n];
		struct scale_resources free_room = { node->allocatable.cpu_milli - s->state.used[n].cpu_milli,
						     node->allocatable.memory - s->state.used[n].memory };
		scale_bins_set(&s->room, n, free_room, scale_taints_open(node->taints, node->n_taints));
	}
	scale_bins_build(&s->room);
	s->room_stale = false;
}

/* First fit over the ready nodes, in node order: the segment tree of pack.c answers what a scan of
 * every node would, in O(log nodes). The simulator's pods ask for nothing but room. */
static bool schedule(struct sim *s, size_t ci)
{
	if (s->room_stale)
		rebuild_room(s);
	long n = scale_bins_first_fit(&s->room, s->cluster->pods[ci].requests, NULL, NULL);
	if (n < 0)
		return false;
	place(s, ci, (size_t)n);
	return true;
}

static void schedule_pending(struct sim *s)
{
	size_t kept = 0;
	for (size_t k = 0; k < s->n_pending; k++) {
		size_t tp = s->pending[k];
		long ci = s->cluster_pod[tp];
		if (ci < 0 || s->cluster->pods[ci].node >= 0)
			continue; /* deleted or placed meanwhile */
		if (!schedule(s, (size_t)ci))
			s->pending[kept++] = tp;
	}
	s->n_pending = kept;
	s->need_schedule = false;
}

static void create_pod(struct sim *s, size_t tp)
{
	const struct scale_trace_pod *t = &s->trace->pods[tp];
	struct scale_resources r = { t->cpu_milli, t->memory };
	size_t ci = scale_cluster_add_pod(s->cluster, "default", t->name, r, -1);
	scale_plan_state_pod_added(&s->state, s->cluster, ci);
	s->trace_pod = grow(s->trace_pod, ci + 1, &s->cap_trace_pod, sizeof(*s->trace_pod));
	s->trace_pod[ci] = tp;
	s->cluster_pod[tp] = (long)ci;
	add_resources(&s->live, r, 1);
	s->dirty = true;
	if (s->n_pending == 0 && schedule(s, ci))
		return;
	s->pending = grow(s->pending, s->n_pending + 1, &s->cap_pending, sizeof(*s->pending));
	s->pending[s->n_pending++] = tp;
	s->need_schedule = true;
}

static void delete_pod(struct sim *s, size_t tp)
{
	long ci = s->cluster_pod[tp];
	if (ci < 0)
		return;
	struct scale_cluster *c = s->cluster;
	struct scale_pod *p = &c->pods[ci];
	if (p->node >= 0) {
		if (!s->room_stale)
			scale_bins_take(&s->room, (size_t)p->node,
					(struct scale_resources){ -p->requests.cpu_milli, -p->requests.memory });
		add_resources(&s->running, p->requests, -1);
	} else {
		s->pending_time[tp] = (double)(s->now - s->trace->pods[tp].created);
	}
	add_resources(&s->live, p->requests, -1);
	size_t last = c->n_pods - 1;
	scale_plan_state_remove_pod(&s->state, c, (size_t)ci);
	if ((size_t)ci != last) {
		s->trace_pod[ci] = s->trace_pod[last];
		s->cluster_pod[s->trace_pod[ci]] = ci;
	}
	s->cluster_pod[tp] = -1;
	s->dirty = true;
	s->need_schedule = true;
}

static void add_block(struct sim *s, bool ready)
{
	struct scale_cluster *c = s->cluster;
	char id[32];
	snprintf(id, sizeof(id), "b%zu", ++s->block_serial);
	size_t b = scale_cluster_add_block(c, id);
	scale_plan_state_block_added(&s->state, b);
	s->ready_at = grow(s->ready_at, b + 1, &s->cap_ready_at, sizeof(*s->ready_at));
	s->ready_at[b] = s->now + s->o->provision_delay;
	c->blocks[b].provisioning = !ready;
	if (!ready) {
		s->n_provisioning++;
		return;
	}
	for (int64_t k = 0; k < s->npb; k++) {
		snprintf(id, sizeof(id), "b%zu-n%02" PRId64, s->block_serial, k + 1);
		size_t n = scale_cluster_add_node(c, id, b, scale_sku_node_allocatable(&c->sku));
		scale_plan_state_node_added(&s->state, c, n);
	}
	s->room_stale = true;
	s->need_schedule = true;
}

static void make_ready(struct sim *s)
{
	struct scale_cluster *c = s->cluster;
	for (size_t b = 0; b < c->n_blocks && s->n_provisioning > 0; b++) {
		if (!c->blocks[b].provisioning || s->ready_at[b] > s->now)
			continue;
		c->blocks[b].provisioning = false;
		s->n_provisioning--;
		char name[48];
		for (int64_t k = 0; k < s->npb; k++) {
			snprintf(name, sizeof(name), "%s-n%02" PRId64, c->blocks[b].id, k + 1);
			size_t n = scale_cluster_add_node(c, name, b, scale_sku_node_allocatable(&c->sku));
			scale_plan_state_node_added(&s->state, c, n);
		}
		s->room_stale = true;
		s->need_schedule = true;
		s->dirty = true;
	}
}

static int64_t next_ready(const struct sim *s)
{
	int64_t next = INT64_MAX;
	for (size_t b = 0; b < s->cluster->n_blocks && s->n_provisioning > 0; b++)
		if (s->cluster->blocks[b].provisioning && s->ready_at[b] < next)
			next = s->ready_at[b];
	return next;
}

/* Removes block b and its nodes; the pods on them were moved by the drain. */
static void remove_block(struct sim *s, size_t b)
{
	struct scale_cluster *c = s->cluster;
	long *renumber = cc_xcalloc(c->n_nodes + 1, sizeof(*renumber));
	size_t kept = 0;
	for (size_t n = 0; n < c->n_nodes; n++) {
		if (c->nodes[n].block == b) {
			renumber[n] = -1;
			free(c->nodes[n].name);
			json_decref(c->nodes[n].labels);
			continue;
		}
		renumber[n] = (long)kept;
		c->nodes[kept] = c->nodes[n];
		if (c->nodes[kept].block > b)
			c->nodes[kept].block--;
		kept++;
	}
	c->n_nodes = kept;
	for (size_t i = 0; i < c->n_pods; i++)
		if (c->pods[i].node >= 0)
			c->pods[i].node = renumber[c->pods[i].node];
	free(renumber);
	free(c->blocks[b].id);
	memmove(&c->blocks[b], &c->blocks[b + 1], (c->n_blocks - b - 1) * sizeof(*c->blocks));
	memmove(&s->ready_at[b], &s->ready_at[b + 1], (c->n_blocks - b - 1) * sizeof(*s->ready_at));
	c->n_blocks--;
	/* Every node and block after it was renumbered: a scale-down is rare enough to add up afresh. */
	scale_plan_state_build(&s->state, c);
	s->room_stale = true;
}

static void apply_scale_down(struct sim *s, const struct scale_plan *plan)
{
	struct scale_cluster *c = s->cluster;
	/* the running totals are built afresh by remove_block */
	for (size_t i = 0; i < plan->n_drain; i++)
		c->pods[plan->drain[i].pod].node = (long)plan->drain[i].node;
	remove_block(s, (size_t)plan->block_to_remove);
	c->last_scale_down = s->now;
	s->result->scale_downs++;
	s->last_scale_down_at = s->now;
	s->last_down_flapped = false;
}

static void apply_scale_up(struct sim *s, int64_t blocks)
{
	for (int64_t k = 0; k < blocks; k++)
		add_block(s, s->o->provision_delay == 0);
	s->cluster->last_scale_up = s->now;
	s->result->scale_ups++;
	if (s->last_scale_down_at >= 0 && !s->last_down_flapped &&
	    s->now - s->last_scale_down_at <= s->o->flap_window) {
		s->result->flaps++;
		s->last_down_flapped = true;
	}
}

static int tick(struct sim *s, struct cc_error *err)
{
	struct scale_cluster *c = s->cluster;
	if (!s->dirty && (s->next_check < 0 || s->now < s->next_check))
		return 0;
	c->now = s->now;
	struct scale_plan plan;
	const struct scale_plan_options terse = { .terse = true };
	int r = scale_plan_decide(c, &s->state, &terse, &plan, err);
	if (r < 0)
		return r;
	if (s->o->check && (r = s->o->check(s->o->check_ctx, c, &s->state, &plan, err)) < 0) {
		scale_plan_release(&plan);
		return r;
	}
	s->result->plans++;
	for (size_t i = 0; i < plan.n_blocks; i++)
		c->blocks[plan.blocks[i].block].underutilized_since = plan.blocks[i].underutilized_since;
	s->next_check = plan.next_check;
	s->dirty = false;
	if (plan.decision == SCALE_UP) {
		apply_scale_up(s, plan.blocks_to_add);
		s->dirty = true;
	} else if (plan.decision == SCALE_DOWN && s->scale_down) {
		apply_scale_down(s, &plan);
		s->dirty = true;
	}
	scale_plan_release(&plan);
	return 0;
}

static int compare_doubles(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int compare_segments(const void *a, const void *b)
{
	const struct segment *x = a, *y = b;
	return x->utilization < y->utilization ? -1 : x->utilization > y->utilization;
}

/* Nearest-rank percentile of sorted values. */
static double percentile(const double *sorted, size_t n, double p)
{
	if (n == 0)
		return 0;
	size_t rank = (size_t)ceil(p * (double)n);
	return sorted[rank > 0 ? rank - 1 : 0];
}

static void finish(struct sim *s, int64_t end)
{
	struct scale_sim_result *res = s->result;
	advance(s, end);
	record(s);
	res->node_hours = s->node_seconds / 3600.0;
	res->block_hours = res->node_hours / (double)s->npb;
	size_t n = 0;
	double *times = cc_xcalloc(s->trace->n + 1, sizeof(*times));
	for (size_t tp = 0; tp < s->trace->n; tp++) {
		if (s->unschedulable[tp])
			continue;
		double t = s->pending_time[tp];
		times[n++] = t >= 0 ? t : (double)(end - s->trace->pods[tp].created);
	}
	qsort(times, n, sizeof(*times), compare_doubles);
	res->pending_p50 = percentile(times, n, 0.50);
	res->pending_p95 = percentile(times, n, 0.95);
	res->pending_max = n ? times[n - 1] : 0;
	free(times);
	double total = 0, weighted = 0;
	for (size_t i = 0; i < s->n_segments; i++) {
		total += s->segments[i].seconds;
		weighted += s->segments[i].utilization * s->segments[i].seconds;
	}
	res->utilization_mean = total > 0 ? weighted / total : 0;
	qsort(s->segments, s->n_segments, sizeof(*s->segments), compare_segments);
	double acc = 0;
	for (size_t i = 0; i < s->n_segments; i++) {
		acc += s->segments[i].seconds;
		if (acc >= 0.05 * total) {
			res->utilization_p5 = s->segments[i].utilization;
			break;
		}
	}
}

struct run {
	int64_t npb, min_blocks, max_blocks, static_blocks;
	bool autoscale, scale_down, delay;
	const char *name;
};

static void report_progress(const struct sim *s, const char *name, size_t done)
{
	if (s->o->progress && (done % 4096) == 0)
		s->o->progress(s->o->progress_ctx, name, (double)done / (double)(s->n_events ? s->n_events : 1));
}

static int replay(struct sim *s, const struct run *run, int64_t start, int64_t end, struct cc_error *err)
{
	int64_t interval = s->o->interval > 0 ? s->o->interval : 10;
	int64_t next_tick = run->autoscale ? start : INT64_MAX;
	size_t e = 0;
	int r = 0;
	s->now = start;
	for (int64_t b = 0; b < run->static_blocks; b++)
		add_block(s, true);
	while (r == 0) {
		int64_t next = next_tick;
		if (e < s->n_events && s->events[e].time < next)
			next = s->events[e].time;
		int64_t ready = next_ready(s);
		if (ready < next)
			next = ready;
		if (next > end || (!run->autoscale && e >= s->n_events))
			break;
		advance(s, next);
		for (; e < s->n_events && s->events[e].time == s->now; e++) {
			if (s->events[e].kind == EVENT_CREATE)
				create_pod(s, s->events[e].pod);
			else
				delete_pod(s, s->events[e].pod);
			report_progress(s, run->name, e);
		}
		make_ready(s);
		if (s->need_schedule)
			schedule_pending(s);
		if (run->autoscale && s->now == next_tick) {
			r = tick(s, err);
			make_ready(s);
			if (s->need_schedule)
				schedule_pending(s);
			next_tick += interval;
		}
		record(s);
		if (e >= s->n_events && s->now >= end)
			break;
	}
	if (r == 0)
		finish(s, end);
	return r;
}

static int compare_events(const void *a, const void *b)
{
	const struct event *x = a, *y = b;
	if (x->time != y->time)
		return x->time < y->time ? -1 : 1;
	if (x->kind != y->kind)
		return x->kind < y->kind ? -1 : 1;
	return x->pod < y->pod ? -1 : x->pod > y->pod;
}

void scale_sim_options_default(struct scale_sim_options *o)
{
	struct scale_cluster *c = scale_cluster_new();
	memset(o, 0, sizeof(*o));
	o->sku = c->sku;
	o->sku.labels = NULL;
	o->policy = c->policy;
	o->min_blocks = 0;
	o->max_blocks = 1000;
	o->provision_delay = 120;
	o->interval = 10;
	o->flap_window = 1800;
	scale_cluster_free(c);
}

static int run_policy(const struct scale_trace *trace, const struct scale_sim_options *o, const struct event *events,
		      size_t n_events, const bool *unschedulable, const struct run *run, int64_t start, int64_t end,
		      struct scale_sim_result *result, struct scale_sim_series *demand, struct cc_error *err)
{
	struct sim s = { .trace = trace,
			 .o = o,
			 .events = events,
			 .n_events = n_events,
			 .unschedulable = unschedulable,
			 .autoscale = run->autoscale,
			 .scale_down = run->scale_down,
			 .npb = run->npb,
			 .result = result,
			 .demand = demand,
			 .next_check = -1,
			 .last_scale_down_at = -1 };
	struct scale_sim_options local = *o;
	if (!run->delay)
		local.provision_delay = 0;
	s.o = &local;
	s.cluster = scale_cluster_new();
	s.cluster->sku.nodes_per_block = run->npb;
	s.cluster->sku.node = o->sku.node;
	s.cluster->sku.reserve = o->sku.reserve;
	s.cluster->policy = o->policy;
	s.cluster->min_blocks = run->min_blocks;
	s.cluster->max_blocks = run->max_blocks;
	scale_plan_state_init(&s.state);
	s.room_stale = true;
	s.cluster_pod = cc_xcalloc(trace->n + 1, sizeof(*s.cluster_pod));
	for (size_t i = 0; i < trace->n; i++)
		s.cluster_pod[i] = -1;
	s.pending_time = cc_xcalloc(trace->n + 1, sizeof(*s.pending_time));
	for (size_t i = 0; i < trace->n; i++)
		s.pending_time[i] = -1;
	memset(result, 0, sizeof(*result));
	int r = replay(&s, run, start, end, err);
	scale_cluster_free(s.cluster);
	free(s.cluster_pod);
	free(s.trace_pod);
	scale_plan_state_free(&s.state);
	scale_bins_free(&s.room);
	free(s.ready_at);
	free(s.pending);
	free(s.pending_time);
	free(s.segments);
	return r;
}

static int check_options(const struct scale_sim_options *o, struct cc_error *err)
{
	struct scale_resources a = scale_sku_node_allocatable(&o->sku);
	if (o->sku.nodes_per_block < 1 || o->sku.nodes_per_block > 1000)
		return cc_error_set(err, EINVAL, "nodes per block must be 1 to 1000");
	if (a.cpu_milli <= 0 || a.memory <= 0)
		return cc_error_set(err, EINVAL, "a node must have cpu and memory left after the reserve");
	if (o->min_blocks < 0 || o->max_blocks < o->min_blocks || o->max_blocks > 100000)
		return cc_error_set(err, EINVAL, "the block limits must satisfy 0 <= min <= max <= 100000");
	if (o->provision_delay < 0 || o->interval <= 0 || o->flap_window < 0)
		return cc_error_set(err, EINVAL, "delays and intervals must not be negative (the interval above 0)");
	return 0;
}

int scale_simulate(const struct scale_trace *trace, const struct scale_sim_options *o, struct scale_sim_report *ret,
		   struct cc_error *err)
{
	int r = check_options(o, err);
	if (r < 0)
		return r;
	struct scale_sim_report rep = { .pods = trace->n };
	struct scale_resources a = scale_sku_node_allocatable(&o->sku);
	bool *unschedulable = cc_xcalloc(trace->n + 1, sizeof(*unschedulable));
	struct event *events = cc_xcalloc(2 * trace->n + 1, sizeof(*events));
	size_t n_events = 0;
	rep.start = trace->n ? INT64_MAX : 0;
	for (size_t i = 0; i < trace->n; i++) {
		const struct scale_trace_pod *p = &trace->pods[i];
		if (p->created < rep.start)
			rep.start = p->created;
		if (p->created > rep.end)
			rep.end = p->created;
		if (p->deleted > rep.end)
			rep.end = p->deleted;
		/* A pod no node can hold is reported, not replayed: it would wait forever in every policy. */
		if (p->cpu_milli > a.cpu_milli || p->memory > a.memory) {
			unschedulable[i] = true;
			rep.unschedulable++;
			continue;
		}
		events[n_events++] = (struct event){ p->created, EVENT_CREATE, i };
		if (p->deleted >= 0)
			events[n_events++] = (struct event){ p->deleted, EVENT_DELETE, i };
	}
	qsort(events, n_events, sizeof(*events), compare_events);
	rep.events = n_events;
	int64_t npb = o->sku.nodes_per_block;
	struct run blocks = { npb, o->min_blocks, o->max_blocks, o->min_blocks, true, true, true, "blocks" };
	struct run nodes = { 1,    o->min_blocks * npb, o->max_blocks * npb, o->min_blocks * npb, true, true,
			     true, "node_by_node" };
	/* The peak: the most nodes a grow-only autoscaler with instant nodes holds. */
	struct run peak = { 1, 0, (int64_t)trace->n + 1, 0, true, false, false, "peak" };
	struct scale_sim_result peak_result;
	if ((r = run_policy(trace, o, events, n_events, unschedulable, &blocks, rep.start, rep.end, &rep.blocks,
			    &rep.demand, err)) < 0 ||
	    (r = run_policy(trace, o, events, n_events, unschedulable, &nodes, rep.start, rep.end, &rep.node_by_node,
			    NULL, err)) < 0 ||
	    (r = run_policy(trace, o, events, n_events, unschedulable, &peak, rep.start, rep.end, &peak_result, NULL,
			    err)) < 0)
		goto out;
	free(peak_result.nodes.points);
	int64_t peak_blocks = (peak_result.max_nodes + npb - 1) / npb;
	if (peak_blocks < o->min_blocks)
		peak_blocks = o->min_blocks;
	if (peak_blocks > o->max_blocks)
		peak_blocks = o->max_blocks;
	struct run fixed = { npb, peak_blocks, peak_blocks, peak_blocks, false, false, false, "static_peak" };
	r = run_policy(trace, o, events, n_events, unschedulable, &fixed, rep.start, rep.end, &rep.static_peak, NULL,
		       err);
out:
	free(events);
	free(unschedulable);
	if (r < 0) {
		scale_sim_report_release(&rep);
		return r;
	}
	*ret = rep;
	return 0;
}

void scale_sim_report_release(struct scale_sim_report *rep)
{
	free(rep->blocks.nodes.points);
	free(rep->node_by_node.nodes.points);
	free(rep->static_peak.nodes.points);
	free(rep->demand.points);
	memset(rep, 0, sizeof(*rep));
}
