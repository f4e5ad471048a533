/* Parsing of OCI config.json (runtime-spec config.md, config-linux.md). Unknown fields are ignored,
 * as the spec requires; known fields with the wrong type are errors that name the field. */
#include "runtime/spec.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <errno.h>
#include <linux/capability.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>

static const struct {
	const char *name;
	int flag;
} namespaces[RUNTIME_NS_MAX] = {
	[RUNTIME_NS_PID] = { "pid", CLONE_NEWPID },          [RUNTIME_NS_NETWORK] = { "network", CLONE_NEWNET },
	[RUNTIME_NS_MOUNT] = { "mount", CLONE_NEWNS },       [RUNTIME_NS_IPC] = { "ipc", CLONE_NEWIPC },
	[RUNTIME_NS_UTS] = { "uts", CLONE_NEWUTS },          [RUNTIME_NS_USER] = { "user", CLONE_NEWUSER },
	[RUNTIME_NS_CGROUP] = { "cgroup", CLONE_NEWCGROUP }, [RUNTIME_NS_TIME] = { "time", CLONE_NEWTIME },
};

const char *runtime_ns_name(enum runtime_ns ns)
{
	return ns < RUNTIME_NS_MAX ? namespaces[ns].name : "invalid";
}

int runtime_ns_clone_flag(enum runtime_ns ns)
{
	return ns < RUNTIME_NS_MAX ? namespaces[ns].flag : 0;
}

static const char *const cap_names[] = {
	"CAP_CHOWN",
	"CAP_DAC_OVERRIDE",
	"CAP_DAC_READ_SEARCH",
	"CAP_FOWNER",
	"CAP_FSETID",
	"CAP_KILL",
	"CAP_SETGID",
	"CAP_SETUID",
	"CAP_SETPCAP",
	"CAP_LINUX_IMMUTABLE",
	"CAP_NET_BIND_SERVICE",
	"CAP_NET_BROADCAST",
	"CAP_NET_ADMIN",
	"CAP_NET_RAW",
	"CAP_IPC_LOCK",
	"CAP_IPC_OWNER",
	"CAP_SYS_MODULE",
	"CAP_SYS_RAWIO",
	"CAP_SYS_CHROOT",
	"CAP_SYS_PTRACE",
	"CAP_SYS_PACCT",
	"CAP_SYS_ADMIN",
	"CAP_SYS_BOOT",
	"CAP_SYS_NICE",
	"CAP_SYS_RESOURCE",
	"CAP_SYS_TIME",
	"CAP_SYS_TTY_CONFIG",
	"CAP_MKNOD",
	"CAP_LEASE",
	"CAP_AUDIT_WRITE",
	"CAP_AUDIT_CONTROL",
	"CAP_SETFCAP",
	"CAP_MAC_OVERRIDE",
	"CAP_MAC_ADMIN",
	"CAP_SYSLOG",
	"CAP_WAKE_ALARM",
	"CAP_BLOCK_SUSPEND",
	"CAP_AUDIT_READ",
	"CAP_PERFMON",
	"CAP_BPF",
	"CAP_CHECKPOINT_RESTORE",
};

int runtime_cap_last(void)
{
	return (int)CC_ARRAY_SIZE(cap_names) - 1;
}

int runtime_cap_from_name(const char *name)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(cap_names); i++)
		if (strcmp(cap_names[i], name) == 0)
			return (int)i;
	return -1;
}

const char *runtime_cap_name(int cap)
{
	return cap >= 0 && cap <= runtime_cap_last() ? cap_names[cap] : "CAP_UNKNOWN";
}

static const struct {
	const char *name;
	int resource;
} rlimits[] = {
	{ "RLIMIT_AS", RLIMIT_AS },
	{ "RLIMIT_CORE", RLIMIT_CORE },
	{ "RLIMIT_CPU", RLIMIT_CPU },
	{ "RLIMIT_DATA", RLIMIT_DATA },
	{ "RLIMIT_FSIZE", RLIMIT_FSIZE },
	{ "RLIMIT_LOCKS", RLIMIT_LOCKS },
	{ "RLIMIT_MEMLOCK", RLIMIT_MEMLOCK },
	{ "RLIMIT_MSGQUEUE", RLIMIT_MSGQUEUE },
	{ "RLIMIT_NICE", RLIMIT_NICE },
	{ "RLIMIT_NOFILE", RLIMIT_NOFILE },
	{ "RLIMIT_NPROC", RLIMIT_NPROC },
	{ "RLIMIT_RSS", RLIMIT_RSS },
	{ "RLIMIT_RTPRIO", RLIMIT_RTPRIO },
	{ "RLIMIT_RTTIME", RLIMIT_RTTIME },
	{ "RLIMIT_SIGPENDING", RLIMIT_SIGPENDING },
	{ "RLIMIT_STACK", RLIMIT_STACK },
};

