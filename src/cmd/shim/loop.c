/* The monitor's event loop (see monitor.h): reading the container's output, reaping children, and
 * running one runtime command at a time while the output keeps flowing.
 *
 * Reaping: the monitor is a child subreaper, so the container's init becomes its child when the
 * runtime's `create` exits, and so does every process of the container that is orphaned. Until the
 * init's pid is known (read from create's pid file) only the runtime command is waited for by pid,
 * so the init's status cannot be collected before the monitor knows whose it is; afterwards every
 * child is reaped with waitpid(-1), and only the init's status is kept. */
#include "cmd/shim/monitor.h"
#include "cmd/shim/shim.h"
#include "cmd/shim/spawn.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long a runtime command's output pipe is read after the command exited: a hook it ran may have
 * left a process behind that holds it. */
#define HELPER_EOF_GRACE_MS 1000

static void emit_to_log(void *ctx, enum shim_stream stream, bool partial, const char *head, size_t head_len,
			const char *tail, size_t tail_len)
{
	struct shim_monitor *m = ctx;
	shim_log_write_line(&m->log, cc_time_now_ns(), stream, partial, head, head_len, tail, tail_len);
}

static void close_output(struct shim_output *o)
{
	if (o->read_fd >= 0)
		close(o->read_fd);
	o->read_fd = -1;
}

/* Reads once from one of the container's pipes; false at end of file or when nothing was there. */
static bool read_output(struct shim_monitor *m, struct shim_output *o)
{
	char buf[64 << 10];
	size_t room = sizeof(buf);
	if (!m->logging) {
		if (o->held.len >= SHIM_HELD_MAX)
			return false;
		if (room > SHIM_HELD_MAX - o->held.len)
			room = SHIM_HELD_MAX - o->held.len;
	}
	ssize_t n = read(o->read_fd, buf, room);
	if (n < 0) {
		if (errno == EAGAIN || errno == EINTR)
			return false;
		cc_warning("read the container's %s: %s", shim_stream_name(o->splitter.stream), strerror(errno));
		close_output(o);
		return false;
	}
	if (n == 0) {
		close_output(o);
		return false;
	}
	if (m->logging)
		shim_cri_feed(&o->splitter, buf, (size_t)n, emit_to_log, m);
	else if (cc_buf_append(&o->held, buf, (size_t)n) < 0)
		cc_err("internal: held output of the container over its limit");
	return true;
}

void shim_monitor_read_available(struct shim_monitor *m)
{
	for (int s = 0; s < SHIM_STREAM_MAX; s++)
		while (m->outputs[s].read_fd >= 0 && read_output(m, &m->outputs[s]))
			;
}

void shim_monitor_start_logging(struct shim_monitor *m)
{
	m->logging = true;
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		struct shim_output *o = &m->outputs[s];
		if (o->held.len)
			shim_cri_feed(&o->splitter, o->held.data, o->held.len, emit_to_log, m);
		cc_buf_free(&o->held);
	}
}

void shim_monitor_close_outputs(struct shim_monitor *m)
{
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		struct shim_output *o = &m->outputs[s];
		if (m->logging)
			shim_cri_flush(&o->splitter, emit_to_log, m);
		close_output(o);
	}
}

static void read_helper(struct shim_helper *h)
{
	char buf[4096];
	ssize_t n = read(h->fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		close(h->fd);
		h->fd = -1;
		return;
	}
	size_t keep = (size_t)n;
	if (h->output.len + keep > SHIM_HELPER_OUTPUT_MAX)
		keep = SHIM_HELPER_OUTPUT_MAX - h->output.len;
	cc_buf_append(&h->output, buf, keep);
}

static void record_exit(struct shim_monitor *m, pid_t pid, int status)
{
	if (pid == m->init_pid && m->init_pid > 0) {
		m->init_exited = true;
		m->init_status = status;
		m->finished_ns = cc_time_now_ns();
		cc_info("container init %d exited (%s %d)", (int)pid, WIFSIGNALED(status) ? "signal" : "status",
			WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	}
	if (pid == m->helper.pid && m->helper.pid > 0) {
		m->helper.exited = true;
		m->helper.status = status;
	}
}

void shim_monitor_reap(struct shim_monitor *m)
{
	int status;
	if (m->init_pid <= 0) {
		if (m->helper.pid > 0 && !m->helper.exited && waitpid(m->helper.pid, &status, WNOHANG) == m->helper.pid)
			record_exit(m, m->helper.pid, status);
		return;
	}
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0)
		record_exit(m, pid, status);
}

