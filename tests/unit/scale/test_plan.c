/* scale/plan*.c: scale-up by whole blocks (and max_blocks, unschedulable pods), and each rule that
 * holds a scale-down: utilization, unneeded time, local storage, safe-to-evict, bare pods, PDBs,
 * hysteresis, pods that fit nowhere, cooldowns, min_blocks; the emptiest removable block wins. */
#include "lib/base/error.h"
#include "scale/cluster.h"
#include "scale/plan.h"
#include "unit.h"

#define GI (INT64_C(1) << 30)

static struct scale_resources res(int64_t cpu, int64_t mem)
{
	return (struct scale_resources){ cpu, mem };
}

/* blocks of two nodes of 4 cpu / 8Gi, all under the target for an hour, no recent scale event */
static struct scale_cluster *cluster_of(size_t blocks)
{
	struct scale_cluster *c = scale_cluster_new();
	c->sku.nodes_per_block = 2;
	c->now = 100000;
	c->min_blocks = 1;
	c->max_blocks = 10;
	for (size_t b = 0; b < blocks; b++) {
		char id[16], name[16];
		snprintf(id, sizeof(id), "b%zu", b + 1);
		size_t at = scale_cluster_add_block(c, id);
		c->blocks[at].underutilized_since = c->now - 3600;
		for (int n = 0; n < 2; n++) {
			snprintf(name, sizeof(name), "b%zu-n%d", b + 1, n + 1);
			scale_cluster_add_node(c, name, at, res(4000, 8 * GI));
		}
	}
	return c;
}

static size_t pod(struct scale_cluster *c, const char *name, int64_t cpu, long node)
{
	return scale_cluster_add_pod(c, "ns", name, res(cpu, cpu * GI / 1000), node);
}

static void plan_of(const struct scale_cluster *c, struct scale_plan *plan)
{
	struct cc_error err = { 0 };
	if (scale_plan_make(c, plan, &err) < 0)
		fail_msg("plan: %s", err.message);
}

static const struct scale_block_verdict *verdict(const struct scale_cluster *c, const struct scale_plan *p,
						 const char *id)
{
	for (size_t i = 0; i < p->n_blocks; i++)
		if (strcmp(c->blocks[p->blocks[i].block].id, id) == 0)
			return &p->blocks[i];
	fail_msg("no verdict for %s", id);
	return NULL;
}

static void test_scale_up_whole_blocks(void **state)
{
	struct scale_cluster *c = cluster_of(1);
	pod(c, "full-1", 4000, 0);
	pod(c, "full-2", 4000, 1);
	char name[16];
	for (int i = 0; i < 5; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		pod(c, name, 3000, -1); /* one a node: 5 nodes, 3 blocks of 2 */
	}
	struct scale_plan p;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_UP);
	assert_int_equal(p.blocks_to_add, 3);
	assert_int_equal(p.fates[SCALE_PENDING_NEEDS_BLOCK], 5);
	assert_non_null(strstr(p.reason, "add 3 blocks"));
	assert_non_null(p.scale_down_blocked);
	scale_plan_release(&p);

	c->max_blocks = 2; /* room for one more block: two pods placed, three held */
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_UP);
	assert_int_equal(p.blocks_to_add, 1);
	assert_int_equal(p.fates[SCALE_PENDING_MAX_BLOCKS], 3);
	scale_plan_release(&p);

	/* two small pods fit on a block being provisioned: nothing more to add */
	scale_cluster_free(c);
	c = cluster_of(1);
	pod(c, "full-1", 4000, 0);
	pod(c, "full-2", 4000, 1);
	pod(c, "a", 1000, -1);
	pod(c, "b", 1000, -1);
	c->blocks[scale_cluster_add_block(c, "b2")].provisioning = true;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_NO_CHANGE);
	assert_int_equal(p.fates[SCALE_PENDING_FITS_PROVISIONING], 2);
	assert_non_null(strstr(p.scale_down_blocked, "provisioned"));
	scale_plan_release(&p);
	scale_cluster_free(c);
}

