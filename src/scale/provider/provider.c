/* The provider's answers and decisions (see provider.h). A step on a block has three phases: admit
 * (under the lock: check the request, write the decision event, mark the block busy and save), the
 * driver call (without the lock), and settle (under the lock: record the outcome, save, write the
 * outcome's event). A create that does not end with every node made is undone before the caller
 * hears about it, so Cluster Autoscaler never sees a partial block it would have to repair. */
#include "scale/provider/provider.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "scale/provider/events.h"
#include "scale/provider/provider_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

int scale_provider_save(struct scale_provider *p, struct cc_error *err)
{
	struct cc_error local = { 0 };
	int r = scale_blocks_save(&p->blocks, p->state_path, &local);
	if (r < 0) {
		cc_warning("%s", cc_error_message(&local));
		if (err)
			*err = local;
	}
	return r;
}

static int lock_state_dir(const char *dir, int *ret_fd, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/lock", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s`", path);
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		int e = errno;
		close(fd);
		if (e == EWOULDBLOCK)
			return cc_error_set(err, EBUSY, "state directory `%s` is in use by another provider", dir);
		return cc_error_set_errno(err, e, "lock `%s`", path);
	}
	*ret_fd = fd;
	return 0;
}

int scale_provider_new(const struct scale_provider_config *cfg, struct scale_driver *driver,
		       struct scale_provider **ret, struct cc_error *err)
{
	if (cfg->nodes_per_block < 1 || cfg->max_blocks < 1 || cfg->block_count == 0)
		return cc_error_set(err, EINVAL, "a provider needs nodes per block, max blocks and blocks");
	if (cfg->refresh_interval_s < 0)
		return cc_error_set(err, EINVAL, "the refresh interval must not be negative");
	if (cfg->node_template && scale_template_check(cfg->node_template, err) < 0)
		return cc_error_prefix(err, "the template node");
	for (size_t i = 0; i < cfg->block_count; i++) {
		if (scale_block_id_check(cfg->blocks[i], err) < 0)
			return -EINVAL;
		for (size_t j = 0; j < i; j++)
			if (strcmp(cfg->blocks[i], cfg->blocks[j]) == 0)
				return cc_error_set(err, EINVAL, "block %s is listed twice", cfg->blocks[i]);
	}
	int r = cc_mkdir_p(cfg->state_dir, 0700, err);
	if (r < 0)
		return r;
	int lock_fd = -1;
	if ((r = lock_state_dir(cfg->state_dir, &lock_fd, err)) < 0)
		return r;
	struct scale_provider *p = cc_xcalloc(1, sizeof(*p));
	pthread_mutex_init(&p->lock, NULL);
	pthread_mutex_init(&p->refresh_lock, NULL);
	p->refresh_interval_ms = (int64_t)cfg->refresh_interval_s * 1000;
	scale_template_init(&p->default_template);
	p->node_template = cfg->node_template ? cfg->node_template : &p->default_template;
	p->lock_fd = lock_fd;
	p->driver = driver;
	p->max_blocks = cfg->max_blocks;
	p->state_path = cc_xasprintf("%s/blocks.json", cfg->state_dir);
	scale_blocks_init(&p->blocks, cfg->nodes_per_block, cfg->blocks, cfg->block_count);
	if ((r = scale_blocks_load(&p->blocks, p->state_path, err)) < 0) {
		scale_provider_free(p);
		return r;
	}
	*ret = p;
	return 0;
}

void scale_provider_free(struct scale_provider *p)
{
	if (!p)
		return;
	scale_blocks_clear(&p->blocks);
	pthread_mutex_destroy(&p->lock);
	pthread_mutex_destroy(&p->refresh_lock);
	scale_template_clear(&p->default_template);
	free(p->refresh_failure);
	free(p->state_path);
	if (p->lock_fd >= 0)
		close(p->lock_fd);
	free(p);
}

int scale_provider_nodes_per_block(const struct scale_provider *p)
{
	return p->blocks.nodes_per_block;
}

