/* Worker threads (see thread.h). */
#include "lib/base/thread.h"

#include <errno.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

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

/* linux/ioprio.h (not in every libc's headers) */
#define IOPRIO_CLASS_IDLE  3
#define IOPRIO_CLASS_SHIFT 13
#define IOPRIO_WHO_PROCESS 1

int cc_thread_lower_priority(void)
{
	/* who 0 is the calling thread for both on Linux, not the whole process */
	if (setpriority(PRIO_PROCESS, 0, 10) < 0)
		return -errno;
	if (syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_CLASS_IDLE << IOPRIO_CLASS_SHIFT) < 0)
		return -errno;
	return 0;
}
