/* scale/provider/provider.c (and reconcile.c, refresh.c, template.c) over a fake in-memory cloud:
 * a block grows only from empty to full, a short or failed create is rolled back (or left FAILED
 * with its leftovers when the rollback fails), deletes take whole blocks, the table survives a
 * restart and start-up cleans up a half-made block; Refresh follows what the cloud did without
 * deleting anything; the template node decodes (with a protobuf reader of this file's own) to
 * the Node the SKU describes. */
#include "lib/base/error.h"
#include "scale/provider/provider.h"
#include "unit.h"

#include <errno.h>
#include <stdbool.h>
#include <sys/utsname.h>

/* The fake cloud: nodes[block] nodes exist for blocks "a" and "b". */
struct fake_cloud {
	int nodes[2];
	int make; /* nodes a create makes; -1: as asked */
	int create_result, remove_result, list_result;
	int creates, removes, lists;
};

static int block_index(const char *block)
{
	return block[0] == 'a' ? 0 : 1;
}

static void add_nodes(const struct fake_cloud *c, const char *block, struct scale_driver_nodes *out)
{
	for (int i = 0; i < c->nodes[block_index(block)]; i++) {
		char name[32], id[64];
		snprintf(name, sizeof(name), "%s-%d", block, i);
		snprintf(id, sizeof(id), "fake://%s", name);
		scale_driver_nodes_add(out, name, id, block, SCALE_NODE_RUNNING);
	}
}

static int fake_create(void *impl, const char *block, int nodes, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct fake_cloud *c = impl;
	c->creates++;
	c->nodes[block_index(block)] = c->make < 0 ? nodes : c->make;
	add_nodes(c, block, ret);
	return c->create_result < 0 ? cc_error_set(err, -c->create_result, "fake create failed") : 0;
}

static int fake_remove(void *impl, const char *block, struct cc_error *err)
{
	struct fake_cloud *c = impl;
	c->removes++;
	if (c->remove_result < 0)
		return cc_error_set(err, -c->remove_result, "fake delete failed");
	c->nodes[block_index(block)] = 0;
	return 0;
}

static int fake_list(void *impl, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct fake_cloud *c = impl;
	c->lists++;
	if (c->list_result < 0)
		return cc_error_set(err, -c->list_result, "fake list failed: cloud API down");
	add_nodes(c, "a", ret);
	add_nodes(c, "b", ret);
	return 0;
}

static void fake_close(void *impl)
{
}

static const struct scale_driver_ops fake_ops = {
	.kind = "fake",
	.create = fake_create,
	.remove = fake_remove,
	.list = fake_list,
	.close = fake_close,
};

struct fixture {
	char *dir;
	struct fake_cloud cloud;
	struct scale_driver *driver;
	struct scale_provider *p;
	int refresh_interval_s;
	const struct scale_template *node_template;
};

static void open_provider(struct fixture *f)
{
	static const char *const blocks[] = { "a", "b" };
	struct scale_provider_config cfg = { .state_dir = f->dir,
					     .nodes_per_block = 3,
					     .max_blocks = 2,
					     .blocks = blocks,
					     .block_count = 2,
					     .refresh_interval_s = f->refresh_interval_s,
					     .node_template = f->node_template };
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_new(&cfg, f->driver, &f->p, &err), 0);
	assert_int_equal(scale_provider_reconcile(f->p, &err), 0);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	f->dir = unit_tmpdir();
	f->cloud.make = -1;
	f->driver = scale_driver_new(&fake_ops, &f->cloud, "fake:");
	open_provider(f);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	scale_provider_free(f->p);
	scale_driver_close(f->driver);
	unit_rmdir(f->dir);
	free(f);
	return 0;
}

static int target(struct fixture *f, const char *id)
{
	struct scale_group_info info;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_group(f->p, id, &info, &err), 0);
	return info.target_size;
}

