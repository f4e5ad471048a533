/* Container state files. state.json holds what cannot be recomputed; the status is always derived
 * from the live system (init process, exec FIFO, freezer), never trusted from the file. */
#include "runtime/state.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const status_names[RUNTIME_STATUS_MAX] = { "creating", "created", "running", "paused", "stopped" };

const char *runtime_status_name(enum runtime_status s)
{
	return s < RUNTIME_STATUS_MAX ? status_names[s] : "unknown";
}

bool runtime_id_valid(const char *id)
{
	size_t len = strlen(id);
	if (len == 0 || len > 1024 || strcmp(id, ".") == 0 || strcmp(id, "..") == 0)
		return false;
	return id[strspn(id, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_+.-")] == '\0';
}

char *runtime_exec_fifo_path(const char *dir)
{
	return cc_xasprintf("%s/exec.fifo", dir);
}

uint64_t runtime_pid_start_time(pid_t pid)
{
	if (pid <= 0)
		return 0;
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cc_read_file(path, 4096, &data, &len, NULL) < 0)
		return 0;
	/* Field 2 (comm) may contain spaces and parentheses: count fields after the last ')'. */
	char *p = strrchr(data, ')');
	if (!p)
		return 0;
	int field = 2;
	for (p++; *p && field < 22; p++)
		if (*p == ' ')
			field++;
	return strtoull(p, NULL, 10);
}

bool runtime_state_init_alive(const struct runtime_state *st)
{
	if (st->pid <= 0)
		return false;
	uint64_t start = runtime_pid_start_time(st->pid);
	if (start == 0 || start != st->pid_start_time)
		return false;
	/* A zombie init has exited; its parent has not reaped it yet. */
	char path[64];
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)st->pid);
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cc_read_file(path, 4096, &data, &len, NULL) < 0)
		return false;
	char *p = strrchr(data, ')');
	return p && p[1] == ' ' && p[2] != 'Z' && p[2] != 'X';
}

static bool frozen(const struct runtime_state *st)
{
	const char *freezer = json_string_value(json_object_get(st->cgroup_paths, "freezer"));
	const char *unified = json_string_value(json_object_get(st->cgroup_paths, "unified"));
	_cleanup_free_ char *path = NULL;
	if (freezer)
		path = cc_xasprintf("%s/freezer.state", freezer);
	else if (unified)
		path = cc_xasprintf("%s/cgroup.freeze", unified);
	else
		return false;
	_cleanup_free_ char *data = NULL;
	size_t len;
	if (cc_read_file(path, 64, &data, &len, NULL) < 0)
		return false;
	return strncmp(data, "FROZEN", 6) == 0 || strncmp(data, "FREEZING", 8) == 0 || strncmp(data, "1", 1) == 0;
}

enum runtime_status runtime_state_status(const struct runtime_state *st)
{
	if (!runtime_state_init_alive(st))
		return RUNTIME_STATUS_STOPPED;
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(st->dir);
	if (access(fifo, F_OK) == 0)
		return RUNTIME_STATUS_CREATED;
	return frozen(st) ? RUNTIME_STATUS_PAUSED : RUNTIME_STATUS_RUNNING;
}

static void set_string(json_t *obj, const char *key, const char *value)
{
	if (value)
		json_object_set_new(obj, key, json_string(value));
}

