/* kubectl exec sessions (see exec.h): the request side. Three threads touch a session:
 *
 *   - the HTTP worker that runs platform_exec_serve: checks the request, upgrades, spawns the runtime,
 *     and hands the session to the exec loop (a posted task);
 *   - the server's loop thread, through the WebSocket callbacks: on_message files stdin bytes, resize
 *     requests and v5 CLOSE under the session's lock, on_drain and on_close set flags; each posts one
 *     task to the exec loop (coalesced while it waits);
 *   - the exec loop's thread (started here): owns the descriptors and everything else of a session
 *     (exec_session.c). */
#include "platform/exec.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/process.h"
#include "lib/net/http.h"
#include "lib/net/k8s_channel.h"
#include "lib/net/loop.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_session.h"
#include "platform/exec_session.h"
#include "platform/resources.h"
#include "platform/status.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define TICK_MS      200
#define MAX_MESSAGE  (1u << 20) /* a client's message: stdin chunks are 32 KiB */
#define STOP_WAIT_MS 5000

/* ---- options ---- */

/* Kubernetes' query conversion (runtime.Convert_Slice_string_To_bool): present and not 0/f/false. */
static bool query_bool(const struct cc_http_request *req, const char *name)
{
	_cleanup_free_ char *v = cc_http_request_query(req, name);
	return v && strcmp(v, "0") != 0 && strcasecmp(v, "f") != 0 && strcasecmp(v, "false") != 0;
}

/* container, stdin, stdout, stderr and tty, as exec and attach both take them. */
static int parse_streams(const struct cc_http_request *req, struct platform_exec_options *o, struct cc_error *err)
{
	o->container = cc_http_request_query(req, "container");
	o->stdin = query_bool(req, "stdin");
	o->stdout = query_bool(req, "stdout");
	o->stderr = query_bool(req, "stderr");
	o->tty = query_bool(req, "tty");
	if (o->tty)
		o->stderr = false; /* kubelet: stderr shares the terminal */
	if (!o->stdin && !o->stdout && !o->stderr)
		return cc_error_set(err, EINVAL, "you must specify at least 1 of stdin, stdout, stderr");
	return 0;
}

int platform_exec_options_parse(const struct cc_http_request *req, struct platform_exec_options *ret,
				struct cc_error *err)
{
	struct platform_exec_options o = { 0 };
	int n = cc_http_request_query_all(req, "command", &o.command);
	if (n < 0)
		return cc_error_set(err, EINVAL, "malformed command parameter (a bad percent escape)");
	if (n == 0) {
		platform_exec_options_clear(&o);
		return cc_error_set(err, EINVAL, "you must specify at least one command for the container");
	}
	if (parse_streams(req, &o, err) < 0) {
		platform_exec_options_clear(&o);
		return -EINVAL;
	}
	*ret = o;
	return 0;
}

int platform_attach_options_parse(const struct cc_http_request *req, struct platform_exec_options *ret,
				  struct cc_error *err)
{
	struct platform_exec_options o = { 0 };
	if (parse_streams(req, &o, err) < 0) {
		platform_exec_options_clear(&o);
		return -EINVAL;
	}
	if (o.tty) {
		platform_exec_options_clear(&o);
		return cc_error_set(err, EINVAL,
				    "Unable to use a TTY: the container was not started with tty: true "
				    "(cocoond refuses terminals for containers)");
	}
	*ret = o;
	return 0;
}

void platform_exec_options_clear(struct platform_exec_options *o)
{
	cc_http_query_values_free(o->command);
	free(o->container);
	*o = (struct platform_exec_options){ 0 };
}

/* ---- starting ---- */

static int cloexec_pipe(int fds[2], struct cc_error *err)
{
	if (pipe2(fds, O_CLOEXEC) < 0)
		return cc_error_set_errno(err, errno, "create a pipe for the command");
	return 0;
}

static int console_socket(struct platform_exec_session *s, char *path, size_t size, struct cc_error *err)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(path, size, "%s/console.sock", s->dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 1) < 0) {
		int e = errno;
		if (fd >= 0)
			close(fd);
		return cc_error_set_errno(err, e, "create the console socket `%s`", path);
	}
	s->w[EXEC_CONSOLE].fd = fd;
	return 0;
}

