/* The planner's running totals (plan_state.h). Each pod sits in exactly one list, its block's or
 * the pending one, and slot[pod] says where, so a pod leaves a list in O(1) by letting the list's
 * last pod take its place. The cluster's own removal does the same with the pod array (the last
 * pod takes the removed one's index), and scale_plan_state_remove_pod follows that renumbering. */
#include "scale/plan_state.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

static void *grow(void *array, size_t need, size_t *cap, size_t element)
{
	if (need <= *cap)
		return array;
	size_t n = *cap ? *cap : 16;
	while (n < need)
		n *= 2;
	array = cc_xrealloc(array, n * element);
	memset((char *)array + *cap * element, 0, (n - *cap) * element);
	*cap = n;
	return array;
}

static void add_to(struct scale_resources *sum, struct scale_resources r, int sign)
{
	sum->cpu_milli += sign * r.cpu_milli;
	sum->memory += sign * r.memory;
}

static void list_push(struct scale_pod_list *list, size_t *slot, size_t pod)
{
	list->pods = grow(list->pods, list->n + 1, &list->cap, sizeof(*list->pods));
	slot[pod] = list->n;
	list->pods[list->n++] = pod;
}

static void list_drop(struct scale_pod_list *list, size_t *slot, size_t pod)
{
	size_t at = slot[pod], last = list->pods[--list->n];
	list->pods[at] = last;
	slot[last] = at;
}

static struct scale_pod_list *list_of(struct scale_plan_state *st, const struct scale_cluster *c, long node)
{
	return node < 0 ? &st->pending : &st->block_pods[c->nodes[node].block];
}

void scale_plan_state_init(struct scale_plan_state *st)
{
	memset(st, 0, sizeof(*st));
}

void scale_plan_state_free(struct scale_plan_state *st)
{
	free(st->used);
	free(st->block_used);
	free(st->block_alloc);
	for (size_t b = 0; b < st->cap_blocks; b++)
		free(st->block_pods[b].pods);
	free(st->block_pods);
	free(st->pending.pods);
	free(st->slot);
	memset(st, 0, sizeof(*st));
}

void scale_plan_state_block_added(struct scale_plan_state *st, size_t block)
{
	/* three arrays of one capacity: the first two grow on a copy of it, the last one keeps it */
	size_t cap = st->cap_blocks;
	st->block_used = grow(st->block_used, block + 1, &cap, sizeof(*st->block_used));
	cap = st->cap_blocks;
	st->block_alloc = grow(st->block_alloc, block + 1, &cap, sizeof(*st->block_alloc));
	st->block_pods = grow(st->block_pods, block + 1, &st->cap_blocks, sizeof(*st->block_pods));
	st->block_used[block] = st->block_alloc[block] = (struct scale_resources){ 0, 0 };
	st->block_pods[block].n = 0;
	st->n_blocks = block + 1;
}

void scale_plan_state_node_added(struct scale_plan_state *st, const struct scale_cluster *c, size_t node)
{
	const struct scale_node *n = &c->nodes[node];
	st->used = grow(st->used, node + 1, &st->cap_nodes, sizeof(*st->used));
	st->used[node] = (struct scale_resources){ 0, 0 };
	st->n_nodes = node + 1;
	if (n->ready) {
		add_to(&st->block_alloc[n->block], n->allocatable, 1);
		add_to(&st->total_alloc, n->allocatable, 1);
	}
}

/* Counts pod's requests on its node, or lists it as pending. */
static void enter(struct scale_plan_state *st, const struct scale_cluster *c, size_t pod)
{
	const struct scale_pod *p = &c->pods[pod];
	list_push(list_of(st, c, p->node), st->slot, pod);
	if (p->node < 0)
		return;
	add_to(&st->used[p->node], p->requests, 1);
	add_to(&st->block_used[c->nodes[p->node].block], p->requests, 1);
	add_to(&st->total_used, p->requests, 1);
}

static void leave(struct scale_plan_state *st, const struct scale_cluster *c, size_t pod)
{
	const struct scale_pod *p = &c->pods[pod];
	list_drop(list_of(st, c, p->node), st->slot, pod);
	if (p->node < 0)
		return;
	add_to(&st->used[p->node], p->requests, -1);
	add_to(&st->block_used[c->nodes[p->node].block], p->requests, -1);
	add_to(&st->total_used, p->requests, -1);
}

void scale_plan_state_pod_added(struct scale_plan_state *st, const struct scale_cluster *c, size_t pod)
{
	st->slot = grow(st->slot, pod + 1, &st->cap_pods, sizeof(*st->slot));
	st->n_pods = pod + 1;
	enter(st, c, pod);
}