static void test_unschedulable(void **state)
{
	struct scale_cluster *c = cluster_of(1);
	pod(c, "huge", 6000, -1);
	pod(c, "small", 500, -1);
	struct scale_plan p;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_NO_CHANGE);
	assert_int_equal(p.fates[SCALE_PENDING_UNSCHEDULABLE], 1);
	assert_int_equal(p.fates[SCALE_PENDING_FITS_NOW], 1);
	scale_plan_release(&p);
	scale_cluster_free(c);
}

/* Three blocks: b1 and b2 about 40% busy, b3 holds one small pod. */
static struct scale_cluster *three_blocks(size_t *ret_small)
{
	struct scale_cluster *c = cluster_of(3);
	pod(c, "a1", 1500, 0);
	pod(c, "a2", 1500, 1);
	pod(c, "a3", 1500, 2);
	pod(c, "a4", 1500, 3);
	*ret_small = pod(c, "small", 500, 4);
	return c;
}

static void test_scale_down(void **state)
{
	size_t small;
	struct scale_cluster *c = three_blocks(&small);
	struct scale_plan p;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_DOWN);
	assert_string_equal(c->blocks[p.block_to_remove].id, "b3");
	assert_int_equal(p.n_drain, 1);
	assert_int_equal(p.drain[0].pod, small);
	assert_int_equal(c->nodes[p.drain[0].node].block, 0);
	/* b1 and b2 (0.375) are removable too, but b3 is emptier */
	assert_int_equal(verdict(c, &p, "b1")->blocker, SCALE_BLOCKER_EMPTIER);
	scale_plan_release(&p);
	scale_cluster_free(c);
}

/* The blocker on b3 after change() is applied to a three_blocks cluster. */
static enum scale_blocker b3_blocker(void (*change)(struct scale_cluster *, size_t), enum scale_decision *ret_decision)
{
	size_t small;
	struct scale_cluster *c = three_blocks(&small);
	change(c, small);
	struct scale_plan p;
	plan_of(c, &p);
	enum scale_blocker b = verdict(c, &p, "b3")->blocker;
	*ret_decision = p.decision;
	if (b != SCALE_BLOCKER_NONE)
		assert_non_null(verdict(c, &p, "b3")->reason);
	scale_plan_release(&p);
	scale_cluster_free(c);
	return b;
}

static void local_storage(struct scale_cluster *c, size_t small)
{
	c->pods[small].local_storage = true;
}
static void local_storage_but_safe(struct scale_cluster *c, size_t small)
{
	c->pods[small].local_storage = true;
	c->pods[small].safe_to_evict = SCALE_EVICT_TRUE;
}
static void not_safe(struct scale_cluster *c, size_t small)
{
	c->pods[small].safe_to_evict = SCALE_EVICT_FALSE;
}
static void bare(struct scale_cluster *c, size_t small)
{
	c->pods[small].owner = SCALE_OWNER_NONE;
}
static void pdb_none_allowed(struct scale_cluster *c, size_t small)
{
	json_object_set_new(c->pods[small].labels, "app", json_string("db"));
	c->pdbs = calloc(1, sizeof(*c->pdbs));
	c->pdbs[0] =
	    (struct scale_pdb){ strdup("ns"), strdup("db"), json_pack("{s:s}", "app", "db"), true, 1, false, -1 };
	c->n_pdbs = 1;
}
static void recent(struct scale_cluster *c, size_t small)
{
	c->blocks[2].underutilized_since = c->now - 60;
}
static void never_seen(struct scale_cluster *c, size_t small)
{
	c->blocks[2].underutilized_since = -1;
}
static void busy(struct scale_cluster *c, size_t small)
{
	/* b1 and b2 at 0.75 each: the rest after removing b3 would be 0.81 */
	c->pods[0].requests = res(3000, 3 * GI);
	c->pods[1].requests = res(3000, 3 * GI);
	c->pods[2].requests = res(3000, 3 * GI);
	c->pods[3].requests = res(3000, 3 * GI);
	c->pods[small].requests = res(1500, GI);
	c->policy.target_utilization = 0.8;
	c->policy.max_utilization_after_scale_down = 0.8;
}
static void no_room(struct scale_cluster *c, size_t small)
{
	/* the other nodes have 2500m free each; a 2900m pod fits on none of them */
	c->pods[small].requests = res(2900, GI); /* just emptier than b1 and b2, so judged first */
	c->policy.target_utilization = 1;
	c->policy.max_utilization_after_scale_down = 1;
}
static void tainted(struct scale_cluster *c, size_t small)
{
	for (size_t n = 0; n < 4; n++) {
		c->nodes[n].taints = calloc(1, sizeof(struct scale_taint));
		c->nodes[n].taints[0] =
		    (struct scale_taint){ strdup("dedicated"), strdup("db"), SCALE_TAINT_NO_SCHEDULE };
		c->nodes[n].n_taints = 1;
	}
}
static void above_target(struct scale_cluster *c, size_t small)
{
	c->pods[small].requests = res(2500, GI);
	c->policy.target_utilization = 0.3;
}

