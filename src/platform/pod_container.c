/* Container instances (see pod_container.h). */
#include "platform/pod_container.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/process.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

/* overlayfs: lowerdir lists the top layer first. */
static int mount_rootfs(const struct pod_instance_spec *spec, const char *rootfs, struct cc_error *err)
{
	_cleanup_free_ char *upper = cc_xasprintf("%s/upper", spec->dir);
	_cleanup_free_ char *work = cc_xasprintf("%s/work", spec->dir);
	int r = cc_mkdir_p(upper, 0755, err);
	if (r == 0)
		r = cc_mkdir_p(work, 0700, err);
	if (r == 0)
		r = cc_mkdir_p(rootfs, 0755, err);
	if (r < 0)
		return r;
	if (spec->n_layers == 0)
		return cc_error_set(err, EINVAL, "the image has no layers");
	size_t len = strlen(upper) + strlen(work) + 64;
	for (size_t i = 0; i < spec->n_layers; i++)
		len += strlen(spec->layers[i]) + 1;
	_cleanup_free_ char *options = cc_xmalloc(len);
	size_t used = (size_t)snprintf(options, len, "lowerdir=");
	for (size_t i = spec->n_layers; i-- > 0;)
		used += (size_t)snprintf(options + used, len - used, "%s%s", spec->layers[i], i ? ":" : "");
	snprintf(options + used, len - used, ",upperdir=%s,workdir=%s", upper, work);
	if (strlen(options) >= 4096)
		return cc_error_set(err, E2BIG, "the image has too many layers for one overlay mount (%zu)",
				    spec->n_layers);
	if (mount("overlay", rootfs, "overlay", MS_NODEV, options) < 0)
		return cc_error_set_errno(err, errno, "mount the container's overlay rootfs at `%s`", rootfs);
	return 0;
}

static int write_config(const struct pod_instance_spec *spec, const char *rootfs, struct cc_error *err)
{
	json_object_set_new(json_object_get(spec->config, "root"), "path", json_string(rootfs));
	_cleanup_free_ char *text = json_dumps(spec->config, JSON_COMPACT);
	_cleanup_free_ char *path = cc_xasprintf("%s/config.json", spec->bundle);
	return cc_write_file_atomic(path, text, strlen(text), 0600, err);
}

