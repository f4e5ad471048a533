/* The event loop under cc_server. One epoll set; an eventfd wakes the loop for posted tasks and for
 * quit; a timerfd drives the tick. Posted tasks are a mutex-protected list swapped out whole, so a
 * producer thread never waits for the loop to finish a batch. */
#include "lib/net/loop.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

struct loop_watch {
	int fd;
	cc_loop_fd_fn fn; /* NULL once removed */
	void *data;
	struct loop_watch *next_dead;
};

struct loop_task {
	cc_loop_task_fn fn;
	void *arg;
	struct loop_task *next;
};

struct cc_loop {
	int epoll_fd;
	int wake_fd;
	int timer_fd;
	cc_loop_task_fn tick;
	void *tick_arg;
	atomic_bool quit;
	pthread_mutex_t lock;
	struct loop_task *tasks, **tasks_tail;
	/* Watches are indexed by fd: descriptors are small integers and the kernel reuses the lowest. */
	struct loop_watch **watches;
	int watch_cap;
	struct loop_watch *dead; /* removed during this round, freed after it */
};

int cc_loop_new(int tick_ms, cc_loop_task_fn tick, void *tick_arg, struct cc_loop **ret, struct cc_error *err)
{
	struct cc_loop *loop = cc_xcalloc(1, sizeof(*loop));
	loop->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
	loop->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	loop->timer_fd = tick_ms ? timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK) : -1;
	if (loop->epoll_fd < 0 || loop->wake_fd < 0 || (tick_ms && loop->timer_fd < 0)) {
		int e = errno;
		cc_loop_free(loop);
		return cc_error_set_errno(err, e, "create the event loop");
	}
	pthread_mutex_init(&loop->lock, NULL);
	loop->tasks_tail = &loop->tasks;
	loop->tick = tick;
	loop->tick_arg = tick_arg;
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->wake_fd, &ev);
	if (tick_ms) {
		struct itimerspec its = {
			.it_interval = { tick_ms / 1000, (long)(tick_ms % 1000) * 1000000 },
			.it_value = { tick_ms / 1000, (long)(tick_ms % 1000) * 1000000 },
		};
		timerfd_settime(loop->timer_fd, 0, &its, NULL);
		ev.data.ptr = &loop->timer_fd; /* told apart from watches by address */
		epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, loop->timer_fd, &ev);
	}
	*ret = loop;
	return 0;
}

void cc_loop_free(struct cc_loop *loop)
{
	if (!loop)
		return;
	for (struct loop_task *t = loop->tasks, *next; t; t = next) {
		next = t->next;
		free(t);
	}
	for (int i = 0; i < loop->watch_cap; i++)
		free(loop->watches[i]);
	for (struct loop_watch *w = loop->dead, *next; w; w = next) {
		next = w->next_dead;
		free(w);
	}
	free(loop->watches);
	if (loop->epoll_fd >= 0)
		close(loop->epoll_fd);
	if (loop->wake_fd >= 0)
		close(loop->wake_fd);
	if (loop->timer_fd >= 0)
		close(loop->timer_fd);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

int cc_loop_add(struct cc_loop *loop, int fd, uint32_t events, cc_loop_fd_fn fn, void *data)
{
	if (fd >= loop->watch_cap) {
		int cap = loop->watch_cap ? loop->watch_cap : 64;
		while (cap <= fd)
			cap *= 2;
		loop->watches = cc_xrealloc(loop->watches, (size_t)cap * sizeof(*loop->watches));
		for (int i = loop->watch_cap; i < cap; i++)
			loop->watches[i] = NULL;
		loop->watch_cap = cap;
	}
	struct loop_watch *w = cc_xcalloc(1, sizeof(*w));
	*w = (struct loop_watch){ .fd = fd, .fn = fn, .data = data };
	struct epoll_event ev = { .events = events, .data.ptr = w };
	if (epoll_ctl(loop->epoll_fd, EPOLL_CTL_ADD, fd, &ev) < 0) {
		int e = errno;
		free(w);
		return -e;
	}
	free(loop->watches[fd]);
	loop->watches[fd] = w;
	return 0;
}

int cc_loop_modify(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	if (fd >= loop->watch_cap || !loop->watches[fd])
		return -ENOENT;
	loop->watches[fd]->data = data;
	struct epoll_event ev = { .events = events, .data.ptr = loop->watches[fd] };
	return epoll_ctl(loop->epoll_fd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -errno : 0;
}

void cc_loop_remove(struct cc_loop *loop, int fd)
{
	if (fd < 0 || fd >= loop->watch_cap || !loop->watches[fd])
		return;
	epoll_ctl(loop->epoll_fd, EPOLL_CTL_DEL, fd, NULL);
	/* Events already fetched in this round may still name the watch: it is marked dead and freed
	 * after the round. */
	struct loop_watch *w = loop->watches[fd];
	w->fn = NULL;
	w->next_dead = loop->dead;
	loop->dead = w;
	loop->watches[fd] = NULL;
}

void cc_loop_post(struct cc_loop *loop, cc_loop_task_fn fn, void *arg)
{
	struct loop_task *t = cc_xmalloc(sizeof(*t));
	*t = (struct loop_task){ .fn = fn, .arg = arg };
	pthread_mutex_lock(&loop->lock);
	bool was_empty = loop->tasks == NULL;
	*loop->tasks_tail = t;
	loop->tasks_tail = &t->next;
	pthread_mutex_unlock(&loop->lock);
	if (was_empty) {
		uint64_t one = 1;
		(void)!write(loop->wake_fd, &one, sizeof(one));
	}
}

void cc_loop_quit(struct cc_loop *loop)
{
	atomic_store(&loop->quit, true);
	uint64_t one = 1;
	(void)!write(loop->wake_fd, &one, sizeof(one));
}

static void run_tasks(struct cc_loop *loop)
{
	pthread_mutex_lock(&loop->lock);
	struct loop_task *t = loop->tasks;
	loop->tasks = NULL;
	loop->tasks_tail = &loop->tasks;
	pthread_mutex_unlock(&loop->lock);
	while (t) {
		struct loop_task *next = t->next;
		t->fn(loop, t->arg);
		free(t);
		t = next;
	}
}

#define MAX_EVENTS 256

static void run_round(struct cc_loop *loop)
{
	struct epoll_event events[MAX_EVENTS];
	int n = epoll_wait(loop->epoll_fd, events, MAX_EVENTS, -1);
	if (n < 0)
		return; /* EINTR */
	bool tick = false, wake = false;
	for (int i = 0; i < n; i++) {
		void *p = events[i].data.ptr;
		if (p == NULL) {
			wake = true;
			continue;
		}
		if (p == &loop->timer_fd) {
			tick = true;
			continue;
		}
		struct loop_watch *w = p;
		if (w->fn)
			w->fn(loop, w->fd, events[i].events, w->data);
	}
	for (struct loop_watch *w = loop->dead, *next; w; w = next) {
		next = w->next_dead;
		free(w);
	}
	loop->dead = NULL;
	if (wake) {
		uint64_t v;
		(void)!read(loop->wake_fd, &v, sizeof(v));
	}
	if (tick) {
		uint64_t v;
		(void)!read(loop->timer_fd, &v, sizeof(v));
		if (loop->tick)
			loop->tick(loop, loop->tick_arg);
	}
	run_tasks(loop);
}

void cc_loop_run(struct cc_loop *loop)
{
	while (!atomic_load(&loop->quit))
		run_round(loop);
	run_tasks(loop);
}

void *cc_loop_thread(void *loop)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	cc_loop_run(loop);
	return NULL;
}
