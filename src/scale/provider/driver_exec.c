/* The `exec:SCRIPT` driver: each provisioning step runs the operator's script once,
 *
 *   SCRIPT create BLOCK NODES   make NODES nodes for BLOCK; exit 0 when all exist
 *   SCRIPT delete BLOCK         remove every node of BLOCK; exit 0 when none is left
 *   SCRIPT list                 every node the script manages
 *
 * create and list print {"nodes":[{"name","providerID","block","status"}]} on stdout (create the
 * nodes it made, also when it fails half-way, if it can). Any other exit status fails the step,
 * and the last line of stderr says why. The script is started with execve and its arguments as
 * they are (no shell sees a block id, and the ids are DNS labels anyway), in a process group of
 * its own with stdin on /dev/null; when a step outlives the timeout the whole group is killed
 * (SIGKILL), so a `sleep` or a cloud CLI the script started goes too, and the step has failed.
 *
 * lib/base/process.h's runner kills only the child it started, hence this one. */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/process.h"
#include "lib/base/timeutil.h"
#include "scale/provider/driver.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define OUTPUT_MAX (4u * 1024 * 1024)
/* After the script exits, how long output a child of it still writes is awaited. */
#define DRAIN_MS 200

struct exec_driver {
	char *script;
	int timeout_ms;
};

struct exec_outcome {
	int status; /* exit code, or 128+signal */
	bool timed_out;
	char *out, *err;
	size_t out_len, err_len;
};

static void outcome_clear(struct exec_outcome *o)
{
	free(o->out);
	free(o->err);
	memset(o, 0, sizeof(*o));
}

struct pipe_reader {
	int fd;
	char *data;
	size_t len;
};