static void test_grows_whole(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_increase(f->p, "a", 2, "ca", &err), -EINVAL);
	assert_non_null(strstr(err.message, "delta must be 3"));
	assert_int_equal(scale_provider_increase(f->p, "nope", 3, "ca", &err), -ENOENT);
	assert_int_equal(f->cloud.creates, 0);
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	assert_int_equal(target(f, "a"), 3);
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), -EEXIST);
	char id[64];
	scale_provider_group_for_node(f->p, "fake://a-1", "", id);
	assert_string_equal(id, "a");
	scale_provider_group_for_node(f->p, "", "a-2", id);
	assert_string_equal(id, "a");
	scale_provider_group_for_node(f->p, "fake://zz", "zz", id);
	assert_string_equal(id, "");
}

static void test_short_create_rolls_back(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	f->cloud.make = 2;
	assert_int_equal(scale_provider_increase(f->p, "b", 3, "ca", &err), -ENOSPC);
	assert_non_null(strstr(err.message, "made 2 of 3 nodes; rolled back"));
	assert_int_equal(f->cloud.removes, 1);
	assert_int_equal(f->cloud.nodes[1], 0);
	assert_int_equal(target(f, "b"), 0);

	f->cloud.make = -1;
	f->cloud.create_result = -ETIMEDOUT;
	assert_int_equal(scale_provider_increase(f->p, "b", 3, "ca", &err), -ETIMEDOUT);
	assert_int_equal(f->cloud.removes, 2);
}

static void test_failed_rollback_keeps_leftovers(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	f->cloud.make = 1;
	f->cloud.create_result = -EIO;
	f->cloud.remove_result = -EIO;
	assert_int_equal(scale_provider_increase(f->p, "b", 3, "ca", &err), -EIO);
	assert_non_null(strstr(err.message, "the rollback failed too"));
	struct scale_instances in = { 0 };
	assert_int_equal(scale_provider_instances(f->p, "b", &in, &err), 0);
	assert_int_equal(in.count, 1);
	assert_int_equal(in.items[0].status, SCALE_NODE_CREATING);
	assert_int_equal(in.items[0].error_class, SCALE_ERROR_CLASS_OUT_OF_RESOURCES);
	scale_instances_clear(&in);
	/* a FAILED block cannot be created again before its leftovers go */
	assert_int_equal(scale_provider_increase(f->p, "b", 3, "ca", &err), -EPERM);
	f->cloud.remove_result = 0;
	struct scale_node_ref all[] = { { "fake://b-0", "b-0" } };
	assert_int_equal(scale_provider_delete_nodes(f->p, "b", all, 1, "ca", &err), 0);
	assert_int_equal(target(f, "b"), 0);
}

static void test_deletes_whole_blocks(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	struct scale_node_ref some[] = { { "fake://a-0", "" }, { "", "a-1" }, { "fake://a-0", "a-0" } };
	assert_int_equal(scale_provider_delete_nodes(f->p, "a", some, 3, "ca", &err), -EPERM);
	assert_non_null(strstr(err.message, "names 2 of its 3 nodes (a-2 is missing)"));
	struct scale_node_ref stranger[] = { { "fake://b-0", "b-0" } };
	assert_int_equal(scale_provider_delete_nodes(f->p, "a", stranger, 1, "ca", &err), -EINVAL);
	assert_int_equal(scale_provider_decrease_target(f->p, "a", -3, "ca", &err), -EPERM);
	assert_int_equal(scale_provider_decrease_target(f->p, "a", -1, "ca", &err), -EINVAL);
	assert_int_equal(f->cloud.removes, 0);
	struct scale_node_ref all[] = { { "fake://a-0", "" }, { "fake://a-1", "" }, { "fake://a-2", "" } };
	assert_int_equal(scale_provider_delete_nodes(f->p, "a", all, 3, "ca", &err), 0);
	assert_int_equal(f->cloud.removes, 1);
	assert_int_equal(target(f, "a"), 0);
}

