/* JSON objects in the broker's store, read with their revision and written back only if nobody
 * wrote in between (compare-and-swap), as several brokers on one store require. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;

/* The object at key (at most max bytes; what names it in errors) and its revision. -ENOENT, with
 * *ret_revision CC_STORE_ABSENT and *ret NULL, when there is none; -EUCLEAN when it is not an object. */
int kbs_store_json_get(struct cc_store *store, const char *key, size_t max, const char *what, json_t **ret,
		       int64_t *ret_revision, struct cc_error *err);

/* value, canonical, at key if the entry is still at revision (CC_STORE_ABSENT: only if there is
 * none); -ESTALE when another writer came first. */
int kbs_store_json_put(struct cc_store *store, const char *key, const json_t *value, int64_t revision,
		       struct cc_error *err);