static void reader_read(struct pipe_reader *p)
{
	char buf[16384];
	ssize_t n = read(p->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return;
	if (n <= 0) {
		close(p->fd);
		p->fd = -1;
		return;
	}
	size_t keep = p->len + (size_t)n > OUTPUT_MAX ? OUTPUT_MAX - p->len : (size_t)n;
	p->data = cc_xrealloc(p->data, p->len + keep + 1);
	memcpy(p->data + p->len, buf, keep);
	p->len += keep;
	p->data[p->len] = '\0';
}

static int spawn_in_own_group(const char *const *argv, int out_fd, int err_fd, pid_t *ret_pid)
{
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, out_fd, STDOUT_FILENO);
	posix_spawn_file_actions_adddup2(&fa, err_fd, STDERR_FILENO);
	posix_spawnattr_t attr;
	cc_process_spawnattr_init(&attr, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&attr, 0); /* a new group led by the script: kill(-pid) reaches all of it */
	int r = posix_spawn(ret_pid, argv[0], &fa, &attr, (char *const *)argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	return r;
}

/* Reads both pipes until the script has exited and its output ended (or went quiet for DRAIN_MS),
 * or until the deadline, when the group is killed. */
static void pump(pid_t pid, int timeout_ms, struct pipe_reader rd[2], struct exec_outcome *out)
{
	int64_t deadline = cc_time_monotonic_ms() + timeout_ms;
	bool exited = false;
	int status = 0;
	while (rd[0].fd >= 0 || rd[1].fd >= 0 || !exited) {
		if (!exited && waitpid(pid, &status, WNOHANG) == pid)
			exited = true;
		int64_t left = deadline - cc_time_monotonic_ms();
		if (left <= 0) {
			out->timed_out = true;
			kill(-pid, SIGKILL);
			break;
		}
		struct pollfd p[2] = { { .fd = rd[0].fd, .events = POLLIN }, { .fd = rd[1].fd, .events = POLLIN } };
		int wait_ms = exited ? (int)(left < DRAIN_MS ? left : DRAIN_MS) : (int)(left < 50 ? left : 50);
		int n = poll(p, 2, wait_ms);
		if (n < 0 && errno != EINTR)
			break;
		if (n == 0 && exited)
			break; /* the script is gone; whoever keeps its pipes open is not its answer */
		for (int i = 0; i < 2; i++)
			if (rd[i].fd >= 0 && (p[i].revents & (POLLIN | POLLHUP | POLLERR)))
				reader_read(&rd[i]);
	}
	if (!exited)
		while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
			;
	out->status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int run_script(const struct exec_driver *d, const char *const *argv, struct exec_outcome *out,
		      struct cc_error *err)
{
	memset(out, 0, sizeof(*out));
	int outp[2], errp[2];
	if (pipe2(outp, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "run driver script `%s`: pipe", d->script);
	if (pipe2(errp, O_CLOEXEC) < 0) {
		int e = errno;
		close(outp[0]), close(outp[1]);
		return cc_error_set_errno(err, e, "run driver script `%s`: pipe", d->script);
	}
	pid_t pid;
	int r = spawn_in_own_group(argv, outp[1], errp[1], &pid);
	close(outp[1]);
	close(errp[1]);
	if (r != 0) {
		close(outp[0]), close(errp[0]);
		return cc_error_set_errno(err, r, "run driver script `%s`", d->script);
	}
	struct pipe_reader rd[2] = { { .fd = outp[0] }, { .fd = errp[0] } };
	pump(pid, d->timeout_ms, rd, out);
	for (int i = 0; i < 2; i++)
		if (rd[i].fd >= 0)
			close(rd[i].fd);
	out->out = rd[0].data ? rd[0].data : cc_xstrdup("");
	out->out_len = rd[0].len;
	out->err = rd[1].data ? rd[1].data : cc_xstrdup("");
	out->err_len = rd[1].len;
	return 0;
}

/* The last non-empty line of stderr, for messages. */
static const char *last_line(char *text)
{
	size_t len = strlen(text);
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
	const char *nl = strrchr(text, '\n');
	return nl ? nl + 1 : text;
}

/* 0 when the step ran and exited 0; -ETIMEDOUT or -EIO with the reason otherwise. */
static int step_result(const struct exec_driver *d, const char *step, struct exec_outcome *o, struct cc_error *err)
{
	if (o->timed_out)
		return cc_error_set(err, ETIMEDOUT,
				    "driver script `%s %s` did not finish within %d s: its process group was killed",
				    d->script, step, d->timeout_ms / 1000);
	if (o->status != 0) {
		const char *why = last_line(o->err);
		return cc_error_set(err, EIO, "driver script `%s %s` exited with status %d%s%s", d->script, step,
				    o->status, *why ? ": " : "", why);
	}
	return 0;
}

static int exec_open(const char *arg, const struct scale_driver_options *opts, void **ret_impl, struct cc_error *err)
{
	if (arg[0] != '/')
		return cc_error_set(err, EINVAL, "driver script `%s` must be an absolute path", arg);
	if (access(arg, X_OK) < 0)
		return cc_error_set_errno(err, errno, "driver script `%s` cannot be executed", arg);
	struct exec_driver *d = cc_xcalloc(1, sizeof(*d));
	d->script = cc_xstrdup(arg);
	d->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 600 * 1000;
	*ret_impl = d;
	return 0;
}

static int exec_create(void *impl, const char *block, int nodes, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct exec_driver *d = impl;
	char count[16];
	snprintf(count, sizeof(count), "%d", nodes);
	const char *argv[] = { d->script, "create", block, count, NULL };
	struct exec_outcome o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *step = cc_xasprintf("create %s %s", block, count);
	r = step_result(d, step, &o, err);
	/* What the script says it made counts even when it failed: the caller reports it. A failed
	 * step's output may be partial or absent, so a parse error then only loses that detail. */
	struct cc_error parse_err = { 0 };
	int pr = o.out_len ? scale_driver_nodes_parse(o.out, o.out_len, "the driver's create output", ret, &parse_err)
			   : -ENODATA;
	if (r == 0 && pr < 0) {
		r = pr == -ENODATA
			? cc_error_set(err, EIO, "driver script `%s %s` printed no node list", d->script, step)
			: cc_error_set(err, EIO, "%s", cc_error_message(&parse_err));
	}
	outcome_clear(&o);
	return r;
}

static int exec_remove(void *impl, const char *block, struct cc_error *err)
{
	struct exec_driver *d = impl;
	const char *argv[] = { d->script, "delete", block, NULL };
	struct exec_outcome o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *step = cc_xasprintf("delete %s", block);
	r = step_result(d, step, &o, err);
	outcome_clear(&o);
	return r;
}

static int exec_list(void *impl, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct exec_driver *d = impl;
	const char *argv[] = { d->script, "list", NULL };
	struct exec_outcome o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	r = step_result(d, "list", &o, err);
	if (r == 0 && scale_driver_nodes_parse(o.out, o.out_len, "the driver's list output", ret, err) < 0)
		r = -EIO;
	outcome_clear(&o);
	return r;
}

static void exec_close(void *impl)
{
	struct exec_driver *d = impl;
	free(d->script);
	free(d);
}

const struct scale_driver_ops scale_driver_exec = {
	.kind = "exec",
	.open = exec_open,
	.create = exec_create,
	.remove = exec_remove,
	.list = exec_list,
	.close = exec_close,
};