/* attach: the target's program, then the streams asked for. */
static char **attach_argv(const struct platform_exec_target *t, const struct platform_exec_options *o)
{
	size_t n = 0;
	while (t->attach[n])
		n++;
	char **argv = cc_xcalloc(n + 5, sizeof(char *));
	memcpy(argv, t->attach, n * sizeof(char *));
	if (o->stdin && t->attach_stdin_fifo) {
		argv[n++] = "--stdin-fifo";
		argv[n++] = (char *)t->attach_stdin_fifo;
	}
	if (!o->stdout)
		argv[n++] = "--no-stdout";
	if (!o->stderr)
		argv[n++] = "--no-stderr";
	return argv;
}

/* RUNTIME... exec [--tty --console-socket S] --pid-file P ID COMMAND... */
static char **runtime_argv(const struct platform_exec_target *t, const struct platform_exec_options *o,
			   const char *console, const char *pid_file)
{
	if (t->attach)
		return attach_argv(t, o);
	size_t n = 0, m = 0;
	while (t->runtime[n])
		n++;
	while (o->command[m])
		m++;
	char **argv = cc_xcalloc(n + m + 8, sizeof(char *));
	size_t i = 0;
	for (size_t k = 0; k < n; k++)
		argv[i++] = (char *)t->runtime[k];
	argv[i++] = "exec";
	if (o->tty) {
		argv[i++] = "--tty";
		argv[i++] = "--console-socket";
		argv[i++] = (char *)console;
	}
	argv[i++] = "--pid-file";
	argv[i++] = (char *)pid_file;
	argv[i++] = (char *)t->container_id;
	for (size_t k = 0; k < m; k++)
		argv[i++] = o->command[k];
	return argv;
}

/* The child's descriptors 0, 1, 2: pipes for what the client asked, /dev/null for the rest; with a
 * terminal only the runtime's stderr is ours (the command gets the pty). */
