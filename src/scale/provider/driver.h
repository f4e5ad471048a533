/* The provisioning drivers of the Cluster Autoscaler provider: what actually makes and removes the
 * nodes of a SKU block. The provider decides (all or nothing, which block, when to roll back); a
 * driver only carries out one step and says what exists. One interface, one file per kind, one
 * table (driver.c): `exec:SCRIPT` runs an operator's script (driver_exec.c, protocol in
 * docs/scale.md). A driver names blocks by id and knows nothing of gRPC, state files or events. */
#pragma once

#include <stddef.h>

struct cc_error;

enum scale_node_status {
	SCALE_NODE_RUNNING,
	SCALE_NODE_CREATING,
	SCALE_NODE_DELETING,
	SCALE_NODE_STATUS_MAX, /* invalid */
};

const char *scale_node_status_to_string(enum scale_node_status s);
enum scale_node_status scale_node_status_from_string(const char *s);

/* One node of a block, as a driver reports it. provider_id is what the Kubernetes Node's
 * spec.providerID will say, the key Cluster Autoscaler matches instances and nodes with. */
struct scale_driver_node {
	char *name;
	char *provider_id;
	char *block;
	enum scale_node_status status;
};

struct scale_driver_nodes {
	struct scale_driver_node *items;
	size_t count;
};

void scale_driver_nodes_clear(struct scale_driver_nodes *nodes);
void scale_driver_nodes_add(struct scale_driver_nodes *nodes, const char *name, const char *provider_id,
			    const char *block, enum scale_node_status status);
/* How many of nodes belong to block. */
size_t scale_driver_nodes_in_block(const struct scale_driver_nodes *nodes, const char *block);
/* Replaces *dst by the nodes of src that belong to block (all of them when block is NULL). */
void scale_driver_nodes_copy(struct scale_driver_nodes *dst, const struct scale_driver_nodes *src, const char *block);

/* Reads a driver's answer, {"nodes":[{"name","providerID","block","status"}]} (status optional,
 * "running" by default). Names and provider ids are bounded printable text; what names the source
 * in messages. */
int scale_driver_nodes_parse(const char *text, size_t len, const char *what, struct scale_driver_nodes *ret,
			     struct cc_error *err);

/* Block ids are DNS labels (lowercase letters, digits, '-' inside, at most 63): Cluster Autoscaler
 * shows them, drivers pass them to cloud APIs as names, and none can be read as an option. */
int scale_block_id_check(const char *id, struct cc_error *err);

struct scale_driver_options {
	int timeout_ms; /* one step longer than this is stopped and counts as failed */
};

/* One kind of driver. create returns 0 only when the step succeeded; whatever it learnt of the
 * nodes it made is in ret either way (a failed step may have made some). remove takes away every
 * node of the block and succeeds when none is left (also when there was none). A step that ran out
 * of time fails with -ETIMEDOUT; one that ran and failed with -EIO. */
struct scale_driver_ops {
	const char *kind;
	int (*open)(const char *arg, const struct scale_driver_options *opts, void **ret_impl, struct cc_error *err);
	int (*create)(void *impl, const char *block, int nodes, struct scale_driver_nodes *ret, struct cc_error *err);
	int (*remove)(void *impl, const char *block, struct cc_error *err);
	int (*list)(void *impl, struct scale_driver_nodes *ret, struct cc_error *err);
	void (*close)(void *impl);
};

extern const struct scale_driver_ops scale_driver_exec;

struct scale_driver;

/* spec is KIND:ARG ("exec:/usr/local/bin/blocks"). */
int scale_driver_open(const char *spec, const struct scale_driver_options *opts, struct scale_driver **ret,
		      struct cc_error *err);
/* A driver of ops that is not in the table (a test's fake cloud); impl is handed to ops->close. */
struct scale_driver *scale_driver_new(const struct scale_driver_ops *ops, void *impl, const char *name);
void scale_driver_close(struct scale_driver *driver);
const char *scale_driver_describe(const struct scale_driver *driver);

int scale_driver_create(struct scale_driver *driver, const char *block, int nodes, struct scale_driver_nodes *ret,
			struct cc_error *err);
int scale_driver_remove(struct scale_driver *driver, const char *block, struct cc_error *err);
int scale_driver_list(struct scale_driver *driver, struct scale_driver_nodes *ret, struct cc_error *err);