/* runtime-spec config.md "mounts": options that are mount(2) flags; everything else is data. */
static const struct {
	const char *name;
	bool clear;
	unsigned long flag;
} mount_flags[] = {
	{ "ro", false, MS_RDONLY },
	{ "rw", true, MS_RDONLY },
	{ "nosuid", false, MS_NOSUID },
	{ "suid", true, MS_NOSUID },
	{ "nodev", false, MS_NODEV },
	{ "dev", true, MS_NODEV },
	{ "noexec", false, MS_NOEXEC },
	{ "exec", true, MS_NOEXEC },
	{ "sync", false, MS_SYNCHRONOUS },
	{ "async", true, MS_SYNCHRONOUS },
	{ "dirsync", false, MS_DIRSYNC },
	{ "remount", false, MS_REMOUNT },
	{ "mand", false, MS_MANDLOCK },
	{ "nomand", true, MS_MANDLOCK },
	{ "atime", true, MS_NOATIME },
	{ "noatime", false, MS_NOATIME },
	{ "diratime", true, MS_NODIRATIME },
	{ "nodiratime", false, MS_NODIRATIME },
	{ "relatime", false, MS_RELATIME },
	{ "norelatime", true, MS_RELATIME },
	{ "strictatime", false, MS_STRICTATIME },
	{ "nostrictatime", true, MS_STRICTATIME },
};

static const struct {
	const char *name;
	unsigned long flags;
} propagations[] = {
	{ "shared", MS_SHARED },         { "rshared", MS_SHARED | MS_REC },
	{ "slave", MS_SLAVE },           { "rslave", MS_SLAVE | MS_REC },
	{ "private", MS_PRIVATE },       { "rprivate", MS_PRIVATE | MS_REC },
	{ "unbindable", MS_UNBINDABLE }, { "runbindable", MS_UNBINDABLE | MS_REC },
};

static int propagation_from_name(const char *name, unsigned long *ret)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(propagations); i++)
		if (strcmp(propagations[i].name, name) == 0) {
			*ret = propagations[i].flags;
			return 0;
		}
	return -EINVAL;
}

static char *dup_or_null(const char *s)
{
	return s ? cc_xstrdup(s) : NULL;
}

/* Reads an array of strings into a NULL-terminated vector. */
static int string_array(const json_t *obj, const char *field, const char *where, char ***ret, struct cc_error *err)
{
	json_t *arr;
	int r = cc_json_get_array(obj, field, false, &arr, err);
	if (r < 0)
		return cc_error_prefix(err, "%s", where);
	*ret = NULL;
	if (!arr)
		return 0;
	char **out = cc_xcalloc(json_array_size(arr) + 1, sizeof(char *));
	size_t i;
	json_t *item;
	json_array_foreach (arr, i, item) {
		if (!json_is_string(item) || strlen(json_string_value(item)) != json_string_length(item)) {
			for (size_t k = 0; k < i; k++)
				free(out[k]);
			free(out);
			return cc_error_set(err, EINVAL, "%s.%s[%zu] must be a string without NUL bytes", where, field,
					    i);
		}
		out[i] = cc_xstrdup(json_string_value(item));
	}
	*ret = out;
	return 0;
}

static void free_strv(char **v)
{
	if (!v)
		return;
	for (char **p = v; *p; p++)
		free(*p);
	free(v);
}

