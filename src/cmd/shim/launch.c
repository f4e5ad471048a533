/* The foreground half of cocoon-shim: what cocoond runs and waits for. It starts the monitor with a
 * double fork, the middle process calling setsid(), so the monitor belongs to no session of the
 * caller and its parent becomes init (or the caller's nearest subreaper) at once: it outlives a
 * restart of cocoond and is never cocoond's child to reap. Then it waits for the monitor's report
 * (report.h) and prints `pid=N`, or the error, and exits 0 or 1. */
#include "cmd/cli.h"
#include "cmd/shim/report.h"
#include "cmd/shim/shim.h"
#include "lib/base/error.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

/* 0, 1 and 2 open (on /dev/null if the caller closed them), so no pipe of ours lands on them. */
static void ensure_standard_fds(void)
{
	for (int fd = 0; fd < 3; fd++) {
		if (fcntl(fd, F_GETFD) >= 0)
			continue;
		int null_fd = open("/dev/null", O_RDWR);
		if (null_fd >= 0 && null_fd != fd) {
			dup2(null_fd, fd);
			close(null_fd);
		}
	}
}

/* The middle process: a new session, the monitor forked from it, and gone. */
_Noreturn static void run_middle(const struct shim_config *cfg, int report_fd)
{
	if (setsid() < 0) {
		shim_report_error(report_fd, "setsid failed");
		_exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		char message[128];
		snprintf(message, sizeof(message), "fork the monitor: %s", strerror(errno));
		shim_report_error(report_fd, message);
		_exit(1);
	}
	if (pid == 0)
		_exit(shim_monitor_main(cfg, report_fd));
	_exit(0);
}

int shim_launch(const struct shim_config *cfg)
{
	ensure_standard_fds();
	signal(SIGCHLD, SIG_DFL);
	int report[2];
	if (pipe2(report, O_CLOEXEC) < 0) {
		cli_error("cocoon-shim", "create the report pipe: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	fflush(NULL); /* nothing buffered may be written twice by the children */
	pid_t middle = fork();
	if (middle < 0) {
		cli_error("cocoon-shim", "fork: %s", strerror(errno));
		return CLI_EXIT_FAILURE;
	}
	if (middle == 0) {
		close(report[0]);
		run_middle(cfg, report[1]);
	}
	close(report[1]);
	int status;
	while (waitpid(middle, &status, 0) < 0 && errno == EINTR)
		;
	struct cc_error err = { 0 };
	pid_t init_pid;
	int r = shim_report_read(report[0], &init_pid, &err);
	close(report[0]);
	if (r < 0) {
		cli_error("cocoon-shim", "container `%s`: %s", cfg->id, cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	printf("pid=%d\n", (int)init_pid);
	return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAILURE;
}
