/* The Cluster Autoscaler provider's decisions over SKU blocks (the gRPC face is service.h).
 *
 * Each configured block is one node group of size 0 or nodes_per_block, with min 0 and max
 * nodes_per_block, and Cluster Autoscaler is told to scale it all or nothing (zeroOrMaxNodeScaling).
 * The provider holds that line whatever a caller asks: a block grows only from empty to full in one
 * driver step, a step that leaves it partial is rolled back, and it shrinks only by deleting every
 * node at once. At most max_blocks blocks hold nodes at a time. Every decision and step is an
 * audit event (events.h), and the block table is saved (state.h) before and after each driver call.
 *
 * Functions return 0 or a negative errno with the reason in err; the errno says what kind of
 * refusal it is (service.c maps it to a gRPC status): -EINVAL a request that can never be right,
 * -ENOENT an unknown block, -EBUSY a block in the middle of a step, -EEXIST/-EPERM a request the
 * block's state does not allow, -ENOSPC out of capacity (max blocks, or a create that came up
 * short), -EIO/-ETIMEDOUT a driver or audit failure. Calls may come from several threads; a driver
 * step runs without the lock, the block marked busy meanwhile. */
#pragma once

#include "lib/base/cleanup.h"
#include "scale/provider/driver.h"
#include "scale/provider/template.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define SCALE_DEFAULT_NODES_PER_BLOCK 15

/* Cluster Autoscaler's InstanceErrorClass values (cloudprovider.InstanceErrorClass). */
#define SCALE_ERROR_CLASS_OUT_OF_RESOURCES 1
#define SCALE_ERROR_CLASS_OTHER            99

/* The error code on the nodes of a block Refresh found half-made (reported so CA deletes them). */
#define SCALE_ERROR_CODE_PARTIAL "cocoon.block.partial"

struct scale_provider_config {
	const char *state_dir; /* holds blocks.json and the lock that keeps a second provider out */
	int nodes_per_block;
	int max_blocks;            /* blocks that may hold nodes at once */
	const char *const *blocks; /* the ids of the blocks that may exist (node groups) */
	size_t block_count;
	int refresh_interval_s; /* Refresh lists at most this often; 0: at every Refresh */
	/* What a node of a block looks like (NodeGroupTemplateNodeInfo); the caller's, kept alive as
	 * long as the provider. NULL: the defaults of scale_template_init. */
	const struct scale_template *node_template;
};

struct scale_provider;

/* Takes the state directory's lock and loads the block table; the driver stays the caller's. */
int scale_provider_new(const struct scale_provider_config *cfg, struct scale_driver *driver,
		       struct scale_provider **ret, struct cc_error *err);
void scale_provider_free(struct scale_provider *p);
CC_DEFINE_CLEANUP_FUNC(struct scale_provider *, scale_provider_free)

/* At start: compares the table with what the driver lists and settles every difference, each an
 * event: a block left half-made (a crash while creating or deleting, or nodes missing) is deleted;
 * a full block the table does not know is adopted; one that vanished becomes empty. Fails when the
 * driver cannot list or an event cannot be written (the provider must not serve blind). */
int scale_provider_reconcile(struct scale_provider *p, struct cc_error *err);

/* Refresh: lists the driver's nodes, at most once per refresh interval (in between it answers as
 * the last list did), and brings the table in line with them like the start-up reconcile but
 * without deleting anything itself: a block whose nodes all vanished becomes empty, a full block
 * the table does not know is adopted, and a half-made block (some nodes missing, or found on an
 * empty one) is kept as FAILED, its nodes listed with error info, so Cluster Autoscaler deletes
 * them. Blocks in the middle of a step are left to that step. Each change is a block.refresh event
 * by actor; a change whose event cannot be written is not made (-EIO). A list that fails is -EIO
 * with the reason, the table left as it was. */
int scale_provider_refresh(struct scale_provider *p, const char *actor, struct cc_error *err);

/* NodeGroupTemplateNodeInfo: block id's template node in protobuf form (template.h); -ENOENT for a
 * block that is not the provider's. *ret_bytes is the caller's to free. */
int scale_provider_template_node(struct scale_provider *p, const char *id, uint8_t **ret_bytes, size_t *ret_len,
				 struct cc_error *err);

int scale_provider_nodes_per_block(const struct scale_provider *p);

struct scale_group_info {
	char id[64];
	int target_size;
	char debug[512];
};
size_t scale_provider_group_count(struct scale_provider *p);
void scale_provider_group_at(struct scale_provider *p, size_t index, struct scale_group_info *ret);
int scale_provider_group(struct scale_provider *p, const char *id, struct scale_group_info *ret, struct cc_error *err);
/* The block that owns the node (matched by provider id, else by name); "" when none does. */
void scale_provider_group_for_node(struct scale_provider *p, const char *provider_id, const char *name,
				   char ret_id[64]);

/* A node group's instances as Cluster Autoscaler wants them. */
struct scale_instance {
	char *id; /* the node's providerID */
	enum scale_node_status status;
	char *error_code; /* NULL when the instance has no error */
	char *error_message;
	int error_class;
};
struct scale_instances {
	struct scale_instance *items;
	size_t count;
};
void scale_instances_clear(struct scale_instances *instances);
int scale_provider_instances(struct scale_provider *p, const char *id, struct scale_instances *ret,
			     struct cc_error *err);

/* NodeGroupIncreaseSize: delta must be nodes_per_block and the block empty. Returns when the
 * block is complete, or rolled back (then -ENOSPC, -EIO or -ETIMEDOUT saying what happened). */
int scale_provider_increase(struct scale_provider *p, const char *id, int delta, const char *actor,
			    struct cc_error *err);

struct scale_node_ref {
	const char *provider_id; /* may be "" */
	const char *name;        /* may be "" */
};
/* NodeGroupDeleteNodes: nodes must name every node of the block (blocks shrink whole). */
int scale_provider_delete_nodes(struct scale_provider *p, const char *id, const struct scale_node_ref *nodes,
				size_t count, const char *actor, struct cc_error *err);
/* NodeGroupDecreaseTargetSize: a block's target never exceeds the nodes that exist (a create
 * finishes or is undone before IncreaseSize returns), so there is no unfulfilled request to
 * withdraw; the call is checked and refused with the reason and what to do instead. */
int scale_provider_decrease_target(struct scale_provider *p, const char *id, int delta, const char *actor,
				   struct cc_error *err);
