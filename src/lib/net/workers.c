/* Worker pool: one mutex, one condition variable, a FIFO of jobs. Handlers are short (an API call);
 * long waits (watches, log follows) are not handlers but streams fed from other threads
 * (lib/net/response_stream.h), so a small pool serves thousands of connections. */
#include "lib/net/workers.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/thread.h"

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>

struct job {
	cc_work_fn fn;
	void *arg;
	struct job *next;
};

struct cc_workers {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	struct job *head, **tail;
	size_t queued;
	size_t max_queued;
	bool stopping;
	int thread_count;
	pthread_t *threads;
};

static void *worker_main(void *arg)
{
	struct cc_workers *pool = arg;
	pthread_mutex_lock(&pool->lock);
	for (;;) {
		while (!pool->head && !pool->stopping)
			pthread_cond_wait(&pool->wake, &pool->lock);
		struct job *j = pool->head;
		if (!j)
			break; /* stopping, queue empty */
		pool->head = j->next;
		if (!pool->head)
			pool->tail = &pool->head;
		pool->queued--;
		pthread_mutex_unlock(&pool->lock);
		j->fn(j->arg);
		free(j);
		pthread_mutex_lock(&pool->lock);
	}
	pthread_mutex_unlock(&pool->lock);
	return NULL;
}

int cc_workers_new(int threads, size_t max_queued, struct cc_workers **ret, struct cc_error *err)
{
	struct cc_workers *pool = cc_xcalloc(1, sizeof(*pool));
	pthread_mutex_init(&pool->lock, NULL);
	pthread_cond_init(&pool->wake, NULL);
	pool->tail = &pool->head;
	pool->max_queued = max_queued;
	pool->threads = cc_xcalloc((size_t)threads, sizeof(*pool->threads));
	for (int i = 0; i < threads; i++) {
		int e = cc_thread_start_worker(&pool->threads[i], worker_main, pool);
		if (e != 0) {
			cc_workers_free(pool);
			return cc_error_set_errno(err, e, "start worker thread %d of %d", i + 1, threads);
		}
		pool->thread_count++;
	}
	*ret = pool;
	return 0;
}

int cc_workers_submit(struct cc_workers *pool, cc_work_fn fn, void *arg)
{
	pthread_mutex_lock(&pool->lock);
	if (pool->queued >= pool->max_queued || pool->stopping) {
		pthread_mutex_unlock(&pool->lock);
		return -EBUSY;
	}
	struct job *j = cc_xmalloc(sizeof(*j));
	*j = (struct job){ .fn = fn, .arg = arg };
	*pool->tail = j;
	pool->tail = &j->next;
	pool->queued++;
	pthread_cond_signal(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	return 0;
}

void cc_workers_stop(struct cc_workers *pool)
{
	pthread_mutex_lock(&pool->lock);
	pool->stopping = true;
	pthread_cond_broadcast(&pool->wake);
	pthread_mutex_unlock(&pool->lock);
	for (int i = 0; i < pool->thread_count; i++)
		pthread_join(pool->threads[i], NULL);
	pool->thread_count = 0;
}

void cc_workers_free(struct cc_workers *pool)
{
	if (!pool)
		return;
	cc_workers_stop(pool);
	free(pool->threads);
	pthread_mutex_destroy(&pool->lock);
	pthread_cond_destroy(&pool->wake);
	free(pool);
}
