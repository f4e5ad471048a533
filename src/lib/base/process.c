/* cc_process_run (see process.h). One poll loop feeds stdin and drains stdout and stderr, so a
 * child that writes a lot before reading its input cannot deadlock against us. */
#include "lib/base/process.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

void cc_process_result_clear(struct cc_process_result *r)
{
	free(r->out);
	free(r->err);
	memset(r, 0, sizeof(*r));
}

struct capture {
	int fd;
	char *data;
	size_t len, cap, max;
};

static void capture_read(struct capture *c)
{
	char buf[16384];
	ssize_t n = read(c->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(c->fd);
		c->fd = -1;
		return;
	}
	size_t keep = c->len + (size_t)n > c->max ? c->max - c->len : (size_t)n;
	if (c->len + keep + 1 > c->cap) {
		c->cap = c->len + keep + 1 + 4096;
		c->data = cc_xrealloc(c->data, c->cap);
	}
	memcpy(c->data + c->len, buf, keep);
	c->len += keep;
}

static void close_pair(int p[2])
{
	for (int i = 0; i < 2; i++)
		if (p[i] >= 0)
			close(p[i]);
}

void cc_process_spawnattr_init(posix_spawnattr_t *attr, short extra_flags)
{
	sigset_t none, defaults;
	sigemptyset(&none);
	sigfillset(&defaults);
	sigdelset(&defaults, SIGKILL); /* neither can be set */
	sigdelset(&defaults, SIGSTOP);
	posix_spawnattr_init(attr);
	posix_spawnattr_setsigmask(attr, &none);
	posix_spawnattr_setsigdefault(attr, &defaults);
	posix_spawnattr_setflags(attr, (short)(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | extra_flags));
}

static int spawn(const char *const *argv, const struct cc_process_options *o, int in[2], int out[2], int errp[2],
		 pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	if (in[0] >= 0)
		posix_spawn_file_actions_adddup2(&fa, in[0], STDIN_FILENO);
	else
		posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1], STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, errp[1], STDERR_FILENO);
	posix_spawnattr_t attr;
	cc_process_spawnattr_init(&attr, o->own_group ? POSIX_SPAWN_SETPGROUP : 0);
	if (o->own_group)
		posix_spawnattr_setpgroup(&attr, 0); /* a new group led by the child: kill(-pid) reaches all of it */
	char *const *envp = o->envp ? (char *const *)o->envp : environ;
	int r = strchr(argv[0], '/') ? posix_spawn(ret_pid, argv[0], &fa, &attr, (char *const *)argv, envp)
				     : posix_spawnp(ret_pid, argv[0], &fa, &attr, (char *const *)argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return r;
}

/* After an own-group child has exited, how long a quiet pipe is awaited. */
#define DRAIN_MS 200

/* Feeds stdin and drains the pipes until both close, or (own_group) the child has exited and its
 * pipes went quiet, or the deadline. *ret_status is set when the child was reaped here. */
static bool pump(pid_t pid, const struct cc_process_options *o, int in_fd, struct capture *cap,
		 struct cc_process_result *ret, int *ret_status)
{
	size_t written = 0;
	bool exited = false;
	int64_t deadline = cc_time_monotonic_ms() + (o->timeout_ms > 0 ? o->timeout_ms : 60000);
	/* An own-group child is waited for even with its pipes closed: its timeout must still hold. */
	while (cap[0].fd >= 0 || cap[1].fd >= 0 || (o->own_group && !exited)) {
		if (o->own_group && !exited && waitpid(pid, ret_status, WNOHANG) == pid)
			exited = true;
		struct pollfd p[3];
		int n = 0, in_slot = -1;
		for (int i = 0; i < 2; i++)
			p[n++] = (struct pollfd){ .fd = cap[i].fd, .events = POLLIN };
		if (in_fd >= 0) {
			in_slot = n;
			p[n++] = (struct pollfd){ .fd = in_fd, .events = POLLOUT };
		}
		int64_t left = deadline - cc_time_monotonic_ms();
		if (left <= 0) {
			ret->timed_out = 1;
			kill(o->own_group ? -pid : pid, SIGKILL);
			break;
		}
		/* An own-group child is looked at every 50 ms: its exit is what ends the wait. */
		int wait_ms = !o->own_group ? (int)left
			      : exited      ? (int)(left < DRAIN_MS ? left : DRAIN_MS)
					    : (int)(left < 50 ? left : 50);
		int ready = poll(p, n, wait_ms);
		if (ready < 0 && errno != EINTR)
			break;
		if (ready == 0 && exited)
			break;
		for (int i = 0; i < 2; i++)
			if (cap[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				capture_read(&cap[i]);
		if (in_slot >= 0 && (p[in_slot].revents & (POLLOUT | POLLERR | POLLHUP))) {
			ssize_t w = write(in_fd, (const char *)o->input + written, o->input_len - written);
			if (w > 0)
				written += (size_t)w;
			if ((w < 0 && errno != EINTR && errno != EAGAIN) || written == o->input_len) {
				close(in_fd);
				in_fd = -1;
			}
		}
	}
	if (in_fd >= 0)
		close(in_fd);
	return exited;
}

int cc_process_run(const char *const *argv, const struct cc_process_options *opts, struct cc_process_result *ret,
		   struct cc_error *err)
{
	static const struct cc_process_options defaults = { 0 };
	const struct cc_process_options *o = opts ? opts : &defaults;
	memset(ret, 0, sizeof(*ret));
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	if ((o->input && pipe2(in, O_CLOEXEC) < 0) || pipe2(out, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		int e = errno;
		close_pair(in), close_pair(out), close_pair(errp);
		return cc_error_set_errno(err, e, "run `%s`: pipe", argv[0]);
	}
	pid_t pid;
	int r = spawn(argv, o, in, out, errp, &pid);
	if (in[0] >= 0)
		close(in[0]);
	close(out[1]);
	close(errp[1]);
	if (r != 0) {
		if (in[1] >= 0)
			close(in[1]);
		close(out[0]), close(errp[0]);
		return cc_error_set_errno(err, r, "run `%s`", argv[0]);
	}
	if (in[1] >= 0)
		fcntl(in[1], F_SETFL, O_NONBLOCK);
	size_t max = o->max_output ? o->max_output : 1u << 20;
	struct capture cap[2] = { { .fd = out[0], .max = max }, { .fd = errp[0], .max = max } };
	int status = 0;
	bool reaped = pump(pid, o, in[1], cap, ret, &status);
	for (int i = 0; i < 2; i++)
		if (cap[i].fd >= 0)
			close(cap[i].fd);
	while (!reaped && waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR) {
			free(cap[0].data), free(cap[1].data);
			return cc_error_set_errno(err, errno, "wait for `%s`", argv[0]);
		}
	}
	ret->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	ret->out = cap[0].data ? cap[0].data : cc_xstrdup("");
	ret->out[cap[0].len] = '\0';
	ret->out_len = cap[0].len;
	ret->err = cap[1].data ? cap[1].data : cc_xstrdup("");
	ret->err[cap[1].len] = '\0';
	ret->err_len = cap[1].len;
	return 0;
}

const char *cc_process_message(const struct cc_process_result *r)
{
	const char *text = r->err && r->err_len ? r->err : r->out;
	if (!text)
		return "";
	char *t = (char *)text;
	size_t len = strlen(t);
	while (len && (t[len - 1] == '\n' || t[len - 1] == ' ' || t[len - 1] == '\r'))
		t[--len] = '\0';
	const char *nl = strrchr(t, '\n');
	return nl ? nl + 1 : t;
}