/* ---- answers ---- */

static int target_size(const struct scale_provider *p, const struct scale_block *b)
{
	switch (b->phase) {
	case SCALE_BLOCK_CREATING:
	case SCALE_BLOCK_RUNNING: return p->blocks.nodes_per_block;
	case SCALE_BLOCK_DELETING:
	case SCALE_BLOCK_FAILED: return (int)b->nodes.count;
	default: return 0;
	}
}

static void group_info(const struct scale_provider *p, const struct scale_block *b, struct scale_group_info *ret)
{
	snprintf(ret->id, sizeof(ret->id), "%s", b->id);
	ret->target_size = target_size(p, b);
	snprintf(ret->debug, sizeof(ret->debug), "cocoon SKU block %s: %s, %zu of %d nodes%s%s", b->id,
		 scale_block_phase_to_string(b->phase), b->nodes.count, p->blocks.nodes_per_block,
		 b->error_message ? "; last error: " : "", b->error_message ? b->error_message : "");
}

size_t scale_provider_group_count(struct scale_provider *p)
{
	return p->blocks.count; /* fixed after start */
}

void scale_provider_group_at(struct scale_provider *p, size_t index, struct scale_group_info *ret)
{
	pthread_mutex_lock(&p->lock);
	group_info(p, &p->blocks.items[index], ret);
	pthread_mutex_unlock(&p->lock);
}

static int unknown_block(const char *id, struct cc_error *err)
{
	return cc_error_set(err, ENOENT, "node group `%s` is not a block of this provider (see --blocks)", id);
}

int scale_provider_group(struct scale_provider *p, const char *id, struct scale_group_info *ret, struct cc_error *err)
{
	pthread_mutex_lock(&p->lock);
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	if (b)
		group_info(p, b, ret);
	pthread_mutex_unlock(&p->lock);
	return b ? 0 : unknown_block(id, err);
}

/* Cluster Autoscaler names a node by its providerID and its name; the providerID is the key, the
 * name serves for a node registered without one (both are unique in a cluster). */
static bool node_matches(const struct scale_driver_node *n, const char *provider_id, const char *name)
{
	return (provider_id && *provider_id && strcmp(n->provider_id, provider_id) == 0) ||
	       (name && *name && strcmp(n->name, name) == 0);
}

void scale_provider_group_for_node(struct scale_provider *p, const char *provider_id, const char *name, char ret_id[64])
{
	ret_id[0] = '\0';
	pthread_mutex_lock(&p->lock);
	for (size_t i = 0; i < p->blocks.count && !ret_id[0]; i++) {
		const struct scale_block *b = &p->blocks.items[i];
		for (size_t j = 0; j < b->nodes.count; j++) {
			if (node_matches(&b->nodes.items[j], provider_id, name)) {
				snprintf(ret_id, 64, "%s", b->id);
				break;
			}
		}
	}
	pthread_mutex_unlock(&p->lock);
}

void scale_instances_clear(struct scale_instances *instances)
{
	for (size_t i = 0; i < instances->count; i++) {
		free(instances->items[i].id);
		free(instances->items[i].error_code);
		free(instances->items[i].error_message);
	}
	free(instances->items);
	instances->items = NULL;
	instances->count = 0;
}

static void add_instance(struct scale_instances *out, char *id, enum scale_node_status status,
			 const struct scale_block *failed)
{
	out->items = cc_xrealloc(out->items, (out->count + 1) * sizeof(*out->items));
	struct scale_instance *in = &out->items[out->count++];
	*in = (struct scale_instance){ .id = id, .status = status };
	if (failed && failed->error_code) {
		in->error_code = cc_xstrdup(failed->error_code);
		in->error_message = cc_xstrdup(failed->error_message);
		/* Leftovers of a create that failed say the cloud ran short (CA backs the group off);
		 * nodes that vanished from a block say nothing of capacity. */
		in->error_class = strcmp(failed->error_code, SCALE_ERROR_CODE_PARTIAL) == 0
				      ? SCALE_ERROR_CLASS_OTHER
				      : SCALE_ERROR_CLASS_OUT_OF_RESOURCES;
	}
}

