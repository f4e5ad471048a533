/* The monitor's report to the foreground process (see report.h). */
#include "cmd/shim/report.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REPORT_MAX 4096

void shim_report_started(int fd, pid_t init_pid)
{
	char line[32];
	int len = snprintf(line, sizeof(line), "pid=%d\n", (int)init_pid);
	cc_write_all(fd, line, (size_t)len);
}

void shim_report_error(int fd, const char *message)
{
	_cleanup_free_ char *line = cc_xasprintf("error: %s\n", message);
	cc_write_all(fd, line, strlen(line));
}

int shim_report_read(int fd, pid_t *ret_init_pid, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_read_fd(fd, "the monitor's report", REPORT_MAX, &text, &len, err);
	if (r < 0)
		return r;
	while (len > 0 && text[len - 1] == '\n')
		text[--len] = '\0';
	if (strncmp(text, "error: ", strlen("error: ")) == 0)
		return cc_error_set(err, EIO, "%s", text + strlen("error: "));
	char *end;
	long pid = strncmp(text, "pid=", 4) == 0 ? strtol(text + 4, &end, 10) : 0;
	if (pid <= 0 || *end)
		return cc_error_set(err, EIO,
				    "the monitor exited without reporting whether the container started%s%.200s",
				    len ? "; it said: " : "", text);
	*ret_init_pid = (pid_t)pid;
	return 0;
}
