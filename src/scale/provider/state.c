/* The block table and its state file (see state.h). */
#include "scale/provider/state.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define STATE_SCHEMA   "cocoon.scale.provider/v1"
#define STATE_MAX_SIZE (16u * 1024 * 1024)

static const char *const phase_names[SCALE_BLOCK_PHASE_MAX] = {
	[SCALE_BLOCK_EMPTY] = "empty",       [SCALE_BLOCK_CREATING] = "creating", [SCALE_BLOCK_RUNNING] = "running",
	[SCALE_BLOCK_DELETING] = "deleting", [SCALE_BLOCK_FAILED] = "failed",
};

const char *scale_block_phase_to_string(enum scale_block_phase phase)
{
	return phase < SCALE_BLOCK_PHASE_MAX ? phase_names[phase] : "invalid";
}

enum scale_block_phase scale_block_phase_from_string(const char *s)
{
	for (int i = 0; i < SCALE_BLOCK_PHASE_MAX; i++)
		if (strcmp(phase_names[i], s) == 0)
			return (enum scale_block_phase)i;
	return SCALE_BLOCK_PHASE_MAX;
}

void scale_blocks_init(struct scale_blocks *blocks, int nodes_per_block, const char *const *ids, size_t count)
{
	blocks->nodes_per_block = nodes_per_block;
	blocks->items = cc_xcalloc(count ? count : 1, sizeof(*blocks->items));
	blocks->count = count;
	for (size_t i = 0; i < count; i++)
		blocks->items[i].id = cc_xstrdup(ids[i]);
}

void scale_block_clear_error(struct scale_block *block)
{
	free(block->error_code);
	free(block->error_message);
	block->error_code = block->error_message = NULL;
}

void scale_block_set_error(struct scale_block *block, const char *code, const char *fmt, ...)
{
	scale_block_clear_error(block);
	va_list ap;
	va_start(ap, fmt);
	block->error_message = cc_xvasprintf(fmt, ap);
	va_end(ap);
	block->error_code = cc_xstrdup(code);
}

void scale_blocks_clear(struct scale_blocks *blocks)
{
	for (size_t i = 0; i < blocks->count; i++) {
		free(blocks->items[i].id);
		scale_driver_nodes_clear(&blocks->items[i].nodes);
		scale_block_clear_error(&blocks->items[i]);
	}
	free(blocks->items);
	blocks->items = NULL;
	blocks->count = 0;
}

struct scale_block *scale_blocks_find(struct scale_blocks *blocks, const char *id)
{
	for (size_t i = 0; i < blocks->count; i++)
		if (strcmp(blocks->items[i].id, id) == 0)
			return &blocks->items[i];
	return NULL;
}

static json_t *block_to_json(const struct scale_block *b)
{
	json_t *nodes = json_array();
	for (size_t i = 0; i < b->nodes.count; i++) {
		const struct scale_driver_node *n = &b->nodes.items[i];
		json_array_append_new(nodes,
				      json_pack("{s:s, s:s, s:s, s:s}", "name", n->name, "providerID", n->provider_id,
						"block", n->block, "status", scale_node_status_to_string(n->status)));
	}
	json_t *obj =
	    json_pack("{s:s, s:s, s:o}", "id", b->id, "phase", scale_block_phase_to_string(b->phase), "nodes", nodes);
	if (b->error_code)
		json_object_set_new(obj, "error",
				    json_pack("{s:s, s:s}", "code", b->error_code, "message", b->error_message));
	return obj;
}