static int spawn(struct platform_exec_session *s, const struct platform_exec_target *t,
		 const struct platform_exec_options *o, struct cc_error *err)
{
	char console[96] = "", pid_file[96];
	snprintf(pid_file, sizeof(pid_file), "%s/pid", s->dir);
	if (o->tty && console_socket(s, console, sizeof(console), err) < 0)
		return -EIO;
	_cleanup_free_ char **argv = runtime_argv(t, o, console, pid_file);
	int in[2] = { -1, -1 }, out[2] = { -1, -1 }, errp[2] = { -1, -1 };
	int r = 0;
	if ((!o->tty && o->stdin && (r = cloexec_pipe(in, err)) < 0) ||
	    (!o->tty && o->stdout && (r = cloexec_pipe(out, err)) < 0) || (r = cloexec_pipe(errp, err)) < 0)
		goto out;
	int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, in[0] >= 0 ? in[0] : null_fd, 0);
	posix_spawn_file_actions_adddup2(&fa, out[1] >= 0 ? out[1] : null_fd, 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	/* The child starts with every signal at its default and none blocked (our threads block some),
	 * in a session of its own (a signal for cocoond's process group is not for it). */
	posix_spawnattr_t attr;
	cc_process_spawnattr_init(&attr, POSIX_SPAWN_SETSID);
	r = posix_spawnp(&s->runtime_pid, argv[0], &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (null_fd >= 0)
		close(null_fd);
	if (r != 0) {
		r = cc_error_set_errno(err, r, "run `%s`", argv[0]);
		s->runtime_pid = 0;
		goto out;
	}
	s->w[EXEC_RUNTIME].fd = (int)syscall(SYS_pidfd_open, s->runtime_pid, 0);
	if (s->w[EXEC_RUNTIME].fd < 0) {
		r = cc_error_set_errno(err, errno, "watch the runtime (pidfd_open)");
		kill(s->runtime_pid, SIGKILL);
		waitpid(s->runtime_pid, NULL, 0);
		s->runtime_pid = 0;
		goto out;
	}
	/* Our ends, non-blocking; the child's ends close here (it has its copies). */
	s->w[EXEC_STDIN].fd = in[1], in[1] = -1;
	s->w[EXEC_STDOUT].fd = out[0], out[0] = -1;
	s->w[EXEC_STDERR].fd = errp[0], errp[0] = -1;
	for (int k = EXEC_STDIN; k <= EXEC_STDERR; k++)
		if (s->w[k].fd >= 0)
			fcntl(s->w[k].fd, F_SETFL, fcntl(s->w[k].fd, F_GETFL) | O_NONBLOCK);
out:
	for (int k = 0; k < 2; k++) {
		if (in[k] >= 0)
			close(in[k]);
		if (out[k] >= 0)
			close(out[k]);
		if (errp[k] >= 0)
			close(errp[k]);
	}
	return r;
}

/* On the exec loop: the session's descriptors join the loop. */

static const struct platform_resource *pods(void)
{
	return platform_resource_find("", "v1", "pods");
}

static bool is_spdy(const struct cc_http_request *req)
{
	const char *upgrade = cc_http_request_header(req, "upgrade");
	return upgrade && strncasecmp(upgrade, "SPDY/", 5) == 0;
}

/* The upgrade kubectl asks for: WebSocket with a channel subprotocol; false after answering. */
static bool check_upgrade(const struct platform_exec_target *t, const struct cc_http_request *req,
			  const struct cc_websocket_config *cfg, struct cc_http_response *resp)
{
	if (is_spdy(req)) {
		platform_status_error(
		    resp, 400, NULL, pods(), t->pod,
		    "SPDY is not spoken here: exec and attach need a WebSocket client speaking %s or %s "
		    "(kubectl 1.30 or later)",
		    CC_K8S_CHANNEL_V5, CC_K8S_CHANNEL_V4);
		return false;
	}
	if (!cc_http_request_is_websocket(req)) {
		platform_status_error(resp, 400, NULL, pods(), t->pod,
				      "%s needs an upgrade to WebSocket with the subprotocol %s or %s",
				      t->attach ? "attach" : "exec", CC_K8S_CHANNEL_V5, CC_K8S_CHANNEL_V4);
		return false;
	}
	struct cc_error err = { 0 };
	int status = cc_websocket_check_handshake(req, cfg, &err);
	if (status) {
		platform_status_error(resp, status, NULL, pods(), t->pod, "%s", cc_error_message(&err));
		return false;
	}
	return true;
}

/* The checks before anything starts; false after answering with a Status. */
static bool check_request(const struct platform_exec_target *t, const struct cc_http_request *req,
			  const struct cc_websocket_config *cfg, struct platform_exec_options *o,
			  struct cc_http_response *resp)
{
	struct cc_error err = { 0 };
	if ((t->attach ? platform_attach_options_parse(req, o, &err) : platform_exec_options_parse(req, o, &err)) < 0) {
		platform_status_error(resp, 400, NULL, pods(), t->pod, "%s", cc_error_message(&err));
		return false;
	}
	if (!check_upgrade(t, req, cfg, resp)) {
		platform_exec_options_clear(o);
		return false;
	}
	return true;
}

void platform_exec_serve(struct platform_exec *ex, const struct platform_exec_target *target,
			 const struct cc_http_request *req, struct cc_http_response *resp)
{
	struct cc_websocket_config cfg = {
		.subprotocols = cc_k8s_channel_protocols,
		.max_message = MAX_MESSAGE,
		.on_message = platform_exec_session_on_message,
		.on_drain = platform_exec_session_on_drain,
		.on_close = platform_exec_session_on_close,
	};
	struct platform_exec_options o;
	if (!check_request(target, req, &cfg, &o, resp))
		return;
	struct platform_exec_session *s = platform_exec_session_new(ex, &o);
	cfg.arg = s;
	s->ws = cc_http_response_upgrade_websocket(req, resp, &cfg);
	if (!s->ws) { /* checked above; a refusal here would be a bug, answered all the same */
		platform_exec_options_clear(&o);
		platform_exec_session_release(s);
		platform_exec_session_release(s);
		return;
	}
	s->v5 = strcmp(cc_websocket_subprotocol(s->ws), CC_K8S_CHANNEL_V5) == 0;
	atomic_fetch_add(&ex->count, 1);
	struct cc_error err = { 0 };
	if (snprintf(s->dir, sizeof(s->dir), "%s/session-XXXXXX", ex->state_dir) >= (int)sizeof(s->dir) ||
	    !mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		cc_error_set_errno(&err, errno, "create a directory for the session");
	} else if (spawn(s, target, &o, &err) == 0) {
		/* kubelet: an empty message on the first output channel says the streams are ready. */
		cc_k8s_channel_send(s->ws, o.stdout ? CC_K8S_STDOUT : o.stderr ? CC_K8S_STDERR : CC_K8S_ERROR, "", 0);
		platform_exec_options_clear(&o);
		cc_loop_post(ex->loop, platform_exec_session_register, s);
		return;
	}
	platform_exec_options_clear(&o);
	cc_warning("exec in %s: %s", target->container_id, cc_error_message(&err));
	_cleanup_free_ char *status = cc_k8s_channel_error_status(cc_error_message(&err));
	/* Not on the loop's list: ended here, by hand; a task the callbacks post sees it ended. */
	s->ended = true;
	if (status)
		cc_k8s_channel_send(s->ws, CC_K8S_ERROR, status, strlen(status));
	cc_websocket_close(s->ws, CC_WS_CLOSE_NORMAL, NULL);
	s->ws = NULL;
	platform_exec_session_remove_dir(s);
	atomic_fetch_sub(&ex->count, 1);
	platform_exec_session_release(s);
}

/* ---- the exec loop ---- */

static void tick(struct cc_loop *loop, void *arg)
{
	struct platform_exec *ex = arg;
	for (struct platform_exec_session *s = ex->sessions, *next; s; s = next) {
		next = s->next; /* s may end below */
		platform_exec_session_tick(s);
	}
}

int platform_exec_new(const char *state_dir, struct platform_exec **ret, struct cc_error *err)
{
	struct platform_exec *ex = cc_xcalloc(1, sizeof(*ex));
	if (strlen(state_dir) >= sizeof(ex->state_dir)) {
		free(ex);
		return cc_error_set(err, ENAMETOOLONG,
				    "the exec state directory `%s` is too long: its sessions' console sockets would "
				    "not fit a unix socket path",
				    state_dir);
	}
	int r = cc_mkdir_p(state_dir, 0700, err);
	if (r < 0) {
		free(ex);
		return r;
	}
	snprintf(ex->state_dir, sizeof(ex->state_dir), "%s", state_dir);
	r = cc_loop_new(TICK_MS, tick, ex, &ex->loop, err);
	if (r < 0) {
		free(ex);
		return r;
	}
	if (pthread_create(&ex->thread, NULL, cc_loop_thread, ex->loop) != 0) {
		cc_loop_free(ex->loop);
		free(ex);
		return cc_error_set(err, EAGAIN, "cannot start the exec sessions' thread");
	}
	*ret = ex;
	return 0;
}

static void kill_every_session(struct cc_loop *loop, void *arg)
{
	struct platform_exec *ex = arg;
	for (struct platform_exec_session *s = ex->sessions; s; s = s->next)
		platform_exec_session_kill(s);
}

void platform_exec_free(struct platform_exec *ex)
{
	if (!ex)
		return;
	atomic_store(&ex->stopping, true);
	cc_loop_post(ex->loop, kill_every_session, ex);
	/* The runtimes die and are reaped on the loop; their sessions end with them. */
	for (int waited = 0; atomic_load(&ex->count) > 0 && waited < STOP_WAIT_MS; waited += 20)
		usleep(20 * 1000);
	if (atomic_load(&ex->count) > 0)
		cc_warning("exec: %d session(s) still running at shutdown", atomic_load(&ex->count));
	cc_loop_quit(ex->loop);
	pthread_join(ex->thread, NULL);
	cc_loop_free(ex->loop);
	free(ex);
}

int platform_exec_session_count(struct platform_exec *ex)
{
	return atomic_load(&ex->count);
}
