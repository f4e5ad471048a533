/* The pod runner's image puller (pod_pull.h).
 *
 * Who owns what: the list of pulls and each pull's state belong to the puller's mutex; the runner's
 * thread only takes it to ask (never across a store or network call), the puller's thread takes it
 * to pick the next pull and to record an outcome, and runs the pull itself without it. The puller
 * has an image store handle of its own (on the runner's store root): a pull holds the store's lock
 * while it writes, which the runner's reads (image_store_resolve) never wait for. When a pull ends
 * the runner is woken, so a container starts within a step of its image arriving. */
#include "platform/pod_pull.h"

#include "image/pull.h"
#include "image/reference.h"
#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/thread.h"
#include "lib/base/timeutil.h"
#include "platform/pods_internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>

enum pull_phase { PULL_QUEUED, PULL_RUNNING, PULL_DONE, PULL_FAILED };

struct pull_entry {
	char *ref;
	enum pull_phase phase;
	int64_t asked_ms, started_ms, ended_ms;
	char message[1024];
	struct pull_entry *next;
};

struct pod_puller {
	char *store_root;
	char *ca_file;
	char **insecure; /* NULL-terminated */
	struct platform_pods *pods;
	pthread_t thread;
	bool started;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool stopping;
	int cancel; /* read by the transfer (atomically) */
	struct pull_entry *entries;
	size_t n_entries;
};

bool pod_pull_is_local(const char *ref)
{
	struct image_reference parsed;
	if (image_reference_parse(ref, &parsed, NULL) < 0)
		return false; /* the pull says what is wrong with it */
	bool local = !parsed.domain || image_reference_is_local(&parsed);
	image_reference_clear(&parsed);
	return local;
}

const char *pod_pull_default_policy(const char *ref)
{
	struct image_reference parsed;
	if (image_reference_parse(ref, &parsed, NULL) < 0)
		return "IfNotPresent";
	bool latest = parsed.tag && strcmp(parsed.tag, "latest") == 0;
	image_reference_clear(&parsed);
	return latest ? "Always" : "IfNotPresent";
}

/* The runner wakes as the store's observer wakes it (pods.c). */
static void wake_runner(struct platform_pods *p)
{
	pthread_mutex_lock(&p->wake_lock);
	p->wake = true;
	pthread_cond_signal(&p->cond);
	pthread_mutex_unlock(&p->wake_lock);
}

static void entry_free(struct pull_entry *e)
{
	free(e->ref);
	free(e);
}

static void pull_one(struct pod_puller *pl, struct image_store *store, struct pull_entry *e, const char *ref)
{
	struct image_pull_options opts;
	image_pull_options_default(&opts);
	opts.ca_file = pl->ca_file;
	opts.insecure_registries = (const char *const *)pl->insecure;
	opts.timeout_s = POD_PULL_TIMEOUT_S;
	opts.cancel = &pl->cancel;
	struct cc_error err = { 0 };
	struct image_pull_result res = { 0 };
	int r = store ? image_store_pull(store, ref, &opts, &res, &err) : -EIO;
	if (r == 0)
		cc_info("pulled image %s (%s): %llu blob(s) fetched, %llu already in the store", ref, res.image.digest,
			(unsigned long long)res.blobs_fetched, (unsigned long long)res.blobs_skipped);
	else if (!store)
		cc_error_set(&err, EIO, "the image store `%s` cannot be opened", pl->store_root);
	image_pull_result_clear(&res);
	pthread_mutex_lock(&pl->lock);
	e->phase = r == 0 ? PULL_DONE : PULL_FAILED;
	e->ended_ms = cc_time_monotonic_ms();
	snprintf(e->message, sizeof(e->message), "%s", r == 0 ? "" : cc_error_message(&err));
	pthread_mutex_unlock(&pl->lock);
}

static void *puller_main(void *arg)
{
	struct pod_puller *pl = arg;
	struct cc_error err = { 0 };
	struct image_store *store = NULL;
	if (image_store_open(pl->store_root, NULL, &store, &err) < 0)
		cc_warning("image puller: %s", cc_error_message(&err));
	pthread_mutex_lock(&pl->lock);
	while (!pl->stopping) {
		struct pull_entry *next = NULL;
		for (struct pull_entry *e = pl->entries; e && !next; e = e->next)
			if (e->phase == PULL_QUEUED)
				next = e;
		if (!next) {
			pthread_cond_wait(&pl->cond, &pl->lock);
			continue;
		}
		next->phase = PULL_RUNNING;
		next->started_ms = cc_time_monotonic_ms();
		_cleanup_free_ char *ref = cc_xstrdup(next->ref);
		pthread_mutex_unlock(&pl->lock);
		/* The entry stays in the list while running: only this thread removes running entries. */
		pull_one(pl, store, next, ref);
		wake_runner(pl->pods);
		pthread_mutex_lock(&pl->lock);
	}
	pthread_mutex_unlock(&pl->lock);
	image_store_free(store);
	return NULL;
}

