/* Worker threads. */
#pragma once

#include <pthread.h>

/* Starts a worker that never takes SIGTERM or SIGINT: those stay with the threads that check for
 * them (a signal landing in a worker would only interrupt its system call). Returns 0 or an errno
 * value, as pthread_create. */
int cc_thread_start_worker(pthread_t *thread, void *(*main)(void *), void *arg);

/* A condition variable whose timed waits count on CLOCK_MONOTONIC (see cc_time_monotonic_deadline),
 * so a change of the wall clock neither shortens nor stretches them. */
void cc_cond_init_monotonic(pthread_cond_t *cond);

/* nice 10 and the idle I/O class for the calling thread only (Linux applies both per thread): a
 * background scan yields the CPU and the disk to everything else on the host. Returns 0, or a
 * negative errno naming the first that could not be set. */
int cc_thread_lower_priority(void);
