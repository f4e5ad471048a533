/* Memory budgets for request bytes held by the server: one per connection and one for the whole
 * server, so no client (authenticated or not) can make the server hold more than its share.
 * Charged on the loop thread as bytes arrive; given back wherever the request is freed (often a
 * worker thread), hence the atomic. */
#pragma once

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_mem_budget {
	atomic_size_t used;
	size_t limit; /* 0: unlimited */
};

static inline bool cc_mem_budget_take(struct cc_mem_budget *b, size_t n)
{
	if (!b)
		return true;
	size_t used = atomic_fetch_add(&b->used, n);
	if (b->limit && used + n > b->limit) {
		atomic_fetch_sub(&b->used, n);
		return false;
	}
	return true;
}

static inline void cc_mem_budget_give(struct cc_mem_budget *b, size_t n)
{
	if (b && n)
		atomic_fetch_sub(&b->used, n);
}

/* A request's charge against its connection's and the server's budgets. */
struct cc_mem_charge {
	struct cc_mem_budget *conn;
	struct cc_mem_budget *server;
	size_t bytes;
};

/* Takes n more bytes from both budgets, or nothing. */
static inline bool cc_mem_charge_add(struct cc_mem_charge *c, size_t n)
{
	if (!cc_mem_budget_take(c->conn, n))
		return false;
	if (!cc_mem_budget_take(c->server, n)) {
		cc_mem_budget_give(c->conn, n);
		return false;
	}
	c->bytes += n;
	return true;
}

static inline void cc_mem_charge_release(struct cc_mem_charge *c)
{
	cc_mem_budget_give(c->conn, c->bytes);
	cc_mem_budget_give(c->server, c->bytes);
	c->bytes = 0;
}