struct pod_puller *pods_puller(struct platform_pods *p)
{
	if (p->puller)
		return p->puller;
	struct pod_puller *pl = cc_xcalloc(1, sizeof(*pl));
	pl->pods = p;
	pl->store_root = cc_xstrdup(image_store_root(p->images));
	pl->ca_file = p->cfg.registry_ca ? cc_xstrdup(p->cfg.registry_ca) : NULL;
	size_t n = 0;
	for (const char *const *h = p->cfg.insecure_registries; h && *h; h++)
		n++;
	pl->insecure = cc_xcalloc(n + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		pl->insecure[i] = cc_xstrdup(p->cfg.insecure_registries[i]);
	pthread_mutex_init(&pl->lock, NULL);
	pthread_cond_init(&pl->cond, NULL);
	int e = cc_thread_start_worker(&pl->thread, puller_main, pl);
	if (e != 0)
		cc_warning("image puller: cannot start its thread: %s", strerror(e)); /* every ask then waits */
	pl->started = e == 0;
	p->puller = pl;
	return pl;
}

void pod_puller_free(struct pod_puller *pl)
{
	if (!pl)
		return;
	pthread_mutex_lock(&pl->lock);
	pl->stopping = true;
	__atomic_store_n(&pl->cancel, 1, __ATOMIC_RELAXED);
	pthread_cond_broadcast(&pl->cond);
	pthread_mutex_unlock(&pl->lock);
	if (pl->started)
		pthread_join(pl->thread, NULL);
	for (struct pull_entry *e = pl->entries, *next; e; e = next) {
		next = e->next;
		entry_free(e);
	}
	for (char **h = pl->insecure; h && *h; h++)
		free(*h);
	free(pl->insecure);
	free(pl->store_root);
	free(pl->ca_file);
	pthread_mutex_destroy(&pl->lock);
	pthread_cond_destroy(&pl->cond);
	free(pl);
}

/* Outcomes nobody came back for. Under the lock. */
static void prune(struct pod_puller *pl, int64_t now)
{
	for (struct pull_entry **link = &pl->entries; *link;) {
		struct pull_entry *e = *link;
		bool ended = e->phase == PULL_DONE || e->phase == PULL_FAILED;
		if (ended && now - e->ended_ms > (int64_t)POD_PULL_KEEP_S * 1000) {
			*link = e->next;
			entry_free(e);
			pl->n_entries--;
		} else {
			link = &e->next;
		}
	}
}

enum pod_pull_state pod_puller_ask(struct pod_puller *pl, const char *ref, bool start, struct pod_pull_outcome *ret)
{
	*ret = (struct pod_pull_outcome){ 0 };
	int64_t now = cc_time_monotonic_ms();
	pthread_mutex_lock(&pl->lock);
	prune(pl, now);
	struct pull_entry **link = &pl->entries;
	while (*link && strcmp((*link)->ref, ref) != 0)
		link = &(*link)->next;
	struct pull_entry *e = *link;
	enum pod_pull_state state;
	if (!e && !start) {
		state = POD_PULL_NONE;
	} else if (!e && pl->n_entries >= POD_PULL_MAX) {
		state = POD_PULL_PULLING; /* the queue is full: asked again at the next step */
	} else if (!e) {
		e = cc_xcalloc(1, sizeof(*e));
		e->ref = cc_xstrdup(ref);
		e->phase = PULL_QUEUED;
		e->asked_ms = now;
		e->next = pl->entries;
		pl->entries = e;
		pl->n_entries++;
		pthread_cond_signal(&pl->cond);
		state = POD_PULL_STARTED;
	} else if (e->phase == PULL_QUEUED || e->phase == PULL_RUNNING) {
		state = POD_PULL_PULLING;
	} else {
		state = e->phase == PULL_DONE ? POD_PULL_DONE : POD_PULL_FAILED;
		snprintf(ret->message, sizeof(ret->message), "%s", e->message);
		ret->pull_ms = e->ended_ms - e->started_ms;
		ret->total_ms = e->ended_ms - e->asked_ms;
		*link = e->next; /* handed out once */
		entry_free(e);
		pl->n_entries--;
	}
	pthread_mutex_unlock(&pl->lock);
	return state;
}
