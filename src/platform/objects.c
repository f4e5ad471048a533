/* The object store (see objects.h). One mutex orders every write, so resourceVersions are assigned
 * and watchers told in one order; reads go to lib/store directly. The counter is written before the
 * object: a crash between the two skips a number, never reuses one, so a watcher that resumes from a
 * resourceVersion cannot miss a change made under a reused number. */
#include "platform/objects.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/net/response_stream.h"
#include "lib/store/store.h"
#include "platform/finalizers.h"
#include "platform/selector.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REVISION_KEY    "/cocoon/resource-version"
#define MAX_OBJECT_SIZE (3u << 20) /* kube-apiserver's limit of a request body is 3 MiB */

struct change {
	int64_t revision;
	const struct platform_resource *resource;
	char *namespace;  /* NULL for cluster-scoped */
	const char *type; /* ADDED, MODIFIED, DELETED */
	json_t *object;
};

struct watcher {
	const struct platform_resource *resource;
	char *namespace;
	struct platform_selector *labels;
	struct platform_field_selector *fields;
	struct cc_response_stream *stream;
	struct platform_objects *owner;
	struct watcher *prev, *next;
	/* References (under the owner's lock): the watcher list's, and the stream's on_close, which the
	 * server calls exactly once whatever ended the watch. The last one frees. */
	int refs;
	bool listed;
};

struct platform_objects {
	struct cc_store *store;
	pthread_mutex_t lock;
	int64_t revision;
	struct change history[PLATFORM_WATCH_HISTORY]; /* a ring; history_count entries end at history_end */
	size_t history_end, history_count;
	int64_t oldest_watchable; /* a watch may start from here on */
	struct watcher *watchers;
	struct {
		platform_change_fn fn;
		void *ctx;
	} observers[PLATFORM_OBSERVERS_MAX];
	/* Objects stored per resource (platform_resources()'s order), counted at open and kept by
	 * notify(), so apiserver_storage_objects costs no scan of the store. */
	int64_t *counts;
	size_t resource_count;
	/* Per resource (platform_resources()'s order): how its values are stored; NULL for plain JSON. */
	const struct platform_value_transformer **transformers;
};

/* ---- keys ---- */

static char *object_key(const struct platform_resource *r, const char *namespace, const char *name)
{
	return cc_xasprintf("/registry/%s/%s/%s%s%s", r->group[0] ? r->group : "core", r->resource,
			    r->namespaced ? namespace : "", r->namespaced ? "/" : "", name);
}

static char *prefix_key(const struct platform_resource *r, const char *namespace)
{
	if (r->namespaced && namespace)
		return cc_xasprintf("/registry/%s/%s/%s/", r->group[0] ? r->group : "core", r->resource, namespace);
	return cc_xasprintf("/registry/%s/%s/", r->group[0] ? r->group : "core", r->resource);
}

static const char *meta_string(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(json_object_get(obj, "metadata"), field));
}

static int64_t object_revision(const json_t *obj)
{
	const char *rv = meta_string(obj, "resourceVersion");
	return rv ? strtoll(rv, NULL, 10) : 0;
}

static void set_revision(json_t *obj, int64_t revision)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, revision);
	json_t *meta = json_object_get(obj, "metadata");
	json_object_set_new(meta, "resourceVersion", json_string(text));
}

/* ---- matching ---- */

static bool matches(const struct platform_resource *r, const char *namespace, const struct platform_selector *labels,
		    const struct platform_field_selector *fields, const json_t *obj)
{
	if (r->namespaced && namespace) {
		const char *ns = meta_string(obj, "namespace");
		if (!ns || strcmp(ns, namespace) != 0)
			return false;
	}
	if (labels && !platform_selector_matches(labels, json_object_get(json_object_get(obj, "metadata"), "labels")))
		return false;
	if (fields && !platform_field_selector_matches(fields, obj))
		return false;
	return true;
}

/* ---- open ---- */

static size_t resource_index(const struct platform_resource *r)
{
	size_t n;
	return (size_t)(r - platform_resources(&n));
}

/* The open's census: which resource a stored key belongs to, by its /registry/GROUP/RESOURCE/
 * prefix. */
