/* The `exec:SCRIPT` driver: each provisioning step runs the operator's script once,
 *
 *   SCRIPT create BLOCK NODES   make NODES nodes for BLOCK; exit 0 when all exist
 *   SCRIPT delete BLOCK         remove every node of BLOCK; exit 0 when none is left
 *   SCRIPT list                 every node the script manages
 *
 * create and list print {"nodes":[{"name","providerID","block","status"}]} on stdout (create the
 * nodes it made, also when it fails half-way, if it can). Any other exit status fails the step,
 * and the last line of stderr says why. The script is started with execve and its arguments as
 * they are (no shell sees a block id, and the ids are DNS labels anyway), in a process group of
 * its own with stdin on /dev/null; when a step outlives the timeout the whole group is killed
 * (SIGKILL), so a `sleep` or a cloud CLI the script started goes too, and the step has failed
 * (lib/base/process.h's own_group). */
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/process.h"
#include "scale/provider/driver.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define OUTPUT_MAX (4u * 1024 * 1024)

struct exec_driver {
	char *script;
	int timeout_ms;
};

/* Runs the script in a process group of its own (see the top of this file). */
static int run_script(const struct exec_driver *d, const char *const *argv, struct cc_process_result *out,
		      struct cc_error *err)
{
	struct cc_process_options opts = { .timeout_ms = d->timeout_ms, .max_output = OUTPUT_MAX, .own_group = 1 };
	int r = cc_process_run(argv, &opts, out, err);
	return r < 0 ? cc_error_prefix(err, "driver script") : 0;
}

/* 0 when the step ran and exited 0; -ETIMEDOUT or -EIO with the reason otherwise. */
static int step_result(const struct exec_driver *d, const char *step, struct cc_process_result *o, struct cc_error *err)
{
	if (o->timed_out)
		return cc_error_set(err, ETIMEDOUT,
				    "driver script `%s %s` did not finish within %d s: its process group was killed",
				    d->script, step, d->timeout_ms / 1000);
	if (o->status != 0) {
		const char *why = o->err_len ? cc_process_message(o) : ""; /* stderr says why, not stdout */
		return cc_error_set(err, EIO, "driver script `%s %s` exited with status %d%s%s", d->script, step,
				    o->status, *why ? ": " : "", why);
	}
	return 0;
}

static int exec_open(const char *arg, const struct scale_driver_options *opts, void **ret_impl, struct cc_error *err)
{
	if (arg[0] != '/')
		return cc_error_set(err, EINVAL, "driver script `%s` must be an absolute path", arg);
	if (access(arg, X_OK) < 0)
		return cc_error_set_errno(err, errno, "driver script `%s` cannot be executed", arg);
	struct exec_driver *d = cc_xcalloc(1, sizeof(*d));
	d->script = cc_xstrdup(arg);
	d->timeout_ms = opts->timeout_ms > 0 ? opts->timeout_ms : 600 * 1000;
	*ret_impl = d;
	return 0;
}

static int exec_create(void *impl, const char *block, int nodes, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct exec_driver *d = impl;
	char count[16];
	snprintf(count, sizeof(count), "%d", nodes);
	const char *argv[] = { d->script, "create", block, count, NULL };
	struct cc_process_result o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *step = cc_xasprintf("create %s %s", block, count);
	r = step_result(d, step, &o, err);
	/* What the script says it made counts even when it failed: the caller reports it. A failed
	 * step's output may be partial or absent, so a parse error then only loses that detail. */
	struct cc_error parse_err = { 0 };
	int pr = o.out_len ? scale_driver_nodes_parse(o.out, o.out_len, "the driver's create output", ret, &parse_err)
			   : -ENODATA;
	if (r == 0 && pr < 0) {
		r = pr == -ENODATA
			? cc_error_set(err, EIO, "driver script `%s %s` printed no node list", d->script, step)
			: cc_error_set(err, EIO, "%s", cc_error_message(&parse_err));
	}
	cc_process_result_clear(&o);
	return r;
}

static int exec_remove(void *impl, const char *block, struct cc_error *err)
{
	struct exec_driver *d = impl;
	const char *argv[] = { d->script, "delete", block, NULL };
	struct cc_process_result o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *step = cc_xasprintf("delete %s", block);
	r = step_result(d, step, &o, err);
	cc_process_result_clear(&o);
	return r;
}

static int exec_list(void *impl, struct scale_driver_nodes *ret, struct cc_error *err)
{
	struct exec_driver *d = impl;
	const char *argv[] = { d->script, "list", NULL };
	struct cc_process_result o;
	int r = run_script(d, argv, &o, err);
	if (r < 0)
		return r;
	r = step_result(d, "list", &o, err);
	if (r == 0 && scale_driver_nodes_parse(o.out, o.out_len, "the driver's list output", ret, err) < 0)
		r = -EIO;
	cc_process_result_clear(&o);
	return r;
}

static void exec_close(void *impl)
{
	struct exec_driver *d = impl;
	free(d->script);
	free(d);
}

const struct scale_driver_ops scale_driver_exec = {
	.kind = "exec",
	.open = exec_open,
	.create = exec_create,
	.remove = exec_remove,
	.list = exec_list,
	.close = exec_close,
};
