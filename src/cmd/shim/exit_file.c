/* The exit file (see exit_file.h). */
#include "cmd/shim/exit_file.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"

#include <jansson.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int shim_exit_code(int wait_status)
{
	if (WIFSIGNALED(wait_status))
		return 128 + WTERMSIG(wait_status);
	return WEXITSTATUS(wait_status);
}

const char *shim_exit_reason(const struct shim_exit *e)
{
	if (e->oom_killed)
		return "OOMKilled";
	return shim_exit_code(e->wait_status) == 0 ? "Completed" : "Error";
}

char *shim_exit_json(const struct shim_exit *e)
{
	char started[CC_TIME_RFC3339_MAX], finished[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(e->started_ns, started, sizeof(started));
	cc_time_format_rfc3339(e->finished_ns, finished, sizeof(finished));
	json_t *doc = json_pack("{s:i, s:i, s:s, s:s, s:s, s:i}", "exitCode", shim_exit_code(e->wait_status), "signal",
				WIFSIGNALED(e->wait_status) ? WTERMSIG(e->wait_status) : 0, "reason",
				shim_exit_reason(e), "startedAt", started, "finishedAt", finished, "pid", (int)e->pid);
	if (!doc)
		abort(); /* only allocation can fail here */
	char *text = json_dumps(doc, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(doc);
	if (!text)
		abort();
	return text;
}

int shim_exit_file_write(const char *path, const struct shim_exit *e, struct cc_error *err)
{
	_cleanup_free_ char *text = shim_exit_json(e);
	_cleanup_free_ char *line = cc_xasprintf("%s\n", text);
	return cc_write_file_atomic(path, line, strlen(line), 0600, err);
}
