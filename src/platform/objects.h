/* The platform's API objects: Kubernetes objects kept in lib/store (SQLite on one machine, etcd for
 * a cluster) under /registry/<group>/<resource>/[<namespace>/]<name>, with one resourceVersion
 * counter for all of them, optimistic concurrency, and watches.
 *
 * A watch is a streamed HTTP response (lib/net/response_stream.h): the store writes each change to
 * every watcher it matches, as the JSON lines kube-apiserver sends ({"type":"ADDED","object":...}).
 * The last PLATFORM_WATCH_HISTORY changes are kept, so a watch may start from a recent
 * resourceVersion; an older one is 410 Gone, as in Kubernetes. Thread-safe. */
#pragma once

#include "platform/resources.h"

#include <jansson.h>
#include <stdint.h>

struct cc_error;
struct cc_response_stream;
struct cc_store;
struct platform_field_selector;
struct platform_selector;

#define PLATFORM_WATCH_HISTORY 4096

struct platform_objects;

int platform_objects_open(struct cc_store *store, struct platform_objects **ret, struct cc_error *err);
void platform_objects_close(struct platform_objects *o);
/* The resourceVersion of the latest change. */
int64_t platform_objects_revision(struct platform_objects *o);

/* namespace is NULL for cluster-scoped resources. -ENOENT when absent. */
int platform_objects_get(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
			 const char *name, json_t **ret, struct cc_error *err);

struct platform_list_options {
	const char *namespace;                        /* NULL: every namespace */
	const struct platform_selector *labels;       /* optional */
	const struct platform_field_selector *fields; /* optional */
	size_t limit;                                 /* 0: all */
	const char *continue_token;                   /* from a previous page */
	/* optional: objects it says no to are not listed, and count neither toward limit nor for the
	 * continue token (a tenant user's view, tenancy.h) */
	bool (*visible)(void *ctx, const json_t *obj);
	void *visible_ctx;
};

/* Items in name order (namespace, then name); *ret_continue (malloc'd, or NULL) when more remain. */
int platform_objects_list(struct platform_objects *o, const struct platform_resource *r,
			  const struct platform_list_options *opts, json_t **ret_items, int64_t *ret_revision,
			  char **ret_continue, struct cc_error *err);

/* Every object of the resource (in namespace, NULL: all), unpaged: a new array, or NULL with err
 * set. What the controllers and indexes read. */
json_t *platform_objects_list_all(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
				  struct cc_error *err);

/* The same, of the objects whose labels match selector (kubectl's -l syntax, e.g. "app=web"). */
json_t *platform_objects_list_labelled(struct platform_objects *o, const struct platform_resource *r,
				       const char *selector, struct cc_error *err);

/* obj carries metadata.name (and .namespace for namespaced kinds); the store sets resourceVersion.
 * -EEXIST when the name is taken. *ret is the stored object (a new reference). */
int platform_objects_create(struct platform_objects *o, const struct platform_resource *r, json_t *obj, json_t **ret,
			    struct cc_error *err);
/* Replaces the object. With expected_revision > 0 it must still be the stored one (-ESTALE: a
 * conflict, 409). -ENOENT when absent. An update that takes the last finalizer off a marked object
 * removes it (watchers see DELETED). */
int platform_objects_update(struct platform_objects *o, const struct platform_resource *r, json_t *obj,
			    int64_t expected_revision, json_t **ret, struct cc_error *err);
/* *ret (optional) is the object as it was. An object with finalizers is not removed: it is marked
 * (platform/finalizers.h), *ret is the marked object, and the result is 1. */
int platform_objects_delete(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
			    const char *name, int64_t expected_revision, json_t **ret, struct cc_error *err);

/* How the values of one resource are kept in the store, as kube-apiserver's value transformers (its
 * EncryptionConfiguration): seal turns an object's JSON into what is stored, open turns it back.
 * Both are bound to the object's store key, so a sealed value moved to another key does not open.
 * Values written before a transformer was set (plain JSON) are still read, and sealed when next
 * written. Set right after platform_objects_open, before any request. */
struct platform_value_transformer {
	const char *prefix; /* what sealed values start with, e.g. "cocoon:enc:v1:" */
	int (*seal)(void *ctx, const char *key, const char *plain, size_t len, char **ret, size_t *ret_len,
		    struct cc_error *err);
	int (*open)(void *ctx, const char *key, const char *sealed, size_t len, char **ret, size_t *ret_len,
		    struct cc_error *err);
	void *ctx;
};
void platform_objects_set_transformer(struct platform_objects *o, const struct platform_resource *r,
				      const struct platform_value_transformer *t);

/* In-process observers (the controllers, the pod runner): fn runs after every change, with the
 * store's lock held, so it must only note the change (queue a key) and return. -ENOSPC beyond
 * PLATFORM_OBSERVERS_MAX. */
#define PLATFORM_OBSERVERS_MAX 16
typedef void (*platform_change_fn)(void *ctx, const struct platform_resource *r, const char *type, const json_t *obj);
int platform_objects_observe(struct platform_objects *o, platform_change_fn fn, void *ctx);
void platform_objects_unobserve(struct platform_objects *o, platform_change_fn fn, void *ctx);

/* Objects of the resource in the store now (apiserver_storage_objects), and watches open on it:
 * counted as the changes happen, no scan. */
int64_t platform_objects_count(struct platform_objects *o, const struct platform_resource *r);
size_t platform_objects_watch_count(struct platform_objects *o, const struct platform_resource *r);

/* Sends the changes after from_revision (0: the current objects as ADDED first, then changes) that
 * match to stream, until the client goes away or a write to it fails (a slow reader). -EXFULL
 * ("410 Gone") when from_revision is older than the history kept. Takes the stream reference. */
int platform_objects_watch(struct platform_objects *o, const struct platform_resource *r,
			   const struct platform_list_options *opts, int64_t from_revision,
			   struct cc_response_stream *stream, struct cc_error *err);
