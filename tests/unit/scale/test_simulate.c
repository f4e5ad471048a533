/* scale/simulate.c and trace.c on hand-made traces with known answers: a load that needs exactly 3
 * blocks at its peak, static capacity billed for the whole span, pods larger than a node reported;
 * a generated week whose answer is the one the simulator gave when it rebuilt the planner's state
 * for every decision; the running totals (plan_state.c) and the terse decisions checked against a
 * plan made from scratch at every planner run; the CSV reader's column order and errors; the
 * generator's determinism. */
#include "lib/base/error.h"
#include "scale/plan.h"
#include "scale/plan_state.h"
#include "scale/simulate.h"
#include "scale/trace.h"
#include "unit.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

static void test_three_blocks(void **state)
{
	/* 40 pods of one full node each (4 cpu, 8Gi) for an hour: 40 nodes, so 3 blocks of 15 */
	struct scale_trace t = { 0 };
	char name[16];
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "p%d", i);
		scale_trace_add(&t, name, 4000, INT64_C(8) << 30, 0, 3600);
	}
	scale_trace_add(&t, "giant", 8000, 1024, 0, 3600);
	struct scale_sim_options o;
	scale_sim_options_default(&o);
	o.provision_delay = 60;
	struct scale_sim_report rep;
	struct cc_error err = { 0 };
	if (scale_simulate(&t, &o, &rep, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(rep.pods, 41);
	assert_int_equal(rep.unschedulable, 1);
	assert_int_equal(rep.blocks.max_nodes, 45);
	assert_int_equal(rep.blocks.scale_ups, 1);
	assert_int_equal(rep.node_by_node.max_nodes, 40);
	assert_int_equal(rep.static_peak.max_nodes, 45);
	assert_true(fabs(rep.static_peak.node_hours - 45.0) < 1e-9); /* 45 nodes for the hour */
	assert_true(fabs(rep.static_peak.pending_max) < 1e-9);
	/* the planner runs at t=0 and the nodes come 60 s later */
	assert_true(fabs(rep.blocks.pending_max - 60) < 1e-9);
	assert_true(fabs(rep.blocks.block_hours - rep.blocks.node_hours / 15) < 1e-9);
	assert_true(rep.blocks.utilization_mean > 0.8 && rep.blocks.utilization_mean <= 40.0 / 45 + 1e-9);
	scale_sim_report_release(&rep);
	scale_trace_release(&t);
}

static void generate(struct scale_trace *t, uint64_t seed, int64_t duration, int64_t peak, double bursts,
		     int64_t burst_pods)
{
	/* the defaults of `cocoon scale trace generate` but for these */
	struct scale_trace_options o = { .seed = seed,
					 .duration = duration,
					 .peak_pods = peak,
					 .mean_lifetime = 3600,
					 .bursts_per_day = bursts,
					 .burst_pods = burst_pods,
					 .sizes = "mixed" };
	struct cc_error err = { 0 };
	if (scale_trace_generate(&o, t, &err) < 0)
		fail_msg("%s", err.message);
}

static void test_week(void **state)
{
	/* `cocoon scale trace generate --seed 7 --duration 604800 --peak-pods 200` replayed with the
	 * defaults; the figures are those of the simulator before it kept its state between decisions
	 * (it planned from scratch every time), which must not change */
	struct scale_trace t;
	generate(&t, 7, 604800, 200, 4, 200);
	assert_int_equal(t.n, 26612);
	struct scale_sim_options o;
	scale_sim_options_default(&o);
	struct scale_sim_report rep;
	struct cc_error err = { 0 };
	if (scale_simulate(&t, &o, &rep, &err) < 0)
		fail_msg("%s", err.message);
	assert_int_equal(rep.unschedulable, 0);
	const struct scale_sim_result *b = &rep.blocks, *n = &rep.node_by_node, *s = &rep.static_peak;
	assert_int_equal(b->scale_ups, 44);
	assert_int_equal(b->scale_downs, 70);
	assert_int_equal(b->flaps, 3);
	assert_int_equal(b->max_nodes, 90);
	assert_int_equal(b->plans, 31528);
	assert_true(fabs(b->node_hours - 6913.96) < 0.006);
	assert_true(fabs(b->pending_p95 - 125) < 1e-9 && fabs(b->pending_max - 129) < 1e-9);
	assert_true(fabs(b->utilization_mean - 0.643464) < 1e-6);
	assert_int_equal(n->scale_ups, 247);
	assert_int_equal(n->scale_downs, 893);
	assert_int_equal(n->flaps, 28);
	assert_int_equal(n->max_nodes, 83);
	assert_int_equal(n->plans, 33089);
	assert_true(fabs(n->node_hours - 6591.37) < 0.006);
	assert_true(fabs(n->utilization_p5 - 0.358974) < 1e-6);
	assert_int_equal(s->max_nodes, 90);
	assert_true(fabs(s->node_hours - 15119.1) < 0.06);
	scale_sim_report_release(&rep);
	scale_trace_release(&t);
}

struct scratch_check {
	size_t every; /* check one planner run in this many */
	size_t seen, checked, downs, ups;
};

static int differ(struct cc_error *err, const struct scale_cluster *c, const char *what)
{
	return cc_error_set(err, EINVAL, "at %lld s: %s differs from a plan made from scratch", (long long)c->now,
			    what);
}

static int compare_verdicts(const struct scale_cluster *c, const struct scale_plan *a, const struct scale_plan *b,
			    struct cc_error *err)
{
	if (a->n_blocks != b->n_blocks)
		return differ(err, c, "the number of verdicts");
	const struct scale_block_verdict **of = calloc(c->n_blocks + 1, sizeof(*of));
	for (size_t i = 0; i < b->n_blocks; i++)
		of[b->blocks[i].block] = &b->blocks[i];
	int r = 0;
	for (size_t i = 0; i < a->n_blocks && r == 0; i++) {
		const struct scale_block_verdict *x = &a->blocks[i], *y = of[x->block];
		if (!y || x->blocker != y->blocker || x->utilization != y->utilization || x->pods != y->pods ||
		    x->underutilized_since != y->underutilized_since)
			r = differ(err, c, "a block's verdict");
	}
	free(of);
	return r;
}

/* The plan the simulator acts on (terse, from its running totals) against scale_plan_make's. */
static int compare_plans(const struct scale_cluster *c, const struct scale_plan *a, const struct scale_plan *b,
			 struct cc_error *err)
{
	if (a->decision != b->decision || a->blocks_to_add != b->blocks_to_add ||
	    a->block_to_remove != b->block_to_remove || a->next_check != b->next_check)
		return differ(err, c, "the decision");
	if (a->n_drain != b->n_drain)
		return differ(err, c, "the drain");
	for (size_t i = 0; i < a->n_drain; i++)
		if (a->drain[i].pod != b->drain[i].pod || a->drain[i].node != b->drain[i].node)
			return differ(err, c, "a move of the drain");
	if (a->n_pending != b->n_pending || memcmp(a->fates, b->fates, sizeof(a->fates)) != 0)
		return differ(err, c, "the pending pods");
	for (size_t i = 0; i < a->n_pending; i++)
		if (a->pending[i].pod != b->pending[i].pod || a->pending[i].fate != b->pending[i].fate)
			return differ(err, c, "a pending pod's fate");
	if (a->utilization != b->utilization || a->utilization_after != b->utilization_after ||
	    a->ready_blocks != b->ready_blocks || a->provisioning_blocks != b->provisioning_blocks ||
	    !a->scale_down_blocked != !b->scale_down_blocked)
		return differ(err, c, "the totals");
	if (a->reason || !b->reason)
		return differ(err, c, "the reason (terse plans have none)");
	return compare_verdicts(c, a, b, err);
}

static int check_against_scratch(void *arg, const struct scale_cluster *c, const struct scale_plan_state *st,
				 const struct scale_plan *plan, struct cc_error *err)
{
	struct scratch_check *k = arg;
	if (k->seen++ % k->every != 0)
		return 0;
	int r = scale_plan_state_check(st, c, err);
	if (r < 0)
		return r;
	struct scale_plan full;
	if ((r = scale_plan_make(c, &full, err)) < 0)
		return r;
	r = compare_plans(c, plan, &full, err);
	scale_plan_release(&full);
	k->checked++;
	k->downs += plan->decision == SCALE_DOWN;
	k->ups += plan->decision == SCALE_UP;
	return r;
}

static void check_run(const struct scale_trace *t, struct scale_sim_options *o, size_t every)
{
	struct scratch_check k = { .every = every };
	o->check = check_against_scratch;
	o->check_ctx = &k;
	struct scale_sim_report rep;
	struct cc_error err = { 0 };
	if (scale_simulate(t, o, &rep, &err) < 0)
		fail_msg("%s", err.message);
	/* the checks saw scale-ups and drains, not only quiet decisions */
	assert_true(k.checked > 50);
	assert_true(k.ups > 0 && k.downs > 0);
	scale_sim_report_release(&rep);
}

static void test_incremental_matches_scratch(void **state)
{
	struct scale_trace t;
	generate(&t, 3, 6 * 3600, 150, 24, 150);
	struct scale_sim_options o;
	scale_sim_options_default(&o);
	check_run(&t, &o, 1);
	/* small blocks, instant nodes, a ceiling that leaves pods waiting (the max_blocks fate) */
	scale_sim_options_default(&o);
	o.sku.nodes_per_block = 2;
	o.provision_delay = 0;
	o.max_blocks = 12;
	o.policy.unneeded_time = 60;
	check_run(&t, &o, 1);
	scale_trace_release(&t);
	/* the week of test_week, at every 97th decision */
	generate(&t, 7, 604800, 200, 4, 200);
	scale_sim_options_default(&o);
	check_run(&t, &o, 97);
	scale_trace_release(&t);
}

static void test_checkpoint_catches_drift(void **state)
{
	/* the validation itself: a state that missed a pod is reported */
	struct scale_cluster *c = scale_cluster_new();
	struct scale_plan_state st;
	scale_plan_state_init(&st);
	size_t b = scale_cluster_add_block(c, "b1");
	scale_plan_state_block_added(&st, b);
	size_t n = scale_cluster_add_node(c, "b1-n1", b, scale_sku_node_allocatable(&c->sku));
	scale_plan_state_node_added(&st, c, n);
	struct scale_resources r = { 500, INT64_C(1) << 30 };
	for (int i = 0; i < 3; i++) {
		char name[8];
		snprintf(name, sizeof(name), "p%d", i);
		scale_plan_state_pod_added(&st, c, scale_cluster_add_pod(c, "default", name, r, -1));
	}
	scale_plan_state_move_pod(&st, c, 0, 0);
	scale_plan_state_move_pod(&st, c, 2, 0);
	scale_plan_state_remove_pod(&st, c, 0); /* p2 takes index 0 */
	struct cc_error err = { 0 };
	assert_int_equal(scale_plan_state_check(&st, c, &err), 0);
	assert_int_equal(st.block_pods[0].n, 1);
	assert_int_equal(st.block_pods[0].pods[0], 0);
	assert_string_equal(c->pods[0].name, "p2");
	assert_int_equal(st.used[0].cpu_milli, 500);
	assert_int_equal(st.pending.n, 1);
	c->pods[1].node = 0; /* behind the state's back */
	assert_int_equal(scale_plan_state_check(&st, c, &err), -EINVAL);
	assert_non_null(strstr(err.message, "node 0"));
	scale_plan_state_free(&st);
	scale_cluster_free(c);
}

static void test_read_csv(void **state)
{
	const char csv[] = "deletion_time,extra,creation_time,memory_mib,cpu_milli,name\n"
			   "100,x,10,1024,500,a\n"
			   ",y,20,512,250,b\n"
			   "-1,z,30,512,250,c\n";
	FILE *f = fmemopen((void *)csv, sizeof(csv) - 1, "r");
	struct scale_trace t;
	struct cc_error err = { 0 };
	assert_int_equal(scale_trace_read(f, "t.csv", &t, &err), 0);
	fclose(f);
	assert_int_equal(t.n, 3);
	assert_string_equal(t.pods[0].name, "a");
	assert_int_equal(t.pods[0].memory, INT64_C(1) << 30);
	assert_int_equal(t.pods[0].deleted, 100);
	assert_int_equal(t.pods[1].deleted, -1);
	assert_int_equal(t.pods[2].deleted, -1);
	scale_trace_release(&t);

	const char bad[] = "name,cpu_milli,memory_mib,creation_time,deletion_time\na,1,1,50,40\n";
	f = fmemopen((void *)bad, sizeof(bad) - 1, "r");
	assert_true(scale_trace_read(f, "bad.csv", &t, &err) < 0);
	fclose(f);
	assert_non_null(strstr(err.message, "bad.csv line 2"));
	const char nocol[] = "name,cpu,memory_mib,creation_time\n";
	f = fmemopen((void *)nocol, sizeof(nocol) - 1, "r");
	assert_true(scale_trace_read(f, "h.csv", &t, &err) < 0);
	fclose(f);
	assert_non_null(strstr(err.message, "cpu_milli"));
}

static void test_generator(void **state)
{
	struct scale_trace_options o = { .seed = 42,
					 .duration = 86400,
					 .peak_pods = 200,
					 .mean_lifetime = 1800,
					 .bursts_per_day = 2,
					 .burst_pods = 20,
					 .sizes = "mixed" };
	struct scale_trace a, b, c;
	struct cc_error err = { 0 };
	assert_int_equal(scale_trace_generate(&o, &a, &err), 0);
	assert_int_equal(scale_trace_generate(&o, &b, &err), 0);
	o.seed = 43;
	assert_int_equal(scale_trace_generate(&o, &c, &err), 0);
	assert_int_equal(a.n, b.n);
	assert_true(a.n > 1000);
	for (size_t i = 0; i < a.n; i++) {
		assert_int_equal(a.pods[i].created, b.pods[i].created);
		assert_int_equal(a.pods[i].cpu_milli, b.pods[i].cpu_milli);
		assert_true(i == 0 || a.pods[i].created >= a.pods[i - 1].created);
	}
	assert_true(a.n != c.n || a.pods[0].created != c.pods[0].created);
	scale_trace_release(&a);
	scale_trace_release(&b);
	scale_trace_release(&c);
	o.sizes = "huge";
	assert_true(scale_trace_generate(&o, &a, &err) < 0);
	assert_non_null(strstr(err.message, "small, mixed or large"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_three_blocks),
		cmocka_unit_test(test_week),
		cmocka_unit_test(test_incremental_matches_scratch),
		cmocka_unit_test(test_checkpoint_catches_drift),
		cmocka_unit_test(test_read_csv),
		cmocka_unit_test(test_generator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
