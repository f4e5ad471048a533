/* The monitor: the detached process that runs one container through the OCI runtime and stays with
 * it until its init has exited. Its phases, top to bottom:
 *
 *   set up      descriptors (stdin/stdout /dev/null, stderr FILE.shim.log, nothing else inherited),
 *               signals (SIGHUP, SIGPIPE ignored; SIGCHLD, SIGTERM on a signalfd), child subreaper,
 *               the container's stdout and stderr pipes, the log file
 *   create      `RUNTIME create` with the pipes as its stdout and stderr, which it hands to the
 *               container; the init's pid from its pid file
 *   start       `RUNTIME start` with a pipe of its own (its words must not enter the container's
 *               log); then the shim pid file and the report `pid=N` to the foreground process
 *   watch       CRI lines into the log until the init has exited, then until both pipes are at end
 *               of file or SHIM_DRAIN_MS have passed (a process the container left may hold them)
 *   finish      the unfinished lines, the exit file, `RUNTIME delete --force`, the last children
 *
 * When create or start fails, the container is deleted, the files this run made are removed, and
 * only then is the error reported, so the foreground process exits with nothing left behind. */
#include "cmd/shim/monitor.h"

#include "cmd/shim/exit_file.h"
#include "cmd/shim/report.h"
#include "cmd/shim/shim.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

/* How long the pipes are read after the init exited. */
#define SHIM_DRAIN_MS 2000

/* Keeps 0, 1, 2 and the report pipe, moved to 3; closes whatever else the caller left open. */
static int close_inherited_fds(int *report_fd)
{
	if (*report_fd != 3) {
		if (dup3(*report_fd, 3, O_CLOEXEC) < 0)
			return -errno;
		close(*report_fd);
		*report_fd = 3;
	}
	if (close_range(4, ~0U, 0) < 0) {
		long max = sysconf(_SC_OPEN_MAX);
		for (int fd = 4; fd < (max > 0 ? max : 65536); fd++)
			close(fd);
	}
	return 0;
}

static int open_created(const char *path, bool *ret_created)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_APPEND | O_CLOEXEC | O_NOCTTY, 0600);
	*ret_created = fd >= 0;
	if (fd < 0 && errno == EEXIST)
		fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY);
	return fd < 0 ? -errno : fd;
}

/* stdin and stdout on /dev/null, stderr on FILE.shim.log, and the working directory "/" (the
 * monitor must not keep a directory of its caller busy). */
static int set_up_stdio(struct shim_monitor *m, struct cc_error *err)
{
	_cleanup_close_ int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	if (null_fd < 0)
		return cc_error_set_errno(err, errno, "open /dev/null");
	int fd = open_created(m->shim_log_path, &m->shim_log_created);
	if (fd < 0)
		return cc_error_set_errno(err, -fd, "open the monitor's log `%s`", m->shim_log_path);
	_cleanup_close_ int log_fd = fd;
	if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(log_fd, 2) < 0)
		return cc_error_set_errno(err, errno, "set up the monitor's standard descriptors");
	if (chdir("/") < 0)
		return cc_error_set_errno(err, errno, "chdir /");
	cc_log_setup("cocoon-shim", CC_LOG_INFO, CC_LOG_TEXT, NULL);
	return 0;
}

/* SIGCHLD and SIGTERM are taken through a signalfd; SIGHUP (the caller's session may end) and
 * SIGPIPE (a reader of ours went away) are ignored. spawn.c gives the runtime default signals. */
static int set_up_signals(struct shim_monitor *m, struct cc_error *err)
{
	signal(SIGHUP, SIG_IGN);
	signal(SIGPIPE, SIG_IGN);
	signal(SIGCHLD, SIG_DFL); /* a caller that ignored it would make the kernel reap our children */
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	if (sigprocmask(SIG_BLOCK, &set, NULL) < 0)
		return cc_error_set_errno(err, errno, "block SIGCHLD and SIGTERM");
	m->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
	if (m->signal_fd < 0)
		return cc_error_set_errno(err, errno, "signalfd");
	/* The container's init is the runtime's child; when the runtime exits it becomes ours. */
	if (prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) < 0)
		return cc_error_set_errno(err, errno, "become a child subreaper");
	return 0;
}

static int make_output_pipes(struct shim_monitor *m, struct cc_error *err)
{
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		int p[2];
		if (pipe2(p, O_CLOEXEC) < 0)
			return cc_error_set_errno(err, errno, "create the container's %s pipe",
						  shim_stream_name((enum shim_stream)s));
		/* Only the monitor's end is non-blocking: the two ends are separate open files. */
		fcntl(p[0], F_SETFL, O_NONBLOCK);
		m->outputs[s].read_fd = p[0];
		m->outputs[s].write_fd = p[1];
	}
	return 0;
}

