/* First-fit bin packing on a segment tree (pack.h). The tree stores, for each subtree, the largest
 * free cpu and the largest free memory among its bins. Both maxima may come from different bins, so
 * a subtree that passes the test may still hold no bin with room for both: the search then backs
 * out and goes on to the right, which keeps the answer exactly first-fit. */
#include "scale/pack.h"

#include "lib/base/cleanup.h"

#include <stdlib.h>
#include <string.h>

void scale_bins_init(struct scale_bins *bins, size_t n)
{
	size_t leaves = 1;
	while (leaves < n)
		leaves *= 2;
	bins->n = n;
	bins->leaves = leaves;
	bins->free = cc_xcalloc(n + 1, sizeof(*bins->free));
	bins->open = cc_xcalloc(n + 1, sizeof(*bins->open));
	bins->max_cpu = cc_xcalloc(2 * leaves, sizeof(int64_t));
	bins->max_memory = cc_xcalloc(2 * leaves, sizeof(int64_t));
	bins->open_cpu = cc_xcalloc(2 * leaves, sizeof(int64_t));
	bins->open_memory = cc_xcalloc(2 * leaves, sizeof(int64_t));
	/* Leaves past n stay at -1: nothing fits there, not even a pod of zero requests. */
	for (size_t i = 0; i < 2 * leaves; i++)
		bins->max_cpu[i] = bins->max_memory[i] = bins->open_cpu[i] = bins->open_memory[i] = -1;
}

void scale_bins_free(struct scale_bins *bins)
{
	free(bins->free);
	free(bins->open);
	free(bins->max_cpu);
	free(bins->max_memory);
	free(bins->open_cpu);
	free(bins->open_memory);
	memset(bins, 0, sizeof(*bins));
}

static void set_leaf(struct scale_bins *bins, size_t i)
{
	size_t at = bins->leaves + i;
	bins->max_cpu[at] = bins->free[i].cpu_milli;
	bins->max_memory[at] = bins->free[i].memory;
	bins->open_cpu[at] = bins->open[i] ? bins->free[i].cpu_milli : -1;
	bins->open_memory[at] = bins->open[i] ? bins->free[i].memory : -1;
}

static inline int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static void pull_up(struct scale_bins *bins, size_t at)
{
	size_t l = 2 * at, r = l + 1;
	bins->max_cpu[at] = max64(bins->max_cpu[l], bins->max_cpu[r]);
	bins->max_memory[at] = max64(bins->max_memory[l], bins->max_memory[r]);
	bins->open_cpu[at] = max64(bins->open_cpu[l], bins->open_cpu[r]);
	bins->open_memory[at] = max64(bins->open_memory[l], bins->open_memory[r]);
}

void scale_bins_set(struct scale_bins *bins, size_t i, struct scale_resources free_room, bool open)
{
	/* A node over its allocatable (requests changed under it) has no room, not negative room. */
	bins->free[i].cpu_milli = max64(free_room.cpu_milli, 0);
	bins->free[i].memory = max64(free_room.memory, 0);
	bins->open[i] = open;
	set_leaf(bins, i);
}

void scale_bins_build(struct scale_bins *bins)
{
	for (size_t at = bins->leaves - 1; at >= 1; at--)
		pull_up(bins, at);
}

struct search {
	const struct scale_bins *bins;
	const int64_t *cpu, *memory;
	struct scale_resources request;
	scale_bins_accept_fn accept;
	void *ctx;
};

static long search_from(const struct search *s, size_t at)
{
	if (s->cpu[at] < s->request.cpu_milli || s->memory[at] < s->request.memory)
		return -1;
	if (at >= s->bins->leaves) {
		size_t i = at - s->bins->leaves;
		if (s->accept && !s->accept(s->ctx, i))
			return -1;
		return (long)i;
	}
	long found = search_from(s, 2 * at);
	return found >= 0 ? found : search_from(s, 2 * at + 1);
}

long scale_bins_first_fit(const struct scale_bins *bins, struct scale_resources request, scale_bins_accept_fn accept,
			  void *ctx)
{
	if (bins->n == 0)
		return -1;
	struct search s = { bins,
			    accept ? bins->max_cpu : bins->open_cpu,
			    accept ? bins->max_memory : bins->open_memory,
			    request,
			    accept,
			    ctx };
	return search_from(&s, 1);
}

void scale_bins_take(struct scale_bins *bins, size_t i, struct scale_resources request)
{
	bins->free[i].cpu_milli -= request.cpu_milli;
	bins->free[i].memory -= request.memory;
	set_leaf(bins, i);
	for (size_t at = (bins->leaves + i) / 2; at >= 1; at /= 2)
		pull_up(bins, at);
}

struct sort_context {
	const struct scale_cluster *cluster;
	struct scale_resources shape;
};

/* The larger of a pod's two shares of a node, in parts per billion (integers sort exactly). */
static int64_t share(const struct scale_pod *p, struct scale_resources shape)
{
	int64_t cpu =
	    shape.cpu_milli > 0 ? (int64_t)((__int128)p->requests.cpu_milli * 1000000000 / shape.cpu_milli) : 0;
	int64_t mem = shape.memory > 0 ? (int64_t)((__int128)p->requests.memory * 1000000000 / shape.memory) : 0;
	return max64(cpu, mem);
}

struct keyed {
	int64_t share;
	size_t pod;
};

static int compare_keyed(const void *a, const void *b, void *arg)
{
	const struct keyed *x = a, *y = b;
	const struct scale_cluster *c = arg;
	if (x->share != y->share)
		return x->share > y->share ? -1 : 1;
	const struct scale_pod *p = &c->pods[x->pod], *q = &c->pods[y->pod];
	int r = strcmp(p->namespace_, q->namespace_);
	if (r == 0)
		r = strcmp(p->name, q->name);
	return r != 0 ? r : (x->pod < y->pod ? -1 : x->pod > y->pod);
}

void scale_sort_decreasing(const struct scale_cluster *cluster, size_t *pods, size_t n, struct scale_resources shape)
{
	struct keyed *keys = cc_xmalloc((n + 1) * sizeof(*keys));
	for (size_t i = 0; i < n; i++)
		keys[i] = (struct keyed){ share(&cluster->pods[pods[i]], shape), pods[i] };
	/* qsort_r (glibc): the comparison needs the cluster, and a global would not be re-entrant. */
	qsort_r(keys, n, sizeof(*keys), compare_keyed, (void *)cluster);
	for (size_t i = 0; i < n; i++)
		pods[i] = keys[i].pod;
	free(keys);
}
