/* Start-up reconciliation (see scale_provider_reconcile in provider.h): the block table against
 * what the driver lists. Runs before the server starts, so no request races it; each difference
 * found is settled and recorded as a block.reconcile event, and a provider that cannot record it
 * does not start. The cases, by what the table says and how many nodes the driver lists:
 *
 *   creating or deleting (died mid-step)  full: adopt as running (a create that finished)
 *                                          otherwise: delete what is there (half-made)
 *   running                                full: running; none: empty (removed behind our back);
 *                                          partial: half-made, delete
 *   empty                                  full: adopt; partial: half-made, delete
 *   failed (leftovers of a failed create)  none: empty; otherwise: try the delete again
 *
 * refresh.c does the same while the provider serves, without deleting anything. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "scale/provider/events.h"
#include "scale/provider/provider_internal.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static int record(const struct scale_block *b, enum cc_event_severity severity, const char *reason,
		  struct cc_error *err)
{
	cc_info("reconcile: %s", reason);
	return scale_provider_event("block.reconcile", NULL, b->id, CC_VERDICT_NONE, severity, reason, err);
}

/* A half-made block: remove it, or keep its leftovers as FAILED when the driver cannot. */
static int clean_up(struct scale_provider *p, struct scale_block *b, const struct scale_driver_nodes *listed,
		    const char *found, struct cc_error *err)
{
	struct cc_error rm_err = { 0 };
	_cleanup_free_ char *reason = NULL;
	if (scale_driver_remove(p->driver, b->id, &rm_err) == 0) {
		reason = cc_xasprintf("block %s %s: deleted", b->id, found);
		b->phase = SCALE_BLOCK_EMPTY;
		scale_driver_nodes_clear(&b->nodes);
		scale_block_set_error(b, "cocoon.block.reconciled", "%s", reason);
		return record(b, CC_SEVERITY_WARNING, reason, err);
	}
	reason = cc_xasprintf("block %s %s: its delete failed (%s); its nodes are listed with this error until "
			      "they are deleted",
			      b->id, found, cc_error_message(&rm_err));
	b->phase = SCALE_BLOCK_FAILED;
	scale_driver_nodes_copy(&b->nodes, listed, b->id);
	scale_block_set_error(b, "cocoon.block.rollback-failed", "%s", reason);
	return record(b, CC_SEVERITY_ERROR, reason, err);
}

static int reconcile_block(struct scale_provider *p, struct scale_block *b, const struct scale_driver_nodes *listed,
			   struct cc_error *err)
{
	size_t have = scale_driver_nodes_in_block(listed, b->id);
	size_t full = (size_t)p->blocks.nodes_per_block;
	enum scale_block_phase was = b->phase;
	_cleanup_free_ char *found = NULL;
	if (have == full && was != SCALE_BLOCK_FAILED && was != SCALE_BLOCK_DELETING) {
		scale_driver_nodes_copy(&b->nodes, listed, b->id);
		b->phase = SCALE_BLOCK_RUNNING;
		if (was == SCALE_BLOCK_RUNNING)
			return 0;
		_cleanup_free_ char *reason =
		    cc_xasprintf("block %s was %s in the state file but all %zu nodes exist: adopted as running", b->id,
				 scale_block_phase_to_string(was), full);
		return record(b, CC_SEVERITY_NOTICE, reason, err);
	}
	if (have == 0) {
		if (was == SCALE_BLOCK_EMPTY)
			return 0;
		b->phase = SCALE_BLOCK_EMPTY;
		scale_driver_nodes_clear(&b->nodes);
		_cleanup_free_ char *reason = cc_xasprintf("block %s was %s in the state file but has no nodes: empty",
							   b->id, scale_block_phase_to_string(was));
		return record(b, was == SCALE_BLOCK_RUNNING ? CC_SEVERITY_WARNING : CC_SEVERITY_NOTICE, reason, err);
	}
	if (was == SCALE_BLOCK_CREATING || was == SCALE_BLOCK_DELETING)
		found = cc_xasprintf("was left half-made (%zu of %zu nodes) by a provider that stopped while %s it",
				     have, full, was == SCALE_BLOCK_CREATING ? "creating" : "deleting");
	else if (was == SCALE_BLOCK_FAILED)
		found = cc_xasprintf("still holds %zu nodes of a failed create", have);
	else
		found = cc_xasprintf("has %zu of %zu nodes (the state file said %s)", have, full,
				     scale_block_phase_to_string(was));
	return clean_up(p, b, listed, found, err);
}

/* Nodes the driver lists for blocks that are not configured are not ours to manage: said once. */
static int report_strangers(struct scale_provider *p, const struct scale_driver_nodes *listed, struct cc_error *err)
{
	for (size_t i = 0; i < listed->count; i++) {
		const char *block = listed->items[i].block;
		bool seen = scale_blocks_find(&p->blocks, block) != NULL;
		for (size_t j = 0; j < i && !seen; j++)
			seen = strcmp(listed->items[j].block, block) == 0;
		if (seen)
			continue;
		_cleanup_free_ char *reason = cc_xasprintf(
		    "the driver lists %zu nodes of block %s, which is not in --blocks: they are not managed",
		    scale_driver_nodes_in_block(listed, block), block);
		cc_warning("reconcile: %s", reason);
		int r = scale_provider_event("block.reconcile", NULL, block, CC_VERDICT_NONE, CC_SEVERITY_WARNING,
					     reason, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int scale_provider_reconcile(struct scale_provider *p, struct cc_error *err)
{
	struct scale_driver_nodes listed = { 0 };
	int r = scale_driver_list(p->driver, &listed, err);
	if (r < 0) {
		cc_error_prefix(err, "cannot reconcile the blocks with the driver");
		return r;
	}
	scale_provider_note_listed(p, NULL); /* the first Refresh interval starts here */
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->blocks.count && r >= 0; i++)
		r = reconcile_block(p, &p->blocks.items[i], &listed, err);
	if (r >= 0)
		r = report_strangers(p, &listed, err);
	int sr = scale_provider_save(p, r < 0 ? NULL : err);
	pthread_mutex_unlock(&p->lock);
	scale_driver_nodes_clear(&listed);
	return r < 0 ? r : sr;
}