int scale_blocks_save(const struct scale_blocks *blocks, const char *path, struct cc_error *err)
{
	_cleanup_json_ json_t *list = json_array();
	for (size_t i = 0; i < blocks->count; i++)
		json_array_append_new(list, block_to_json(&blocks->items[i]));
	_cleanup_json_ json_t *doc = json_pack("{s:s, s:i, s:O}", "schema", STATE_SCHEMA, "nodesPerBlock",
					       blocks->nodes_per_block, "blocks", list);
	_cleanup_free_ char *text = json_dumps(doc, JSON_INDENT(1) | JSON_SORT_KEYS);
	if (!text)
		return cc_error_set(err, ENOMEM, "cannot serialise the block state");
	int r = cc_write_file_atomic(path, text, strlen(text), 0600, err);
	return r < 0 ? cc_error_prefix(err, "save the block state") : 0;
}

/* One block of the file into the configured table. */
static int load_block(struct scale_blocks *blocks, const json_t *item, const char *path, struct cc_error *err)
{
	const char *id, *phase_name;
	json_t *error = NULL;
	if (cc_json_get_string(item, "id", true, &id, err) < 0 ||
	    cc_json_get_string(item, "phase", true, &phase_name, err) < 0 ||
	    cc_json_get_object(item, "error", false, &error, err) < 0)
		return cc_error_prefix(err, "%s", path);
	enum scale_block_phase phase = scale_block_phase_from_string(phase_name);
	if (phase == SCALE_BLOCK_PHASE_MAX)
		return cc_error_set(err, EINVAL, "%s: block %s: phase `%s` is unknown", path, id, phase_name);
	struct scale_driver_nodes nodes = { 0 };
	_cleanup_free_ char *nodes_text = json_dumps(item, JSON_COMPACT);
	int r = scale_driver_nodes_parse(nodes_text, strlen(nodes_text), path, &nodes, err);
	if (r < 0)
		return r;
	struct scale_block *b = scale_blocks_find(blocks, id);
	if (!b) {
		size_t count = nodes.count;
		scale_driver_nodes_clear(&nodes);
		if (phase == SCALE_BLOCK_EMPTY && count == 0)
			return 0; /* a block no longer configured, and nothing of it is left */
		return cc_error_set(err, EEXIST,
				    "%s: block %s is %s with %zu nodes but not in --blocks: add it to --blocks so "
				    "it is managed (and can be deleted), or delete it with the driver first",
				    path, id, phase_name, count);
	}
	b->phase = phase;
	scale_driver_nodes_clear(&b->nodes);
	b->nodes = nodes;
	scale_block_clear_error(b);
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *message = json_string_value(json_object_get(error, "message"));
	if (code)
		scale_block_set_error(b, code, "%s", message ? message : "");
	return 0;
}

int scale_blocks_load(struct scale_blocks *blocks, const char *path, struct cc_error *err)
{
	if (access(path, F_OK) < 0 && errno == ENOENT)
		return 0;
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_load_file(path, STATE_MAX_SIZE, &doc, err);
	if (r < 0)
		return r;
	const char *schema;
	int64_t per_block;
	json_t *list;
	if (cc_json_get_string(doc, "schema", true, &schema, err) < 0 ||
	    cc_json_get_int(doc, "nodesPerBlock", true, &per_block, err) < 0 ||
	    cc_json_get_array(doc, "blocks", true, &list, err) < 0)
		return cc_error_prefix(err, "%s", path);
	if (strcmp(schema, STATE_SCHEMA) != 0)
		return cc_error_set(err, EINVAL, "%s: schema `%s` is not %s", path, schema, STATE_SCHEMA);
	size_t i;
	json_t *item;
	json_array_foreach (list, i, item) {
		if ((r = load_block(blocks, item, path, err)) < 0)
			return r;
		const struct scale_block *b = scale_blocks_find(blocks, json_string_value(json_object_get(item, "id")));
		if (per_block != blocks->nodes_per_block && b && b->phase != SCALE_BLOCK_EMPTY)
			return cc_error_set(err, EINVAL,
					    "%s was written with --nodes-per-block %lld and block %s has nodes: start "
					    "with --nodes-per-block %lld, or delete the blocks first",
					    path, (long long)per_block, b->id, (long long)per_block);
	}
	return 0;
}