int scale_provider_instances(struct scale_provider *p, const char *id, struct scale_instances *ret,
			     struct cc_error *err)
{
	pthread_mutex_lock(&p->lock);
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	if (!b) {
		pthread_mutex_unlock(&p->lock);
		return unknown_block(id, err);
	}
	struct scale_instances out = { 0 };
	if (b->phase == SCALE_BLOCK_CREATING) {
		/* The nodes have no names until the driver answers: placeholders, as other providers do. */
		for (int i = 0; i < p->blocks.nodes_per_block; i++)
			add_instance(&out, cc_xasprintf("cocoon-block://%s/pending-%d", b->id, i + 1),
				     SCALE_NODE_CREATING, NULL);
	} else {
		for (size_t i = 0; i < b->nodes.count; i++) {
			const struct scale_driver_node *n = &b->nodes.items[i];
			enum scale_node_status s = b->phase == SCALE_BLOCK_DELETING ? SCALE_NODE_DELETING
						   : b->phase == SCALE_BLOCK_FAILED ? SCALE_NODE_CREATING
										    : n->status;
			add_instance(&out, cc_xstrdup(n->provider_id), s, b->phase == SCALE_BLOCK_FAILED ? b : NULL);
		}
	}
	pthread_mutex_unlock(&p->lock);
	scale_instances_clear(ret);
	*ret = out;
	return 0;
}

int scale_provider_template_node(struct scale_provider *p, const char *id, uint8_t **ret_bytes, size_t *ret_len,
				 struct cc_error *err)
{
	/* The block list is fixed after start and the template read-only: no lock needed. */
	if (!scale_blocks_find(&p->blocks, id))
		return unknown_block(id, err);
	return scale_template_node(p->node_template, id, ret_bytes, ret_len, err);
}

/* ---- decisions ---- */

/* Refuses a request: the reason goes to err and into a deny event. The refusal stands even when
 * the event cannot be written; the message then says so too. Called with the lock held. */
static int __attribute__((format(printf, 6, 7)))
refuse(const char *action, const char *actor, const char *block, int code, struct cc_error *err, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_error_setv(err, code, fmt, ap);
	va_end(ap);
	struct cc_error ev_err = { 0 };
	if (scale_provider_event(action, actor, block, CC_VERDICT_DENY, CC_SEVERITY_WARNING, err->message, &ev_err) < 0)
		cc_error_prefix(err, "%s; and", cc_error_message(&ev_err));
	return -code;
}

static size_t blocks_in_use(const struct scale_provider *p)
{
	size_t n = 0;
	for (size_t i = 0; i < p->blocks.count; i++)
		n += p->blocks.items[i].phase != SCALE_BLOCK_EMPTY;
	return n;
}

/* Why a block in this phase cannot start a step now, or NULL. */
static const char *busy_reason(const struct scale_block *b)
{
	if (b->phase == SCALE_BLOCK_CREATING)
		return "is being created";
	if (b->phase == SCALE_BLOCK_DELETING)
		return "is being deleted";
	return NULL;
}

