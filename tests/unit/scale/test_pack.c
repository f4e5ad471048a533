/* scale/pack.c: first fit is the first bin with room for both resources, the open-only search
 * skips tainted bins, and the decreasing order puts the largest share first. */
#include "scale/pack.h"
#include "unit.h"

static struct scale_resources res(int64_t cpu, int64_t mem)
{
	return (struct scale_resources){ cpu, mem };
}

static bool only_odd(void *ctx, size_t i)
{
	return i % 2 == 1;
}

static void test_first_fit(void **state)
{
	struct scale_bins bins;
	scale_bins_init(&bins, 5);
	/* bin 0 has cpu but no memory, bin 1 memory but no cpu: the maxima of the pair pass, the
	 * search must back out of them */
	scale_bins_set(&bins, 0, res(4000, 100), true);
	scale_bins_set(&bins, 1, res(100, 4000), true);
	scale_bins_set(&bins, 2, res(2000, 2000), false);
	scale_bins_set(&bins, 3, res(2000, 2000), true);
	scale_bins_set(&bins, 4, res(4000, 4000), true);
	scale_bins_build(&bins);
	assert_int_equal(scale_bins_first_fit(&bins, res(1000, 1000), NULL, NULL), 3);
	assert_int_equal(scale_bins_first_fit(&bins, res(1000, 1000), only_odd, NULL), 3);
	assert_int_equal(scale_bins_first_fit(&bins, res(3000, 3000), NULL, NULL), 4);
	assert_int_equal(scale_bins_first_fit(&bins, res(5000, 1), NULL, NULL), -1);
	scale_bins_take(&bins, 3, res(1500, 1500));
	assert_int_equal(scale_bins_first_fit(&bins, res(1000, 1000), NULL, NULL), 4);
	scale_bins_take(&bins, 3, res(-1500, -1500));
	assert_int_equal(scale_bins_first_fit(&bins, res(1000, 1000), NULL, NULL), 3);
	scale_bins_free(&bins);
}

static void test_decreasing(void **state)
{
	struct scale_cluster *c = scale_cluster_new();
	scale_cluster_add_pod(c, "a", "small", res(100, 100), -1);
	scale_cluster_add_pod(c, "a", "memory", res(100, INT64_C(6) << 30), -1);
	scale_cluster_add_pod(c, "a", "cpu", res(3000, 100), -1);
	scale_cluster_add_pod(c, "a", "cpu2", res(3000, 100), -1);
	size_t order[] = { 0, 1, 2, 3 };
	scale_sort_decreasing(c, order, 4, res(4000, INT64_C(8) << 30));
	assert_string_equal(c->pods[order[0]].name, "cpu"); /* 0.75 cpu, then by name */
	assert_string_equal(c->pods[order[1]].name, "cpu2");
	assert_string_equal(c->pods[order[2]].name, "memory");
	assert_string_equal(c->pods[order[3]].name, "small");
	scale_cluster_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_fit),
		cmocka_unit_test(test_decreasing),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
