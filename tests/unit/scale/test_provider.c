/* scale/provider/provider.c (and reconcile.c) over a fake in-memory cloud: a block grows only from
 * empty to full, a short or failed create is rolled back (or left FAILED with its leftovers when
 * the rollback fails), deletes take whole blocks, the table survives a restart and start-up
 * cleans up a half-made block. */
#include "lib/base/error.h"
#include "scale/provider/provider.h"
#include "unit.h"

#include <errno.h>

/* The fake cloud: nodes[block] nodes exist for blocks "a" and "b". */
struct fake_cloud {
	int nodes[2];
	int make; /* nodes a create makes; -1: as asked */
	int create_result, remove_result;
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
};

static void open_provider(struct fixture *f)
{
	static const char *const blocks[] = { "a", "b" };
	struct scale_provider_config cfg = {
		.state_dir = f->dir, .nodes_per_block = 3, .max_blocks = 2, .blocks = blocks, .block_count = 2
	};
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_grows_whole, setup, teardown),
		cmocka_unit_test_setup_teardown(test_short_create_rolls_back, setup, teardown),
		cmocka_unit_test_setup_teardown(test_failed_rollback_keeps_leftovers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_deletes_whole_blocks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_restart_and_reconcile, setup, teardown),
		cmocka_unit_test_setup_teardown(test_max_blocks, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
