/* The driver registry and what every driver shares: node lists, their JSON form, block ids. */
#include "scale/provider/driver.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A driver's answer lists at most a few thousand nodes; more is a runaway script. */
#define NODES_MAX_TEXT (4u * 1024 * 1024)
#define NODE_NAME_MAX  253 /* a Kubernetes object name */
#define NODE_ID_MAX    512

static const struct scale_driver_ops *const drivers[] = {
	&scale_driver_exec,
};

struct scale_driver {
	const struct scale_driver_ops *ops;
	void *impl;
	char *spec;
};

static const char *const status_names[SCALE_NODE_STATUS_MAX] = {
	[SCALE_NODE_RUNNING] = "running",
	[SCALE_NODE_CREATING] = "creating",
	[SCALE_NODE_DELETING] = "deleting",
};

const char *scale_node_status_to_string(enum scale_node_status s)
{
	return s < SCALE_NODE_STATUS_MAX ? status_names[s] : "invalid";
}

enum scale_node_status scale_node_status_from_string(const char *s)
{
	for (int i = 0; i < SCALE_NODE_STATUS_MAX; i++)
		if (strcmp(status_names[i], s) == 0)
			return (enum scale_node_status)i;
	return SCALE_NODE_STATUS_MAX;
}

void scale_driver_nodes_clear(struct scale_driver_nodes *nodes)
{
	for (size_t i = 0; i < nodes->count; i++) {
		free(nodes->items[i].name);
		free(nodes->items[i].provider_id);
		free(nodes->items[i].block);
	}
	free(nodes->items);
	nodes->items = NULL;
	nodes->count = 0;
}

void scale_driver_nodes_add(struct scale_driver_nodes *nodes, const char *name, const char *provider_id,
			    const char *block, enum scale_node_status status)
{
	nodes->items = cc_xrealloc(nodes->items, (nodes->count + 1) * sizeof(*nodes->items));
	nodes->items[nodes->count++] = (struct scale_driver_node){
		.name = cc_xstrdup(name),
		.provider_id = cc_xstrdup(provider_id),
		.block = cc_xstrdup(block),
		.status = status,
	};
}

size_t scale_driver_nodes_in_block(const struct scale_driver_nodes *nodes, const char *block)
{
	size_t n = 0;
	for (size_t i = 0; i < nodes->count; i++)
		n += strcmp(nodes->items[i].block, block) == 0;
	return n;
}

void scale_driver_nodes_copy(struct scale_driver_nodes *dst, const struct scale_driver_nodes *src, const char *block)
{
	struct scale_driver_nodes out = { 0 };
	for (size_t i = 0; i < src->count; i++) {
		const struct scale_driver_node *n = &src->items[i];
		if (!block || strcmp(n->block, block) == 0)
			scale_driver_nodes_add(&out, n->name, n->provider_id, n->block, n->status);
	}
	scale_driver_nodes_clear(dst);
	*dst = out;
}

int scale_block_id_check(const char *id, struct cc_error *err)
{
	size_t len = strlen(id);
	if (len == 0 || len > 63)
		return cc_error_set(err, EINVAL, "block id `%s` must be 1 to 63 characters", id);
	for (size_t i = 0; i < len; i++) {
		char c = id[i];
		bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || (c == '-' && i > 0 && i < len - 1);
		if (!ok)
			return cc_error_set(err, EINVAL,
					    "block id `%s` is not a DNS label: use lowercase letters, digits and "
					    "'-' inside",
					    id);
	}
	return 0;
}

/* Printable ASCII without spaces: names end up in Kubernetes objects, logs and argv. */
static bool plain_text(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len == 0 || len > max)
		return false;
	for (size_t i = 0; i < len; i++)
		if (s[i] <= 0x20 || s[i] >= 0x7f)
			return false;
	return true;
}

