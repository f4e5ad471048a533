/* A kubectl exec session on the exec loop (see exec.c for the threads). The loop owns a session's
 * descriptors: the command's stdin, stdout and stderr pipes (or the pty's master, which arrives on
 * the console socket), and the runtime's pidfd.
 *
 * Flow control both ways: output stops being read while the client is slow (a send refused with
 * -ENOBUFS waits for on_drain); the client's stdin stops being read (cc_websocket_pause) while more
 * than STDIN_HIGH bytes wait for the command to take them.
 *
 * Ending: the runtime exits after the command (cocoon-runtime exec waits for it and exits with its
 * status); the output pipes are read to their end (or for GRACE_MS more, when a background child
 * keeps them open), then the Status goes out on channel 3 and the WebSocket is closed (1000). Whether
 * the command started at all is told by --pid-file: without it, the runtime failed, and its stderr
 * (held back until the pid file appears, since runtime and command share that pipe) becomes an
 * InternalError. When the client goes first, the command is killed through a pidfd taken as soon as
 * the pid file appears (the runtime cannot reap it before, so the pid is not reused), and the runtime
 * with it; with a terminal, closing the pty's master hangs it up as well. */
#include "platform/exec_session.h"

#include "lib/base/cleanup.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/net/k8s_channel.h"
#include "lib/net/loop.h"
#include "lib/net/websocket.h"
#include "lib/net/websocket_session.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define OUT_CHUNK  (32u << 10)  /* what client-go reads per message */
#define STDIN_HIGH (256u << 10) /* pause the client's stdin past this much unwritten */
#define HELD_MAX   (64u << 10)  /* stderr held back until the command is known to run */
#define GRACE_MS   2000         /* after the runtime exits, for silent pipes to end */

/* ---- the session's descriptors on the exec loop ---- */

static void on_watch(struct cc_loop *loop, int fd, uint32_t events, void *data);

static void watch_set(struct platform_exec_session *s, enum platform_exec_watch_kind kind, uint32_t events)
{
	struct platform_exec_watch *w = &s->w[kind];
	if (w->fd < 0 || (w->registered && w->events == events) || (!w->registered && !events))
		return;
	if (!events) {
		/* Out of the loop while nothing is wanted: epoll reports a hang-up whatever was asked,
		 * and a pipe whose writer is gone would wake the loop for nothing until then. */
		cc_loop_remove(s->ex->loop, w->fd);
		w->registered = false;
		w->events = 0;
		return;
	}
	if (!w->registered) {
		if (cc_loop_add(s->ex->loop, w->fd, events, on_watch, w) == 0)
			w->registered = true;
	} else {
		cc_loop_modify(s->ex->loop, w->fd, events, w);
	}
	w->events = events;
}

static void watch_close(struct platform_exec_session *s, enum platform_exec_watch_kind kind)
{
	struct platform_exec_watch *w = &s->w[kind];
	if (w->fd < 0)
		return;
	if (w->registered)
		cc_loop_remove(s->ex->loop, w->fd);
	close(w->fd);
	w->fd = -1;
	w->registered = false;
	w->events = 0;
}

void platform_exec_session_release(struct platform_exec_session *s)
{
	if (atomic_fetch_sub(&s->refs, 1) != 1)
		return;
	for (int k = 0; k < EXEC_WATCH_COUNT; k++)
		if (s->w[k].fd >= 0)
			close(s->w[k].fd);
	if (s->process_pidfd >= 0)
		close(s->process_pidfd);
	cc_buf_free(&s->inbound);
	cc_buf_free(&s->stdin_buf);
	cc_buf_free(&s->held_err);
	cc_buf_free(&s->blocked);
	pthread_mutex_destroy(&s->lock);
	free(s);
}