static int parse_caps(const json_t *caps, struct runtime_caps *out, struct cc_error *err)
{
	static const char *const sets[] = { "bounding", "effective", "inheritable", "permitted", "ambient" };
	uint64_t *dest[] = { &out->bounding, &out->effective, &out->inheritable, &out->permitted, &out->ambient };
	for (size_t s = 0; s < CC_ARRAY_SIZE(sets); s++) {
		json_t *arr;
		int r = cc_json_get_array(caps, sets[s], false, &arr, err);
		if (r < 0)
			return cc_error_prefix(err, "process.capabilities");
		size_t i;
		json_t *item;
		json_array_foreach (arr, i, item) {
			const char *name = json_string_value(item);
			if (!name)
				return cc_error_set(err, EINVAL, "process.capabilities.%s[%zu] must be a string",
						    sets[s], i);
			int cap = runtime_cap_from_name(name);
			if (cap < 0)
				continue; /* unknown to this kernel/runtime: ignored, as runc does (with a warning) */
			*dest[s] |= 1ULL << cap;
		}
	}
	return 0;
}

static int parse_user(const json_t *process, struct runtime_process *p, struct cc_error *err)
{
	json_t *user;
	int r = cc_json_get_object(process, "user", false, &user, err);
	if (r < 0)
		return cc_error_prefix(err, "process");
	if (!user)
		return 0;
	int64_t uid = 0, gid = 0, umask_value = -1;
	if ((r = cc_json_get_int(user, "uid", false, &uid, err)) < 0 ||
	    (r = cc_json_get_int(user, "gid", false, &gid, err)) < 0 ||
	    (r = cc_json_get_int(user, "umask", false, &umask_value, err)) < 0)
		return cc_error_prefix(err, "process.user");
	if (uid < 0 || uid > UINT32_MAX - 1 || gid < 0 || gid > UINT32_MAX - 1)
		return cc_error_set(err, EINVAL, "process.user: uid and gid must be between 0 and 4294967294");
	p->uid = (uid_t)uid;
	p->gid = (gid_t)gid;
	p->umask = umask_value >= 0 && umask_value <= 0777 ? (int)umask_value : -1;
	json_t *gids;
	if ((r = cc_json_get_array(user, "additionalGids", false, &gids, err)) < 0)
		return cc_error_prefix(err, "process.user");
	if (gids) {
		p->additional_gids = cc_xcalloc(json_array_size(gids) + 1, sizeof(gid_t));
		size_t i;
		json_t *g;
		json_array_foreach (gids, i, g) {
			if (!json_is_integer(g) || json_integer_value(g) < 0 || json_integer_value(g) > UINT32_MAX - 1)
				return cc_error_set(err, EINVAL, "process.user.additionalGids[%zu] must be a gid", i);
			p->additional_gids[p->additional_gid_count++] = (gid_t)json_integer_value(g);
		}
	}
	return 0;
}

static int parse_process(const json_t *root, struct runtime_process *p, struct cc_error *err)
{
	json_t *process;
	int r = cc_json_get_object(root, "process", false, &process, err);
	if (r < 0)
		return r;
	p->umask = -1;
	if (!process)
		return 0;
	if ((r = cc_json_get_bool(process, "terminal", false, &p->terminal, err)) < 0 ||
	    (r = cc_json_get_bool(process, "noNewPrivileges", false, &p->no_new_privileges, err)) < 0)
		return cc_error_prefix(err, "process");
	if ((r = parse_user(process, p, err)) < 0)
		return r;
	if ((r = string_array(process, "args", "process", &p->args, err)) < 0 ||
	    (r = string_array(process, "env", "process", &p->env, err)) < 0)
		return r;
	const char *cwd = NULL, *apparmor = NULL, *selinux = NULL;
	if ((r = cc_json_get_string(process, "cwd", false, &cwd, err)) < 0 ||
	    (r = cc_json_get_string(process, "apparmorProfile", false, &apparmor, err)) < 0 ||
	    (r = cc_json_get_string(process, "selinuxLabel", false, &selinux, err)) < 0)
		return cc_error_prefix(err, "process");
	if (cwd && cwd[0] != '/')
		return cc_error_set(err, EINVAL, "process.cwd `%s` must be an absolute path", cwd);
	p->cwd = cc_xstrdup(cwd ? cwd : "/");
	p->apparmor_profile = dup_or_null(apparmor && *apparmor ? apparmor : NULL);
	p->selinux_label = dup_or_null(selinux && *selinux ? selinux : NULL);
	json_t *caps;
	if ((r = cc_json_get_object(process, "capabilities", false, &caps, err)) < 0)
		return cc_error_prefix(err, "process");
	if (caps) {
		p->has_caps = true;
		if ((r = parse_caps(caps, &p->caps, err)) < 0)
			return r;
	}
	int64_t oom;
	json_t *oom_json = json_object_get(process, "oomScoreAdj");
	if (oom_json) {
		if ((r = cc_json_get_int(process, "oomScoreAdj", true, &oom, err)) < 0)
			return cc_error_prefix(err, "process");
		if (oom < -1000 || oom > 1000)
			return cc_error_set(err, EINVAL, "process.oomScoreAdj must be between -1000 and 1000");
		p->has_oom_score_adj = true;
		p->oom_score_adj = (int)oom;
	}
	json_t *limits;
	if ((r = cc_json_get_array(process, "rlimits", false, &limits, err)) < 0)
		return cc_error_prefix(err, "process");
	if (limits) {
		p->rlimits = cc_xcalloc(json_array_size(limits) + 1, sizeof(*p->rlimits));
		size_t i;
		json_t *l;
		json_array_foreach (limits, i, l) {
			const char *type;
			int64_t soft, hard;
			if (cc_json_get_string(l, "type", true, &type, err) < 0 ||
			    cc_json_get_int(l, "soft", true, &soft, err) < 0 ||
			    cc_json_get_int(l, "hard", true, &hard, err) < 0)
				return cc_error_prefix(err, "process.rlimits[%zu]", i);
			int resource = -1;
			for (size_t k = 0; k < CC_ARRAY_SIZE(rlimits); k++)
				if (strcmp(rlimits[k].name, type) == 0)
					resource = rlimits[k].resource;
			if (resource < 0)
				return cc_error_set(err, EINVAL, "process.rlimits[%zu]: unknown type `%s`", i, type);
			/* JSON integers are signed 64-bit here; -1 and large values mean unlimited. */
			p->rlimits[p->rlimit_count++] =
			    (struct runtime_rlimit){ resource, (uint64_t)soft, (uint64_t)hard };
		}
	}
	return 0;
}