static int admit_create(struct scale_provider *p, const char *id, int delta, const char *actor, struct cc_error *err)
{
	const char *action = "block.create";
	int per_block = p->blocks.nodes_per_block;
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	if (!b)
		return unknown_block(id, err);
	if (delta != per_block)
		return refuse(action, actor, id, EINVAL, err,
			      "block %s grows whole: IncreaseSize delta must be %d (the nodes of one block), not %d",
			      id, per_block, delta);
	if (busy_reason(b))
		return refuse(action, actor, id, EBUSY, err, "block %s %s; try again when that step has ended", id,
			      busy_reason(b));
	if (b->phase == SCALE_BLOCK_RUNNING)
		return refuse(action, actor, id, EEXIST, err, "block %s already has its %d nodes", id, per_block);
	if (b->phase == SCALE_BLOCK_FAILED)
		return refuse(action, actor, id, EPERM, err,
			      "block %s holds %zu nodes left by a failed create; delete them (NodeGroupDeleteNodes "
			      "with all of them) before creating it again",
			      id, b->nodes.count);
	if (blocks_in_use(p) >= (size_t)p->max_blocks)
		return refuse(action, actor, id, ENOSPC, err,
			      "%d blocks already hold nodes, the most allowed (--max-blocks %d)", p->max_blocks,
			      p->max_blocks);
	_cleanup_free_ char *reason = cc_xasprintf("create block %s of %d nodes", id, per_block);
	int r = scale_provider_event(action, actor, id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE, reason, err);
	if (r < 0)
		return r;
	b->phase = SCALE_BLOCK_CREATING;
	b->steps++;
	scale_block_clear_error(b);
	if ((r = scale_provider_save(p, err)) < 0) {
		b->phase = SCALE_BLOCK_EMPTY;
		return cc_error_set(err, EIO, "block %s not created: %s", id, cc_error_message(err));
	}
	return 0;
}

/* The create left the block partial (or unrecorded): remove what was made, and say what happened.
 * code is the errno the caller gets when the rollback works. */
static int rollback(struct scale_provider *p, const char *id, const struct scale_driver_nodes *made, int code,
		    const char *why, const char *actor, struct cc_error *err)
{
	struct cc_error rb_err = { 0 };
	int rr = scale_driver_remove(p->driver, id, &rb_err);
	struct scale_driver_nodes leftovers = { 0 };
	if (rr < 0) {
		/* What is left, as the driver sees it now; what the create reported if it cannot say. */
		struct cc_error list_err = { 0 };
		struct scale_driver_nodes listed = { 0 };
		if (scale_driver_list(p->driver, &listed, &list_err) == 0)
			scale_driver_nodes_copy(&leftovers, &listed, id);
		else
			scale_driver_nodes_copy(&leftovers, made, id);
		scale_driver_nodes_clear(&listed);
	}
	pthread_mutex_lock(&p->lock);
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	_cleanup_free_ char *message = NULL;
	scale_driver_nodes_clear(&b->nodes);
	if (rr == 0) {
		message = cc_xasprintf("%s; rolled back: block %s is empty again", why, id);
		b->phase = SCALE_BLOCK_EMPTY;
		scale_block_set_error(b, "cocoon.block.create-failed", "%s", message);
	} else {
		code = EIO;
		message = cc_xasprintf("%s; the rollback failed too (%s): %zu nodes are left, listed with this error "
				       "until they are deleted",
				       why, cc_error_message(&rb_err), leftovers.count);
		b->phase = SCALE_BLOCK_FAILED;
		b->nodes = leftovers;
		leftovers = (struct scale_driver_nodes){ 0 };
		scale_block_set_error(b, "cocoon.block.rollback-failed", "%s", message);
	}
	scale_provider_save(p, NULL);
	struct cc_error ev_err = { 0 };
	int er = scale_provider_event("block.rollback", actor, id, CC_VERDICT_ERROR,
				      rr == 0 ? CC_SEVERITY_WARNING : CC_SEVERITY_ERROR, message, &ev_err);
	pthread_mutex_unlock(&p->lock);
	cc_error_set(err, code, "%s", message);
	if (er < 0)
		cc_error_prefix(err, "%s; and", cc_error_message(&ev_err));
	return -code;
}