/* The session's directory holds the console socket and the pid file (0700, root's). */
void platform_exec_session_remove_dir(struct platform_exec_session *s)
{
	if (!s->dir[0])
		return;
	char path[96];
	snprintf(path, sizeof(path), "%s/console.sock", s->dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/pid", s->dir);
	unlink(path);
	rmdir(s->dir);
	s->dir[0] = '\0';
}

/* Output channels: stdout, stderr; with a terminal, everything is stdout. */
static bool output_open(const struct platform_exec_session *s)
{
	return s->w[EXEC_STDOUT].fd >= 0 || s->w[EXEC_STDERR].fd >= 0 || s->w[EXEC_PTY].fd >= 0;
}

static void want_output(struct platform_exec_session *s, bool on)
{
	uint32_t in = on ? EPOLLIN : 0;
	watch_set(s, EXEC_STDOUT, in);
	watch_set(s, EXEC_STDERR, in);
	uint32_t pty = in | (s->stdin_buf.len ? EPOLLOUT : 0);
	watch_set(s, EXEC_PTY, pty);
}

/* ---- ending ---- */

static void end_session(struct platform_exec_session *s)
{
	if (s->ended)
		return;
	s->ended = true;
	pthread_mutex_lock(&s->lock);
	struct cc_websocket *ws = s->ws;
	s->ws = NULL; /* on_message may still run on the server's loop: it looks under the lock */
	pthread_mutex_unlock(&s->lock);
	cc_websocket_close(ws, CC_WS_CLOSE_NORMAL, NULL);
	for (int k = 0; k < EXEC_WATCH_COUNT; k++)
		watch_close(s, (enum platform_exec_watch_kind)k);
	platform_exec_session_remove_dir(s);
	if (s->prev)
		s->prev->next = s->next;
	else
		s->ex->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	atomic_fetch_sub(&s->ex->count, 1);
	platform_exec_session_release(s);
}

/* The runtime and the command it started: SIGKILL to both (the command first, by its pidfd). */
void platform_exec_session_kill(struct platform_exec_session *s)
{
	if (s->killed)
		return;
	s->killed = true;
	if (s->process_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, s->process_pidfd, SIGKILL, NULL, 0);
	if (!s->runtime_exited && s->runtime_pid > 0)
		kill(s->runtime_pid, SIGKILL); /* our child, not yet reaped: the pid is still ours */
	watch_close(s, EXEC_PTY);              /* hangs up the terminal's session */
	watch_close(s, EXEC_STDIN);
}

static void read_pid_file(struct platform_exec_session *s)
{
	if (s->started)
		return;
	char path[96], text[32] = "";
	snprintf(path, sizeof(path), "%s/pid", s->dir);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return;
	ssize_t n = read(fd, text, sizeof(text) - 1);
	close(fd);
	long pid = n > 0 ? strtol(text, NULL, 10) : 0;
	if (pid <= 0)
		return;
	s->started = true;
	s->process_pidfd = (int)syscall(SYS_pidfd_open, (pid_t)pid, 0);
	if (s->killed && s->process_pidfd >= 0)
		syscall(SYS_pidfd_send_signal, s->process_pidfd, SIGKILL, NULL, 0);
}

/* The last line of what the runtime said, for the Status of a command that never ran. */
static void runtime_failure(struct platform_exec_session *s, char *out, size_t size)
{
	char *text = s->held_err.data ? s->held_err.data : "";
	size_t len = s->held_err.len;
	while (len && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
		len--;
	size_t start = len;
	while (start && text[start - 1] != '\n')
		start--;
	/* A runtime logging to stderr prefixes a timestamp and "NAME error: " (cocoon-runtime, runc's
	 * logrus text): the sentence after them is what to show. */
	const char *line = text + start, *end = text + len;
	if (end - line > 5 && line[0] >= '0' && line[0] <= '9' && line[4] == '-') {
		const char *space = memchr(line, ' ', (size_t)(end - line));
		line = space ? space + 1 : line;
	}
	const char *level = memmem(line, (size_t)(end - line), " error: ", 8);
	if (level && memchr(line, ' ', (size_t)(level - line)) == NULL)
		line = level + 8;
	if (end > line)
		snprintf(out, size, "error executing command in container: %.*s", (int)(end - line), line);
	else
		snprintf(out, size, "error executing command in container: the runtime exited with status %d",
			 s->exit_status);
}

static bool deliver(struct platform_exec_session *s, uint8_t channel, const void *data, size_t len);

/* Once the command is known to run, the stderr held back is its own: out it goes (false when the
 * client could not take it yet). */
static bool flush_held(struct platform_exec_session *s)
{
	if ((!s->started && !s->err_passthrough) || !s->held_err.len)
		return true;
	bool sent = !s->want_stderr || deliver(s, CC_K8S_STDERR, s->held_err.data, s->held_err.len);
	cc_buf_free(&s->held_err); /* when not sent, deliver kept a copy in blocked */
	return sent;
}

/* Runs whenever something may have moved; ends the session when the command is over and its output
 * delivered, or when the client is gone and the runtime reaped. */
static void maybe_end(struct platform_exec_session *s)
{
	if (s->ended || !s->runtime_exited)
		return;
	bool gone;
	pthread_mutex_lock(&s->lock);
	gone = s->client_gone;
	pthread_mutex_unlock(&s->lock);
	if (gone) {
		end_session(s);
		return;
	}
	if (s->has_blocked)
		return; /* the client is slow: on_drain comes back here */
	if (!s->status_queued) {
		if (output_open(s) && cc_time_monotonic_ms() < s->grace_until)
			return;
		read_pid_file(s);
		if (!flush_held(s))
			return;
		_cleanup_free_ char *status = NULL;
		if (s->started) {
			status = cc_k8s_channel_exit_status(s->exit_status);
		} else {
			char why[600];
			runtime_failure(s, why, sizeof(why));
			status = cc_k8s_channel_error_status(why);
		}
		/* The last message; when the client is slow it waits in blocked like any other. */
		s->status_queued = true;
		if (status && !deliver(s, CC_K8S_ERROR, status, strlen(status)) && s->has_blocked)
			return;
	}
	end_session(s);
}

/* ---- output: the command to the client ---- */

/* false when the client could not take it now (kept in blocked; output paused until on_drain). */
static bool deliver(struct platform_exec_session *s, uint8_t channel, const void *data, size_t len)
{
	int r = cc_k8s_channel_send(s->ws, channel, data, len);
	if (r == -ENOBUFS) {
		cc_buf_reset(&s->blocked);
		cc_buf_append(&s->blocked, data, len);
		s->blocked_channel = channel;
		s->has_blocked = true;
		want_output(s, false);
		return false;
	}
	if (r < 0) /* the session ended for the server: on_close is on its way */
		want_output(s, false);
	return r == 0;
}

/* stderr before the pid file appears may be the runtime's own complaint: held until we know. */
static void deliver_stderr(struct platform_exec_session *s, const char *data, size_t len)
{
	if (!s->started)
		read_pid_file(s);
	if (!s->started && !s->err_passthrough && s->held_err.len + len <= HELD_MAX) {
		cc_buf_append(&s->held_err, data, len);
		return;
	}
	/* The command runs (or said more than a runtime would): what was held is its own. */
	s->err_passthrough = true;
	if (!flush_held(s)) {
		cc_buf_append(&s->blocked, data, len); /* the same channel, in order, after the held bytes */
		return;
	}
	if (s->want_stderr)
		deliver(s, CC_K8S_STDERR, data, len);
}

static void read_output(struct platform_exec_session *s, enum platform_exec_watch_kind kind)
{
	if (s->has_blocked)
		return; /* nothing more until the client took what waits */
	char buf[OUT_CHUNK];
	ssize_t n = read(s->w[kind].fd, buf, sizeof(buf));
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		/* The end (EIO on a pty's master once every slave is closed). */
		watch_close(s, kind);
		maybe_end(s);
		return;
	}
	/* After the runtime's exit the grace period counts from the last output: a command's tail that
	 * still flows (to a slow client) is not cut, a pipe kept open by a silent child is. */
	if (s->runtime_exited)
		s->grace_until = cc_time_monotonic_ms() + GRACE_MS;
	if (kind == EXEC_STDERR)
		deliver_stderr(s, buf, (size_t)n);
	else if (s->want_stdout)
		deliver(s, CC_K8S_STDOUT, buf, (size_t)n);
}

/* ---- input: the client to the command ---- */

static void write_stdin(struct platform_exec_session *s)
{
	enum platform_exec_watch_kind kind = s->tty ? EXEC_PTY : EXEC_STDIN;
	int fd = s->w[kind].fd;
	while (fd >= 0 && s->stdin_buf.len) {
		ssize_t n = write(fd, s->stdin_buf.data, s->stdin_buf.len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			break;
		if (n <= 0) { /* the command closed its stdin: what it did not take is dropped */
			cc_buf_free(&s->stdin_buf);
			if (!s->tty)
				watch_close(s, EXEC_STDIN);
			break;
		}
		cc_buf_consume(&s->stdin_buf, (size_t)n);
	}
	if (!s->stdin_buf.len)
		cc_buf_free(&s->stdin_buf);
	pthread_mutex_lock(&s->lock);
	/* The end of stdin counts only once every byte sent before it is here: data and CLOSE arrive on
	 * the server's loop, and data that came with the CLOSE after this sync moved the last batch is
	 * still in inbound (closing now would cut the command's input short). */
	bool eof = s->stdin_eof && s->inbound.len == 0;
	bool resume = s->reading_paused && s->stdin_buf.len + s->inbound.len < STDIN_HIGH / 2;
	if (resume)
		s->reading_paused = false;
	pthread_mutex_unlock(&s->lock);
	if (resume && s->ws)
		cc_websocket_pause(s->ws, false);
	/* v5 CLOSE of stdin: the command sees its end once what came before is written. A terminal has
	 * no end of input to give (the shell reads ^D as the user's), so it stays open. */
	if (!s->tty && eof && !s->stdin_buf.len && s->w[EXEC_STDIN].fd >= 0)
		watch_close(s, EXEC_STDIN);
	if (!s->tty)
		watch_set(s, EXEC_STDIN, s->stdin_buf.len ? EPOLLOUT : 0);
	else if (s->w[EXEC_PTY].fd >= 0)
		want_output(s, !s->has_blocked);
}

static void apply_resize(struct platform_exec_session *s)
{
	pthread_mutex_lock(&s->lock);
	bool pending = s->resize_pending && s->w[EXEC_PTY].fd >= 0;
	struct winsize ws = { .ws_row = s->rows, .ws_col = s->cols };
	if (pending)
		s->resize_pending = false;
	pthread_mutex_unlock(&s->lock);
	if (pending && ioctl(s->w[EXEC_PTY].fd, TIOCSWINSZ, &ws) < 0)
		cc_debug("exec: resize the terminal: %s", strerror(errno));
}

/* The pty's master from the runtime (SCM_RIGHTS on the console socket). */
static void accept_console(struct platform_exec_session *s)
{
	int conn = accept4(s->w[EXEC_CONSOLE].fd, NULL, NULL, SOCK_CLOEXEC);
	if (conn < 0)
		return;
	char text[256];
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = { .iov_base = text, .iov_len = sizeof(text) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof(control)
	};
	ssize_t n = recvmsg(conn, &mh, MSG_CMSG_CLOEXEC);
	close(conn);
	struct cmsghdr *c = n >= 0 ? CMSG_FIRSTHDR(&mh) : NULL;
	if (!c || c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS || c->cmsg_len != CMSG_LEN(sizeof(int)))
		return;
	int fd;
	memcpy(&fd, CMSG_DATA(c), sizeof(int));
	watch_close(s, EXEC_CONSOLE); /* one terminal per session */
	if (s->killed) {
		close(fd);
		return;
	}
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
	s->w[EXEC_PTY].fd = fd;
	apply_resize(s);
	want_output(s, !s->has_blocked);
}

/* The runtime exited: reap it (its status is the command's, cocoon-runtime exec passes it on). */
static void runtime_exited(struct platform_exec_session *s)
{
	int status = 0;
	pid_t r;
	while ((r = waitpid(s->runtime_pid, &status, WNOHANG)) < 0 && errno == EINTR)
		;
	if (r == 0)
		return; /* not yet (a spurious wake-up) */
	s->runtime_exited = true;
	s->exit_status = r < 0 ? 1 : WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
	s->grace_until = cc_time_monotonic_ms() + GRACE_MS;
	watch_close(s, EXEC_RUNTIME);
	watch_close(s, EXEC_CONSOLE);
	read_pid_file(s);
	maybe_end(s);
}

static void on_watch(struct cc_loop *loop, int fd, uint32_t events, void *data)
{
	struct platform_exec_watch *w = data;
	struct platform_exec_session *s = w->s;
	atomic_fetch_add(&s->refs, 1); /* the session may end below */
	switch (w->kind) {
	case EXEC_STDOUT:
	case EXEC_STDERR: read_output(s, w->kind); break;
	case EXEC_STDIN:
		if (events & (EPOLLERR | EPOLLHUP)) {
			cc_buf_free(&s->stdin_buf);
			watch_close(s, EXEC_STDIN);
		} else {
			write_stdin(s);
		}
		break;
	case EXEC_PTY:
		if (events & EPOLLOUT)
			write_stdin(s);
		if (s->w[EXEC_PTY].fd >= 0 && (events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
			read_output(s, EXEC_PTY);
		break;
	case EXEC_CONSOLE: accept_console(s); break;
	case EXEC_RUNTIME: runtime_exited(s); break;
	case EXEC_WATCH_COUNT: break;
	}
	platform_exec_session_release(s);
}

/* ---- what the WebSocket callbacks filed ---- */

static void sync_session(struct cc_loop *loop, void *arg)
{
	struct platform_exec_session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->task_posted = false;
	bool gone = s->client_gone, drained = s->drained;
	s->drained = false;
	if (s->inbound.len && !s->ended) {
		cc_buf_append(&s->stdin_buf, s->inbound.data, s->inbound.len);
		cc_buf_free(&s->inbound);
	}
	pthread_mutex_unlock(&s->lock);
	if (s->ended) {
		platform_exec_session_release(s);
		return;
	}
	if (gone) {
		cc_debug("exec: the client went away: killing the command");
		cc_buf_free(&s->stdin_buf);
		platform_exec_session_kill(s);
		maybe_end(s);
		platform_exec_session_release(s);
		return;
	}
	if (drained && s->has_blocked) {
		int r = cc_k8s_channel_send(s->ws, s->blocked_channel, s->blocked.data, s->blocked.len);
		if (r != -ENOBUFS) {
			s->has_blocked = false;
			s->grace_until = cc_time_monotonic_ms() + GRACE_MS; /* output flows again */
			cc_buf_free(&s->blocked);
			want_output(s, true);
		}
	}
	apply_resize(s);
	write_stdin(s);
	maybe_end(s);
	platform_exec_session_release(s);
}

/* With the lock held. */
static void post_sync(struct platform_exec_session *s)
{
	if (s->task_posted)
		return;
	s->task_posted = true;
	atomic_fetch_add(&s->refs, 1);
	cc_loop_post(s->ex->loop, sync_session, s);
}

void platform_exec_session_on_message(void *arg, const void *data, size_t len, bool text)
{
	struct platform_exec_session *s = arg;
	struct cc_k8s_message m;
	if (text)
		return; /* the channel protocols are binary; the base64 ones are not spoken */
	cc_k8s_channel_parse(data, len, s->v5, &m);
	pthread_mutex_lock(&s->lock);
	if (m.kind == CC_K8S_DATA && m.channel == CC_K8S_STDIN && s->want_stdin && !s->stdin_eof && m.len) {
		cc_buf_append(&s->inbound, m.data, m.len);
		if (s->inbound.len >= STDIN_HIGH && !s->reading_paused && s->ws) {
			s->reading_paused = true;
			cc_websocket_pause(s->ws, true);
		}
	} else if (m.kind == CC_K8S_DATA && m.channel == CC_K8S_RESIZE && s->tty) {
		uint16_t cols, rows;
		if (cc_k8s_channel_parse_resize(m.data, m.len, &cols, &rows) == 0) {
			s->cols = cols;
			s->rows = rows;
			s->resize_pending = true;
		}
	} else if (m.kind == CC_K8S_CLOSED && m.channel == CC_K8S_STDIN) {
		s->stdin_eof = true;
	} else {
		pthread_mutex_unlock(&s->lock);
		return; /* other channels are the server's, or unknown: ignored as kubelet does */
	}
	post_sync(s);
	pthread_mutex_unlock(&s->lock);
}

void platform_exec_session_on_drain(void *arg)
{
	struct platform_exec_session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->drained = true;
	post_sync(s);
	pthread_mutex_unlock(&s->lock);
}

void platform_exec_session_on_close(void *arg, uint16_t code)
{
	struct platform_exec_session *s = arg;
	pthread_mutex_lock(&s->lock);
	s->client_gone = true;
	post_sync(s);
	pthread_mutex_unlock(&s->lock);
	platform_exec_session_release(s); /* the callbacks' reference: no callback comes after this one */
}

void platform_exec_session_tick(struct platform_exec_session *s)
{
	read_pid_file(s);
	if (!s->has_blocked)
		flush_held(s);
	maybe_end(s);
}

void platform_exec_session_register(struct cc_loop *loop, void *arg)
{
	struct platform_exec_session *s = arg;
	struct platform_exec *ex = s->ex;
	s->next = ex->sessions;
	if (ex->sessions)
		ex->sessions->prev = s;
	ex->sessions = s;
	watch_set(s, EXEC_RUNTIME, EPOLLIN);
	watch_set(s, EXEC_CONSOLE, EPOLLIN);
	want_output(s, true);
	if (atomic_load(&ex->stopping))
		platform_exec_session_kill(s);
	/* Callbacks may have filed something already (their task ran before this one or waits). */
	pthread_mutex_lock(&s->lock);
	post_sync(s);
	pthread_mutex_unlock(&s->lock);
}

struct platform_exec_session *platform_exec_session_new(struct platform_exec *ex, const struct platform_exec_options *o)
{
	struct platform_exec_session *s = cc_xcalloc(1, sizeof(*s));
	s->ex = ex;
	pthread_mutex_init(&s->lock, NULL);
	atomic_init(&s->refs, 2); /* the exec loop's and the WebSocket callbacks' */
	s->tty = o->tty;
	s->want_stdin = o->stdin;
	s->want_stdout = o->stdout;
	s->want_stderr = o->stderr;
	s->process_pidfd = -1;
	for (int k = 0; k < EXEC_WATCH_COUNT; k++)
		s->w[k] = (struct platform_exec_watch){ .s = s, .kind = (enum platform_exec_watch_kind)k, .fd = -1 };
	return s;
}
