/* kubectl exec for the platform: the bridge between a WebSocket speaking Kubernetes' channel protocol
 * (v5.channel.k8s.io, v4.channel.k8s.io: lib/net/k8s_channel.h) and a command run in a container by
 * the OCI runtime's `exec`, as kubelet's streaming server does it for a CRI runtime.
 *
 * The pod runner resolves the pod and container, then hands the request here from its API handler:
 *
 *     struct platform_exec_target t = { .runtime = runtime_argv, .container_id = id, .pod = name };
 *     platform_exec_serve(exec, &t, req, resp);     // returns at once; the session runs on
 *
 * which runs `RUNTIME... exec [--tty --console-socket SOCKET] --pid-file FILE ID COMMAND...` (with a
 * terminal, the pty's master arrives on SOCKET as SCM_RIGHTS, as cocoon-runtime, runc and crun send
 * it), and pumps stdin, stdout, stderr (or the terminal) and resize messages both ways. When the
 * command ends, its exit status goes to the client as the metav1.Status kubectl turns into its own
 * exit code; when the client goes away, the command is killed.
 *
 * Every session's descriptors (pipes, pty, console socket, the runtime's pidfd) are watched by one
 * thread with one event loop: no thread per session or per byte stream. */
#pragma once

#include <stdbool.h>

struct cc_error;
struct cc_http_request;
struct cc_http_response;
struct platform_exec;

/* What kube-apiserver reads from an exec request's query (core/v1 PodExecOptions). */
struct platform_exec_options {
	char **command; /* NULL-terminated, at least one */
	char *container;
	bool stdin, stdout, stderr, tty;
};

/* Parses ?command=...&command=...&container=&stdin=&stdout=&stderr=&tty= (booleans as Kubernetes
 * converts query parameters: present and not 0/f/false is true). -EINVAL with kubelet's words when
 * no command or no stream is asked for. With tty, stderr is off (it shares the terminal). */
int platform_exec_options_parse(const struct cc_http_request *req, struct platform_exec_options *ret,
				struct cc_error *err);
void platform_exec_options_clear(struct platform_exec_options *o);
/* The same for attach (core/v1 PodAttachOptions): container, stdin, stdout, stderr, tty; no command.
 * tty is refused: cocoond's containers never have a terminal. */
int platform_attach_options_parse(const struct cc_http_request *req, struct platform_exec_options *ret,
				  struct cc_error *err);

/* A container resolved by the caller. */
struct platform_exec_target {
	/* The OCI runtime's command line before its subcommand, NULL-terminated:
	 * {"/usr/sbin/cocoon-runtime", "--root", "/run/cocoon/runtime", NULL}; runc and crun take the
	 * same `exec` options. */
	const char *const *runtime;
	const char *container_id;
	const char *pod; /* the pod's name, for Status details */
	/* attach instead of exec: the query is PodAttachOptions (no command), and the session runs this
	 * program (`cocoon-shim attach --log L --exit-file E`, NULL-terminated) with `--stdin-fifo` this
	 * FIFO when stdin is asked and the container has one (NULL: it has none), `--no-stdout` and
	 * `--no-stderr` for the streams not asked. */
	const char *const *attach;
	const char *attach_stdin_fifo;
};

/* state_dir (made 0700 when missing) holds a directory per session: the console socket and the
 * command's pid file. cocoond gives RUN/exec. */
int platform_exec_new(const char *state_dir, struct platform_exec **ret, struct cc_error *err);
/* Kills what still runs, waits for it (a few seconds at most) and frees. Stop the HTTP servers
 * first: their sessions end then, and nothing new arrives. */
void platform_exec_free(struct platform_exec *ex);

/* The exec subresource for a resolved container, in an HTTP handler (a worker thread): answers a
 * Kubernetes Status for a bad request (400: no command, no stream), for SPDY (400: not spoken; kubectl
 * 1.30+ uses WebSocket) and for a bad WebSocket handshake; otherwise upgrades, starts the command,
 * and returns while the session runs. A command that cannot be started is reported on the error
 * channel (InternalError, as kubelet reports a runtime failure). target (and its strings) is used
 * during the call only. */
void platform_exec_serve(struct platform_exec *ex, const struct platform_exec_target *target,
			 const struct cc_http_request *req, struct cc_http_response *resp);

/* Sessions running now. */
int platform_exec_session_count(struct platform_exec *ex);
