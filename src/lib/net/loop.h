/* An epoll event loop: file descriptors with callbacks, a periodic tick for deadlines, and tasks
 * posted from other threads. Everything registered with a loop runs on the loop's one thread, so the
 * state those callbacks touch needs no lock. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

struct cc_error;
struct cc_loop;

/* events: EPOLLIN / EPOLLOUT / ... as returned by epoll_wait. */
typedef void (*cc_loop_fd_fn)(struct cc_loop *loop, int fd, uint32_t events, void *data);
typedef void (*cc_loop_task_fn)(struct cc_loop *loop, void *arg);

/* tick is called every tick_ms on the loop thread (0: no tick). */
int cc_loop_new(int tick_ms, cc_loop_task_fn tick, void *tick_arg, struct cc_loop **ret, struct cc_error *err);
void cc_loop_free(struct cc_loop *loop);

/* Loop thread only. data must stay valid until cc_loop_remove. */
int cc_loop_add(struct cc_loop *loop, int fd, uint32_t events, cc_loop_fd_fn fn, void *data);
int cc_loop_modify(struct cc_loop *loop, int fd, uint32_t events, void *data);
void cc_loop_remove(struct cc_loop *loop, int fd);

/* Any thread: runs fn(arg) on the loop thread soon. Never fails (the queue is a list). */
void cc_loop_post(struct cc_loop *loop, cc_loop_task_fn fn, void *arg);

/* Runs until cc_loop_quit; then runs the tasks still queued and returns. */
void cc_loop_run(struct cc_loop *loop);
/* A thread's main for a loop of its own (pthread_create(&t, NULL, cc_loop_thread, loop)): runs it
 * with SIGPIPE, SIGTERM and SIGINT blocked. SIGPIPE: TLS writes go through OpenSSL's socket BIO and
 * writes to a command's pipe cannot pass MSG_NOSIGNAL, so a peer that went away would raise it;
 * blocked, the write fails with EPIPE and the process's disposition is left alone. The stop signals
 * stay with the threads that wait for them (lib/base/stop.h). */
void *cc_loop_thread(void *loop);
/* Any thread. */
void cc_loop_quit(struct cc_loop *loop);