/* The driver made every node: the block runs once that is recorded. */
static int settle_created(struct scale_provider *p, const char *id, const struct scale_driver_nodes *made,
			  const char *actor, struct cc_error *err)
{
	pthread_mutex_lock(&p->lock);
	_cleanup_free_ char *reason = cc_xasprintf("block %s created: %d nodes", id, p->blocks.nodes_per_block);
	int r = scale_provider_event("block.created", actor, id, CC_VERDICT_NONE, CC_SEVERITY_NOTICE, reason, err);
	if (r == 0) {
		struct scale_block *b = scale_blocks_find(&p->blocks, id);
		scale_driver_nodes_copy(&b->nodes, made, id);
		b->phase = SCALE_BLOCK_RUNNING;
		scale_provider_save(p, NULL); /* logged; a restart adopts a full block the file missed */
	}
	pthread_mutex_unlock(&p->lock);
	return r;
}

int scale_provider_increase(struct scale_provider *p, const char *id, int delta, const char *actor,
			    struct cc_error *err)
{
	pthread_mutex_lock(&p->lock);
	int r = admit_create(p, id, delta, actor, err);
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	int want = p->blocks.nodes_per_block;
	struct scale_driver_nodes made = { 0 };
	struct cc_error step_err = { 0 };
	int dr = scale_driver_create(p->driver, id, want, &made, &step_err);
	size_t have = scale_driver_nodes_in_block(&made, id);
	_cleanup_free_ char *why = NULL;
	int code;
	if (dr == 0 && have == (size_t)want) {
		struct cc_error ev_err = { 0 };
		if (settle_created(p, id, &made, actor, &ev_err) == 0) {
			scale_driver_nodes_clear(&made);
			return 0;
		}
		code = EIO;
		why = cc_xasprintf("block %s was made but could not be recorded (%s)", id, cc_error_message(&ev_err));
	} else if (dr == 0) {
		code = ENOSPC;
		why = cc_xasprintf("create of block %s came up short: the driver made %zu of %d nodes", id, have, want);
	} else {
		code = -dr == ETIMEDOUT ? ETIMEDOUT : EIO;
		why = cc_xasprintf("create of block %s failed after the driver reported %zu of %d nodes: %s", id, have,
				   want, cc_error_message(&step_err));
	}
	r = rollback(p, id, &made, code, why, actor, err);
	scale_driver_nodes_clear(&made);
	return r;
}

/* Whether nodes name exactly the block's nodes; otherwise the refusal. Called with the lock held. */
static int check_whole_block(const struct scale_block *b, const struct scale_node_ref *nodes, size_t count,
			     const char *actor, struct cc_error *err)
{
	_cleanup_free_ bool *named = cc_xcalloc(b->nodes.count ? b->nodes.count : 1, sizeof(bool));
	size_t distinct = 0;
	for (size_t i = 0; i < count; i++) {
		size_t j = 0;
		while (j < b->nodes.count && !node_matches(&b->nodes.items[j], nodes[i].provider_id, nodes[i].name))
			j++;
		if (j == b->nodes.count)
			return refuse("block.delete", actor, b->id, EINVAL, err, "node %s is not in block %s",
				      *nodes[i].provider_id ? nodes[i].provider_id : nodes[i].name, b->id);
		distinct += !named[j];
		named[j] = true;
	}
	if (distinct == b->nodes.count)
		return 0;
	const char *missing = "";
	for (size_t j = 0; j < b->nodes.count && !*missing; j++)
		if (!named[j])
			missing = b->nodes.items[j].name;
	return refuse("block.delete", actor, b->id, EPERM, err,
		      "block %s shrinks whole: the request names %zu of its %zu nodes (%s is missing); ask to "
		      "delete all of them",
		      b->id, distinct, b->nodes.count, missing);
}

