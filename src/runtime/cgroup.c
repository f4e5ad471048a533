/* cgroup v1/v2/hybrid management. Interfaces: Documentation/admin-guide/cgroup-v1/ (one file per controller) and
 * cgroup-v2.rst. The conversion of cpu shares to v2 weight is the one runc and crun use, so a
 * Kubernetes pod gets the same weight whichever runtime runs it. */
#include "runtime/cgroup.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "runtime/devices_bpf.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#define CGROUP_ROOT "/sys/fs/cgroup"
#ifndef CGROUP2_SUPER_MAGIC
#define CGROUP2_SUPER_MAGIC 0x63677270
#endif

enum runtime_cgroup_mode runtime_cgroup_mode(void)
{
	struct statfs fs;
	if (statfs(CGROUP_ROOT, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return RUNTIME_CGROUP_UNIFIED;
	if (statfs(CGROUP_ROOT "/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
		return RUNTIME_CGROUP_HYBRID;
	return RUNTIME_CGROUP_LEGACY;
}

char *runtime_cgroup_relative_path(const char *cgroups_path, const char *id)
{
	if (!cgroups_path || !*cgroups_path)
		return cc_xasprintf("/cocoon/%s", id);
	if (cgroups_path[0] == '/')
		return cc_xstrdup(cgroups_path);
	/* systemd notation slice:prefix:name, as kubelet and podman pass with --systemd-cgroup;
	 * realised on cgroupfs as <slice>/<prefix>-<name>.scope. */
	const char *c1 = strchr(cgroups_path, ':');
	const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
	if (c1 && c2 && !strchr(c2 + 1, ':'))
		return cc_xasprintf("/%.*s/%.*s-%s.scope", (int)(c1 - cgroups_path), cgroups_path, (int)(c2 - c1 - 1),
				    c1 + 1, c2 + 1);
	return cc_xasprintf("/cocoon/%s", cgroups_path);
}

static int write_text(const char *dir, const char *file, const char *value, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, file);
	_cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return cc_error_set_errno(err, errno, "open `%s`", path);
	if (write(fd, value, strlen(value)) < 0)
		return cc_error_set_errno(err, errno, "write `%s` to `%s`", value, path);
	return 0;
}

static int write_int(const char *dir, const char *file, int64_t value, struct cc_error *err)
{
	char text[32];
	snprintf(text, sizeof(text), "%lld", (long long)value);
	return write_text(dir, file, text, err);
}

static bool file_exists(const char *dir, const char *file)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/%s", dir, file);
	return access(path, F_OK) == 0;
}

static void copy_from_parent(const char *parent, const char *dir, const char *file)
{
	_cleanup_free_ char *mine = cc_xasprintf("%s/%s", dir, file);
	_cleanup_free_ char *theirs = cc_xasprintf("%s/%s", parent, file);
	_cleanup_free_ char *value = NULL, *current = NULL;
	size_t len;
	if (cc_read_file(mine, 4096, &current, &len, NULL) == 0 && len > 1)
		return;
	if (cc_read_file(theirs, 4096, &value, &len, NULL) == 0)
		write_text(dir, file, value, NULL);
}

/* mkdir -p below a hierarchy root. For cpuset, each new level inherits cpus and mems from its
 * parent, because v1 refuses tasks in a cpuset with empty cpus. For v2, each parent delegates the
 * controllers we use to the level below. "." and ".." components are refused, so a config cannot
 * point the runtime at cgroups outside the hierarchy root. */
static int make_path(const char *root, const char *relative, bool cpuset, bool v2_enable, struct cc_error *err)
{
	_cleanup_free_ char *rel = cc_xstrdup(relative);
	_cleanup_free_ char *path = cc_xstrdup(root);
	char *save = NULL;
	for (char *comp = strtok_r(rel, "/", &save); comp; comp = strtok_r(NULL, "/", &save)) {
		if (strcmp(comp, ".") == 0 || strcmp(comp, "..") == 0)
			return cc_error_set(err, EINVAL, "cgroupsPath `%s` must not contain `.` or `..`", relative);
		if (v2_enable) {
			static const char *const controllers[] = { "+cpu", "+cpuset", "+memory", "+pids", "+io" };
			for (size_t i = 0; i < CC_ARRAY_SIZE(controllers); i++)
				write_text(path, "cgroup.subtree_control", controllers[i],
					   NULL); /* missing ones skipped */
		}
		char *child = cc_xasprintf("%s/%s", path, comp);
		if (mkdir(child, 0755) < 0 && errno != EEXIST) {
			int r = cc_error_set_errno(err, errno, "create cgroup `%s`", child);
			free(child);
			return r;
		}
		if (cpuset) {
			copy_from_parent(path, child, "cpuset.cpus");
			copy_from_parent(path, child, "cpuset.mems");
		}
		free(path);
		path = child;
	}
	return 0;
}

/* One devices-cgroup rule ("c 1:3 rwm") from an OCI linux.resources.devices entry. */
static int device_rule(const json_t *entry, size_t index, char *out, size_t size, bool *ret_allow, struct cc_error *err)
{
	const char *type = json_string_value(json_object_get(entry, "type"));
	const char *access = json_string_value(json_object_get(entry, "access"));
	json_t *major = json_object_get(entry, "major"), *minor = json_object_get(entry, "minor");
	if (!type || !*type)
		type = "a";
	if (!access || !*access)
		access = "rwm";
	if (strlen(type) != 1 || !strchr("abc", type[0]) || strspn(access, "rwm") != strlen(access))
		return cc_error_set(err, EINVAL,
				    "linux.resources.devices[%zu]: type must be a, b or c and access a subset of rwm",
				    index);
	char maj[24] = "*", min[24] = "*";
	if (json_is_integer(major) && json_integer_value(major) >= 0)
		snprintf(maj, sizeof(maj), "%lld", (long long)json_integer_value(major));
	if (json_is_integer(minor) && json_integer_value(minor) >= 0)
		snprintf(min, sizeof(min), "%lld", (long long)json_integer_value(minor));
	if (type[0] == 'a')
		snprintf(out, size, "a");
	else
		snprintf(out, size, "%s %s:%s %s", type, maj, min, access);
	*ret_allow = json_is_true(json_object_get(entry, "allow"));
	return 0;
}

/* Default deny, then the config's rules in order, then the devices every container needs
 * (runtime-spec "Default Devices", the pty multiplexer and pts, and mknod but no access for
 * anything else), in runc's order. Without this, CAP_MKNOD would let a container open the
 * host's disks. */
static int apply_devices_v1(const char *dir, const json_t *rules, struct cc_error *err)
{
	static const char *const defaults[] = {
		"c *:* m",   "b *:* m",   "c 1:3 rwm", "c 1:5 rwm", "c 1:7 rwm",   "c 1:8 rwm",
		"c 1:9 rwm", "c 5:0 rwm", "c 5:1 rwm", "c 5:2 rwm", "c 136:* rwm",
	};
	int r = write_text(dir, "devices.deny", "a", err);
	size_t i;
	json_t *entry;
	json_array_foreach ((json_t *)rules, i, entry) {
		char rule[96];
		bool allow = false;
		if (r == 0)
			r = device_rule(entry, i, rule, sizeof(rule), &allow, err);
		if (r == 0)
			r = write_text(dir, allow ? "devices.allow" : "devices.deny", rule, err);
	}
	for (size_t k = 0; r == 0 && k < CC_ARRAY_SIZE(defaults); k++)
		r = write_text(dir, "devices.allow", defaults[k], err);
	return r;
}

/* hugetlb.<pageSize>.limit_in_bytes (v1) or hugetlb.<pageSize>.max (v2) per linux.resources.hugepageLimits. */
static int apply_hugetlb(const char *dir, const json_t *limits, bool v2, struct cc_error *err)
{
	size_t i;
	json_t *entry;
	json_array_foreach ((json_t *)limits, i, entry) {
		const char *size = json_string_value(json_object_get(entry, "pageSize"));
		json_t *limit = json_object_get(entry, "limit");
		if (!size || !json_is_integer(limit) || size[strspn(size, "0123456789KMGB")] != '\0')
			return cc_error_set(
			    err, EINVAL, "linux.resources.hugepageLimits[%zu]: pageSize (e.g. 2MB) and limit required",
			    i);
		_cleanup_free_ char *file = cc_xasprintf("hugetlb.%s.%s", size, v2 ? "max" : "limit_in_bytes");
		int r = write_int(dir, file, json_integer_value(limit), err);
		if (r < 0)
			return r;
	}
	return 0;
}

static int apply_v1(const char *controller, const char *dir, const struct runtime_resources *res, struct cc_error *err)
{
	int r = 0;
	if (strcmp(controller, "hugetlb") == 0)
		return apply_hugetlb(dir, res->hugepages, false, err);
	if (strcmp(controller, "devices") == 0) {
		r = apply_devices_v1(dir, res->devices, err);
	} else if (strcmp(controller, "memory") == 0) {
		if (res->memory_limit > 0)
			r = write_int(dir, "memory.limit_in_bytes", res->memory_limit, err);
		if (r == 0 && res->memory_swap > 0 && file_exists(dir, "memory.memsw.limit_in_bytes"))
			r = write_int(dir, "memory.memsw.limit_in_bytes", res->memory_swap, err);
		if (r == 0 && res->memory_reservation > 0)
			r = write_int(dir, "memory.soft_limit_in_bytes", res->memory_reservation, err);
	} else if (strcmp(controller, "cpu") == 0) {
		if (res->cpu_shares > 0)
			r = write_int(dir, "cpu.shares", res->cpu_shares, err);
		if (r == 0 && res->cpu_period > 0)
			r = write_int(dir, "cpu.cfs_period_us", res->cpu_period, err);
		if (r == 0 && res->cpu_quota != -1 && res->cpu_quota != 0)
			r = write_int(dir, "cpu.cfs_quota_us", res->cpu_quota, err);
	} else if (strcmp(controller, "cpuset") == 0) {
		if (res->cpuset_cpus)
			r = write_text(dir, "cpuset.cpus", res->cpuset_cpus, err);
		if (r == 0 && res->cpuset_mems)
			r = write_text(dir, "cpuset.mems", res->cpuset_mems, err);
	} else if (strcmp(controller, "pids") == 0) {
		if (res->pids_limit > 0)
			r = write_int(dir, "pids.max", res->pids_limit, err);
	} else if (strcmp(controller, "blkio") == 0) {
		if (res->blkio_weight > 0 && file_exists(dir, "blkio.weight"))
			r = write_int(dir, "blkio.weight", res->blkio_weight, err);
	}
	return r;
}

static int apply_v2(const char *dir, const struct runtime_resources *res, struct cc_error *err)
{
	int r = 0;
	if (res->memory_limit > 0)
		r = write_int(dir, "memory.max", res->memory_limit, err);
	if (r == 0 && res->memory_swap > 0 && res->memory_limit > 0 && file_exists(dir, "memory.swap.max"))
		r = write_int(dir, "memory.swap.max", res->memory_swap - res->memory_limit, err);
	if (r == 0 && res->memory_reservation > 0)
		r = write_int(dir, "memory.low", res->memory_reservation, err);
	if (r == 0 && res->cpu_shares > 0) /* [2, 262144] -> [1, 10000] */
		r = write_int(dir, "cpu.weight", 1 + ((res->cpu_shares - 2) * 9999) / 262142, err);
	if (r == 0 && (res->cpu_quota > 0 || res->cpu_period > 0)) {
		char text[64];
		int64_t period = res->cpu_period > 0 ? res->cpu_period : 100000;
		if (res->cpu_quota > 0)
			snprintf(text, sizeof(text), "%lld %lld", (long long)res->cpu_quota, (long long)period);
		else
			snprintf(text, sizeof(text), "max %lld", (long long)period);
		r = write_text(dir, "cpu.max", text, err);
	}
	if (r == 0 && res->cpuset_cpus)
		r = write_text(dir, "cpuset.cpus", res->cpuset_cpus, err);
	if (r == 0 && res->cpuset_mems)
		r = write_text(dir, "cpuset.mems", res->cpuset_mems, err);
	if (r == 0 && res->pids_limit > 0)
		r = write_int(dir, "pids.max", res->pids_limit, err);
	if (r == 0 && res->blkio_weight > 0 && file_exists(dir, "io.weight")) /* [10, 1000] -> [1, 10000] */
		r = write_int(dir, "io.weight", 1 + ((res->blkio_weight - 10) * 9999) / 990, err);
	if (r == 0 && res->hugepages)
		r = apply_hugetlb(dir, res->hugepages, true, err);
	if (r == 0 && res->unified) {
		const char *key;
		json_t *value;
		json_object_foreach (res->unified, key, value) {
			/* Keys are file names in the container's own cgroup, never paths. */
			if (!json_is_string(value) || strchr(key, '/') || key[0] == '.')
				return cc_error_set(err, EINVAL, "linux.resources.unified: invalid entry `%s`", key);
			if ((r = write_text(dir, key, json_string_value(value), err)) < 0)
				return r;
		}
	}
	return r;
}

/* v1 hierarchies mounted under /sys/fs/cgroup, by the name a directory there carries. */
static int v1_hierarchies(char ***ret, size_t *ret_count)
{
	DIR *d = opendir(CGROUP_ROOT);
	if (!d)
		return -errno;
	size_t n = 0;
	char **names = NULL;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' || strcmp(de->d_name, "unified") == 0)
			continue;
		_cleanup_free_ char *path = cc_xasprintf(CGROUP_ROOT "/%s", de->d_name);
		struct stat st;
		struct statfs fs;
		/* Skip the symlinks (cpu,cpuacct -> ...) and non-cgroup entries. */
		if (lstat(path, &st) < 0 || !S_ISDIR(st.st_mode) || statfs(path, &fs) < 0 ||
		    fs.f_type == CGROUP2_SUPER_MAGIC)
			continue;
		names = cc_xrealloc(names, (n + 1) * sizeof(char *));
		names[n++] = cc_xstrdup(de->d_name);
	}
	closedir(d);
	*ret = names;
	*ret_count = n;
	return 0;
}

int runtime_cgroup_join(const json_t *paths, pid_t pid, struct cc_error *err)
{
	const char *name;
	json_t *dir;
	char text[16];
	snprintf(text, sizeof(text), "%d", (int)pid);
	json_object_foreach ((json_t *)paths, name, dir) {
		int r = write_text(json_string_value(dir), "cgroup.procs", text, err);
		if (r < 0)
			return r;
	}
	return 0;
}

int runtime_cgroup_make(const char *relative, json_t **ret_paths, struct cc_error *err)
{
	json_t *paths = json_object();
	char *v2 = NULL;
	int r = 0;
	if (runtime_cgroup_mode() != RUNTIME_CGROUP_UNIFIED) {
		char **names = NULL;
		size_t count = 0;
		if ((r = v1_hierarchies(&names, &count)) < 0) {
			cc_error_set_errno(err, -r, "list cgroup hierarchies in " CGROUP_ROOT);
			goto fail;
		}
		for (size_t i = 0; i < count; i++) {
			_cleanup_free_ char *root = cc_xasprintf(CGROUP_ROOT "/%s", names[i]);
			if (r == 0 && (r = make_path(root, relative, strcmp(names[i], "cpuset") == 0, false, err)) == 0)
				json_object_set_new(paths, names[i], json_sprintf("%s%s", root, relative));
			free(names[i]);
		}
		free(names);
		if (r < 0)
			goto fail;
	}
	if ((r = runtime_cgroup_make_v2(relative, &v2, err)) < 0)
		goto fail;
	if (v2)
		json_object_set_new(paths, "unified", json_string(v2));
	free(v2);
	*ret_paths = paths;
	return 0;
fail:
	runtime_cgroup_destroy(paths, NULL);
	json_decref(paths);
	return r;
}

int runtime_cgroup_make_v2(const char *relative, char **ret_dir, struct cc_error *err)
{
	*ret_dir = NULL;
	enum runtime_cgroup_mode mode = runtime_cgroup_mode();
	if (mode == RUNTIME_CGROUP_LEGACY)
		return 0;
	if (mode == RUNTIME_CGROUP_HYBRID) {
		/* Best effort: the v2 tree has no controllers here. It is joined all the same, so that
		 * tools that read /proc/<pid>/cgroup's 0:: line see the container's own group. */
		if (make_path(CGROUP_ROOT "/unified", relative, false, false, NULL) == 0)
			*ret_dir = cc_xasprintf(CGROUP_ROOT "/unified%s", relative);
		return 0;
	}
	int r = make_path(CGROUP_ROOT, relative, false, true, err);
	if (r == 0)
		*ret_dir = cc_xasprintf(CGROUP_ROOT "%s", relative);
	return r;
}

int runtime_cgroup_apply(const json_t *paths, const struct runtime_resources *res, struct cc_error *err)
{
	const char *name;
	json_t *value;
	bool unified_only = runtime_cgroup_mode() == RUNTIME_CGROUP_UNIFIED;
	json_object_foreach ((json_t *)paths, name, value) {
		const char *dir = json_string_value(value);
		int r;
		if (strcmp(name, "unified") != 0)
			r = apply_v1(name, dir, res, err);
		else if (unified_only) {
			/* v2 has no devices controller: the eBPF filter is the only device control, so
			 * failing to attach it fails the container. */
			if ((r = apply_v2(dir, res, err)) == 0)
				r = runtime_devices_bpf_attach(dir, res->devices, err);
		} else {
			/* Defence in depth next to the v1 devices controller. */
			struct cc_error bpf_err = { 0 };
			if (runtime_devices_bpf_attach(dir, res->devices, &bpf_err) < 0)
				cc_warning("%s", cc_error_message(&bpf_err));
			r = 0;
		}
		if (r < 0)
			return r;
	}
	return 0;
}

int runtime_cgroup_setup(const char *relative, const struct runtime_resources *res, pid_t pid, json_t **ret_paths,
			 struct cc_error *err)
{
	json_t *paths;
	int r = runtime_cgroup_make(relative, &paths, err);
	if (r < 0)
		return r;
	if ((r = runtime_cgroup_apply(paths, res, err)) < 0 || (r = runtime_cgroup_join(paths, pid, err)) < 0) {
		runtime_cgroup_destroy(paths, NULL);
		json_decref(paths);
		return r;
	}
	*ret_paths = paths;
	return 0;
}

static int read_pids(const char *dir, pid_t **ret, size_t *ret_count)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/cgroup.procs", dir);
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = cc_read_file(path, 16u << 20, &data, &len, NULL);
	if (r < 0)
		return r;
	size_t n = 0;
	pid_t *pids = NULL;
	for (char *p = data; *p;) {
		char *end;
		long v = strtol(p, &end, 10);
		if (end == p)
			break;
		pids = cc_xrealloc(pids, (n + 1) * sizeof(pid_t));
		pids[n++] = (pid_t)v;
		p = end;
		while (*p == '\n')
			p++;
	}
	*ret = pids;
	*ret_count = n;
	return 0;
}

