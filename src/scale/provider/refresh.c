/* Refresh (see scale_provider_refresh in provider.h): the block table against what the driver
 * lists, while the provider serves. Cluster Autoscaler calls Refresh before every loop (about every
 * 10 s); a list is an operator's script talking to a cloud, so it runs at most once per interval
 * and the Refreshes in between answer as the last list did (a failure keeps failing, so CA does not
 * act on a table nobody could check).
 *
 * Unlike the start-up reconcile (reconcile.c), Refresh deletes nothing: CA decides deletions and
 * asks for them. What it finds, by what the table says and how many nodes the driver lists:
 *
 *   running   full: running (the nodes as listed); none: empty (removed behind our back);
 *             partial: failed, the rest listed with error info so CA deletes them
 *   empty     full: adopted as running; partial: failed, listed with error info (half-made)
 *   failed    none: empty; otherwise failed, with the nodes as listed
 *   creating, deleting: left alone (a step is in flight, the list may show it half-way)
 *
 * A step may start or end while the list runs, so the list can be older than the table: a block
 * that was busy when the list began, or whose step count moved, is left for the next Refresh. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "scale/provider/events.h"
#include "scale/provider/provider_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

void scale_provider_note_listed(struct scale_provider *p, const struct cc_error *err)
{
	p->listed = true;
	p->listed_at_ms = cc_time_monotonic_ms();
	free(p->refresh_failure);
	p->refresh_failure = err ? cc_xstrdup(cc_error_message(err)) : NULL;
}

static bool is_busy(const struct scale_block *b)
{
	return b->phase == SCALE_BLOCK_CREATING || b->phase == SCALE_BLOCK_DELETING;
}

/* Whether two node lists hold the same nodes in the same states, in any order. */
static bool same_nodes(const struct scale_driver_nodes *a, const struct scale_driver_nodes *b)
{
	if (a->count != b->count)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		bool found = false;
		for (size_t j = 0; j < b->count && !found; j++)
			found = strcmp(a->items[i].provider_id, b->items[j].provider_id) == 0 &&
				a->items[i].status == b->items[j].status;
		if (!found)
			return false;
	}
	return true;
}

/* What Refresh makes of one block: its next phase and why, or no reason when nothing changes. */
struct verdict {
	enum scale_block_phase next;
	enum cc_event_severity severity;
	bool partial; /* half-made: its nodes get the error, so CA deletes them */
	char *reason;
};

static struct verdict judge(const struct scale_block *b, const struct scale_driver_nodes *now, size_t full)
{
	size_t have = now->count;
	struct verdict v = { .next = b->phase, .severity = CC_SEVERITY_NOTICE };
	const char *was = scale_block_phase_to_string(b->phase);
	if (have == 0 && b->phase != SCALE_BLOCK_EMPTY) {
		v.next = SCALE_BLOCK_EMPTY;
		v.severity = b->phase == SCALE_BLOCK_RUNNING ? CC_SEVERITY_WARNING : CC_SEVERITY_NOTICE;
		v.reason = cc_xasprintf("block %s was %s with %zu nodes but the driver lists none: empty", b->id, was,
					b->nodes.count);
	} else if (have == 0 || (b->phase != SCALE_BLOCK_EMPTY && same_nodes(&b->nodes, now))) {
		return v; /* nothing changed */
	} else if (b->phase == SCALE_BLOCK_FAILED) {
		v.reason = cc_xasprintf("block %s keeps %zu leftover nodes (was %zu): listed with its error until they "
					"are deleted",
					b->id, have, b->nodes.count);
	} else if (have == full) {
		v.next = SCALE_BLOCK_RUNNING;
		v.reason =
		    b->phase == SCALE_BLOCK_EMPTY
			? cc_xasprintf("block %s was empty but all %zu nodes exist: adopted as running", b->id, full)
			: cc_xasprintf(
			      "block %s: the driver lists other nodes or states than recorded: its %zu nodes updated",
			      b->id, full);
	} else {
		v.next = SCALE_BLOCK_FAILED;
		v.partial = true;
		v.severity = CC_SEVERITY_WARNING;
		v.reason =
		    cc_xasprintf("block %s was %s but has %zu of %zu nodes: half-made, its nodes are listed with "
				 "this error so that Cluster Autoscaler deletes them",
				 b->id, was, have, full);
	}
	return v;
}

