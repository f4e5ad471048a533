/* scale/simulate.c and trace.c on hand-made traces with known answers: a load that needs exactly 3
 * blocks at its peak, static capacity billed for the whole span, pods larger than a node reported;
 * the CSV reader's column order and errors; the generator's determinism. */
#include "lib/base/error.h"
#include "scale/simulate.h"
#include "scale/trace.h"
#include "unit.h"

#include <math.h>

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
		cmocka_unit_test(test_read_csv),
		cmocka_unit_test(test_generator),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