static int parse_mount_options(const json_t *options, struct runtime_mount *m, size_t index, struct cc_error *err)
{
	struct cc_buf data = CC_BUF_INIT;
	size_t i;
	json_t *item;
	json_array_foreach (options, i, item) {
		const char *opt = json_string_value(item);
		if (!opt) {
			cc_buf_free(&data);
			return cc_error_set(err, EINVAL, "mounts[%zu].options[%zu] must be a string", index, i);
		}
		bool known = false;
		for (size_t k = 0; k < CC_ARRAY_SIZE(mount_flags); k++)
			if (strcmp(mount_flags[k].name, opt) == 0) {
				if (mount_flags[k].clear)
					m->flags &= ~mount_flags[k].flag;
				else
					m->flags |= mount_flags[k].flag;
				known = true;
			}
		unsigned long prop;
		if (!known && propagation_from_name(opt, &prop) == 0) {
			m->propagation = prop;
			known = true;
		}
		if (!known && (strcmp(opt, "bind") == 0 || strcmp(opt, "rbind") == 0)) {
			m->bind = true;
			m->flags |= MS_BIND | (opt[0] == 'r' ? MS_REC : 0);
			known = true;
		}
		if (!known && strcmp(opt, "rro") == 0) {
			m->recursive_ro = true;
			m->flags |= MS_RDONLY;
			known = true;
		}
		/* crun/podman extensions: "tmpcopyup" copies the image's files into a tmpfs mounted
		 * over them; SELinux relabelling (z, Z) has no meaning on this host. */
		if (!known && (strcmp(opt, "tmpcopyup") == 0 || strcmp(opt, "notmpcopyup") == 0)) {
			m->tmpcopyup = opt[0] == 't';
			known = true;
		}
		if (!known && (strcmp(opt, "idmap") == 0 || strcmp(opt, "ridmap") == 0)) {
			m->idmap = true;
			m->idmap_recursive = opt[0] == 'r';
			known = true;
		}
		if (!known && (strcmp(opt, "copy-symlink") == 0 || strcmp(opt, "z") == 0 || strcmp(opt, "Z") == 0))
			known = true;
		/* Options for idmapped mounts and the like are not supported; carried as data they
		 * would make the mount fail with a clear kernel error rather than being ignored. */
		if (!known) {
			if (strchr(opt, ','))
				continue;
			cc_buf_appendf(&data, "%s%s", data.len ? "," : "", opt);
		}
	}
	m->data = data.len ? cc_buf_steal(&data, NULL) : NULL;
	cc_buf_free(&data);
	return 0;
}

