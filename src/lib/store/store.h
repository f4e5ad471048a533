/* The state store: a small key-value interface with per-key revisions and compare-and-swap, so a
 * change that must be all-or-nothing (a key rotation, a tenant's policy) is one conditional write.
 * Backends: SQLite for one machine (the default) and etcd v3 for a cluster, chosen by URL:
 *
 *   sqlite:PATH                  a database file (created with its directory's permissions)
 *   etcd:URL[,URL...]            etcd members, e.g. etcd:http://127.0.0.1:2379,http://127.0.0.1:22379
 *
 * Values are opaque bytes. Thread-safe: one store may be used from several threads. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* expected_revision values for cc_store_put besides a revision read before. */
#define CC_STORE_ANY    (-1) /* write unconditionally */
#define CC_STORE_ABSENT 0    /* only if the key does not exist */

struct cc_store;

int cc_store_open(const char *url, struct cc_store **ret, struct cc_error *err);
void cc_store_close(struct cc_store *store);
/* "sqlite" or "etcd". */
const char *cc_store_backend(const struct cc_store *store);

/* -ENOENT when absent. *ret_value is malloc'd and NUL-terminated (not counted in *ret_len). */
int cc_store_get(struct cc_store *store, const char *key, char **ret_value, size_t *ret_len, int64_t *ret_revision,
		 struct cc_error *err);

/* Writes when the key's revision is expected_revision (or CC_STORE_ANY / CC_STORE_ABSENT);
 * -ESTALE when another writer came first. ret_revision (optional) is the new revision. */
int cc_store_put(struct cc_store *store, const char *key, const void *value, size_t len, int64_t expected_revision,
		 int64_t *ret_revision, struct cc_error *err);

/* -ENOENT when absent. */
int cc_store_delete(struct cc_store *store, const char *key, struct cc_error *err);

/* Calls visit for every key starting with prefix, in key order; a negative return stops the walk
 * and is returned. visit must not call the store. */
typedef int (*cc_store_visit_fn)(const char *key, const char *value, size_t len, int64_t revision, void *userdata);
int cc_store_list(struct cc_store *store, const char *prefix, cc_store_visit_fn visit, void *userdata,
		  struct cc_error *err);
