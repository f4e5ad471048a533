/* Streamed response bodies shared between a writer thread and the server's loop. One mutex guards
 * the pending bytes and the flags; the loop is told about new data by a task posted at most once
 * until it runs (kick_posted), so a chatty writer costs one wake-up per loop round, not per write.
 * References: the writer's, the server's (from cc_http_response_stream until abandoned), and one per
 * posted task; the last one frees. */
#include "lib/net/response_stream.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/net/http.h"
#include "lib/net/loop.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

struct cc_response_stream {
	pthread_mutex_t lock;
	atomic_int refs;
	struct cc_buf pending;
	size_t max_pending;
	bool finished;    /* the writer is done */
	bool closed;      /* the client is gone */
	bool kick_posted; /* a kick task is queued on the loop */
	struct cc_loop *loop;
	cc_response_stream_kick_fn kick;
	void *target; /* the connection's stream; loop thread only */
	void (*on_close)(void *arg);
	void *on_close_arg;
};

static void release(struct cc_response_stream *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	cc_buf_free(&s->pending);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

struct cc_response_stream *cc_http_response_stream(struct cc_http_response *resp, size_t max_pending)
{
	struct cc_response_stream *s = cc_xcalloc(1, sizeof(*s));
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refs, 2); /* the writer's and the server's */
	s->max_pending = max_pending ? max_pending : 1u << 20;
	if (resp->stream)
		cc_response_stream_abandon(resp->stream);
	resp->stream = s;
	return s;
}

static void run_kick(struct cc_loop *loop, void *arg)
{
	struct cc_response_stream *s = arg;
	pthread_mutex_lock(&s->lock);
	s->kick_posted = false;
	void *target = s->closed ? NULL : s->target;
	pthread_mutex_unlock(&s->lock);
	if (target)
		s->kick(target);
	release(s);
}

/* With the lock held. */
static void post_kick(struct cc_response_stream *s)
{
	if (s->kick_posted || !s->loop || s->closed)
		return;
	s->kick_posted = true;
	atomic_fetch_add(&s->refs, 1);
	cc_loop_post(s->loop, run_kick, s);
}

int cc_response_stream_write(struct cc_response_stream *s, const void *data, size_t len)
{
	pthread_mutex_lock(&s->lock);
	int r = 0;
	if (s->closed || s->finished)
		r = -EPIPE;
	else if (s->pending.len + len > s->max_pending)
		r = -ENOBUFS;
	else if (cc_buf_append(&s->pending, data, len) < 0)
		r = -ENOMEM;
	else
		post_kick(s);
	pthread_mutex_unlock(&s->lock);
	return r;
}

bool cc_response_stream_closed(struct cc_response_stream *s)
{
	pthread_mutex_lock(&s->lock);
	bool closed = s->closed;
	pthread_mutex_unlock(&s->lock);
	return closed;
}

void cc_response_stream_on_close(struct cc_response_stream *s, void (*fn)(void *arg), void *arg)
{
	pthread_mutex_lock(&s->lock);
	s->on_close = fn;
	s->on_close_arg = arg;
	pthread_mutex_unlock(&s->lock);
}

void cc_response_stream_finish(struct cc_response_stream *s)
{
	if (!s)
		return;
	pthread_mutex_lock(&s->lock);
	s->finished = true;
	post_kick(s);
	pthread_mutex_unlock(&s->lock);
	release(s);
}

void cc_response_stream_attach(struct cc_response_stream *s, struct cc_loop *loop, cc_response_stream_kick_fn kick,
			       void *target)
{
	pthread_mutex_lock(&s->lock);
	s->loop = loop;
	s->kick = kick;
	s->target = target;
	/* Whatever was written while the headers were on their way is sent now. */
	if (s->pending.len || s->finished)
		post_kick(s);
	pthread_mutex_unlock(&s->lock);
}

size_t cc_response_stream_take(struct cc_response_stream *s, void *buf, size_t len, bool *ret_done)
{
	pthread_mutex_lock(&s->lock);
	size_t n = s->pending.len < len ? s->pending.len : len;
	if (n) {
		memcpy(buf, s->pending.data, n);
		cc_buf_consume(&s->pending, n);
	}
	*ret_done = s->finished && s->pending.len == 0;
	pthread_mutex_unlock(&s->lock);
	return n;
}

void cc_response_stream_abandon(struct cc_response_stream *s)
{
	pthread_mutex_lock(&s->lock);
	bool was_closed = s->closed;
	s->closed = true;
	s->target = NULL;
	void (*fn)(void *) = was_closed ? NULL : s->on_close; /* once, whatever ended it */
	void *arg = s->on_close_arg;
	pthread_mutex_unlock(&s->lock);
	if (fn)
		fn(arg);
	release(s);
}