static int parse_id_maps(const json_t *obj, const char *field, struct runtime_id_map **ret, size_t *ret_count,
			 struct cc_error *err);

/* mounts[].uidMappings and gidMappings (runtime-spec 1.1): both or neither, on a bind mount. */
static int parse_mount_id_maps(const json_t *m, struct runtime_mount *out, size_t index, struct cc_error *err)
{
	if (parse_id_maps(m, "uidMappings", &out->uid_maps, &out->uid_map_count, err) < 0 ||
	    parse_id_maps(m, "gidMappings", &out->gid_maps, &out->gid_map_count, err) < 0)
		return cc_error_prefix(err, "mounts[%zu]", index);
	if (!out->uid_map_count && !out->gid_map_count && !json_object_get(m, "uidMappings") &&
	    !json_object_get(m, "gidMappings"))
		return 0;
	if (!json_object_get(m, "uidMappings") || !json_object_get(m, "gidMappings"))
		return cc_error_set(err, EINVAL, "mounts[%zu]: uidMappings and gidMappings go together", index);
	out->idmap = true;
	return 0;
}

static int parse_mounts(const json_t *root, struct runtime_spec *spec, struct cc_error *err)
{
	json_t *mounts;
	int r = cc_json_get_array(root, "mounts", false, &mounts, err);
	if (r < 0 || !mounts)
		return r;
	spec->mounts = cc_xcalloc(json_array_size(mounts) + 1, sizeof(*spec->mounts));
	size_t i;
	json_t *m;
	json_array_foreach (mounts, i, m) {
		struct runtime_mount *out = &spec->mounts[spec->mount_count++];
		const char *dest, *type = NULL, *source = NULL;
		json_t *options;
		if (cc_json_get_string(m, "destination", true, &dest, err) < 0 ||
		    cc_json_get_string(m, "type", false, &type, err) < 0 ||
		    cc_json_get_string(m, "source", false, &source, err) < 0 ||
		    cc_json_get_array(m, "options", false, &options, err) < 0)
			return cc_error_prefix(err, "mounts[%zu]", i);
		if (dest[0] != '/')
			return cc_error_set(err, EINVAL, "mounts[%zu].destination `%s` must be absolute", i, dest);
		out->destination = cc_xstrdup(dest);
		out->type = cc_xstrdup(type && *type ? type : "none");
		out->source = cc_xstrdup(source ? source : "none");
		if (options && (r = parse_mount_options(options, out, i, err)) < 0)
			return r;
		if (strcmp(out->type, "bind") == 0) {
			out->bind = true;
			out->flags |= MS_BIND;
		}
		if ((r = parse_mount_id_maps(m, out, i, err)) < 0)
			return r;
		if (out->idmap && !out->bind)
			return cc_error_set(err, EINVAL, "mounts[%zu] (`%s`): idmapped mounts must be bind mounts", i,
					    dest);
	}
	return 0;
}

static int parse_id_maps(const json_t *obj, const char *field, struct runtime_id_map **ret, size_t *ret_count,
			 struct cc_error *err)
{
	json_t *maps;
	int r = cc_json_get_array(obj, field, false, &maps, err);
	if (r < 0 || !maps)
		return r;
	*ret = cc_xcalloc(json_array_size(maps) + 1, sizeof(**ret));
	size_t i;
	json_t *m;
	json_array_foreach (maps, i, m) {
		int64_t c, h, s;
		if (cc_json_get_int(m, "containerID", true, &c, err) < 0 ||
		    cc_json_get_int(m, "hostID", true, &h, err) < 0 || cc_json_get_int(m, "size", true, &s, err) < 0)
			return cc_error_prefix(err, "%s[%zu]", field, i);
		if (c < 0 || h < 0 || s <= 0 || c > UINT32_MAX || h > UINT32_MAX || s > UINT32_MAX)
			return cc_error_set(err, EINVAL, "%s[%zu]: ids and size must be 32-bit, size positive", field,
					    i);
		(*ret)[(*ret_count)++] = (struct runtime_id_map){ (uint32_t)c, (uint32_t)h, (uint32_t)s };
	}
	return 0;
}

static int64_t int_or(const json_t *obj, const char *field, int64_t fallback)
{
	json_t *v = json_object_get(obj, field);
	return json_is_integer(v) ? json_integer_value(v) : fallback;
}

