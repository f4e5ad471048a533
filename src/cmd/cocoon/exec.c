/* cocoon exec: kubectl exec against cocoond, over Kubernetes' WebSocket remote command protocol
 * (lib/net/k8s_channel.h: v5.channel.k8s.io, else v4.channel.k8s.io) on the client of
 * lib/net/websocket_client.h. GET /api/v1/namespaces/NS/pods/NAME/exec?command=...&container=...&
 * stdin=...&stdout=true&stderr=...&tty=... (a WebSocket opening handshake is a GET, RFC 6455 §4.1,
 * as kubectl's is). Channel 1 and 2 go to stdout and stderr; -i sends stdin on channel 0 and, with
 * v5, CLOSE [255, 0] at its end; -t puts the terminal in raw mode and sends its size on channel 4
 * at the start and on each SIGWINCH. The Status on channel 3 gives the exit code, as kubectl takes
 * it: 0 for Success, N for NonZeroExitCode with an ExitCode cause of N ("command terminated with
 * exit code N" on stderr), 1 with the message for any other failure.
 *
 * As kubectl, the pod is read first: its default container (said on stderr when it has several)
 * and a completed pod refused here. The terminal and the signals are the command's (crun's rule:
 * process-wide concerns stay out of the library). */
#include "cmd/cli.h"
#include "commands.h"
#include "kube_client.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/net/k8s_channel.h"
#include "lib/net/websocket_client.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#define PROGRAM "cocoon exec"

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon exec [-n NS] [-c CONTAINER] [-i] [-t] POD -- COMMAND [ARG...]\n"
		     "\n"
		     "Runs a command in a container of a running pod, as kubectl exec does; the exit code is the\n"
		     "command's.\n"
		     "\n"
		     "  -c, --container NAME  the container (default: the pod's default container)\n"
		     "  -i, --stdin           pass standard input to the command (its end closes the command's)\n"
		     "  -t, --tty             with -i on a terminal: a terminal for the command (raw mode, resized\n"
		     "                        with this one)\n" KUBE_CONNECTION_USAGE);
}

struct exec_args {
	const char *pod, *container;
	char **command;
	int n_command;
	bool stdin_, tty;
};

/* ---- the terminal ---- */

static struct termios saved_termios;
static bool raw_mode;
static int winch_pipe[2] = { -1, -1 };

static void restore_terminal(void)
{
	if (raw_mode) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &saved_termios);
		raw_mode = false;
	}
}

static void on_fatal_signal(int sig)
{
	restore_terminal();
	signal(sig, SIG_DFL);
	raise(sig);
}

static void on_winch(int sig)
{
	int saved = errno;
	if (winch_pipe[1] >= 0 && write(winch_pipe[1], "w", 1) < 0) {
		/* a full pipe already holds a wake-up */
	}
	errno = saved;
}

static int enter_raw_mode(void)
{
	if (tcgetattr(STDIN_FILENO, &saved_termios) < 0)
		return -errno;
	struct termios raw = saved_termios;
	cfmakeraw(&raw);
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw) < 0)
		return -errno;
	raw_mode = true;
	atexit(restore_terminal);
	signal(SIGTERM, on_fatal_signal);
	signal(SIGHUP, on_fatal_signal);
	signal(SIGQUIT, on_fatal_signal);
	if (pipe2(winch_pipe, O_CLOEXEC | O_NONBLOCK) == 0) {
		struct sigaction sa = { .sa_handler = on_winch, .sa_flags = SA_RESTART };
		sigemptyset(&sa.sa_mask);
		sigaction(SIGWINCH, &sa, NULL);
	}
	return 0;
}

