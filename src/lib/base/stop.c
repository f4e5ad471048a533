/* Stopping a command on SIGTERM/SIGINT (see stop.h). The command's thread waits with poll on a
 * signalfd for the signals and on an eventfd that the run thread writes when it returns, so it
 * wakes for whichever comes first and never for a signal taken by another thread. */
#include "lib/base/stop.h"

#include "lib/base/error.h"
#include "lib/base/log.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <unistd.h>

static void stop_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
}

void cc_stop_signals_block(void)
{
	sigset_t set;
	stop_signals(&set);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct run_thread {
	int (*run)(void *ctx, struct cc_error *err);
	void *ctx;
	struct cc_error *err;
	int result;
	int done_fd; /* eventfd, written once run has returned */
};

static void *run_main(void *arg)
{
	struct run_thread *t = arg;
	t->result = t->run(t->ctx, t->err);
	uint64_t one = 1;
	(void)!write(t->done_fd, &one, sizeof(one));
	return NULL;
}

/* Waits for a stop signal or for the run thread to finish; true on a signal. */
static bool wait_for_signal(int signal_fd, int done_fd)
{
	struct pollfd fds[2] = { { .fd = signal_fd, .events = POLLIN }, { .fd = done_fd, .events = POLLIN } };
	for (;;) {
		if (poll(fds, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			return false; /* cannot wait: let run finish on its own */
		}
		if (fds[1].revents)
			return false;
		struct signalfd_siginfo info;
		if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
			cc_info("received SIG%s, stopping", sigabbrev_np((int)info.ssi_signo));
			return true;
		}
	}
}

int cc_run_until_stopped(int (*run)(void *ctx, struct cc_error *err), void (*stop)(void *ctx), void *ctx,
			 struct cc_error *err)
{
	cc_stop_signals_block();
	sigset_t set;
	stop_signals(&set);
	int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (signal_fd < 0)
		return cc_error_set_errno(err, errno, "wait for SIGTERM and SIGINT");
	struct run_thread t = { .run = run, .ctx = ctx, .err = err, .done_fd = eventfd(0, EFD_CLOEXEC) };
	if (t.done_fd < 0) {
		int e = errno;
		close(signal_fd);
		return cc_error_set_errno(err, e, "wait for SIGTERM and SIGINT");
	}
	pthread_t thread;
	int e = pthread_create(&thread, NULL, run_main, &t);
	if (e != 0) {
		close(signal_fd);
		close(t.done_fd);
		return cc_error_set_errno(err, e, "start the command's thread");
	}
	if (wait_for_signal(signal_fd, t.done_fd))
		stop(ctx);
	pthread_join(thread, NULL);
	close(signal_fd);
	close(t.done_fd);
	return t.result;
}

int cc_wait_until_stopped(int tick_ms, void (*tick)(void *ctx), void *ctx)
{
	cc_stop_signals_block();
	sigset_t set;
	stop_signals(&set);
	int signal_fd = signalfd(-1, &set, SFD_CLOEXEC);
	if (signal_fd < 0)
		return -errno;
	struct pollfd pfd = { .fd = signal_fd, .events = POLLIN };
	for (;;) {
		int n = poll(&pfd, 1, tick ? tick_ms : -1);
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0) {
			struct signalfd_siginfo info;
			if (read(signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
				cc_info("received SIG%s, stopping", sigabbrev_np((int)info.ssi_signo));
				close(signal_fd);
				return (int)info.ssi_signo;
			}
		}
		if (n == 0 && tick)
			tick(ctx);
	}
	int e = errno;
	close(signal_fd);
	return -e;
}