static int count_object(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	struct platform_objects *o = userdata;
	const struct platform_resource *resources = platform_resources(&o->resource_count);
	for (size_t i = 0; i < o->resource_count; i++) {
		const struct platform_resource *r = &resources[i];
		char prefix[256];
		int n =
		    snprintf(prefix, sizeof(prefix), "/registry/%s/%s/", r->group[0] ? r->group : "core", r->resource);
		if (strncmp(key, prefix, (size_t)n) == 0) {
			o->counts[i]++;
			break;
		}
	}
	return 0;
}

static int find_max_revision(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	int64_t *max = userdata;
	json_t *obj = NULL;
	if (cc_json_parse(value, len, MAX_OBJECT_SIZE, key, &obj, NULL) == 0) {
		int64_t rv = object_revision(obj);
		if (rv > *max)
			*max = rv;
		json_decref(obj);
	}
	return 0;
}

int platform_objects_open(struct cc_store *store, struct platform_objects **ret, struct cc_error *err)
{
	struct platform_objects *o = cc_xcalloc(1, sizeof(*o));
	o->store = store;
	platform_resources(&o->resource_count);
	pthread_mutex_init(&o->lock, NULL);
	/* The counter, or (first start after an older version) the highest resourceVersion stored. */
	_cleanup_free_ char *text = NULL;
	size_t len;
	int64_t store_rev;
	int r = cc_store_get(store, REVISION_KEY, &text, &len, &store_rev, err);
	if (r == 0)
		o->revision = strtoll(text, NULL, 10);
	else if (r == -ENOENT)
		r = cc_store_list(store, "/registry/", find_max_revision, &o->revision, err);
	if (r < 0) {
		pthread_mutex_destroy(&o->lock);
		free(o);
		return cc_error_prefix(err, "open the API object store");
	}
	o->counts = cc_xcalloc(o->resource_count, sizeof(*o->counts));
	r = cc_store_list(store, "/registry/", count_object, o, err);
	if (r < 0) {
		pthread_mutex_destroy(&o->lock);
		free(o->counts);
		free(o);
		return cc_error_prefix(err, "count the API objects");
	}
	o->oldest_watchable = o->revision;
	*ret = o;
	return 0;
}

static void forget_change(struct change *c)
{
	free(c->namespace);
	json_decref(c->object);
	memset(c, 0, sizeof(*c));
}

static void finish_watcher(struct watcher *w);

/* The servers are stopped first (their streams' on_close has run), so no watcher is left to end. */
void platform_objects_close(struct platform_objects *o)
{
	if (!o)
		return;
	pthread_mutex_lock(&o->lock);
	while (o->watchers)
		finish_watcher(o->watchers);
	pthread_mutex_unlock(&o->lock);
	for (size_t i = 0; i < PLATFORM_WATCH_HISTORY; i++)
		forget_change(&o->history[i]);
	pthread_mutex_destroy(&o->lock);
	free(o->counts);
	free(o->transformers);
	free(o);
}

int64_t platform_objects_revision(struct platform_objects *o)
{
	pthread_mutex_lock(&o->lock);
	int64_t rv = o->revision;
	pthread_mutex_unlock(&o->lock);
	return rv;
}

/* ---- values: plain JSON, or sealed by the resource's transformer ---- */

static const struct platform_value_transformer *transformer_for_key(const struct platform_objects *o, const char *key)
{
	for (size_t i = 0; o->transformers && i < o->resource_count; i++) {
		if (!o->transformers[i])
			continue;
		_cleanup_free_ char *prefix = prefix_key(&platform_resources(&(size_t){ 0 })[i], NULL);
		if (strncmp(key, prefix, strlen(prefix)) == 0)
			return o->transformers[i];
	}
	return NULL;
}

static int decode_value(const struct platform_objects *o, const char *key, const char *value, size_t len, json_t **ret,
			struct cc_error *err)
{
	const struct platform_value_transformer *t = transformer_for_key(o, key);
	if (!t || len < strlen(t->prefix) || memcmp(value, t->prefix, strlen(t->prefix)) != 0)
		return cc_json_parse(value, len, MAX_OBJECT_SIZE, key, ret, err);
	char *plain = NULL;
	size_t plain_len = 0;
	int r = t->open(t->ctx, key, value, len, &plain, &plain_len, err);
	if (r < 0)
		return cc_error_prefix(err, "open the stored value of `%s`", key);
	r = cc_json_parse(plain, plain_len, MAX_OBJECT_SIZE, key, ret, err);
	explicit_bzero(plain, plain_len);
	free(plain);
	return r;
}