void scale_plan_state_move_pod(struct scale_plan_state *st, struct scale_cluster *c, size_t pod, long node)
{
	leave(st, c, pod);
	c->pods[pod].node = node;
	enter(st, c, pod);
}

void scale_plan_state_remove_pod(struct scale_plan_state *st, struct scale_cluster *c, size_t pod)
{
	leave(st, c, pod);
	size_t last = c->n_pods - 1;
	if (pod != last) {
		/* the last pod takes index pod: rename it in its list */
		const struct scale_pod *q = &c->pods[last];
		struct scale_pod_list *list = list_of(st, c, q->node);
		st->slot[pod] = st->slot[last];
		list->pods[st->slot[pod]] = pod;
	}
	scale_cluster_remove_pod(c, pod);
	st->n_pods = c->n_pods;
}

void scale_plan_state_build(struct scale_plan_state *st, const struct scale_cluster *c)
{
	st->n_nodes = st->n_blocks = st->n_pods = 0;
	st->total_used = st->total_alloc = (struct scale_resources){ 0, 0 };
	st->pending.n = 0;
	for (size_t b = 0; b < c->n_blocks; b++)
		scale_plan_state_block_added(st, b);
	for (size_t n = 0; n < c->n_nodes; n++)
		scale_plan_state_node_added(st, c, n);
	/* Size the lists first (counting in their n), so that 150,000 pods do not grow them one by one. */
	for (size_t i = 0; i < c->n_pods; i++)
		list_of(st, c, c->pods[i].node)->n++;
	for (size_t b = 0; b <= st->n_blocks; b++) {
		struct scale_pod_list *list = b < st->n_blocks ? &st->block_pods[b] : &st->pending;
		list->pods = grow(list->pods, list->n, &list->cap, sizeof(*list->pods));
		list->n = 0;
	}
	st->slot = grow(st->slot, c->n_pods, &st->cap_pods, sizeof(*st->slot));
	for (size_t i = 0; i < c->n_pods; i++)
		scale_plan_state_pod_added(st, c, i);
}

static bool same_resources(struct scale_resources a, struct scale_resources b)
{
	return a.cpu_milli == b.cpu_milli && a.memory == b.memory;
}

/* Whether two lists hold the same pods: each of a's pods is at its slot in b. */
static bool same_pods(const struct scale_pod_list *a, const struct scale_pod_list *b, const size_t *b_slot)
{
	if (a->n != b->n)
		return false;
	for (size_t k = 0; k < a->n; k++) {
		size_t at = b_slot[a->pods[k]];
		if (at >= b->n || b->pods[at] != a->pods[k])
			return false;
	}
	return true;
}

static int compare(const struct scale_plan_state *st, const struct scale_plan_state *fresh, struct cc_error *err)
{
	if (st->n_nodes != fresh->n_nodes || st->n_blocks != fresh->n_blocks || st->n_pods != fresh->n_pods)
		return cc_error_set(
		    err, EINVAL, "state sized for %zu nodes, %zu blocks, %zu pods; the cluster has %zu, %zu, %zu",
		    st->n_nodes, st->n_blocks, st->n_pods, fresh->n_nodes, fresh->n_blocks, fresh->n_pods);
	for (size_t n = 0; n < st->n_nodes; n++)
		if (!same_resources(st->used[n], fresh->used[n]))
			return cc_error_set(err, EINVAL, "node %zu: used differs", n);
	for (size_t b = 0; b < st->n_blocks; b++) {
		if (!same_resources(st->block_used[b], fresh->block_used[b]) ||
		    !same_resources(st->block_alloc[b], fresh->block_alloc[b]))
			return cc_error_set(err, EINVAL, "block %zu: used or allocatable differs", b);
		if (!same_pods(&fresh->block_pods[b], &st->block_pods[b], st->slot))
			return cc_error_set(err, EINVAL, "block %zu: the pods differ", b);
	}
	if (!same_resources(st->total_used, fresh->total_used) || !same_resources(st->total_alloc, fresh->total_alloc))
		return cc_error_set(err, EINVAL, "the totals differ");
	if (!same_pods(&fresh->pending, &st->pending, st->slot))
		return cc_error_set(err, EINVAL, "the pending pods differ");
	return 0;
}

int scale_plan_state_check(const struct scale_plan_state *st, const struct scale_cluster *c, struct cc_error *err)
{
	struct scale_plan_state fresh;
	scale_plan_state_init(&fresh);
	scale_plan_state_build(&fresh, c);
	int r = compare(st, &fresh, err);
	scale_plan_state_free(&fresh);
	return r;
}
