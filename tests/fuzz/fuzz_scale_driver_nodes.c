/* libFuzzer target: the node list a provisioning driver prints (src/scale/provider/driver.c,
 * scale_driver_nodes_parse). The operator's `create` and `list` scripts talk to a cloud, so their
 * output is untrusted input to the provider. Any input either is refused with a message, leaving
 * the caller's list as it was, or gives nodes whose names and provider ids are printable text
 * without spaces, whose block is a DNS label and whose status is one of the three. */
#include "lib/base/error.h"
#include "scale/provider/driver.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int plain(const char *s)
{
	if (!s || !*s)
		return 0;
	for (; *s; s++)
		if (*s <= 0x20 || *s >= 0x7f)
			return 0;
	return 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scale_driver_nodes nodes = { 0 };
	scale_driver_nodes_add(&nodes, "before", "fuzz://before", "before", SCALE_NODE_RUNNING);
	struct cc_error err = { 0 };
	if (scale_driver_nodes_parse((const char *)data, size, "fuzz", &nodes, &err) < 0) {
		if (!err.code || !err.message[0] || nodes.count != 1 || strcmp(nodes.items[0].name, "before") != 0)
			abort();
		scale_driver_nodes_clear(&nodes);
		return 0;
	}
	for (size_t i = 0; i < nodes.count; i++) {
		const struct scale_driver_node *n = &nodes.items[i];
		struct cc_error block_err = { 0 };
		if (!plain(n->name) || !plain(n->provider_id) || scale_block_id_check(n->block, &block_err) < 0 ||
		    n->status >= SCALE_NODE_STATUS_MAX)
			abort();
		if (scale_driver_nodes_in_block(&nodes, n->block) == 0)
			abort();
	}
	struct scale_driver_nodes copy = { 0 };
	scale_driver_nodes_copy(&copy, &nodes, NULL);
	if (copy.count != nodes.count)
		abort();
	scale_driver_nodes_clear(&copy);
	scale_driver_nodes_clear(&nodes);
	return 0;
}