static int parse_node(const json_t *item, size_t index, const char *what, struct scale_driver_nodes *out,
		      struct cc_error *err)
{
	const char *name = NULL, *provider_id = NULL, *block = NULL, *status = NULL;
	if (!json_is_object(item))
		return cc_error_set(err, EINVAL, "%s: nodes[%zu] is not an object", what, index);
	if (cc_json_get_string(item, "name", true, &name, err) < 0 ||
	    cc_json_get_string(item, "providerID", true, &provider_id, err) < 0 ||
	    cc_json_get_string(item, "block", true, &block, err) < 0 ||
	    cc_json_get_string(item, "status", false, &status, err) < 0)
		return cc_error_prefix(err, "%s: nodes[%zu]", what, index);
	if (!status) /* optional: cc_json_get_string leaves an absent field NULL, not as it was */
		status = "running";
	if (!plain_text(name, NODE_NAME_MAX) || !plain_text(provider_id, NODE_ID_MAX))
		return cc_error_set(err, EINVAL,
				    "%s: nodes[%zu]: name and providerID must be printable text without spaces "
				    "(at most %d and %d bytes)",
				    what, index, NODE_NAME_MAX, NODE_ID_MAX);
	if (scale_block_id_check(block, err) < 0)
		return cc_error_prefix(err, "%s: nodes[%zu]", what, index);
	enum scale_node_status s = scale_node_status_from_string(status);
	if (s == SCALE_NODE_STATUS_MAX)
		return cc_error_set(err, EINVAL, "%s: nodes[%zu]: status `%s` is not running, creating or deleting",
				    what, index, status);
	scale_driver_nodes_add(out, name, provider_id, block, s);
	return 0;
}

int scale_driver_nodes_parse(const char *text, size_t len, const char *what, struct scale_driver_nodes *ret,
			     struct cc_error *err)
{
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(text, len, NODES_MAX_TEXT, what, &doc, err);
	if (r < 0)
		return r;
	json_t *items;
	if ((r = cc_json_get_array(doc, "nodes", true, &items, err)) < 0)
		return cc_error_prefix(err, "%s", what);
	struct scale_driver_nodes out = { 0 };
	size_t i;
	json_t *item;
	json_array_foreach (items, i, item) {
		if ((r = parse_node(item, i, what, &out, err)) < 0) {
			scale_driver_nodes_clear(&out);
			return r;
		}
	}
	scale_driver_nodes_clear(ret);
	*ret = out;
	return 0;
}

struct scale_driver *scale_driver_new(const struct scale_driver_ops *ops, void *impl, const char *name)
{
	struct scale_driver *d = cc_xcalloc(1, sizeof(*d));
	d->ops = ops;
	d->impl = impl;
	d->spec = cc_xstrdup(name);
	return d;
}

int scale_driver_open(const char *spec, const struct scale_driver_options *opts, struct scale_driver **ret,
		      struct cc_error *err)
{
	const char *colon = strchr(spec, ':');
	if (!colon || colon == spec || !colon[1])
		return cc_error_set(err, EINVAL, "driver `%s` must be KIND:ARGUMENT, e.g. exec:/usr/local/bin/blocks",
				    spec);
	size_t kind_len = (size_t)(colon - spec);
	for (size_t i = 0; i < sizeof(drivers) / sizeof(drivers[0]); i++) {
		if (strlen(drivers[i]->kind) != kind_len || strncmp(drivers[i]->kind, spec, kind_len) != 0)
			continue;
		void *impl;
		int r = drivers[i]->open(colon + 1, opts, &impl, err);
		if (r < 0)
			return r;
		*ret = scale_driver_new(drivers[i], impl, spec);
		return 0;
	}
	return cc_error_set(err, EINVAL, "driver `%.*s` is unknown: the drivers are exec:SCRIPT", (int)kind_len, spec);
}

void scale_driver_close(struct scale_driver *driver)
{
	if (!driver)
		return;
	driver->ops->close(driver->impl);
	free(driver->spec);
	free(driver);
}

const char *scale_driver_describe(const struct scale_driver *driver)
{
	return driver->spec;
}

int scale_driver_create(struct scale_driver *driver, const char *block, int nodes, struct scale_driver_nodes *ret,
			struct cc_error *err)
{
	return driver->ops->create(driver->impl, block, nodes, ret, err);
}

int scale_driver_remove(struct scale_driver *driver, const char *block, struct cc_error *err)
{
	return driver->ops->remove(driver->impl, block, err);
}

int scale_driver_list(struct scale_driver *driver, struct scale_driver_nodes *ret, struct cc_error *err)
{
	return driver->ops->list(driver->impl, ret, err);
}