static void test_scale_down_rules(void **state)
{
	enum scale_decision d;
	assert_int_equal(b3_blocker(local_storage, &d), SCALE_BLOCKER_LOCAL_STORAGE);
	assert_int_equal(b3_blocker(local_storage_but_safe, &d), SCALE_BLOCKER_NONE);
	assert_int_equal(d, SCALE_DOWN);
	assert_int_equal(b3_blocker(not_safe, &d), SCALE_BLOCKER_NOT_SAFE_TO_EVICT);
	assert_int_equal(b3_blocker(bare, &d), SCALE_BLOCKER_NOT_REPLICATED);
	assert_int_equal(b3_blocker(pdb_none_allowed, &d), SCALE_BLOCKER_PDB);
	assert_int_equal(b3_blocker(recent, &d), SCALE_BLOCKER_UNNEEDED_TIME);
	assert_int_equal(b3_blocker(never_seen, &d), SCALE_BLOCKER_UNNEEDED_TIME);
	assert_int_equal(b3_blocker(busy, &d), SCALE_BLOCKER_HYSTERESIS);
	assert_int_equal(b3_blocker(no_room, &d), SCALE_BLOCKER_NO_FIT);
	assert_int_equal(b3_blocker(tainted, &d), SCALE_BLOCKER_NO_FIT);
	assert_int_equal(b3_blocker(above_target, &d), SCALE_BLOCKER_UTILIZATION);
}

static void test_cluster_rules(void **state)
{
	size_t small;
	struct scale_cluster *c = three_blocks(&small);
	struct scale_plan p;
	c->last_scale_up = c->now - 100;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_NO_CHANGE);
	assert_non_null(strstr(p.scale_down_blocked, "scale-up cooldown"));
	assert_int_equal(verdict(c, &p, "b3")->blocker, SCALE_BLOCKER_GLOBAL);
	assert_int_equal(p.next_check, c->now + 500);
	scale_plan_release(&p);
	c->last_scale_up = -1;
	c->last_scale_down = c->now - 10;
	plan_of(c, &p);
	assert_non_null(strstr(p.scale_down_blocked, "scale-down cooldown"));
	scale_plan_release(&p);
	c->last_scale_down = -1;
	c->min_blocks = 3;
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_NO_CHANGE);
	assert_non_null(strstr(p.scale_down_blocked, "min_blocks"));
	scale_plan_release(&p);
	c->min_blocks = 4; /* below the minimum: grow back */
	plan_of(c, &p);
	assert_int_equal(p.decision, SCALE_UP);
	assert_int_equal(p.blocks_to_add, 1);
	scale_plan_release(&p);
	scale_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scale_up_whole_blocks),
		cmocka_unit_test(test_unschedulable),
		cmocka_unit_test(test_scale_down),
		cmocka_unit_test(test_scale_down_rules),
		cmocka_unit_test(test_cluster_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
