/* The provider's record of its SKU blocks, and the state file that makes it survive a restart.
 *
 * A block is one Cluster Autoscaler node group whose size is 0 or nodes_per_block. Its phase says
 * where the last step left it; CREATING and DELETING are written before the driver is called, so a
 * provider that died in the middle finds them at start and reconciles (provider.c). The file is
 * DIR/blocks.json, replaced atomically (cc_write_file_atomic) after every change:
 *
 *   {"schema":"cocoon.scale.provider/v1","nodesPerBlock":15,
 *    "blocks":[{"id":"b1","phase":"running","nodes":[{"name","providerID","block","status"}],
 *               "error":{"code":"...","message":"..."}}]}
 */
#pragma once

#include "scale/provider/driver.h"

#include <stddef.h>

struct cc_error;

enum scale_block_phase {
	SCALE_BLOCK_EMPTY,     /* no node */
	SCALE_BLOCK_CREATING,  /* the driver is making it */
	SCALE_BLOCK_RUNNING,   /* all nodes_per_block nodes exist */
	SCALE_BLOCK_DELETING,  /* the driver is removing it */
	SCALE_BLOCK_FAILED,    /* a create went wrong and its rollback too: leftovers, listed with the error */
	SCALE_BLOCK_PHASE_MAX, /* invalid */
};

const char *scale_block_phase_to_string(enum scale_block_phase phase);
enum scale_block_phase scale_block_phase_from_string(const char *s);

struct scale_block {
	char *id;
	enum scale_block_phase phase;
	struct scale_driver_nodes nodes;
	/* The last failure of a step on this block (NULL when none): shown in the node group's debug
	 * text, and on each leftover instance of a FAILED block. */
	char *error_code;
	char *error_message;
	/* Steps started on this block since the provider started (not saved): Refresh compares it
	 * before and after its list to leave alone a block a step touched meanwhile. */
	unsigned steps;
};

struct scale_blocks {
	int nodes_per_block;
	struct scale_block *items;
	size_t count;
};

/* Blocks ids, all EMPTY. */
void scale_blocks_init(struct scale_blocks *blocks, int nodes_per_block, const char *const *ids, size_t count);
void scale_blocks_clear(struct scale_blocks *blocks);
struct scale_block *scale_blocks_find(struct scale_blocks *blocks, const char *id);

void scale_block_set_error(struct scale_block *block, const char *code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void scale_block_clear_error(struct scale_block *block);

/* Fills the configured blocks from path when it exists (a missing file is a first start). Refuses,
 * naming what to do, a file written for another block size, or one where a block that is not
 * configured has nodes (they would be forgotten). */
int scale_blocks_load(struct scale_blocks *blocks, const char *path, struct cc_error *err);
int scale_blocks_save(const struct scale_blocks *blocks, const char *path, struct cc_error *err);
