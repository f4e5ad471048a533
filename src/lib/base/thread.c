/* Worker threads (see thread.h). */
#include "lib/base/thread.h"

#include <signal.h>
#include <time.h>

void cc_cond_init_monotonic(pthread_cond_t *cond)
{
	pthread_condattr_t attr;
	pthread_condattr_init(&attr);
	pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &attr);
	pthread_condattr_destroy(&attr);
}

int cc_thread_start_worker(pthread_t *thread, void *(*main)(void *), void *arg)
{
	/* A new thread inherits the creator's mask: block, create, restore. */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	int e = pthread_create(thread, NULL, main, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return e;
}