void platform_objects_set_transformer(struct platform_objects *o, const struct platform_resource *r,
				      const struct platform_value_transformer *t)
{
	size_t n;
	const struct platform_resource *all = platform_resources(&n);
	if (!o->transformers)
		o->transformers = cc_xcalloc(n, sizeof(*o->transformers));
	o->transformers[r - all] = t;
}

/* ---- reads ---- */

static int load(struct platform_objects *o, const char *key, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int64_t store_rev;
	int r = cc_store_get(o->store, key, &text, &len, &store_rev, err);
	if (r < 0)
		return r;
	return decode_value(o, key, text, len, ret, err);
}

int platform_objects_get(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
			 const char *name, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *key = object_key(r, namespace, name);
	return load(o, key, ret, err);
}

struct list_walk {
	const struct platform_objects *o;
	const struct platform_resource *resource;
	const struct platform_list_options *opts;
	json_t *items;
	const char *after; /* continue from the key after this one */
	char *next;        /* the continue token to hand out */
	struct cc_error *err;
};

static int collect(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	struct list_walk *w = userdata;
	if (w->after && strcmp(key, w->after) <= 0)
		return 0;
	json_t *obj;
	if (decode_value(w->o, key, value, len, &obj, w->err) < 0)
		return -EIO;
	if (!matches(w->resource, w->opts->namespace, w->opts->labels, w->opts->fields, obj) ||
	    (w->opts->visible && !w->opts->visible(w->opts->visible_ctx, obj))) {
		json_decref(obj);
		return 0;
	}
	if (w->opts->limit && json_array_size(w->items) == w->opts->limit) {
		json_decref(obj);
		return -EAGAIN; /* a page is full and more remain: stop here */
	}
	json_array_append_new(w->items, obj);
	free(w->next);
	w->next = cc_xstrdup(key);
	return 0;
}

int platform_objects_list(struct platform_objects *o, const struct platform_resource *r,
			  const struct platform_list_options *opts, json_t **ret_items, int64_t *ret_revision,
			  char **ret_continue, struct cc_error *err)
{
	_cleanup_free_ char *prefix = prefix_key(r, opts->namespace);
	/* The continue token is the last key of the page, within this resource's prefix. */
	if (opts->continue_token && strncmp(opts->continue_token, prefix, strlen(prefix)) != 0)
		return cc_error_set(err, EINVAL, "continue token does not belong to this list");
	struct list_walk w = {
		.o = o, .resource = r, .opts = opts, .items = json_array(), .after = opts->continue_token, .err = err
	};
	int64_t revision = platform_objects_revision(o);
	int rc = cc_store_list(o->store, prefix, collect, &w, err);
	if (rc < 0 && rc != -EAGAIN) {
		json_decref(w.items);
		free(w.next);
		return rc;
	}
	*ret_items = w.items;
	*ret_revision = revision;
	*ret_continue = rc == -EAGAIN ? w.next : NULL;
	if (rc != -EAGAIN)
		free(w.next);
	return 0;
}

json_t *platform_objects_list_all(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
				  struct cc_error *err)
{
	struct platform_list_options opts = { .namespace = namespace };
	json_t *items = NULL;
	int64_t revision;
	char *next = NULL;
	if (platform_objects_list(o, r, &opts, &items, &revision, &next, err) < 0)
		return NULL;
	free(next);
	return items;
}

json_t *platform_objects_list_labelled(struct platform_objects *o, const struct platform_resource *r,
				       const char *selector, struct cc_error *err)
{
	struct platform_selector *sel = NULL;
	if (platform_selector_parse(selector, &sel, err) < 0)
		return NULL;
	struct platform_list_options opts = { .labels = sel };
	json_t *items = NULL;
	int64_t revision;
	char *next = NULL;
	int rc = platform_objects_list(o, r, &opts, &items, &revision, &next, err);
	platform_selector_free(sel);
	free(next);
	return rc < 0 ? NULL : items;
}

/* ---- writes and their watchers ---- */

static void release_watcher(struct watcher *w)
{
	if (--w->refs > 0)
		return;
	platform_selector_free(w->labels);
	platform_field_selector_free(w->fields);
	free(w->namespace);
	free(w);
}

/* Ends a watch (lock held): off the list, the stream finished (the writer's reference dropped). */
static void finish_watcher(struct watcher *w)
{
	struct platform_objects *o = w->owner;
	if (!w->listed)
		return;
	w->listed = false;
	if (w->prev)
		w->prev->next = w->next;
	else
		o->watchers = w->next;
	if (w->next)
		w->next->prev = w->prev;
	cc_response_stream_finish(w->stream);
	release_watcher(w);
}