static void parse_resources(const json_t *linux_obj, struct runtime_resources *res)
{
	res->memory_limit = res->memory_swap = res->memory_reservation = -1;
	res->cpu_shares = res->cpu_quota = res->cpu_period = res->pids_limit = res->blkio_weight = -1;
	json_t *resources = json_object_get(linux_obj, "resources");
	if (!json_is_object(resources))
		return;
	json_t *memory = json_object_get(resources, "memory");
	res->memory_limit = int_or(memory, "limit", -1);
	res->memory_swap = int_or(memory, "swap", -1);
	res->memory_reservation = int_or(memory, "reservation", -1);
	json_t *cpu = json_object_get(resources, "cpu");
	res->cpu_shares = int_or(cpu, "shares", -1);
	res->cpu_quota = int_or(cpu, "quota", -1);
	res->cpu_period = int_or(cpu, "period", -1);
	const char *cpus = json_string_value(json_object_get(cpu, "cpus"));
	const char *mems = json_string_value(json_object_get(cpu, "mems"));
	res->cpuset_cpus = cpus && *cpus ? cc_xstrdup(cpus) : NULL;
	res->cpuset_mems = mems && *mems ? cc_xstrdup(mems) : NULL;
	res->pids_limit = int_or(json_object_get(resources, "pids"), "limit", -1);
	res->blkio_weight = int_or(json_object_get(resources, "blockIO"), "weight", -1);
	json_t *unified = json_object_get(resources, "unified");
	res->unified = json_is_object(unified) ? unified : NULL;
	json_t *devices = json_object_get(resources, "devices");
	res->devices = json_is_array(devices) ? devices : NULL;
	json_t *hugepages = json_object_get(resources, "hugepageLimits");
	res->hugepages = json_is_array(hugepages) ? hugepages : NULL;
}

static int parse_devices(const json_t *linux_obj, struct runtime_spec *spec, struct cc_error *err)
{
	json_t *devices;
	int r = cc_json_get_array(linux_obj, "devices", false, &devices, err);
	if (r < 0 || !devices)
		return r < 0 ? cc_error_prefix(err, "linux") : 0;
	spec->devices = cc_xcalloc(json_array_size(devices) + 1, sizeof(*spec->devices));
	size_t i;
	json_t *d;
	json_array_foreach (devices, i, d) {
		const char *path, *type;
		if (cc_json_get_string(d, "path", true, &path, err) < 0 ||
		    cc_json_get_string(d, "type", true, &type, err) < 0)
			return cc_error_prefix(err, "linux.devices[%zu]", i);
		if (path[0] != '/' || strlen(type) != 1 || !strchr("cbup", type[0]))
			return cc_error_set(err, EINVAL,
					    "linux.devices[%zu]: absolute path and type c, b, u or p required", i);
		struct runtime_device *dev = &spec->devices[spec->device_count++];
		dev->path = cc_xstrdup(path);
		dev->type = type[0];
		dev->major = int_or(d, "major", 0);
		dev->minor = int_or(d, "minor", 0);
		dev->mode = (uint32_t)int_or(d, "fileMode", 0666);
		dev->uid = (uid_t)int_or(d, "uid", 0);
		dev->gid = (gid_t)int_or(d, "gid", 0);
	}
	return 0;
}

static int parse_hooks(const json_t *root, struct runtime_spec *spec, struct cc_error *err)
{
	static const char *const names[RUNTIME_HOOK_KIND_MAX] = {
		"prestart", "createRuntime", "createContainer", "startContainer", "poststart", "poststop",
	};
	json_t *hooks = json_object_get(root, "hooks");
	if (!json_is_object(hooks))
		return 0;
	for (int k = 0; k < RUNTIME_HOOK_KIND_MAX; k++) {
		json_t *list;
		int r = cc_json_get_array(hooks, names[k], false, &list, err);
		if (r < 0)
			return cc_error_prefix(err, "hooks");
		if (!list)
			continue;
		spec->hooks[k] = cc_xcalloc(json_array_size(list) + 1, sizeof(struct runtime_hook));
		size_t i;
		json_t *h;
		json_array_foreach (list, i, h) {
			const char *path;
			struct runtime_hook *hook = &spec->hooks[k][spec->hook_count[k]++];
			if (cc_json_get_string(h, "path", true, &path, err) < 0)
				return cc_error_prefix(err, "hooks.%s[%zu]", names[k], i);
			hook->path = cc_xstrdup(path);
			char where[64];
			snprintf(where, sizeof(where), "hooks.%s[%zu]", names[k], i);
			if ((r = string_array(h, "args", where, &hook->args, err)) < 0 ||
			    (r = string_array(h, "env", where, &hook->env, err)) < 0)
				return r;
			int64_t timeout = int_or(h, "timeout", 0);
			if (timeout < 0)
				return cc_error_set(err, EINVAL, "%s.timeout must be positive", where);
			hook->timeout = (int)timeout;
		}
	}
	return 0;
}