/* The size kubectl sends: of the terminal on stdout, else of stdin's. */
static int send_size(struct cc_ws_client *ws)
{
	struct winsize size;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &size) < 0 && ioctl(STDIN_FILENO, TIOCGWINSZ, &size) < 0)
		return 0;
	char json[64];
	int n = snprintf(json, sizeof(json), "{\"Width\":%u,\"Height\":%u}", size.ws_col, size.ws_row);
	uint8_t channel = CC_K8S_RESIZE;
	struct cc_error err = { 0 };
	return cc_ws_client_send(ws, CC_WS_OP_BINARY, &channel, 1, json, (size_t)n, &err);
}

/* ---- the session ---- */

struct session {
	struct cc_ws_client *ws;
	bool v5;
	bool stdin_open;
	json_t *status; /* channel 3 */
};

static int write_all(int fd, const uint8_t *data, size_t len)
{
	while (len) {
		ssize_t n = write(fd, data, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		data += n;
		len -= (size_t)n;
	}
	return 0;
}

static void on_message(struct session *s, const uint8_t *data, size_t len)
{
	if (len == 0)
		return;
	switch (data[0]) {
	case CC_K8S_STDOUT: write_all(STDOUT_FILENO, data + 1, len - 1); break;
	case CC_K8S_STDERR: write_all(STDERR_FILENO, data + 1, len - 1); break;
	case CC_K8S_ERROR:
		json_decref(s->status);
		s->status = NULL;
		cc_json_parse((const char *)data + 1, len - 1, 1 << 20, "the exec Status", &s->status, NULL);
		if (!s->status) /* not JSON: kept as its message */
			s->status =
			    json_pack("{s:s, s:s%}", "status", "Failure", "message", (const char *)data + 1, len - 1);
		break;
	default: break; /* v5 CLOSE of the server's channels, anything newer */
	}
}

/* Standard input to channel 0; at its end, v5's CLOSE of channel 0 (v4 cannot say it). */
static int forward_stdin(struct session *s, struct cc_error *err)
{
	uint8_t buf[32 * 1024];
	ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		return 0;
	uint8_t channel = CC_K8S_STDIN;
	if (n > 0)
		return cc_ws_client_send(s->ws, CC_WS_OP_BINARY, &channel, 1, buf, (size_t)n, err);
	s->stdin_open = false;
	if (!s->v5)
		return 0;
	const uint8_t close_stdin[2] = { CC_K8S_CLOSE, CC_K8S_STDIN };
	return cc_ws_client_send(s->ws, CC_WS_OP_BINARY, NULL, 0, close_stdin, 2, err);
}

/* Until the server closes: its messages out, stdin in, resizes. */
static int pump(struct session *s)
{
	struct cc_error err = { 0 };
	for (;;) {
		struct pollfd fds[3] = {
			{ .fd = cc_ws_client_fd(s->ws), .events = POLLIN },
			{ .fd = s->stdin_open ? STDIN_FILENO : -1, .events = POLLIN },
			{ .fd = winch_pipe[0], .events = POLLIN },
		};
		if (!cc_ws_client_pending(s->ws) && poll(fds, 3, -1) < 0 && errno != EINTR) {
			cli_error(PROGRAM, "poll: %s", strerror(errno));
			return -1;
		}
		if (cc_ws_client_pending(s->ws) || (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			const uint8_t *data;
			size_t len;
			enum cc_ws_event ev;
			while ((ev = cc_ws_client_read(s->ws, 0, &data, &len)) == CC_WS_MESSAGE)
				on_message(s, data, len);
			if (ev == CC_WS_CLOSED)
				return 0;
			if (ev == CC_WS_ERROR) {
				/* Lost after the Status came is still the command's end. */
				if (s->status)
					return 0;
				cli_error(PROGRAM, "the exec stream ended: %s", cc_ws_client_close_reason(s->ws));
				return -1;
			}
		}
		/* A resize goes before the keys typed after it. */
		if (fds[2].revents & POLLIN) {
			char drain[64];
			while (read(winch_pipe[0], drain, sizeof(drain)) > 0) {
			}
			send_size(s->ws);
		}
		if ((fds[1].revents & (POLLIN | POLLHUP | POLLERR)) && forward_stdin(s, &err) < 0) {
			cli_error(PROGRAM, "%s", cc_error_message(&err));
			return -1;
		}
	}
}

/* kubectl's errorDecoderV4: the exit code the Status gives. */
static int exit_code(const json_t *status)
{
	if (!status) {
		/* v4 and v5 always send a Status; without one the command's end is unknown */
		cli_error(PROGRAM, "the server closed the stream without the command's status");
		return CLI_EXIT_FAILURE;
	}
	const char *result = json_string_value(json_object_get(status, "status")) ?: "";
	const char *reason = json_string_value(json_object_get(status, "reason")) ?: "";
	if (strcmp(result, "Success") == 0)
		return 0;
	if (strcmp(result, "Failure") == 0 && strcmp(reason, "NonZeroExitCode") == 0) {
		size_t i;
		const json_t *cause;
		json_array_foreach (json_object_get(json_object_get(status, "details"), "causes"), i, cause) {
			if (strcmp(json_string_value(json_object_get(cause, "reason")) ?: "", "ExitCode") != 0)
				continue;
			const char *text = json_string_value(json_object_get(cause, "message")) ?: "";
			char *end;
			long code = strtol(text, &end, 10);
			if (!*text || *end || code < 0 || code > 255) {
				fprintf(stderr, "error: error stream protocol error: invalid exit code value \"%s\"\n",
					text);
				return CLI_EXIT_FAILURE;
			}
			fprintf(stderr, "command terminated with exit code %ld\n", code);
			return (int)code;
		}
		fprintf(stderr, "error: error stream protocol error: no ExitCode cause given\n");
		return CLI_EXIT_FAILURE;
	}
	if (strcmp(result, "Failure") != 0) {
		fprintf(stderr, "error: error stream protocol error: unknown error\n");
		return CLI_EXIT_FAILURE;
	}
	fprintf(stderr, "error: %s\n", json_string_value(json_object_get(status, "message")) ?: "");
	return CLI_EXIT_FAILURE;
}

/* ---- the request ---- */

static char *exec_target(const struct kube *k, const struct exec_args *a, bool tty)
{
	_cleanup_free_ char *pod = kube_query_escape(a->pod);
	struct cc_buf t = CC_BUF_INIT;
	cc_buf_appendf(&t, "/api/v1/namespaces/%s/pods/%s/exec?", kube_namespace(k), pod);
	for (int i = 0; i < a->n_command; i++) {
		_cleanup_free_ char *arg = kube_query_escape(a->command[i]);
		cc_buf_appendf(&t, "command=%s&", arg);
	}
	if (a->container) {
		_cleanup_free_ char *container = kube_query_escape(a->container);
		cc_buf_appendf(&t, "container=%s&", container);
	}
	/* With a terminal, stderr comes through stdout (kubectl asks for no stderr then). */
	cc_buf_appendf(&t, "stdin=%s&stdout=true&stderr=%s&tty=%s", a->stdin_ ? "true" : "false",
		       tty ? "false" : "true", tty ? "true" : "false");
	return cc_buf_steal(&t, NULL);
}

/* The WebSocket's peer from the kube connection: the unix socket, or the URL's host and port. */
static int ws_config(const struct kube *k, const char *target, char *host, size_t host_size,
		     struct cc_ws_client_config *ret)
{
	static const char *const protocols[] = { CC_K8S_CHANNEL_V5, CC_K8S_CHANNEL_V4, NULL };
	*ret = (struct cc_ws_client_config){ .unix_socket = k->http.unix_socket,
					     .target = target,
					     .subprotocols = protocols,
					     .ca_file = k->http.ca_file,
					     .cert_file = k->http.cert_file,
					     .key_file = k->http.key_file,
					     .bearer_token = k->http.bearer_token };
	if (k->http.unix_socket)
		return 0;
	const char *rest = k->server;
	if (strncmp(rest, "https://", 8) == 0) {
		ret->tls = true;
		rest += 8;
	} else if (strncmp(rest, "http://", 7) == 0) {
		rest += 7;
	} else {
		cli_error(PROGRAM, "--server `%s` is not an http:// or https:// URL", k->server);
		return -1;
	}
	size_t len = strcspn(rest, "/");
	const char *colon = NULL;
	if (rest[0] == '[') { /* [v6]:port */
		const char *close = memchr(rest, ']', len);
		colon = close && close + 1 < rest + len && close[1] == ':' ? close + 1 : NULL;
		snprintf(host, host_size, "%.*s", close ? (int)(close - rest - 1) : 0, rest + 1);
	} else {
		colon = memchr(rest, ':', len);
		snprintf(host, host_size, "%.*s", (int)(colon ? (size_t)(colon - rest) : len), rest);
	}
	ret->host = host;
	ret->port = ret->tls ? 443 : 80;
	if (colon) {
		char *end;
		long port = strtol(colon + 1, &end, 10);
		if (end != rest + len || port < 1 || port > 65535) {
			cli_error(PROGRAM, "--server `%s`: the port is not a number", k->server);
			return -1;
		}
		ret->port = (unsigned short)port;
	}
	return 0;
}

/* The server refused the upgrade: its Status, as kubectl prints it. */
static void print_refusal(const struct cc_ws_refusal *refusal)
{
	_cleanup_json_ json_t *doc = NULL;
	if (refusal->body.len &&
	    cc_json_parse(refusal->body.data, refusal->body.len, refusal->body.len + 1, "the refusal", &doc, NULL) < 0)
		doc = json_pack("{s:s%}", "message", refusal->body.data, refusal->body.len);
	kube_print_status(refusal->status, doc);
}

/* ---- the command ---- */

static int parse(int argc, char **argv, struct kube *k, struct exec_args *a)
{
	static const struct option verb_options[] = {
		{ "container", required_argument, NULL, 'c' },
		{ "stdin", no_argument, NULL, 'i' },
		{ "tty", no_argument, NULL, 't' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	_cleanup_free_ struct option *options = kube_options(verb_options);
	*a = (struct exec_args){ 0 };
	/* Options end at `--`; without one, at the pod (kubectl's older form, still taken). */
	int dashes = argc;
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], "--") == 0) {
			dashes = i;
			break;
		}
	optind = 1;
	int c;
	while ((c = getopt_long(dashes, argv, dashes < argc ? "n:c:ith" : "+n:c:ith", options, NULL)) != -1) {
		if (kube_option(k, c, optarg))
			continue;
		switch (c) {
		case 'c': a->container = optarg; break;
		case 'i': a->stdin_ = true; break;
		case 't': a->tty = true; break;
		case 'h': usage(stdout); return -1;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (dashes < argc) {
		if (optind + 1 != dashes) {
			cli_error(PROGRAM, "exec needs one POD before --; run 'cocoon exec --help'");
			return CLI_EXIT_USAGE;
		}
		a->pod = argv[optind];
		a->command = argv + dashes + 1;
		a->n_command = argc - dashes - 1;
	} else if (optind < argc) {
		a->pod = argv[optind];
		a->command = argv + optind + 1;
		a->n_command = argc - optind - 1;
		if (a->n_command)
			fprintf(
			    stderr,
			    "cocoon exec POD COMMAND is deprecated, as in kubectl: use cocoon exec POD -- COMMAND\n");
	}
	if (!a->pod || a->n_command == 0) {
		cli_error(PROGRAM, "exec needs POD -- COMMAND [ARG...]; run 'cocoon exec --help'");
		return CLI_EXIT_USAGE;
	}
	if (strncmp(a->pod, "pod/", 4) == 0 || strncmp(a->pod, "pods/", 5) == 0)
		a->pod = strchr(a->pod, '/') + 1;
	return 0;
}

/* As kubectl: a completed pod is refused, and the default container said when there are several. */
static int check_pod(struct kube *k, struct exec_args *a)
{
	_cleanup_free_ char *name = kube_query_escape(a->pod);
	_cleanup_free_ char *path = cc_xasprintf("/api/v1/namespaces/%s/pods/%s", kube_namespace(k), name);
	_cleanup_json_ json_t *pod = NULL;
	if (kube_get(k, path, &pod) < 0)
		return -1;
	const char *phase = json_string_value(json_object_get(json_object_get(pod, "status"), "phase")) ?: "";
	if (strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0) {
		fprintf(stderr, "error: cannot exec into a container in a completed pod; current phase is %s\n", phase);
		return -1;
	}
	if (a->container)
		return 0;
	const json_t *containers = json_object_get(json_object_get(pod, "spec"), "containers");
	const char *annotated =
	    json_string_value(json_object_get(json_object_get(json_object_get(pod, "metadata"), "annotations"),
					      "kubectl.kubernetes.io/default-container"));
	size_t i;
	const json_t *c;
	const char *chosen = json_string_value(json_object_get(json_array_get(containers, 0), "name"));
	json_array_foreach (containers, i, c)
		if (annotated && strcmp(json_string_value(json_object_get(c, "name")) ?: "", annotated) == 0)
			chosen = annotated;
	if (!chosen)
		return 0;                  /* the server says what is wrong */
	a->container = cc_xstrdup(chosen); /* the pod goes; the name stays for the process's life */
	if (json_array_size(containers) > 1) {
		fprintf(stderr, "Defaulted container \"%s\" out of: ", chosen);
		json_array_foreach (containers, i, c)
			fprintf(stderr, "%s%s", i ? ", " : "", json_string_value(json_object_get(c, "name")) ?: "");
		fprintf(stderr, "\n");
	}
	return 0;
}

int cmd_exec(int argc, char **argv)
{
	struct kube k;
	kube_init(&k, PROGRAM);
	struct exec_args a;
	int r = parse(argc, argv, &k, &a);
	if (r)
		return r < 0 ? CLI_EXIT_OK : r;
	kube_connect(&k);
	/* kubectl's SetupTTY: a terminal only with -i, and only when stdin is one. */
	bool tty = a.tty && a.stdin_;
	if (tty && !isatty(STDIN_FILENO)) {
		fprintf(stderr, "Unable to use a TTY - input is not a terminal or the right kind of file\n");
		tty = false;
	}
	if (check_pod(&k, &a) < 0)
		return CLI_EXIT_FAILURE;
	_cleanup_free_ char *target = exec_target(&k, &a, tty);
	char host[256];
	struct cc_ws_client_config cfg;
	if (ws_config(&k, target, host, sizeof(host), &cfg) < 0)
		return CLI_EXIT_USAGE;
	struct cc_ws_refusal refusal;
	struct cc_error err = { 0 };
	struct session s = { .stdin_open = a.stdin_ };
	if (cc_ws_client_connect(&cfg, &s.ws, &refusal, &err) < 0) {
		if (refusal.status)
			print_refusal(&refusal);
		else
			cli_error(PROGRAM, "%s", cc_error_message(&err));
		cc_ws_refusal_clear(&refusal);
		return CLI_EXIT_FAILURE;
	}
	s.v5 = strcmp(cc_ws_client_protocol(s.ws), CC_K8S_CHANNEL_V5) == 0;
	if (tty && enter_raw_mode() == 0)
		send_size(s.ws);
	r = pump(&s);
	restore_terminal();
	cc_ws_client_close(s.ws, CC_WS_CLOSE_NORMAL, NULL);
	cc_ws_client_free(s.ws);
	int code = r < 0 ? CLI_EXIT_FAILURE : exit_code(s.status);
	json_decref(s.status);
	return code;
}