/* Writes one change to a watcher; false when the watcher must go (gone, or reading too slowly). */
static bool send_change(struct watcher *w, const char *type, const json_t *obj)
{
	json_t *event = json_pack("{s:s, s:O}", "type", type, "object", obj);
	_cleanup_free_ char *line = json_dumps(event, JSON_COMPACT);
	json_decref(event);
	size_t len = strlen(line);
	line[len] = '\n'; /* json_dumps's NUL becomes the line end; the write takes len + 1 bytes */
	return cc_response_stream_write(w->stream, line, len + 1) == 0;
}

static void notify(struct platform_objects *o, const struct platform_resource *r, const char *type, json_t *obj)
{
	struct change *c = &o->history[o->history_end];
	if (o->history_count == PLATFORM_WATCH_HISTORY)
		o->oldest_watchable = c->revision; /* the one overwritten now can no longer be replayed */
	forget_change(c);
	const char *ns = meta_string(obj, "namespace");
	*c = (struct change){
		.revision = o->revision,
		.resource = r,
		.namespace = ns ? cc_xstrdup(ns) : NULL,
		.type = type,
		.object = json_incref(obj),
	};
	o->history_end = (o->history_end + 1) % PLATFORM_WATCH_HISTORY;
	if (o->history_count < PLATFORM_WATCH_HISTORY)
		o->history_count++;
	for (struct watcher *w = o->watchers, *next; w; w = next) {
		next = w->next;
		if (w->resource != r || !matches(r, w->namespace, w->labels, w->fields, obj))
			continue;
		if (!send_change(w, type, obj))
			finish_watcher(w);
	}
	for (size_t i = 0; i < PLATFORM_OBSERVERS_MAX; i++)
		if (o->observers[i].fn)
			o->observers[i].fn(o->observers[i].ctx, r, type, obj);
	if (strcmp(type, "ADDED") == 0)
		o->counts[resource_index(r)]++;
	else if (strcmp(type, "DELETED") == 0)
		o->counts[resource_index(r)]--;
}

int64_t platform_objects_count(struct platform_objects *o, const struct platform_resource *r)
{
	pthread_mutex_lock(&o->lock);
	int64_t n = o->counts[resource_index(r)];
	pthread_mutex_unlock(&o->lock);
	return n;
}

size_t platform_objects_watch_count(struct platform_objects *o, const struct platform_resource *r)
{
	size_t n = 0;
	pthread_mutex_lock(&o->lock);
	for (const struct watcher *w = o->watchers; w; w = w->next)
		n += w->resource == r;
	pthread_mutex_unlock(&o->lock);
	return n;
}

int platform_objects_observe(struct platform_objects *o, platform_change_fn fn, void *ctx)
{
	int r = -ENOSPC;
	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < PLATFORM_OBSERVERS_MAX && r < 0; i++)
		if (!o->observers[i].fn) {
			o->observers[i].fn = fn, o->observers[i].ctx = ctx;
			r = 0;
		}
	pthread_mutex_unlock(&o->lock);
	return r;
}

void platform_objects_unobserve(struct platform_objects *o, platform_change_fn fn, void *ctx)
{
	pthread_mutex_lock(&o->lock);
	for (size_t i = 0; i < PLATFORM_OBSERVERS_MAX; i++)
		if (o->observers[i].fn == fn && o->observers[i].ctx == ctx)
			o->observers[i].fn = NULL, o->observers[i].ctx = NULL;
	pthread_mutex_unlock(&o->lock);
}

/* Takes the next resourceVersion (lock held); written before the object it numbers. */
static int next_revision(struct platform_objects *o, struct cc_error *err)
{
	char text[24];
	snprintf(text, sizeof(text), "%" PRId64, o->revision + 1);
	int r = cc_store_put(o->store, REVISION_KEY, text, strlen(text), CC_STORE_ANY, NULL, err);
	if (r < 0)
		return r;
	o->revision++;
	return 0;
}

