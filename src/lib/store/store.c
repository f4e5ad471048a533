/* The state store front: picks the backend from the URL and checks arguments once for all of them. */
#include "lib/store/store.h"

#include "lib/base/error.h"
#include "lib/store/backend.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

struct cc_store {
	const struct cc_store_backend *backend;
	void *state;
};

static const struct cc_store_backend *const backends[] = { &cc_store_sqlite, &cc_store_etcd };

int cc_store_open(const char *url, struct cc_store **ret, struct cc_error *err)
{
	const char *colon = url ? strchr(url, ':') : NULL;
	if (!colon || colon[1] == '\0')
		return cc_error_set(err, EINVAL, "store `%s` is not sqlite:PATH or etcd:URL[,URL...]", url ? url : "");
	for (size_t i = 0; i < sizeof(backends) / sizeof(backends[0]); i++) {
		size_t n = strlen(backends[i]->scheme);
		if ((size_t)(colon - url) != n || strncmp(url, backends[i]->scheme, n) != 0)
			continue;
		struct cc_store *store = calloc(1, sizeof(*store));
		if (!store)
			return cc_error_set(err, ENOMEM, "out of memory");
		store->backend = backends[i];
		int r = store->backend->open(colon + 1, &store->state, err);
		if (r < 0) {
			free(store);
			return r;
		}
		*ret = store;
		return 0;
	}
	return cc_error_set(err, EINVAL, "store `%s`: unknown backend `%.*s` (sqlite or etcd)", url, (int)(colon - url),
			    url);
}

void cc_store_close(struct cc_store *store)
{
	if (!store)
		return;
	store->backend->close(store->state);
	free(store);
}

const char *cc_store_backend(const struct cc_store *store)
{
	return store->backend->scheme;
}

static int check_key(const char *key, struct cc_error *err)
{
	if (!key || !*key || strlen(key) > 1024)
		return cc_error_set(err, EINVAL, "a store key must be 1 to 1024 bytes");
	return 0;
}

int cc_store_get(struct cc_store *store, const char *key, char **ret_value, size_t *ret_len, int64_t *ret_revision,
		 struct cc_error *err)
{
	if (check_key(key, err) < 0)
		return -EINVAL;
	size_t len;
	int64_t revision;
	return store->backend->get(store->state, key, ret_value, ret_len ? ret_len : &len,
				   ret_revision ? ret_revision : &revision, err);
}

int cc_store_put(struct cc_store *store, const char *key, const void *value, size_t len, int64_t expected_revision,
		 int64_t *ret_revision, struct cc_error *err)
{
	if (check_key(key, err) < 0)
		return -EINVAL;
	if (expected_revision < CC_STORE_ANY)
		return cc_error_set(err, EINVAL, "invalid expected revision %lld", (long long)expected_revision);
	int64_t revision;
	return store->backend->put(store->state, key, value, len, expected_revision,
				   ret_revision ? ret_revision : &revision, err);
}

int cc_store_delete(struct cc_store *store, const char *key, struct cc_error *err)
{
	if (check_key(key, err) < 0)
		return -EINVAL;
	return store->backend->remove(store->state, key, err);
}

int cc_store_list(struct cc_store *store, const char *prefix, cc_store_visit_fn visit, void *userdata,
		  struct cc_error *err)
{
	return store->backend->list(store->state, prefix ? prefix : "", visit, userdata, err);
}