static int parse_linux(const json_t *root, struct runtime_spec *spec, struct cc_error *err)
{
	json_t *linux_obj;
	int r = cc_json_get_object(root, "linux", false, &linux_obj, err);
	parse_resources(linux_obj, &spec->resources);
	if (r < 0 || !linux_obj)
		return r;
	json_t *ns_list;
	if ((r = cc_json_get_array(linux_obj, "namespaces", false, &ns_list, err)) < 0)
		return cc_error_prefix(err, "linux");
	size_t i;
	json_t *ns;
	json_array_foreach (ns_list, i, ns) {
		const char *type, *path = NULL;
		if (cc_json_get_string(ns, "type", true, &type, err) < 0 ||
		    cc_json_get_string(ns, "path", false, &path, err) < 0)
			return cc_error_prefix(err, "linux.namespaces[%zu]", i);
		int found = -1;
		for (int k = 0; k < RUNTIME_NS_MAX; k++)
			if (strcmp(namespaces[k].name, type) == 0)
				found = k;
		if (found < 0)
			return cc_error_set(err, EINVAL, "linux.namespaces[%zu]: unknown type `%s`", i, type);
		if (spec->namespaces[found].enabled)
			return cc_error_set(err, EINVAL, "linux.namespaces: `%s` appears twice", type);
		spec->namespaces[found].enabled = true;
		spec->namespaces[found].path = dup_or_null(path && *path ? path : NULL);
	}
	if ((r = parse_id_maps(linux_obj, "uidMappings", &spec->uid_maps, &spec->uid_map_count, err)) < 0 ||
	    (r = parse_id_maps(linux_obj, "gidMappings", &spec->gid_maps, &spec->gid_map_count, err)) < 0)
		return cc_error_prefix(err, "linux");
	if ((r = parse_devices(linux_obj, spec, err)) < 0)
		return r;
	const char *cgroups_path = NULL, *propagation = NULL, *label = NULL;
	if ((r = cc_json_get_string(linux_obj, "cgroupsPath", false, &cgroups_path, err)) < 0 ||
	    (r = cc_json_get_string(linux_obj, "rootfsPropagation", false, &propagation, err)) < 0 ||
	    (r = cc_json_get_string(linux_obj, "mountLabel", false, &label, err)) < 0)
		return cc_error_prefix(err, "linux");
	spec->cgroups_path = dup_or_null(cgroups_path && *cgroups_path ? cgroups_path : NULL);
	spec->mount_label = dup_or_null(label && *label ? label : NULL);
	if (propagation && *propagation && propagation_from_name(propagation, &spec->rootfs_propagation) < 0)
		return cc_error_set(err, EINVAL, "linux.rootfsPropagation `%s` is not a propagation mode", propagation);
	if ((r = cc_json_get_object(linux_obj, "sysctl", false, &spec->sysctl, err)) < 0 ||
	    (r = cc_json_get_object(linux_obj, "seccomp", false, &spec->seccomp, err)) < 0)
		return cc_error_prefix(err, "linux");
	if ((r = string_array(linux_obj, "maskedPaths", "linux", &spec->masked_paths, err)) < 0 ||
	    (r = string_array(linux_obj, "readonlyPaths", "linux", &spec->readonly_paths, err)) < 0)
		return r;
	return 0;
}