static int store_object(struct platform_objects *o, const char *key, json_t *obj, int64_t expected_store_rev,
			struct cc_error *err)
{
	_cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT);
	if (!text)
		return cc_error_set(err, ENOMEM, "cannot serialise the object");
	size_t len = strlen(text);
	if (len > MAX_OBJECT_SIZE)
		return cc_error_set(err, EFBIG, "object larger than %u bytes", MAX_OBJECT_SIZE);
	const struct platform_value_transformer *t = transformer_for_key(o, key);
	if (!t)
		return cc_store_put(o->store, key, text, len, expected_store_rev, NULL, err);
	char *sealed = NULL;
	size_t sealed_len = 0;
	int r = t->seal(t->ctx, key, text, len, &sealed, &sealed_len, err);
	explicit_bzero(text, len);
	if (r < 0)
		return cc_error_prefix(err, "seal `%s` for the store", key);
	r = cc_store_put(o->store, key, sealed, sealed_len, expected_store_rev, NULL, err);
	free(sealed);
	return r;
}

int platform_objects_create(struct platform_objects *o, const struct platform_resource *r, json_t *obj, json_t **ret,
			    struct cc_error *err)
{
	_cleanup_free_ char *key = object_key(r, meta_string(obj, "namespace"), meta_string(obj, "name"));
	pthread_mutex_lock(&o->lock);
	/* Looked up first so that a refused create takes no resourceVersion; the conditional write
	 * still guards against another process sharing the store. */
	_cleanup_free_ char *existing = NULL;
	size_t len;
	int64_t store_rev;
	int rc = cc_store_get(o->store, key, &existing, &len, &store_rev, err);
	if (rc == 0)
		rc = -ESTALE;
	else if (rc == -ENOENT)
		rc = next_revision(o, err);
	if (rc == 0) {
		set_revision(obj, o->revision);
		rc = store_object(o, key, obj, CC_STORE_ABSENT, err);
	}
	if (rc == -ESTALE)
		rc = cc_error_set(err, EEXIST, "%s \"%s\" already exists", r->resource, meta_string(obj, "name"));
	if (rc == 0) {
		notify(o, r, "ADDED", obj);
		*ret = json_incref(obj);
	}
	pthread_mutex_unlock(&o->lock);
	return rc;
}

int platform_objects_update(struct platform_objects *o, const struct platform_resource *r, json_t *obj,
			    int64_t expected_revision, json_t **ret, struct cc_error *err)
{
	const char *name = meta_string(obj, "name");
	_cleanup_free_ char *key = object_key(r, meta_string(obj, "namespace"), name);
	pthread_mutex_lock(&o->lock);
	json_t *current = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int64_t store_rev;
	int rc = cc_store_get(o->store, key, &text, &len, &store_rev, err);
	if (rc == 0)
		rc = decode_value(o, key, text, len, &current, err);
	if (rc == 0 && expected_revision > 0 && object_revision(current) != expected_revision)
		rc = cc_error_set(
		    err, ESTALE,
		    "Operation cannot be fulfilled on %s \"%s\": the object has been modified; please apply "
		    "your changes to the latest version and try again",
		    r->resource, name);
	/* The update that takes the last finalizer off a marked object ends it. */
	bool released = rc == 0 && platform_finalizers_released(current, obj);
	if (rc == 0)
		rc = next_revision(o, err);
	if (rc == 0) {
		set_revision(obj, o->revision);
		rc = released ? cc_store_delete(o->store, key, err) : store_object(o, key, obj, store_rev, err);
	}
	if (rc == 0) {
		notify(o, r, released ? "DELETED" : "MODIFIED", obj);
		*ret = json_incref(obj);
	}
	pthread_mutex_unlock(&o->lock);
	json_decref(current);
	return rc;
}

/* A delete of an object that has finalizers: marked and kept (lock held). 1 when it stays. */
static int mark_for_deletion(struct platform_objects *o, const struct platform_resource *r, const char *key,
			     json_t *current, int64_t store_rev, struct cc_error *err)
{
	if (!platform_finalizers_mark(current, cc_time_now_ns()))
		return 1; /* marked already: nothing to write */
	int rc = next_revision(o, err);
	if (rc == 0) {
		set_revision(current, o->revision);
		rc = store_object(o, key, current, store_rev, err);
	}
	if (rc < 0)
		return rc;
	notify(o, r, "MODIFIED", current);
	return 1;
}