json_t *runtime_state_to_json(const struct runtime_state *st)
{
	enum runtime_status status = runtime_state_status(st);
	char created[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(st->created_ns, created, sizeof(created));
	json_t *obj = json_object();
	json_object_set_new(obj, "ociVersion", json_string("1.2.0"));
	json_object_set_new(obj, "id", json_string(st->id));
	/* runc reports pid 0 once the container has stopped. */
	json_object_set_new(obj, "pid", json_integer(status == RUNTIME_STATUS_STOPPED ? 0 : st->pid));
	json_object_set_new(obj, "status", json_string(runtime_status_name(status)));
	set_string(obj, "bundle", st->bundle);
	set_string(obj, "rootfs", st->rootfs);
	json_object_set_new(obj, "created", json_string(created));
	set_string(obj, "owner", st->owner ? st->owner : "");
	if (st->annotations)
		json_object_set(obj, "annotations", st->annotations);
	set_string(obj, "measurement", st->measurement);
	set_string(obj, "profile", st->profile);
	return obj;
}

char *runtime_state_to_text(const struct runtime_state *st)
{
	_cleanup_json_ json_t *doc = runtime_state_to_json(st);
	return json_dumps(doc, JSON_COMPACT);
}

int runtime_state_save(const struct runtime_state *st, struct cc_error *err)
{
	json_t *obj = json_object();
	json_object_set_new(obj, "id", json_string(st->id));
	json_object_set_new(obj, "pid", json_integer(st->pid));
	json_object_set_new(obj, "pidStartTime", json_integer((json_int_t)st->pid_start_time));
	set_string(obj, "bundle", st->bundle);
	set_string(obj, "rootfs", st->rootfs);
	json_object_set_new(obj, "createdNs", json_integer(st->created_ns));
	set_string(obj, "owner", st->owner);
	if (st->annotations)
		json_object_set(obj, "annotations", st->annotations);
	if (st->cgroup_paths)
		json_object_set(obj, "cgroupPaths", st->cgroup_paths);
	set_string(obj, "measurement", st->measurement);
	set_string(obj, "profile", st->profile);
	set_string(obj, "fscryptDir", st->fscrypt_dir);
	set_string(obj, "fscryptKeyId", st->fscrypt_key_id);
	set_string(obj, "fscryptMount", st->fscrypt_mount);
	json_object_set_new(obj, "terminal", json_boolean(st->use_terminal));
	json_object_set_new(obj, "lateHooks", json_boolean(st->late_hooks));
	_cleanup_free_ char *text = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(obj);
	_cleanup_free_ char *path = cc_xasprintf("%s/state.json", st->dir);
	return cc_replace_file(path, text, strlen(text), 0600, err);
}

static char *string_field(const json_t *obj, const char *key)
{
	const char *v = json_string_value(json_object_get(obj, key));
	return v ? cc_xstrdup(v) : NULL;
}

int runtime_state_load(const char *root, const char *id, struct runtime_state **ret, struct cc_error *err)
{
	if (!runtime_id_valid(id))
		return cc_error_set(err, EINVAL, "invalid container id `%.64s`", id);
	_cleanup_free_ char *dir = cc_xasprintf("%s/%s", root, id);
	_cleanup_free_ char *path = cc_xasprintf("%s/state.json", dir);
	if (access(dir, F_OK) != 0)
		return cc_error_set(err, ENOENT, "container `%s` does not exist", id);
	_cleanup_json_ json_t *obj = NULL;
	int r = cc_json_load_file(path, 1u << 20, &obj, err);
	if (r < 0)
		return r;
	struct runtime_state *st = cc_xcalloc(1, sizeof(*st));
	st->id = cc_xstrdup(id);
	st->dir = CC_TAKE_PTR(dir);
	st->pid = (pid_t)json_integer_value(json_object_get(obj, "pid"));
	st->pid_start_time = (uint64_t)json_integer_value(json_object_get(obj, "pidStartTime"));
	st->bundle = string_field(obj, "bundle");
	st->rootfs = string_field(obj, "rootfs");
	st->created_ns = json_integer_value(json_object_get(obj, "createdNs"));
	st->owner = string_field(obj, "owner");
	json_t *a = json_object_get(obj, "annotations");
	st->annotations = a ? json_incref(a) : NULL;
	json_t *c = json_object_get(obj, "cgroupPaths");
	st->cgroup_paths = c ? json_incref(c) : json_object();
	st->measurement = string_field(obj, "measurement");
	st->profile = string_field(obj, "profile");
	st->fscrypt_dir = string_field(obj, "fscryptDir");
	st->fscrypt_key_id = string_field(obj, "fscryptKeyId");
	st->fscrypt_mount = string_field(obj, "fscryptMount");
	st->use_terminal = json_is_true(json_object_get(obj, "terminal"));
	/* A state written before the field existed: look in the bundle, as then. */
	const json_t *late = json_object_get(obj, "lateHooks");
	st->late_hooks = !late || json_is_true(late);
	*ret = st;
	return 0;
}

void runtime_state_free(struct runtime_state *st)
{
	if (!st)
		return;
	free(st->id);
	free(st->dir);
	free(st->bundle);
	free(st->rootfs);
	free(st->owner);
	json_decref(st->annotations);
	json_decref(st->cgroup_paths);
	free(st->measurement);
	free(st->profile);
	free(st->fscrypt_dir);
	free(st->fscrypt_key_id);
	free(st->fscrypt_mount);
	free(st);
}

int runtime_state_remove_dir(const char *dir, struct cc_error *err)
{
	_cleanup_free_ char *fifo = runtime_exec_fifo_path(dir);
	_cleanup_free_ char *state = cc_xasprintf("%s/state.json", dir);
	unlink(fifo);
	unlink(state);
	if (rmdir(dir) < 0)
		return cc_error_set_errno(err, errno, "remove state directory `%s`", dir);
	return 0;
}

static int compare_ids(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int runtime_state_list(const char *root, char ***ret_ids, size_t *ret_count, struct cc_error *err)
{
	*ret_ids = NULL;
	*ret_count = 0;
	DIR *d = opendir(root);
	if (!d) {
		if (errno == ENOENT)
			return 0;
		return cc_error_set_errno(err, errno, "open state directory `%s`", root);
	}
	size_t cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (!runtime_id_valid(de->d_name))
			continue;
		_cleanup_free_ char *state = cc_xasprintf("%s/%s/state.json", root, de->d_name);
		if (access(state, F_OK) != 0)
			continue;
		if (*ret_count == cap) {
			cap = cap ? cap * 2 : 16;
			*ret_ids = cc_xrealloc(*ret_ids, cap * sizeof(char *));
		}
		(*ret_ids)[(*ret_count)++] = cc_xstrdup(de->d_name);
	}
	closedir(d);
	if (*ret_count)
		qsort(*ret_ids, *ret_count, sizeof(char *), compare_ids);
	return 0;
}