int runtime_spec_parse(json_t *json, const char *bundle, struct runtime_spec **ret, struct cc_error *err)
{
	if (!json_is_object(json))
		return cc_error_set(err, EINVAL, "config must be a JSON object");
	struct runtime_spec *spec = cc_xcalloc(1, sizeof(*spec));
	spec->json = json_incref(json);
	const char *version, *root_path = NULL, *hostname = NULL, *domainname = NULL;
	json_t *root;
	int r;
	if ((r = cc_json_get_string(json, "ociVersion", true, &version, err)) < 0)
		goto fail;
	spec->oci_version = cc_xstrdup(version);
	if (strncmp(version, "1.", 2) != 0) {
		r = cc_error_set(err, EINVAL, "ociVersion `%s` is not supported (1.x expected)", version);
		goto fail;
	}
	if ((r = cc_json_get_object(json, "root", true, &root, err)) < 0 ||
	    (r = cc_json_get_string(root, "path", true, &root_path, err)) < 0 ||
	    (r = cc_json_get_bool(root, "readonly", false, &spec->root_readonly, err)) < 0) {
		cc_error_prefix(err, "root");
		goto fail;
	}
	spec->root_path =
	    root_path[0] == '/' || !bundle ? cc_xstrdup(root_path) : cc_xasprintf("%s/%s", bundle, root_path);
	if ((r = cc_json_get_string(json, "hostname", false, &hostname, err)) < 0 ||
	    (r = cc_json_get_string(json, "domainname", false, &domainname, err)) < 0)
		goto fail;
	spec->hostname = dup_or_null(hostname);
	spec->domainname = dup_or_null(domainname);
	if ((r = parse_process(json, &spec->process, err)) < 0 || (r = parse_mounts(json, spec, err)) < 0 ||
	    (r = parse_linux(json, spec, err)) < 0 || (r = parse_hooks(json, spec, err)) < 0)
		goto fail;
	if ((r = cc_json_get_object(json, "annotations", false, &spec->annotations, err)) < 0)
		goto fail;
	if (spec->hostname && !spec->namespaces[RUNTIME_NS_UTS].enabled) {
		r = cc_error_set(err, EINVAL, "hostname is set but there is no new uts namespace");
		goto fail;
	}
	*ret = spec;
	return 0;
fail:
	runtime_spec_free(spec);
	return r;
}

int runtime_spec_load(const char *bundle, struct runtime_spec **ret, struct cc_error *err)
{
	_cleanup_free_ char *path = cc_xasprintf("%s/config.json", bundle);
	_cleanup_json_ json_t *json = NULL;
	int r = cc_json_load_file(path, RUNTIME_SPEC_MAX_SIZE, &json, err);
	if (r < 0)
		return r;
	r = runtime_spec_parse(json, bundle, ret, err);
	return r < 0 ? cc_error_prefix(err, "%s", path) : 0;
}

void runtime_spec_free(struct runtime_spec *spec)
{
	if (!spec)
		return;
	struct runtime_process *p = &spec->process;
	free(p->additional_gids);
	free_strv(p->args);
	free_strv(p->env);
	free(p->cwd);
	free(p->rlimits);
	free(p->apparmor_profile);
	free(p->selinux_label);
	for (size_t i = 0; i < spec->mount_count; i++) {
		free(spec->mounts[i].destination);
		free(spec->mounts[i].type);
		free(spec->mounts[i].source);
		free(spec->mounts[i].data);
		free(spec->mounts[i].uid_maps);
		free(spec->mounts[i].gid_maps);
	}
	free(spec->mounts);
	for (int i = 0; i < RUNTIME_NS_MAX; i++)
		free(spec->namespaces[i].path);
	free(spec->uid_maps);
	free(spec->gid_maps);
	for (size_t i = 0; i < spec->device_count; i++)
		free(spec->devices[i].path);
	free(spec->devices);
	free(spec->cgroups_path);
	free(spec->resources.cpuset_cpus);
	free(spec->resources.cpuset_mems);
	free_strv(spec->masked_paths);
	free_strv(spec->readonly_paths);
	free(spec->mount_label);
	for (int k = 0; k < RUNTIME_HOOK_KIND_MAX; k++) {
		for (size_t i = 0; i < spec->hook_count[k]; i++) {
			free(spec->hooks[k][i].path);
			free_strv(spec->hooks[k][i].args);
			free_strv(spec->hooks[k][i].env);
		}
		free(spec->hooks[k]);
	}
	free(spec->oci_version);
	free(spec->root_path);
	free(spec->hostname);
	free(spec->domainname);
	json_decref(spec->json);
	free(spec);
}

const char *runtime_spec_annotation(const struct runtime_spec *spec, const char *key)
{
	return spec->annotations ? json_string_value(json_object_get(spec->annotations, key)) : NULL;
}