static void test_restart_and_reconcile(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	scale_provider_free(f->p);
	/* b half-made behind the provider's back: start-up deletes it; a survives */
	f->cloud.nodes[1] = 2;
	open_provider(f);
	assert_int_equal(f->cloud.removes, 1);
	assert_int_equal(f->cloud.nodes[1], 0);
	assert_int_equal(target(f, "a"), 3);
	assert_int_equal(target(f, "b"), 0);
	/* the lock keeps a second provider off the same directory */
	static const char *const blocks[] = { "a", "b" };
	struct scale_provider_config cfg = {
		.state_dir = f->dir, .nodes_per_block = 3, .max_blocks = 2, .blocks = blocks, .block_count = 2
	};
	struct scale_provider *second = NULL;
	assert_int_equal(scale_provider_new(&cfg, f->driver, &second, &err), -EBUSY);
}

static void test_max_blocks(void **state)
{
	struct fixture *f = *state;
	static const char *const blocks[] = { "a", "b" };
	scale_provider_free(f->p);
	struct scale_provider_config cfg = {
		.state_dir = f->dir, .nodes_per_block = 3, .max_blocks = 1, .blocks = blocks, .block_count = 2
	};
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_new(&cfg, f->driver, &f->p, &err), 0);
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	assert_int_equal(scale_provider_increase(f->p, "b", 3, "ca", &err), -ENOSPC);
	assert_int_equal(f->cloud.creates, 1);
}

/* ---- driver output ---- */

static void test_driver_nodes_parse(void **state)
{
	struct scale_driver_nodes nodes = { 0 };
	struct cc_error err = { 0 };
	/* status is optional: running (an absent field once crashed the parser) */
	static const char ok[] =
	    "{\"nodes\":[{\"name\":\"n1\",\"providerID\":\"p://n1\",\"block\":\"b1\"},"
	    "{\"name\":\"n2\",\"providerID\":\"p://n2\",\"block\":\"b1\",\"status\":\"deleting\"}]}";
	assert_int_equal(scale_driver_nodes_parse(ok, strlen(ok), "test", &nodes, &err), 0);
	assert_int_equal(nodes.count, 2);
	assert_int_equal(nodes.items[0].status, SCALE_NODE_RUNNING);
	assert_int_equal(nodes.items[1].status, SCALE_NODE_DELETING);
	/* a refused answer names what is wrong and leaves the list as it was */
	static const char bad[] = "{\"nodes\":[{\"name\":\"n 1\",\"providerID\":\"p\",\"block\":\"b1\"}]}";
	assert_int_equal(scale_driver_nodes_parse(bad, strlen(bad), "test", &nodes, &err), -EINVAL);
	assert_non_null(strstr(err.message, "test: nodes[0]: name and providerID must be printable text"));
	assert_int_equal(nodes.count, 2);
	scale_driver_nodes_clear(&nodes);
}

/* ---- Refresh ---- */

static struct scale_instances instances_of(struct fixture *f, const char *id)
{
	struct scale_instances in = { 0 };
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_instances(f->p, id, &in, &err), 0);
	return in;
}

static void test_refresh_follows_the_cloud(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	int lists = f->cloud.lists;
	/* nothing changed: the table stays */
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(f->cloud.lists, lists + 1);
	assert_int_equal(target(f, "a"), 3);

	/* a's nodes were removed behind the provider's back; b appeared whole */
	f->cloud.nodes[0] = 0;
	f->cloud.nodes[1] = 3;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(target(f, "a"), 0);
	assert_int_equal(target(f, "b"), 3);
	char id[64];
	scale_provider_group_for_node(f->p, "fake://b-2", "", id);
	assert_string_equal(id, "b");

	/* one node of b vanished, and a is half there: reported with errors, not deleted */
	f->cloud.nodes[1] = 2;
	f->cloud.nodes[0] = 1;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(f->cloud.removes, 0);
	struct scale_instances in = instances_of(f, "b");
	assert_int_equal(in.count, 2);
	for (size_t i = 0; i < in.count; i++) {
		assert_int_equal(in.items[i].status, SCALE_NODE_CREATING);
		assert_string_equal(in.items[i].error_code, SCALE_ERROR_CODE_PARTIAL);
		assert_int_equal(in.items[i].error_class, SCALE_ERROR_CLASS_OTHER);
		assert_non_null(strstr(in.items[i].error_message, "has 2 of 3 nodes"));
	}
	scale_instances_clear(&in);
	in = instances_of(f, "a");
	assert_int_equal(in.count, 1);
	assert_string_equal(in.items[0].id, "fake://a-0");
	assert_non_null(in.items[0].error_code);
	scale_instances_clear(&in);
	assert_int_equal(target(f, "b"), 2);
	/* a half-made block takes no create until its nodes are deleted, as CA will */
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), -EPERM);
	struct scale_node_ref all_b[] = { { "fake://b-0", "" }, { "fake://b-1", "" } };
	assert_int_equal(scale_provider_delete_nodes(f->p, "b", all_b, 2, "ca", &err), 0);
	assert_int_equal(target(f, "b"), 0);

	/* the rest of a went away too: empty again, and the table survives a restart that way */
	f->cloud.nodes[0] = 0;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(target(f, "a"), 0);
	in = instances_of(f, "a");
	assert_int_equal(in.count, 0);
	scale_instances_clear(&in);
}

