/* The sessions of the exec bridge (exec.h), shared by exec.c (requests, spawning, the loop's thread)
 * and exec_session.c (a session on the exec loop: descriptors, WebSocket callbacks, the end). */
#pragma once

#include "lib/base/buf.h"
#include "platform/exec.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_loop;
struct cc_websocket;

enum platform_exec_watch_kind {
	EXEC_STDIN,
	EXEC_STDOUT,
	EXEC_STDERR,
	EXEC_PTY,
	EXEC_CONSOLE,
	EXEC_RUNTIME,
	EXEC_WATCH_COUNT
};

struct platform_exec_session;

struct platform_exec_watch {
	struct platform_exec_session *s;
	enum platform_exec_watch_kind kind;
	int fd;
	uint32_t events; /* asked of the loop; 0 while not registered */
	bool registered;
};

struct platform_exec_session {
	struct platform_exec *ex;
	struct platform_exec_session *prev, *next; /* the exec loop's list */
	atomic_int refs;                           /* the exec loop's and the WebSocket callbacks' (until on_close) */
	struct cc_websocket *ws;                   /* the writer's handle, closed once in end_session */
	bool v5, tty, want_stdin, want_stdout, want_stderr;
	char dir[80]; /* STATE_DIR/session-XXXXXX: its console.sock must fit a unix socket's path */
	pid_t runtime_pid;
	struct platform_exec_watch w[EXEC_WATCH_COUNT];
	int process_pidfd;

	/* Shared with the server's loop thread, under lock. */
	pthread_mutex_t lock;
	struct cc_buf inbound; /* stdin bytes from the client */
	bool stdin_eof;        /* v5 CLOSE of stdin */
	bool resize_pending;
	uint16_t cols, rows;
	bool client_gone;
	bool drained; /* on_drain came */
	bool task_posted;
	bool reading_paused; /* cc_websocket_pause(true) is in force */

	/* The exec loop's. */
	struct cc_buf stdin_buf;
	bool started;           /* the pid file appeared */
	struct cc_buf held_err; /* stderr before started */
	bool err_passthrough;   /* more stderr than a runtime's complaint: stop holding it */
	uint8_t blocked_channel;
	struct cc_buf blocked; /* a message the client could not take yet */
	bool has_blocked;
	bool status_queued; /* the final Status went to the client (or waits in blocked) */
	bool runtime_exited;
	int exit_status;
	int64_t grace_until;
	bool killed;
	bool ended;
};

struct platform_exec {
	struct cc_loop *loop;
	pthread_t thread;
	struct platform_exec_session *sessions; /* exec loop thread */
	atomic_int count;
	atomic_bool stopping;
	char state_dir[64]; /* sessions' directories (console sockets, pid files) */
};

/* A session for the options (two references: the exec loop's and the WebSocket callbacks'). */
struct platform_exec_session *platform_exec_session_new(struct platform_exec *ex,
							const struct platform_exec_options *o);
void platform_exec_session_release(struct platform_exec_session *s);
/* A loop task: the spawned session's descriptors join the exec loop. */
void platform_exec_session_register(struct cc_loop *loop, void *arg);
/* Exec loop: SIGKILL to the command and the runtime. */
void platform_exec_session_kill(struct platform_exec_session *s);
/* Exec loop, every TICK_MS: the pid file, held stderr, the end after the grace period. */
void platform_exec_session_tick(struct platform_exec_session *s);
/* The session's directory (console socket, pid file) and what is in it. */
void platform_exec_session_remove_dir(struct platform_exec_session *s);
/* cc_websocket_config callbacks (the server's loop thread). */
void platform_exec_session_on_message(void *arg, const void *data, size_t len, bool text);
void platform_exec_session_on_drain(void *arg);
void platform_exec_session_on_close(void *arg, uint16_t code);