static int set_up(struct shim_monitor *m, int *report_fd, struct cc_error *err)
{
	int r = close_inherited_fds(report_fd);
	if (r < 0)
		return cc_error_set_errno(err, -r, "move the report pipe to descriptor 3");
	if ((r = set_up_stdio(m, err)) < 0 || (r = set_up_signals(m, err)) < 0 || (r = make_output_pipes(m, err)) < 0)
		return r;
	if (m->cfg->stdin_fifo && (r = shim_stdin_open(&m->in, m->cfg->stdin_fifo, m->cfg->stdin_once, err)) < 0)
		return r;
	return shim_log_open(&m->log, m->cfg->log_path, m->cfg->log_max_bytes, m->cfg->log_max_files, &m->log_created,
			     err);
}

/* Trailing white space off, for a message. */
static void trim(char *text)
{
	size_t len = strlen(text);
	while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		text[--len] = '\0';
}

static int runtime_failed(struct shim_monitor *m, const char *command, int status, char *output, struct cc_error *err)
{
	trim(output);
	char how[48];
	if (WIFSIGNALED(status))
		snprintf(how, sizeof(how), "killed by signal %d", WTERMSIG(status));
	else
		snprintf(how, sizeof(how), "exit status %d", WEXITSTATUS(status));
	return cc_error_set(err, EIO, "`%s %s` failed (%s)%s%s", m->cfg->runtime, command, how, *output ? ": " : "",
			    output);
}

static int read_init_pid(struct shim_monitor *m, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	int r = cc_read_file(m->init_pid_path, 64, &text, NULL, err);
	if (r < 0)
		return cc_error_prefix(err, "the runtime's pid file of container `%s`", m->cfg->id);
	unlink(m->init_pid_path);
	char *end;
	long pid = strtol(text, &end, 10);
	if (pid <= 0 || pid > 0x3fffffff || (*end && *end != '\n'))
		return cc_error_set(err, EINVAL, "the runtime's pid file `%s` holds `%.20s`, not a pid",
				    m->init_pid_path, text);
	m->init_pid = (pid_t)pid;
	return 0;
}

/* The runtime's words on a failed create are in the container's pipes: it hands them its own
 * stdout and stderr. */
static char *create_output(struct shim_monitor *m)
{
	struct cc_buf *out = &m->outputs[SHIM_STDOUT].held, *errs = &m->outputs[SHIM_STDERR].held;
	return cc_xasprintf("%.*s%s%.*s", (int)errs->len, errs->data ? errs->data : "",
			    errs->len && out->len ? "\n" : "", (int)out->len, out->data ? out->data : "");
}

static int create_container(struct shim_monitor *m, struct cc_error *err)
{
	const struct shim_config *cfg = m->cfg;
	unlink(m->init_pid_path);
	const char *command[] = { "create", "--bundle", cfg->bundle, "--pid-file", m->init_pid_path, cfg->id, NULL };
	int status;
	int r = shim_monitor_run_runtime(m, command, true, &status, NULL, err);
	/* The container holds its ends now (or nobody does): EOF reaches us when its last writer exits. */
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		close(m->outputs[s].write_fd);
		m->outputs[s].write_fd = -1;
	}
	shim_stdin_handed_over(&m->in);
	if (r < 0)
		return r;
	shim_monitor_read_available(m);
	if (status != 0) {
		_cleanup_free_ char *output = create_output(m);
		return runtime_failed(m, "create", status, output, err);
	}
	if ((r = read_init_pid(m, err)) < 0)
		return r;
	/* An init that died already sent its SIGCHLD while only the runtime was looked for. */
	shim_monitor_reap(m);
	shim_oom_watch(&m->oom, m->init_pid);
	cc_info("container `%s` created, init pid %d", cfg->id, (int)m->init_pid);
	return 0;
}

static int write_shim_pid_file(struct shim_monitor *m, struct cc_error *err)
{
	if (!m->cfg->shim_pid_file)
		return 0;
	char text[32];
	int len = snprintf(text, sizeof(text), "%d\n", (int)getpid());
	return cc_write_file_atomic(m->cfg->shim_pid_file, text, (size_t)len, 0600, err);
}

static int start_container(struct shim_monitor *m, struct cc_error *err)
{
	const char *command[] = { "start", m->cfg->id, NULL };
	int status;
	_cleanup_free_ char *output = NULL;
	m->started_ns = cc_time_now_ns(); /* before the init may run: never after finishedAt */
	int r = shim_monitor_run_runtime(m, command, false, &status, &output, err);
	if (r < 0)
		return r;
	if (status != 0)
		return runtime_failed(m, "start", status, output, err);
	if (*output) {
		trim(output);
		cc_info("`%s start`: %s", m->cfg->runtime, output);
	}
	if ((r = write_shim_pid_file(m, err)) < 0)
		return r;
	shim_monitor_start_logging(m);
	cc_info("container `%s` started", m->cfg->id);
	return 0;
}

