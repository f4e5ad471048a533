/* cocoon up / down / kubeconfig: the platform on this machine as one command starts and stops it.
 *
 * up starts cocoond in the background (its own session, output to LOG_DIR/cocoond.log), records its
 * pid in DATA_DIR/cocoond.pid, and returns once the API answers; a running platform is left alone.
 * down sends it SIGTERM and waits until it has stopped (SIGKILL after --timeout); cocoond removes
 * its socket on the way out. kubeconfig prints the admin kubeconfig cocoond wrote. */
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "platform/daemon.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEFAULT_DATA_DIR "/var/lib/cocoon"
#define DEFAULT_LOG_DIR  "/var/log/cocoon"

struct up_options {
	const char *data_dir;
	const char *log_dir;
	const char *listen;
	int timeout_s;
	char **extra; /* cocoond's own options, after `--` */
	int n_extra;
	const char *audit_config; /* the audit forwarder's configuration: start one beside cocoond */
};

static void usage(FILE *out)
{
	fprintf(out,
		"Usage: cocoon up [--data-dir DIR] [--log-dir DIR] [--listen ADDR] [--timeout SECONDS]\n"
		"                 [--audit-config FILE] [-- COCOOND-OPTION...]\n"
		"       cocoon down [--data-dir DIR] [--timeout SECONDS]\n"
		"       cocoon kubeconfig [--data-dir DIR]\n"
		"\n"
		"up starts the platform (cocoond) in the background and returns once its API answers; state\n"
		"in DIR (default " DEFAULT_DATA_DIR "), log in LOG_DIR/cocoond.log (default " DEFAULT_LOG_DIR "),\n"
		"the API on ADDR (default 127.0.0.1:7443). Then: kubectl --kubeconfig DIR/kubeconfig get nodes.\n"
		"Options after -- go to cocoond as they are (cocoond --help): --kbs, --tpm, --pod-subnet, ...\n"
		"--audit-config FILE starts the audit forwarder beside it (`cocoon audit forward --config FILE`,\n"
		"docs/audit.md) with the platform's inputs added: the Kubernetes audit log, cocoond's and the\n"
		"runtime's security events; its queue in DATA_DIR/audit-queue unless the file names one, its\n"
		"log in LOG_DIR/audit-forward.log; down stops it too.\n"
		"down stops it and everything it runs: the pods get SIGTERM, then what they used (mounts,\n"
		"network namespaces, the bridge) is removed; cocoond gets SIGKILL after the timeout (30 s).\n"
		"kubeconfig prints the admin kubeconfig (keep it secret: it holds the admin key).\n");
}

static int parse(int argc, char **argv, struct up_options *o)
{
	static const struct option options[] = {
		{ "data-dir", required_argument, NULL, 'd' },
		{ "log-dir", required_argument, NULL, 'l' },
		{ "listen", required_argument, NULL, 'L' },
		{ "timeout", required_argument, NULL, 't' },
		{ "audit-config", required_argument, NULL, 'a' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	*o = (struct up_options){
		.data_dir = DEFAULT_DATA_DIR, .log_dir = DEFAULT_LOG_DIR, .listen = "127.0.0.1:7443", .timeout_s = 30
	};
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
		switch (c) {
		case 'd': o->data_dir = optarg; break;
		case 'l': o->log_dir = optarg; break;
		case 'L': o->listen = optarg; break;
		case 't': o->timeout_s = atoi(optarg); break;
		case 'a': o->audit_config = optarg; break;
		case 'h': usage(stdout); return CLI_EXIT_OK;
		default: return CLI_EXIT_USAGE;
		}
	}
	if (optind != argc && strcmp(argv[optind - 1], "--") == 0) {
		o->extra = argv + optind;
		o->n_extra = argc - optind;
	} else if (optind != argc) {
		cli_error("cocoon", "unexpected argument `%s`", argv[optind]);
		return CLI_EXIT_USAGE;
	}
	if (o->timeout_s <= 0) {
		cli_error("cocoon", "--timeout must be a positive number of seconds");
		return CLI_EXIT_USAGE;
	}
	return -1;
}

/* The pid in DATA_DIR/cocoond.pid if that process is alive, else 0. */
static pid_t running_pid(const char *data_dir)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/cocoond.pid", data_dir);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (cc_read_file(path, 64, &text, &len, NULL) < 0)
		return 0;
	pid_t pid = (pid_t)strtol(text, NULL, 10);
	return pid > 0 && kill(pid, 0) == 0 ? pid : 0;
}

