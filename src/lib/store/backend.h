/* What a store backend implements (see store.h); one file per backend, listed in store.c. */
#pragma once

#include "lib/store/store.h"

struct cc_store_backend {
	const char *scheme; /* the URL prefix before ':' */
	int (*open)(const char *location, void **ret_state, struct cc_error *err);
	void (*close)(void *state);
	int (*get)(void *state, const char *key, char **ret_value, size_t *ret_len, int64_t *ret_revision,
		   struct cc_error *err);
	int (*put)(void *state, const char *key, const void *value, size_t len, int64_t expected_revision,
		   int64_t *ret_revision, struct cc_error *err);
	int (*remove)(void *state, const char *key, struct cc_error *err);
	int (*list)(void *state, const char *prefix, cc_store_visit_fn visit, void *userdata, struct cc_error *err);
};

extern const struct cc_store_backend cc_store_sqlite;
extern const struct cc_store_backend cc_store_etcd;