int platform_objects_delete(struct platform_objects *o, const struct platform_resource *r, const char *namespace,
			    const char *name, int64_t expected_revision, json_t **ret, struct cc_error *err)
{
	_cleanup_free_ char *key = object_key(r, namespace, name);
	pthread_mutex_lock(&o->lock);
	json_t *current = NULL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int64_t store_rev;
	int rc = cc_store_get(o->store, key, &text, &len, &store_rev, err);
	if (rc == 0)
		rc = decode_value(o, key, text, len, &current, err);
	if (rc == 0 && expected_revision > 0 && object_revision(current) != expected_revision)
		rc = cc_error_set(err, ESTALE,
				  "Operation cannot be fulfilled on %s \"%s\": the object has been modified",
				  r->resource, name);
	if (rc == 0 && platform_finalizers_pending(current)) {
		rc = mark_for_deletion(o, r, key, current, store_rev, err);
		if (rc > 0 && ret)
			*ret = json_incref(current);
		pthread_mutex_unlock(&o->lock);
		json_decref(current);
		return rc;
	}
	if (rc == 0)
		rc = next_revision(o, err);
	if (rc == 0)
		rc = cc_store_delete(o->store, key, err);
	if (rc == 0) {
		/* The DELETED event carries the object as it was, at the deletion's resourceVersion. */
		set_revision(current, o->revision);
		notify(o, r, "DELETED", current);
		if (ret)
			*ret = json_incref(current);
	}
	pthread_mutex_unlock(&o->lock);
	json_decref(current);
	return rc;
}

/* ---- watch ---- */

/* The stream's on_close: the client left, the server stops, or the end we sent went out. */
static void watcher_gone(void *arg)
{
	struct watcher *w = arg;
	struct platform_objects *o = w->owner;
	pthread_mutex_lock(&o->lock);
	finish_watcher(w);
	release_watcher(w);
	pthread_mutex_unlock(&o->lock);
}

struct initial_walk {
	const struct platform_objects *o;
	struct watcher *w;
	bool ok;
	struct cc_error *err;
};

static int send_existing(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	struct initial_walk *walk = userdata;
	json_t *obj;
	if (decode_value(walk->o, key, value, len, &obj, walk->err) < 0)
		return -EIO;
	if (matches(walk->w->resource, walk->w->namespace, walk->w->labels, walk->w->fields, obj) &&
	    !send_change(walk->w, "ADDED", obj))
		walk->ok = false;
	json_decref(obj);
	return walk->ok ? 0 : -EPIPE;
}

int platform_objects_watch(struct platform_objects *o, const struct platform_resource *r,
			   const struct platform_list_options *opts, int64_t from_revision,
			   struct cc_response_stream *stream, struct cc_error *err)
{
	struct watcher *w = cc_xcalloc(1, sizeof(*w));
	*w = (struct watcher){ .resource = r, .stream = stream, .owner = o };
	if (opts->namespace)
		w->namespace = cc_xstrdup(opts->namespace);
	if (opts->labels)
		w->labels = platform_selector_copy(opts->labels);
	if (opts->fields)
		w->fields = platform_field_selector_copy(opts->fields);
	/* Under the lock from the first event sent to the registration, so no change falls between. */
	pthread_mutex_lock(&o->lock);
	int rc = 0;
	if (from_revision > 0 && from_revision < o->oldest_watchable) {
		rc = cc_error_set(err, EXFULL, "too old resource version: %" PRId64 " (%" PRId64 ")", from_revision,
				  o->oldest_watchable);
	} else if (from_revision == 0) {
		_cleanup_free_ char *prefix = prefix_key(r, opts->namespace);
		struct initial_walk walk = { .o = o, .w = w, .ok = true, .err = err };
		rc = cc_store_list(o->store, prefix, send_existing, &walk, err);
	} else {
		for (size_t i = 0; i < o->history_count; i++) {
			size_t at =
			    (o->history_end + PLATFORM_WATCH_HISTORY - o->history_count + i) % PLATFORM_WATCH_HISTORY;
			struct change *c = &o->history[at];
			if (c->revision <= from_revision || c->resource != r ||
			    !matches(r, w->namespace, w->labels, w->fields, c->object))
				continue;
			if (!send_change(w, c->type, c->object)) {
				rc = -EPIPE;
				break;
			}
		}
	}
	if (rc < 0) {
		pthread_mutex_unlock(&o->lock);
		cc_response_stream_finish(stream);
		w->refs = 1;
		release_watcher(w);
		return rc;
	}
	w->refs = 2;
	w->listed = true;
	w->next = o->watchers;
	if (o->watchers)
		o->watchers->prev = w;
	o->watchers = w;
	cc_response_stream_on_close(stream, watcher_gone, w);
	pthread_mutex_unlock(&o->lock);
	return 0;
}