int runtime_cgroup_pids(const json_t *paths, pid_t **ret, size_t *ret_count, struct cc_error *err)
{
	static const char *const preferred[] = { "pids", "memory", "cpu", "unified", "freezer" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(preferred); i++) {
		const char *dir = json_string_value(json_object_get(paths, preferred[i]));
		if (dir && read_pids(dir, ret, ret_count) == 0)
			return 0;
	}
	return cc_error_set(err, ENOENT, "the container has no readable cgroup");
}

void runtime_cgroup_kill_all(const json_t *paths, int sig)
{
	pid_t *pids = NULL;
	size_t n = 0;
	if (runtime_cgroup_pids(paths, &pids, &n, NULL) < 0)
		return;
	for (size_t i = 0; i < n; i++)
		kill(pids[i], sig);
	free(pids);
}

int runtime_cgroup_freeze(const json_t *paths, bool freeze, struct cc_error *err)
{
	const char *freezer = json_string_value(json_object_get(paths, "freezer"));
	if (freezer)
		return write_text(freezer, "freezer.state", freeze ? "FROZEN" : "THAWED", err);
	const char *unified = json_string_value(json_object_get(paths, "unified"));
	if (unified && runtime_cgroup_mode() == RUNTIME_CGROUP_UNIFIED)
		return write_text(unified, "cgroup.freeze", freeze ? "1" : "0", err);
	return cc_error_set(err, ENOTSUP, "no freezer cgroup for this container");
}

int runtime_cgroup_destroy(const json_t *paths, struct cc_error *err)
{
	const char *name;
	json_t *dir;
	int result = 0;
	json_object_foreach ((json_t *)paths, name, dir) {
		const char *path = json_string_value(dir);
		/* Exiting processes leave their cgroup asynchronously: retry for up to a second. */
		int r = -EBUSY;
		for (int attempt = 0; attempt < 100; attempt++) {
			if (rmdir(path) == 0 || errno == ENOENT) {
				r = 0;
				break;
			}
			if (errno != EBUSY) {
				r = -errno;
				break;
			}
			usleep(10000);
		}
		if (r < 0 && result == 0)
			result = cc_error_set_errno(err, -r, "remove cgroup `%s`", path);
	}
	return result;
}