static void test_refresh_list_failure(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	assert_int_equal(scale_provider_increase(f->p, "a", 3, "ca", &err), 0);
	f->cloud.nodes[0] = 0;
	f->cloud.list_result = -EIO;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), -EIO);
	assert_non_null(strstr(err.message, "could not list the nodes (fake list failed: cloud API down)"));
	assert_non_null(strstr(err.message, "left as it was"));
	assert_int_equal(target(f, "a"), 3);
	/* a timed-out list is the same kind of failure (UNAVAILABLE, not a caller's mistake) */
	f->cloud.list_result = -ETIMEDOUT;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), -EIO);
	f->cloud.list_result = 0;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(target(f, "a"), 0);
}

static void test_refresh_interval(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	scale_provider_free(f->p);
	f->refresh_interval_s = 3600;
	open_provider(f);
	int lists = f->cloud.lists;
	/* the start-up reconcile was the last list: Refresh within the interval does not list */
	f->cloud.nodes[1] = 3;
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(scale_provider_refresh(f->p, "ca", &err), 0);
	assert_int_equal(f->cloud.lists, lists);
	assert_int_equal(target(f, "b"), 0);
}

/* ---- the template node ---- */

/* A protobuf wire reader of the test's own, so the check does not trust template.c's encoder. */
struct pb_field {
	uint32_t number;
	uint64_t varint;
	const uint8_t *data; /* length-delimited fields */
	size_t len;
};

static uint64_t pb_varint(const uint8_t **p, const uint8_t *end)
{
	uint64_t v = 0;
	for (int shift = 0; *p < end && shift < 64; shift += 7) {
		uint8_t b = *(*p)++;
		v |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80))
			return v;
	}
	fail_msg("truncated varint");
	return 0;
}

/* The index-th field number in msg (length-delimited), or false. */
static bool pb_find(const uint8_t *msg, size_t len, uint32_t number, size_t index, struct pb_field *ret)
{
	const uint8_t *p = msg, *end = msg + len;
	while (p < end) {
		uint64_t key = pb_varint(&p, end);
		struct pb_field f = { .number = (uint32_t)(key >> 3) };
		switch (key & 7) {
		case 0: f.varint = pb_varint(&p, end); break;
		case 2:
			f.len = pb_varint(&p, end);
			assert_true(f.len <= (size_t)(end - p));
			f.data = p;
			p += f.len;
			break;
		default: fail_msg("unexpected wire type %u", (unsigned)(key & 7));
		}
		if (f.number == number && index-- == 0) {
			*ret = f;
			return true;
		}
	}
	return false;
}

/* The string at a path of field numbers (each step the first occurrence); "" when absent. */
static const char *pb_string(const uint8_t *msg, size_t len, const uint32_t *path, size_t depth, char *buf, size_t size)
{
	struct pb_field f = { .data = msg, .len = len };
	for (size_t i = 0; i < depth; i++)
		if (!pb_find(f.data, f.len, path[i], 0, &f))
			return "";
	snprintf(buf, size, "%.*s", (int)f.len, (const char *)f.data);
	return buf;
}