static int admit_delete(struct scale_provider *p, const char *id, const struct scale_node_ref *nodes, size_t count,
			const char *actor, enum scale_block_phase *ret_before, struct cc_error *err)
{
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	if (!b)
		return unknown_block(id, err);
	if (busy_reason(b))
		return refuse("block.delete", actor, id, EBUSY, err, "block %s %s; try again when that step has ended",
			      id, busy_reason(b));
	if (b->phase == SCALE_BLOCK_EMPTY)
		return refuse("block.delete", actor, id, EPERM, err, "block %s has no nodes to delete", id);
	int r = check_whole_block(b, nodes, count, actor, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *reason = cc_xasprintf("delete block %s: all %zu nodes", id, b->nodes.count);
	if ((r = scale_provider_event("block.delete", actor, id, CC_VERDICT_ALLOW, CC_SEVERITY_NOTICE, reason, err)) <
	    0)
		return r;
	*ret_before = b->phase;
	b->phase = SCALE_BLOCK_DELETING;
	b->steps++;
	if ((r = scale_provider_save(p, err)) < 0) {
		b->phase = *ret_before;
		return cc_error_set(err, EIO, "block %s not deleted: %s", id, cc_error_message(err));
	}
	return 0;
}

int scale_provider_delete_nodes(struct scale_provider *p, const char *id, const struct scale_node_ref *nodes,
				size_t count, const char *actor, struct cc_error *err)
{
	enum scale_block_phase before = SCALE_BLOCK_RUNNING;
	pthread_mutex_lock(&p->lock);
	int r = admit_delete(p, id, nodes, count, actor, &before, err);
	pthread_mutex_unlock(&p->lock);
	if (r < 0)
		return r;
	struct cc_error step_err = { 0 };
	int dr = scale_driver_remove(p->driver, id, &step_err);
	pthread_mutex_lock(&p->lock);
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	_cleanup_free_ char *message = NULL;
	if (dr == 0) {
		message = cc_xasprintf("block %s deleted: %zu nodes", id, b->nodes.count);
		b->phase = SCALE_BLOCK_EMPTY;
		scale_driver_nodes_clear(&b->nodes);
		scale_block_clear_error(b);
	} else {
		message = cc_xasprintf("delete of block %s failed: %s", id, cc_error_message(&step_err));
		b->phase = before;
		scale_block_set_error(b, "cocoon.block.delete-failed", "%s", message);
	}
	scale_provider_save(p, NULL);
	struct cc_error ev_err = { 0 };
	int er = scale_provider_event("block.deleted", actor, id, dr == 0 ? CC_VERDICT_NONE : CC_VERDICT_ERROR,
				      dr == 0 ? CC_SEVERITY_NOTICE : CC_SEVERITY_ERROR, message, &ev_err);
	pthread_mutex_unlock(&p->lock);
	if (dr < 0) {
		cc_error_set(err, -dr == ETIMEDOUT ? ETIMEDOUT : EIO, "%s", message);
		return dr == -ETIMEDOUT ? -ETIMEDOUT : -EIO;
	}
	if (er < 0) {
		*err = ev_err;
		return -EIO;
	}
	return 0;
}

int scale_provider_decrease_target(struct scale_provider *p, const char *id, int delta, const char *actor,
				   struct cc_error *err)
{
	const char *action = "target.decrease";
	int per_block = p->blocks.nodes_per_block;
	pthread_mutex_lock(&p->lock);
	struct scale_block *b = scale_blocks_find(&p->blocks, id);
	int r;
	if (!b)
		r = unknown_block(id, err);
	else if (delta != -per_block)
		r = refuse(action, actor, id, EINVAL, err,
			   "block %s shrinks whole: DecreaseTargetSize delta must be -%d, not %d", id, per_block,
			   delta);
	else if (busy_reason(b))
		r = refuse(action, actor, id, EBUSY, err, "block %s %s", id, busy_reason(b));
	else if (b->phase == SCALE_BLOCK_EMPTY)
		r = refuse(action, actor, id, EPERM, err, "the target size of block %s is already 0", id);
	else
		/* RUNNING or FAILED: every counted node exists, and this call must not delete any. */
		r = refuse(action, actor, id, EPERM, err,
			   "all %zu nodes of block %s exist, so there is no unfulfilled request to withdraw; remove "
			   "the block with NodeGroupDeleteNodes naming all of them",
			   b->nodes.count, id);
	pthread_mutex_unlock(&p->lock);
	return r;
}