int pod_instance_start(const struct pod_runtime_tools *tools, const struct pod_instance_spec *spec, pid_t *ret_pid,
		       struct cc_error *err)
{
	int r = cc_mkdir_p(spec->dir, 0700, err);
	if (r == 0)
		r = cc_mkdir_p(spec->bundle, 0700, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *rootfs = cc_xasprintf("%s/rootfs", spec->dir);
	r = mount_rootfs(spec, rootfs, err);
	if (r == 0)
		r = write_config(spec, rootfs, err);
	if (r < 0) {
		pod_instance_remove(tools, spec->id, spec->bundle, spec->dir);
		return r;
	}
	_cleanup_free_ char *exit_file = cc_xasprintf("%s/exit.json", spec->bundle);
	_cleanup_free_ char *pid_file = cc_xasprintf("%s/shim.pid", spec->bundle);
	_cleanup_free_ char *stdin_fifo = cc_xasprintf("%s/stdin", spec->bundle);
	const char *argv[] = { tools->shim,
			       "--runtime",
			       tools->runtime,
			       "--runtime-root",
			       tools->runtime_root,
			       "--bundle",
			       spec->bundle,
			       "--id",
			       spec->id,
			       "--log",
			       spec->log_path,
			       "--exit-file",
			       exit_file,
			       "--shim-pid-file",
			       pid_file,
			       spec->stdin ? "--stdin-fifo" : NULL,
			       stdin_fifo,
			       spec->stdin_once ? "--stdin-once" : NULL,
			       NULL };
	struct cc_process_options opts = { .timeout_ms = 120000 };
	struct cc_process_result res;
	r = cc_process_run(argv, &opts, &res, err);
	if (r == 0 && res.status != 0)
		r = cc_error_set(err, EIO, "%s", cc_process_message(&res));
	if (r == 0) {
		const char *p = strstr(res.out, "pid=");
		*ret_pid = p ? (pid_t)atoi(p + 4) : 0;
	}
	cc_process_result_clear(&res);
	if (r < 0)
		pod_instance_remove(tools, spec->id, spec->bundle, spec->dir);
	return r;
}

int pod_instance_measure(const struct pod_runtime_tools *tools, const char *id, const char *bundle, const char *rootfs,
			 json_t *config, json_t **ret, struct cc_error *err)
{
	/* The rootfs is not mounted yet: the image's manifest digest (run.cocoon.image.digest) stands for
	 * it, and the runtime only checks that root.path is a directory. */
	int r = cc_mkdir_p(rootfs, 0755, err);
	if (r == 0)
		r = cc_mkdir_p(bundle, 0700, err);
	if (r < 0)
		return r;
	struct pod_instance_spec spec = { .bundle = bundle, .config = config };
	if ((r = write_config(&spec, rootfs, err)) < 0)
		return r;
	const char *argv[] = { tools->runtime, "--root",   tools->runtime_root,
			       "measure",      "--record", "--bundle",
			       bundle,         id,         NULL };
	struct cc_process_result res;
	r = cc_process_run(argv, NULL, &res, err);
	if (r == 0 && res.status != 0)
		r = cc_error_set(err, EIO, "measure %s: %s", id, cc_process_message(&res));
	if (r == 0 && cc_json_parse(res.out, strlen(res.out), 65536, "cocoon-runtime measure", ret, err) < 0)
		r = -EIO;
	cc_process_result_clear(&res);
	return r;
}

int pod_instance_poll(const char *dir, struct pod_instance_exit *ret)
{
	_cleanup_free_ char *exit_file = cc_xasprintf("%s/exit.json", dir);
	json_t *record = NULL;
	struct cc_error err = { 0 };
	if (access(exit_file, F_OK) == 0 && cc_json_load_file(exit_file, 65536, &record, &err) == 0) {
		memset(ret, 0, sizeof(*ret));
		ret->exit_code = (int)json_integer_value(json_object_get(record, "exitCode"));
		ret->signal = (int)json_integer_value(json_object_get(record, "signal"));
		snprintf(ret->reason, sizeof(ret->reason), "%s",
			 json_string_value(json_object_get(record, "reason"))
			     ?: (ret->exit_code ? "Error" : "Completed"));
		cc_time_parse_rfc3339(json_string_value(json_object_get(record, "startedAt")) ?: "", &ret->started_ns);
		cc_time_parse_rfc3339(json_string_value(json_object_get(record, "finishedAt")) ?: "",
				      &ret->finished_ns);
		json_decref(record);
		return 1;
	}
	_cleanup_free_ char *pid_file = cc_xasprintf("%s/shim.pid", dir);
	char *text = NULL;
	size_t len;
	if (cc_read_file(pid_file, 64, &text, &len, &err) < 0)
		return -ESRCH;
	pid_t pid = (pid_t)atoi(text);
	free(text);
	if (pid > 0 && (kill(pid, 0) == 0 || errno == EPERM))
		return 0;
	/* The monitor is gone: its record may have landed just now. */
	if (access(exit_file, F_OK) == 0)
		return pod_instance_poll(dir, ret);
	return -ESRCH;
}

int pod_instance_signal(const struct pod_runtime_tools *tools, const char *id, const char *sig, struct cc_error *err)
{
	const char *argv[] = { tools->runtime, "--root", tools->runtime_root, "kill", "--all", id, sig, NULL };
	struct cc_process_result res;
	int r = cc_process_run(argv, NULL, &res, err);
	if (r == 0 && res.status != 0)
		r = cc_error_set(err, EIO, "kill %s %s: %s", id, sig, cc_process_message(&res));
	cc_process_result_clear(&res);
	return r;
}

void pod_instance_remove(const struct pod_runtime_tools *tools, const char *id, const char *bundle, const char *dir)
{
	const char *argv[] = { tools->runtime, "--root", tools->runtime_root, "delete", "--force", id, NULL };
	struct cc_process_result res;
	if (cc_process_run(argv, NULL, &res, NULL) == 0)
		cc_process_result_clear(&res);
	_cleanup_free_ char *rootfs = cc_xasprintf("%s/rootfs", dir);
	umount2(rootfs, MNT_DETACH);
	const char *rm[] = { "rm", "-rf", "--one-file-system", dir, bundle, NULL };
	if (cc_process_run(rm, NULL, &res, NULL) == 0)
		cc_process_result_clear(&res);
}