/* A map<string, string> (or <string, Quantity>: quantity set) entry's value by key. */
static const char *pb_map(const uint8_t *msg, size_t len, uint32_t number, const char *key, bool quantity, char *buf,
			  size_t size)
{
	struct pb_field entry;
	char k[256];
	for (size_t i = 0; pb_find(msg, len, number, i, &entry); i++) {
		if (strcmp(pb_string(entry.data, entry.len, (const uint32_t[]){ 1 }, 1, k, sizeof(k)), key) != 0)
			continue;
		return pb_string(entry.data, entry.len, (const uint32_t[]){ 2, 1 }, quantity ? 2 : 1, buf, size);
	}
	return NULL;
}

static void test_template_node(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	struct scale_template t;
	scale_template_init(&t);
	t.reserve_cpu_milli = 200;
	t.reserve_memory_bytes = INT64_C(512) << 20;
	assert_int_equal(scale_template_set_instance_type(&t, "m5.xlarge", &err), 0);
	assert_int_equal(scale_template_add_label(&t, "tier=batch", &err), 0);
	assert_int_equal(scale_template_add_label(&t, "kubernetes.io/arch=arm64", &err), 0);
	assert_int_equal(scale_template_add_taint(&t, "dedicated=ml:NoSchedule", &err), 0);
	assert_int_equal(scale_template_add_taint(&t, "example.com/gpu:PreferNoSchedule", &err), 0);
	scale_provider_free(f->p);
	f->node_template = &t;
	open_provider(f);

	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(scale_provider_template_node(f->p, "nope", &bytes, &len, &err), -ENOENT);
	assert_non_null(strstr(err.message, "node group `nope` is not a block"));
	assert_int_equal(scale_provider_template_node(f->p, "b", &bytes, &len, &err), 0);
	char buf[256];
	assert_string_equal(pb_string(bytes, len, (const uint32_t[]){ 1, 1 }, 2, buf, sizeof(buf)), "template-b-0");
	struct pb_field meta, spec, status, taint;
	assert_true(pb_find(bytes, len, 1, 0, &meta));
	assert_true(pb_find(bytes, len, 2, 0, &spec));
	assert_true(pb_find(bytes, len, 3, 0, &status));
	static const char *const labels[][2] = {
		{ "kubernetes.io/os", "linux" },
		{ "kubernetes.io/arch", "arm64" },
		{ "kubernetes.io/hostname", "template-b-0" },
		{ "node.kubernetes.io/instance-type", "m5.xlarge" },
		{ "scale.cocoon.dev/block", "b" },
		{ "tier", "batch" },
	};
	for (size_t i = 0; i < sizeof(labels) / sizeof(labels[0]); i++) {
		const char *v = pb_map(meta.data, meta.len, 11, labels[i][0], false, buf, sizeof(buf));
		assert_non_null(v);
		assert_string_equal(v, labels[i][1]);
	}
	struct pb_field extra;
	assert_false(pb_find(meta.data, meta.len, 11, 6, &extra)); /* the arch label once, overridden */
	assert_true(pb_find(spec.data, spec.len, 5, 0, &taint));
	assert_string_equal(pb_string(taint.data, taint.len, (const uint32_t[]){ 1 }, 1, buf, sizeof(buf)),
			    "dedicated");
	assert_string_equal(pb_string(taint.data, taint.len, (const uint32_t[]){ 2 }, 1, buf, sizeof(buf)), "ml");
	assert_string_equal(pb_string(taint.data, taint.len, (const uint32_t[]){ 3 }, 1, buf, sizeof(buf)),
			    "NoSchedule");
	assert_true(pb_find(spec.data, spec.len, 5, 1, &taint));
	assert_string_equal(pb_string(taint.data, taint.len, (const uint32_t[]){ 1 }, 1, buf, sizeof(buf)),
			    "example.com/gpu");
	assert_string_equal(pb_string(taint.data, taint.len, (const uint32_t[]){ 2 }, 1, buf, sizeof(buf)), "");
	static const char *const resources[][3] = { { "cpu", "4", "3800m" },
						    { "memory", "8Gi", "7680Mi" },
						    { "pods", "110", "110" } };
	for (size_t i = 0; i < 3; i++) {
		assert_string_equal(pb_map(status.data, status.len, 1, resources[i][0], true, buf, sizeof(buf)),
				    resources[i][1]);
		assert_string_equal(pb_map(status.data, status.len, 2, resources[i][0], true, buf, sizeof(buf)),
				    resources[i][2]);
	}
	assert_string_equal(pb_string(status.data, status.len, (const uint32_t[]){ 4, 1 }, 2, buf, sizeof(buf)),
			    "Ready");
	assert_string_equal(pb_string(status.data, status.len, (const uint32_t[]){ 4, 2 }, 2, buf, sizeof(buf)),
			    "True");
	assert_string_equal(pb_string(status.data, status.len, (const uint32_t[]){ 7, 9 }, 2, buf, sizeof(buf)),
			    "linux");
	/* nodeInfo follows the label the operator set */
	assert_string_equal(pb_string(status.data, status.len, (const uint32_t[]){ 7, 10 }, 2, buf, sizeof(buf)),
			    "arm64");
	free(bytes);
	scale_provider_free(f->p);
	f->p = NULL;
	scale_template_clear(&t);
	f->node_template = NULL;
	open_provider(f); /* for teardown, with the default template (t is gone) */
}