/* True once the local socket answers /healthz. */
static bool healthy(const char *data_dir)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/cocoond.sock", data_dir);
	bool ok = false;
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		const char *req = "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n";
		char buf[256] = "";
		if (write(fd, req, strlen(req)) == (ssize_t)strlen(req) && read(fd, buf, sizeof(buf) - 1) > 0)
			ok = strncmp(buf, "HTTP/1.1 200", 12) == 0;
	}
	if (fd >= 0)
		close(fd);
	return ok;
}

/* cocoond next to this binary (a build tree, or the install's sbin beside bin), then PATH. */
static void find_cocoond(char *out, size_t size)
{
	if (!cc_sibling_executable("cocoond", out, size) && !cc_sibling_executable("../sbin/cocoond", out, size))
		snprintf(out, size, "cocoond");
}

/* argv[0] in its own session, output to log_path. */
static pid_t spawn_daemon(char **argv, const char *log_path)
{
	pid_t pid = fork();
	if (pid != 0)
		return pid;
	setsid();
	int null = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int log = open(log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
	if (null < 0 || log < 0)
		_exit(127);
	dup2(null, STDIN_FILENO);
	dup2(log, STDOUT_FILENO);
	dup2(log, STDERR_FILENO);
	/* argv was built before fork(): after it, only async-signal-safe calls. */
	execvp(argv[0], argv);
	dprintf(STDERR_FILENO, "cocoon up: cannot run %s: %s\n", argv[0], strerror(errno));
	_exit(127);
}

static pid_t spawn(const struct up_options *o, const char *log_path)
{
	char cocoond[PATH_MAX];
	find_cocoond(cocoond, sizeof(cocoond));
	_cleanup_free_ char **argv = cc_xcalloc((size_t)o->n_extra + 8, sizeof(*argv));
	int n = 0;
	argv[n++] = cocoond;
	argv[n++] = "--data-dir", argv[n++] = (char *)o->data_dir;
	argv[n++] = "--listen", argv[n++] = (char *)o->listen;
	argv[n++] = "--log-dir", argv[n++] = (char *)o->log_dir;
	for (int i = 0; i < o->n_extra; i++)
		argv[n++] = o->extra[i];
	argv[n] = NULL;
	return spawn_daemon(argv, log_path);
}

/* The runtime's root under cocoond's --run-dir (given after --), else the default. */
static const char *run_dir_of(const struct up_options *o)
{
	for (int i = 0; i + 1 < o->n_extra; i++)
		if (strcmp(o->extra[i], "--run-dir") == 0)
			return o->extra[i + 1];
	return "/run/cocoon";
}

/* The audit forwarder beside cocoond, its pid in DATA_DIR/audit-forward.pid. */
static int start_forwarder(const struct up_options *o, struct cc_error *err)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (len <= 0)
		return cc_error_set_errno(err, errno, "find the cocoon binary");
	self[len] = '\0';
	_cleanup_free_ char *k8s = cc_xasprintf("k8s-audit:%s/audit.log", o->data_dir);
	_cleanup_free_ char *events = cc_xasprintf("events:%s/events.jsonl", o->data_dir);
	_cleanup_free_ char *runtime = cc_xasprintf("events:%s/runtime/events.jsonl", run_dir_of(o));
	_cleanup_free_ char *queue = cc_xasprintf("%s/audit-queue", o->data_dir);
	char *argv[] = { self,      "audit",   "forward", "--config", (char *)o->audit_config,
			 "--input", k8s,       "--input", events,     "--input",
			 runtime,   "--queue", queue,     NULL };
	_cleanup_free_ char *log_path = cc_xasprintf("%s/audit-forward.log", o->log_dir);
	pid_t pid = spawn_daemon(argv, log_path);
	if (pid < 0)
		return cc_error_set_errno(err, errno, "start the audit forwarder");
	usleep(300000);
	int status;
	if (waitpid(pid, &status, WNOHANG) == pid)
		return cc_error_set(err, EINVAL, "the audit forwarder exited at once; see %s", log_path);
	_cleanup_free_ char *pid_path = cc_xasprintf("%s/audit-forward.pid", o->data_dir);
	char text[24];
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	printf("audit forwarder running (pid %d), log %s\n", (int)pid, log_path);
	return cc_write_file_atomic(pid_path, text, strlen(text), 0600, err);
}

/* Stops the process named by DATA_DIR/NAME.pid: SIGTERM, then SIGKILL after timeout_s. */
static void stop_pidfile(const char *data_dir, const char *name, int timeout_s)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s.pid", data_dir, name);
	_cleanup_free_ char *text = NULL;
	size_t len;
	if (cc_read_file(path, 64, &text, &len, NULL) < 0)
		return;
	pid_t pid = (pid_t)strtol(text, NULL, 10);
	if (pid > 0 && kill(pid, SIGTERM) == 0) {
		for (int i = 0; i < timeout_s * 10 && kill(pid, 0) == 0; i++)
			usleep(100000);
		if (kill(pid, 0) == 0)
			kill(pid, SIGKILL);
	}
	unlink(path);
}