/* Settles one block with the list; the change is made only once its event is written. Called
 * with the lock held. */
static int refresh_block(struct scale_provider *p, struct scale_block *b, const struct scale_driver_nodes *listed,
			 const char *actor, bool *changed, struct cc_error *err)
{
	struct scale_driver_nodes now = { 0 };
	scale_driver_nodes_copy(&now, listed, b->id);
	struct verdict v = judge(b, &now, (size_t)p->blocks.nodes_per_block);
	int r = 0;
	if (v.reason) {
		cc_info("refresh: %s", v.reason);
		r = scale_provider_event("block.refresh", actor, b->id, CC_VERDICT_NONE, v.severity, v.reason, err);
	}
	if (v.reason && r == 0) {
		b->phase = v.next;
		scale_driver_nodes_clear(&b->nodes);
		if (v.next != SCALE_BLOCK_EMPTY) {
			b->nodes = now;
			now = (struct scale_driver_nodes){ 0 };
		}
		if (v.partial)
			scale_block_set_error(b, SCALE_ERROR_CODE_PARTIAL, "%s", v.reason);
		*changed = true;
	}
	scale_driver_nodes_clear(&now);
	free(v.reason);
	return r;
}

/* The steps of each block, and whether it was busy, before the list: what a block must still show
 * afterwards for the list to speak of it. */
struct before {
	unsigned steps;
	bool busy;
};

static int refresh_now(struct scale_provider *p, const char *actor, bool *ret_list_failed, struct cc_error *err)
{
	size_t n = p->blocks.count; /* fixed after start */
	_cleanup_free_ struct before *before = cc_xcalloc(n, sizeof(*before));
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < n; i++)
		before[i] = (struct before){ p->blocks.items[i].steps, is_busy(&p->blocks.items[i]) };
	pthread_mutex_unlock(&p->lock);

	struct scale_driver_nodes listed = { 0 };
	struct cc_error list_err = { 0 };
	if (scale_driver_list(p->driver, &listed, &list_err) < 0) {
		*ret_list_failed = true;
		return cc_error_set(err, EIO,
				    "the driver could not list the nodes (%s); the block table is left as it was",
				    cc_error_message(&list_err));
	}
	int r = 0;
	bool changed = false;
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < n && r == 0; i++) {
		struct scale_block *b = &p->blocks.items[i];
		if (before[i].busy || is_busy(b) || b->steps != before[i].steps)
			continue;
		r = refresh_block(p, b, &listed, actor, &changed, err);
	}
	if (changed)
		scale_provider_save(p, NULL); /* logged; the next list finds the same again */
	pthread_mutex_unlock(&p->lock);
	scale_driver_nodes_clear(&listed);
	return r;
}

int scale_provider_refresh(struct scale_provider *p, const char *actor, struct cc_error *err)
{
	int r = 0;
	pthread_mutex_lock(&p->refresh_lock);
	int64_t age = cc_time_monotonic_ms() - p->listed_at_ms;
	if (p->listed && age < p->refresh_interval_ms) {
		if (p->refresh_failure)
			r = cc_error_set(err, EIO, "%s (the last list, %lld s ago; the next in %lld s at the latest)",
					 p->refresh_failure, (long long)(age / 1000),
					 (long long)((p->refresh_interval_ms - age + 999) / 1000));
	} else {
		bool list_failed = false;
		r = refresh_now(p, actor, &list_failed, err);
		/* A list that failed is answered again until the next one; a change whose event could
		 * not be written was not made, and the next Refresh lists again to make it. */
		if (r == 0 || list_failed)
			scale_provider_note_listed(p, r < 0 ? err : NULL);
	}
	pthread_mutex_unlock(&p->refresh_lock);
	if (r < 0)
		cc_warning("refresh: %s", cc_error_message(err));
	return r;
}