static void test_template_defaults_and_refusals(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	uint8_t *bytes = NULL;
	size_t len = 0;
	assert_int_equal(scale_provider_template_node(f->p, "a", &bytes, &len, &err), 0);
	struct pb_field status;
	assert_true(pb_find(bytes, len, 3, 0, &status));
	char buf[64];
	assert_string_equal(pb_map(status.data, status.len, 2, "cpu", true, buf, sizeof(buf)), "4");
	assert_string_equal(pb_map(status.data, status.len, 2, "memory", true, buf, sizeof(buf)), "8Gi");
	struct utsname u;
	assert_int_equal(uname(&u), 0);
	assert_string_equal(pb_string(status.data, status.len, (const uint32_t[]){ 7, 10 }, 2, buf, sizeof(buf)),
			    scale_template_arch_of(u.machine));
	free(bytes);
	assert_string_equal(scale_template_arch_of("x86_64"), "amd64");
	assert_string_equal(scale_template_arch_of("aarch64"), "arm64");

	struct scale_template t;
	scale_template_init(&t);
	assert_int_equal(scale_template_add_label(&t, "tier", &err), -EINVAL);
	assert_non_null(strstr(err.message, "label `tier` must be KEY=VALUE"));
	assert_int_equal(scale_template_add_label(&t, "Bad_Prefix.io/x=y", &err), -EINVAL);
	assert_non_null(strstr(err.message, "is not a qualified name"));
	assert_int_equal(scale_template_add_label(&t, "x=-y", &err), -EINVAL);
	assert_non_null(strstr(err.message, "value `-y` is not a label value"));
	assert_int_equal(scale_template_add_label(&t, "scale.cocoon.dev/block=x", &err), -EINVAL);
	assert_non_null(strstr(err.message, "is set by the provider"));
	assert_int_equal(scale_template_add_taint(&t, "gpu=yes:Never", &err), -EINVAL);
	assert_non_null(strstr(err.message, "effect `Never` is not NoSchedule"));
	assert_int_equal(scale_template_add_taint(&t, "gpu=yes", &err), -EINVAL);
	t.reserve_cpu_milli = 4000;
	assert_int_equal(scale_template_check(&t, &err), -EINVAL);
	assert_non_null(strstr(err.message, "--reserve-cpu 4 leaves no allocatable cpu of the node's 4"));
	assert_int_equal(t.label_count + t.taint_count, 0);
	scale_template_clear(&t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grows_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_create_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rollback_keeps_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deletes_whole_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_blocks, setup, teardown),
		cmocka_unit_test(test_driver_nodes_parse),
		cmocka_unit_test_setup_teardown(test_refresh_follows_the_cloud, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_list_failure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_refresh_interval, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_node, setup, teardown),
		cmocka_unit_test_setup_teardown(test_template_defaults_and_refusals, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