int cmd_up(int argc, char **argv)
{
	struct up_options o;
	int r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	pid_t pid = running_pid(o.data_dir);
	if (pid) {
		printf("cocoond is already running (pid %d); kubeconfig: %s/kubeconfig\n", (int)pid, o.data_dir);
		return CLI_EXIT_OK;
	}
	struct cc_error err = { 0 };
	if (cc_mkdir_p(o.data_dir, 0700, &err) < 0 || cc_mkdir_p(o.log_dir, 0750, &err) < 0) {
		cli_error("cocoon up", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *log_path = cc_xasprintf("%s/cocoond.log", o.log_dir);
	pid = spawn(&o, log_path);
	if (pid < 0) {
		cli_error("cocoon up", "cannot start cocoond: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	_cleanup_free_ char *pid_path = cc_xasprintf("%s/cocoond.pid", o.data_dir);
	char text[24];
	snprintf(text, sizeof(text), "%d\n", (int)pid);
	if (cc_write_file_atomic(pid_path, text, strlen(text), 0600, &err) < 0) {
		cli_error("cocoon up", "%s", cc_error_message(&err));
		kill(pid, SIGTERM);
		return CLI_EXIT_FAILURE;
	}
	for (int i = 0; i < o.timeout_s * 10; i++) {
		if (healthy(o.data_dir)) {
			printf("cocoond is running (pid %d), API on https://%s\n"
			       "  kubectl --kubeconfig %s/kubeconfig get nodes\n"
			       "  log: %s; stop it with `cocoon down`\n",
			       (int)pid, o.listen, o.data_dir, log_path);
			if (o.audit_config && start_forwarder(&o, &err) < 0) {
				cli_error("cocoon up", "%s", cc_error_message(&err));
				return CLI_EXIT_FAILURE;
			}
			return CLI_EXIT_OK;
		}
		int status;
		if (waitpid(pid, &status, WNOHANG) == pid) {
			cli_error("cocoon up", "cocoond exited during start; see %s", log_path);
			unlink(pid_path);
			return CLI_EXIT_FAILURE;
		}
		usleep(100000);
	}
	cli_error("cocoon up", "cocoond did not answer within %d s; see %s", o.timeout_s, log_path);
	return CLI_EXIT_FAILURE;
}

int cmd_down(int argc, char **argv)
{
	struct up_options o;
	int r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	pid_t pid = running_pid(o.data_dir);
	_cleanup_free_ char *pid_path = cc_xasprintf("%s/cocoond.pid", o.data_dir);
	if (!pid) {
		printf("cocoond is not running\n");
		unlink(pid_path);
		stop_pidfile(o.data_dir, "audit-forward", o.timeout_s);
		return CLI_EXIT_OK;
	}
	/* The marker tells cocoond this is the end, not a restart: it stops the pods and removes what
	 * it made for them (mounts, namespaces, the bridge), instead of leaving them to re-adopt. */
	_cleanup_free_ char *marker = cc_xasprintf("%s/%s", o.data_dir, PLATFORM_DOWN_MARKER);
	struct cc_error err = { 0 };
	if (cc_write_file_atomic(marker, "", 0, 0600, &err) < 0)
		cli_error("cocoon down", "%s (pods are left running)", cc_error_message(&err));
	kill(pid, SIGTERM);
	for (int i = 0; i < o.timeout_s * 10 && kill(pid, 0) == 0; i++)
		usleep(100000);
	if (kill(pid, 0) == 0) {
		cli_error("cocoon down", "cocoond (pid %d) did not stop within %d s: killing it", (int)pid,
			  o.timeout_s);
		kill(pid, SIGKILL);
	}
	unlink(pid_path);
	/* The forwarder last: the events of the pods' end are in the files by now (it resumes from its
	 * offsets when started again). */
	stop_pidfile(o.data_dir, "audit-forward", o.timeout_s);
	printf("cocoond stopped\n");
	return CLI_EXIT_OK;
}

int cmd_kubeconfig(int argc, char **argv)
{
	struct up_options o;
	int r = parse(argc, argv, &o);
	if (r >= 0)
		return r;
	_cleanup_free_ char *path = cc_xasprintf("%s/kubeconfig", o.data_dir);
	_cleanup_free_ char *text = NULL;
	size_t len;
	struct cc_error err = { 0 };
	if (cc_read_file(path, 1u << 20, &text, &len, &err) < 0) {
		cli_error("cocoon kubeconfig", "%s (is the platform up? `cocoon up`)", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	fwrite(text, 1, len, stdout);
	return CLI_EXIT_OK;
}