/* `RUNTIME delete --force`; a failure is only logged (the monitor has nobody else to tell). */
static void delete_container(struct shim_monitor *m)
{
	const char *command[] = { "delete", "--force", m->cfg->id, NULL };
	int status;
	_cleanup_free_ char *output = NULL;
	struct cc_error err = { 0 };
	if (shim_monitor_run_runtime(m, command, false, &status, &output, &err) < 0)
		cc_err("%s", cc_error_message(&err));
	else if (status != 0 && runtime_failed(m, "delete --force", status, output, &err) < 0)
		cc_err("%s", cc_error_message(&err));
}

/* Reaps what has exited; what still runs is reparented to the next subreaper or init when the
 * monitor exits, so no zombie is left either way. */
static void reap_all(void)
{
	int status;
	while (waitpid(-1, &status, WNOHANG) > 0)
		;
}

/* may_exist: create was run, so a container (or half of one) may exist. */
static void abort_container(struct shim_monitor *m, bool may_exist)
{
	if (may_exist) {
		delete_container(m);
		reap_all();
	}
	unlink(m->init_pid_path);
	if (m->log_created)
		unlink(m->cfg->log_path);
	if (m->shim_log_created)
		unlink(m->shim_log_path);
}

static void watch_container(struct shim_monitor *m)
{
	while (!m->init_exited)
		shim_monitor_poll(m, -1);
	int64_t deadline = cc_time_monotonic_ms() + SHIM_DRAIN_MS;
	for (;;) {
		bool open = m->outputs[SHIM_STDOUT].read_fd >= 0 || m->outputs[SHIM_STDERR].read_fd >= 0;
		int64_t left = deadline - cc_time_monotonic_ms();
		if (!open)
			break;
		if (left <= 0) {
			cc_warning("the container's output is still open %d ms after its init exited (a process it "
				   "left holds it): stopped reading",
				   SHIM_DRAIN_MS);
			break;
		}
		shim_monitor_poll(m, (int)left);
	}
}

static int finish(struct shim_monitor *m)
{
	shim_monitor_close_outputs(m);
	if (m->log.dropped)
		cc_warning("%llu bytes of the container's output were lost at the end (the log could not be written)",
			   (unsigned long long)m->log.dropped);
	struct shim_exit e = {
		.wait_status = m->init_status,
		.oom_killed = shim_oom_killed(&m->oom),
		.started_ns = m->started_ns,
		.finished_ns = m->finished_ns,
		.pid = m->init_pid,
	};
	struct cc_error err = { 0 };
	int r = shim_exit_file_write(m->cfg->exit_file, &e, &err);
	if (r < 0)
		cc_err("%s", cc_error_message(&err));
	else
		cc_info("container `%s` exited: exit code %d, %s", m->cfg->id, shim_exit_code(e.wait_status),
			shim_exit_reason(&e));
	delete_container(m);
	reap_all();
	return r < 0 ? 1 : 0;
}

static void monitor_free(struct shim_monitor *m)
{
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		struct shim_output *o = &m->outputs[s];
		if (o->read_fd >= 0)
			close(o->read_fd);
		if (o->write_fd >= 0)
			close(o->write_fd);
		cc_buf_free(&o->held);
	}
	if (m->signal_fd >= 0)
		close(m->signal_fd);
	shim_log_close(&m->log);
	shim_oom_close(&m->oom);
	shim_stdin_close(&m->in);
	free(m->shim_log_path);
	free(m->init_pid_path);
}

int shim_monitor_main(const struct shim_config *cfg, int report_fd)
{
	struct shim_monitor m = {
		.cfg = cfg,
		.shim_log_path = cc_xasprintf("%s.shim.log", cfg->log_path),
		.init_pid_path = cc_xasprintf("%s.init.pid", cfg->exit_file),
		.signal_fd = -1,
		.log = { .fd = -1 },
		.oom = { .fd = -1 },
		.helper = { .fd = -1 },
		.in = { .read_fd = -1, .hold_fd = -1, .watch_fd = -1 },
	};
	for (int s = 0; s < SHIM_STREAM_MAX; s++) {
		m.outputs[s] = (struct shim_output){ .read_fd = -1, .write_fd = -1 };
		shim_cri_splitter_init(&m.outputs[s].splitter, (enum shim_stream)s);
	}
	struct cc_error err = { 0 };
	int r = set_up(&m, &report_fd, &err);
	bool may_exist = r == 0; /* from here on, a failure may leave a (half-)created container */
	if (r == 0 && (r = create_container(&m, &err)) == 0)
		r = start_container(&m, &err);
	if (r < 0) {
		if (may_exist) /* else stderr may still be the caller's, which prints the report */
			cc_err("%s", cc_error_message(&err));
		abort_container(&m, may_exist);
		shim_report_error(report_fd, cc_error_message(&err));
		monitor_free(&m);
		return 1;
	}
	shim_report_started(report_fd, m.init_pid);
	close(report_fd);
	watch_container(&m);
	int code = finish(&m);
	monitor_free(&m);
	return code;
}