static void take_signals(struct shim_monitor *m)
{
	struct signalfd_siginfo info;
	while (read(m->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info)) {
		if (info.ssi_signo == SIGTERM)
			cc_info("SIGTERM from pid %u ignored: the monitor ends when the container does (stop it with "
				"`kill` through the runtime)",
				info.ssi_pid);
	}
	/* SIGCHLD coalesces: look at every child whatever the signals said. */
	shim_monitor_reap(m);
}

void shim_monitor_poll(struct shim_monitor *m, int timeout_ms)
{
	struct pollfd pfd[SHIM_STREAM_MAX + 3];
	struct shim_output *owner[SHIM_STREAM_MAX + 3] = { 0 };
	nfds_t n = 0;
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		struct shim_output *o = &m->outputs[s];
		if (o->read_fd < 0 || (!m->logging && o->held.len >= SHIM_HELD_MAX))
			continue;
		owner[n] = o;
		pfd[n++] = (struct pollfd){ .fd = o->read_fd, .events = POLLIN };
	}
	nfds_t helper_index = n;
	if (m->helper.fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = m->helper.fd, .events = POLLIN };
	nfds_t signal_index = n;
	pfd[n++] = (struct pollfd){ .fd = m->signal_fd, .events = POLLIN };
	nfds_t stdin_index = n;
	if (m->in.watch_fd >= 0)
		pfd[n++] = (struct pollfd){ .fd = m->in.watch_fd, .events = POLLIN };
	if (poll(pfd, n, timeout_ms) < 0) {
		if (errno != EINTR)
			cc_err("poll: %s", strerror(errno));
		return;
	}
	for (nfds_t i = 0; i < n; i++) {
		if (!pfd[i].revents)
			continue;
		if (owner[i])
			read_output(m, owner[i]);
		else if (i == helper_index && m->helper.fd >= 0)
			read_helper(&m->helper);
		else if (i == signal_index)
			take_signals(m);
		else if (i == stdin_index && m->in.watch_fd >= 0)
			shim_stdin_attached(&m->in);
	}
}

/* The helper's stdout and stderr: a pipe of its own, or the container's. */
static int helper_stdio(struct shim_monitor *m, bool container_stdio, int *ret_out, int *ret_err, int *ret_write_end,
			struct cc_error *err)
{
	*ret_write_end = -1;
	if (container_stdio) {
		*ret_out = m->outputs[SHIM_STDOUT].write_fd;
		*ret_err = m->outputs[SHIM_STDERR].write_fd;
		return 0;
	}
	int p[2];
	if (pipe2(p, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "create a pipe for the runtime's output");
	fcntl(p[0], F_SETFL, O_NONBLOCK);
	m->helper.fd = p[0];
	*ret_out = *ret_err = *ret_write_end = p[1];
	return 0;
}

static void wait_helper(struct shim_monitor *m)
{
	while (!m->helper.exited)
		shim_monitor_poll(m, -1);
	int64_t deadline = cc_time_monotonic_ms() + HELPER_EOF_GRACE_MS;
	while (m->helper.fd >= 0) {
		int64_t left = deadline - cc_time_monotonic_ms();
		if (left <= 0) {
			cc_warning("the output of `%s` is still open %d ms after it exited: stopped reading it",
				   m->cfg->runtime, HELPER_EOF_GRACE_MS);
			close(m->helper.fd);
			m->helper.fd = -1;
			break;
		}
		shim_monitor_poll(m, (int)left);
	}
}

int shim_monitor_run_runtime(struct shim_monitor *m, const char *const *command, bool container_stdio, int *ret_status,
			     char **ret_output, struct cc_error *err)
{
	m->helper = (struct shim_helper){ .fd = -1 };
	int out_fd = -1, err_fd = -1, write_end = -1;
	int r = helper_stdio(m, container_stdio, &out_fd, &err_fd, &write_end, err);
	if (r < 0)
		return r;
	char **argv = shim_runtime_argv(m->cfg, m->shim_log_path, command);
	pid_t pid;
	r = shim_spawn(argv, container_stdio ? m->in.read_fd : -1, out_fd, err_fd, &pid, err);
	shim_argv_free(argv);
	if (write_end >= 0)
		close(write_end);
	if (r < 0) {
		if (m->helper.fd >= 0)
			close(m->helper.fd);
		m->helper.fd = -1;
		return r;
	}
	m->helper.pid = pid;
	wait_helper(m);
	*ret_status = m->helper.status;
	if (ret_output)
		*ret_output = cc_buf_steal(&m->helper.output, NULL);
	cc_buf_free(&m->helper.output);
	m->helper = (struct shim_helper){ .fd = -1 };
	return 0;
}
