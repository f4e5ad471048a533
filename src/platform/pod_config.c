/* config.json of a pod's container (see pod_config.h). What Kubernetes leaves to the runtime follows
 * containerd's CRI plugin, the runtime kubeadm clusters use: its default capability set, a soft
 * and hard RLIMIT_NOFILE of 1048576, and CPU shares from requests with a quota from limits. */
#include "platform/pod_config.h"

#include "image/store.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

/* containerd's default capabilities (oci.defaultUnixCaps), the set a pod gets without
 * securityContext.capabilities. */
static const char *const default_caps[] = {
	"CAP_CHOWN",   "CAP_DAC_OVERRIDE", "CAP_FSETID",           "CAP_FOWNER",
	"CAP_MKNOD",   "CAP_NET_RAW",      "CAP_SETGID",           "CAP_SETUID",
	"CAP_SETFCAP", "CAP_SETPCAP",      "CAP_NET_BIND_SERVICE", "CAP_SYS_CHROOT",
	"CAP_KILL",    "CAP_AUDIT_WRITE",
};

static const char *env_lookup(const json_t *env, const char *name, size_t name_len)
{
	size_t i;
	const json_t *e;
	/* The last definition wins, as in a container's environment built in order. */
	const char *found = NULL;
	json_array_foreach (env, i, e) {
		const char *s = json_string_value(e);
		if (s && strncmp(s, name, name_len) == 0 && s[name_len] == '=')
			found = s + name_len + 1;
	}
	return found;
}

char *pod_expand(const char *s, const json_t *env)
{
	size_t cap = strlen(s) + 64, len = 0;
	char *out = cc_xmalloc(cap);
	for (const char *p = s; *p;) {
		const char *add = p;
		size_t add_len = 1, skip = 1;
		if (p[0] == '$' && p[1] == '$') {
			add_len = 1, skip = 2;
		} else if (p[0] == '$' && p[1] == '(') {
			const char *close = strchr(p + 2, ')');
			const char *value = close ? env_lookup(env, p + 2, (size_t)(close - p - 2)) : NULL;
			if (value) {
				add = value, add_len = strlen(value), skip = (size_t)(close - p) + 1;
			}
		}
		if (len + add_len + 1 > cap) {
			cap = (len + add_len + 1) * 2;
			out = cc_xrealloc(out, cap);
		}
		memcpy(out + len, add, add_len);
		len += add_len;
		p += skip;
	}
	out[len] = '\0';
	return out;
}

static void append_strings(json_t *array, char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		json_array_append_new(array, json_string(items[i]));
}

static void append_expanded(json_t *array, const json_t *items, const json_t *env)
{
	size_t i;
	const json_t *item;
	json_array_foreach (items, i, item)
		if (json_is_string(item)) {
			char *s = pod_expand(json_string_value(item), env);
			json_array_append_new(array, json_string(s));
			free(s);
		}
}

int pod_command(const json_t *container, const struct image_config *image, const json_t *env, json_t **ret,
		struct cc_error *err)
{
	const json_t *command = json_object_get(container, "command");
	const json_t *args = json_object_get(container, "args");
	json_t *argv = json_array();
	if (json_array_size(command)) {
		append_expanded(argv, command, env);
		append_expanded(argv, args, env);
	} else {
		append_strings(argv, image->entrypoint, image->n_entrypoint);
		if (json_array_size(args))
			append_expanded(argv, args, env);
		else
			append_strings(argv, image->cmd, image->n_cmd);
	}
	if (json_array_size(argv) == 0) {
		json_decref(argv);
		return cc_error_set(err, EINVAL,
				    "no command specified: the image has no ENTRYPOINT or CMD and the "
				    "container no command");
	}
	*ret = argv;
	return 0;
}

/* The securityContext field of the container, else the pod's (runAsUser, runAsGroup, ...). */
static const json_t *security_field(const json_t *pod, const json_t *container, const char *field)
{
	const json_t *v = json_object_get(json_object_get(container, "securityContext"), field);
	if (v)
		return v;
	return json_object_get(json_object_get(json_object_get(pod, "spec"), "securityContext"), field);
}

static int parse_id(const char *s, unsigned long *ret)
{
	char *end;
	errno = 0;
	unsigned long v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > UINT32_MAX - 1)
		return -EINVAL;
	*ret = v;
	return 0;
}

/* uid and gid: runAsUser/runAsGroup, else the image's USER ("uid" or "uid:gid"; names are not
 * resolved in the image's /etc/passwd yet, said in docs/platform.md). */
static int user_of(const struct pod_container_input *in, json_t **ret, struct cc_error *err)
{
	unsigned long uid = 0, gid = 0;
	const json_t *run_as = security_field(in->pod, in->container, "runAsUser");
	const json_t *run_as_group = security_field(in->pod, in->container, "runAsGroup");
	const char *image_user = in->image->user;
	if (!json_is_integer(run_as) && image_user && image_user[0]) {
		_cleanup_free_ char *copy = cc_xstrdup(image_user);
		char *colon = strchr(copy, ':');
		if (colon)
			*colon++ = '\0';
		if (parse_id(copy, &uid) < 0 || (colon && parse_id(colon, &gid) < 0))
			return cc_error_set(err, EINVAL,
					    "the image's USER `%s` is a name: set securityContext.runAsUser (names "
					    "are not looked up in the image)",
					    image_user);
	}
	if (json_is_integer(run_as))
		uid = (unsigned long)json_integer_value(run_as);
	if (json_is_integer(run_as_group))
		gid = (unsigned long)json_integer_value(run_as_group);
	if (json_is_true(security_field(in->pod, in->container, "runAsNonRoot")) && uid == 0)
		return cc_error_set(err, EPERM, "container has runAsNonRoot and image will run as root");
	json_t *user = json_pack("{s:I, s:I}", "uid", (json_int_t)uid, "gid", (json_int_t)gid);
	json_t *groups = json_array();
	const json_t *pod_sc = json_object_get(json_object_get(in->pod, "spec"), "securityContext");
	size_t i;
	const json_t *g;
	json_array_foreach (json_object_get(pod_sc, "supplementalGroups"), i, g)
		if (json_is_integer(g))
			json_array_append(groups, (json_t *)g);
	if (json_is_integer(json_object_get(pod_sc, "fsGroup")))
		json_array_append(groups, json_object_get(pod_sc, "fsGroup"));
	if (json_array_size(groups))
		json_object_set_new(user, "additionalGids", groups);
	else
		json_decref(groups);
	*ret = user;
	return 0;
}

static bool names_cap(const json_t *list, const char *cap)
{
	size_t i;
	const json_t *c;
	json_array_foreach (list, i, c) {
		const char *s = json_string_value(c);
		if (!s)
			continue;
		if (strcasecmp(s, "ALL") == 0 || strcasecmp(s, cap) == 0 ||
		    (strncasecmp(cap, "CAP_", 4) == 0 && strcasecmp(s, cap + 4) == 0))
			return true;
	}
	return false;
}

/* securityContext.capabilities add/drop over the default set; names with or without CAP_. */
static json_t *capabilities_of(const json_t *container)
{
	const json_t *caps = json_object_get(json_object_get(container, "securityContext"), "capabilities");
	const json_t *drop = json_object_get(caps, "drop"), *add = json_object_get(caps, "add");
	json_t *set = json_array();
	for (size_t i = 0; i < sizeof(default_caps) / sizeof(default_caps[0]); i++)
		if (!names_cap(drop, default_caps[i]) || names_cap(add, default_caps[i]))
			json_array_append_new(set, json_string(default_caps[i]));
	size_t i;
	const json_t *c;
	json_array_foreach (add, i, c) {
		const char *s = json_string_value(c);
		if (!s || strcasecmp(s, "ALL") == 0)
			continue;
		char name[64];
		snprintf(name, sizeof(name), "%s%s", strncasecmp(s, "CAP_", 4) == 0 ? "" : "CAP_", s);
		for (char *p = name; *p; p++)
			*p = (char)toupper((unsigned char)*p);
		if (!names_cap(set, name))
			json_array_append_new(set, json_string(name));
	}
	return json_pack("{s:O, s:O, s:o}", "bounding", set, "effective", set, "permitted", set);
}

/* Kubernetes quantities: "128Mi", "1G", "500m", "2". Returns the value times scale (1000 for CPU
 * millicores, 1 for bytes); -1 when malformed. */
static long long quantity(const char *s, long long scale)
{
	if (!s)
		return -1;
	char *end;
	double v = strtod(s, &end);
	if (end == s || !(v >= 0) || v > 1e15) /* NaN, negative, or beyond any machine (and int64) */
		return -1;
	static const struct {
		const char *suffix;
		double factor;
	} units[] = {
		{ "", 1 },     { "m", 1e-3 },    { "k", 1e3 },        { "M", 1e6 },           { "G", 1e9 },
		{ "T", 1e12 }, { "Ki", 1024.0 }, { "Mi", 1048576.0 }, { "Gi", 1073741824.0 }, { "Ti", 1099511627776.0 },
	};
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (strcmp(end, units[i].suffix) == 0) {
			double value = v * units[i].factor * (double)scale + 0.5;
			return value < 9e18 ? (long long)value : -1;
		}
	return -1;
}

#define MAX_CPU_MILLI 1000000000LL

static const char *resource(const json_t *container, const char *kind, const char *name)
{
	return json_string_value(json_object_get(json_object_get(json_object_get(container, "resources"), kind), name));
}

/* requests.cpu -> shares (containerd: milli * 1024 / 1000, at least 2), limits.cpu -> a CFS quota
 * per 100 ms, limits.memory -> the memory limit. */
static json_t *resources_of(const json_t *container)
{
	json_t *res = json_object();
	long long request = quantity(resource(container, "requests", "cpu"), 1000);
	long long limit = quantity(resource(container, "limits", "cpu"), 1000);
	if (request < 0)
		request = limit;
	/* A million CPUs is more than any node has: beyond it the arithmetic below would overflow, and
	 * the kernel caps shares at 262144 anyway. */
	if (request > MAX_CPU_MILLI)
		request = MAX_CPU_MILLI;
	if (limit > MAX_CPU_MILLI)
		limit = MAX_CPU_MILLI;
	json_t *cpu = json_object();
	if (request >= 0) {
		long long shares = request * 1024 / 1000;
		json_object_set_new(cpu, "shares", json_integer(shares < 2 ? 2 : shares > 262144 ? 262144 : shares));
	}
	if (limit > 0) {
		json_object_set_new(cpu, "quota", json_integer(limit * 100 < 1000 ? 1000 : limit * 100));
		json_object_set_new(cpu, "period", json_integer(100000));
	}
	if (json_object_size(cpu))
		json_object_set_new(res, "cpu", cpu);
	else
		json_decref(cpu);
	long long memory = quantity(resource(container, "limits", "memory"), 1);
	if (memory > 0)
		json_object_set_new(res, "memory", json_pack("{s:I}", "limit", (json_int_t)memory));
	json_object_set_new(res, "devices", json_pack("[{s:b, s:s}]", "allow", 0, "access", "rwm"));
	return res;
}

static json_t *base_mounts(void)
{
	return json_pack("[{s:s, s:s, s:s}, {s:s, s:s, s:s, s:[s,s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s,s,s]},"
			 " {s:s, s:s, s:s, s:[s,s,s,s,s]}, {s:s, s:s, s:s, s:[s,s,s]}, {s:s, s:s, s:s, s:[s,s,s,s]},"
			 " {s:s, s:s, s:s, s:[s,s,s,s,s]}]",
			 "destination", "/proc", "type", "proc", "source", "proc", "destination", "/dev", "type",
			 "tmpfs", "source", "tmpfs", "options", "nosuid", "strictatime", "mode=755", "size=65536k",
			 "destination", "/dev/pts", "type", "devpts", "source", "devpts", "options", "nosuid", "noexec",
			 "newinstance", "ptmxmode=0666", "mode=0620", "gid=5", "destination", "/dev/shm", "type",
			 "tmpfs", "source", "shm", "options", "nosuid", "noexec", "nodev", "mode=1777", "size=65536k",
			 "destination", "/dev/mqueue", "type", "mqueue", "source", "mqueue", "options", "nosuid",
			 "noexec", "nodev", "destination", "/sys", "type", "sysfs", "source", "sysfs", "options",
			 "nosuid", "noexec", "nodev", "ro", "destination", "/sys/fs/cgroup", "type", "cgroup", "source",
			 "cgroup", "options", "nosuid", "noexec", "nodev", "relatime", "ro");
}

static json_t *namespaces_of(const struct pod_container_input *in)
{
	_cleanup_free_ char *net = cc_xasprintf("%s/net", in->sandbox_dir);
	_cleanup_free_ char *ipc = cc_xasprintf("%s/ipc", in->sandbox_dir);
	_cleanup_free_ char *uts = cc_xasprintf("%s/uts", in->sandbox_dir);
	return json_pack("[{s:s}, {s:s}, {s:s, s:s}, {s:s, s:s}, {s:s, s:s}]", "type", "pid", "type", "mount", "type",
			 "network", "path", net, "type", "ipc", "path", ipc, "type", "uts", "path", uts);
}

static json_t *annotations_of(const struct pod_container_input *in)
{
	const json_t *meta = json_object_get(in->pod, "metadata");
	json_t *a = json_pack("{s:s, s:s, s:s, s:s}", "io.kubernetes.pod.name",
			      json_string_value(json_object_get(meta, "name")) ?: "", "io.kubernetes.pod.namespace",
			      json_string_value(json_object_get(meta, "namespace")) ?: "", "io.kubernetes.pod.uid",
			      json_string_value(json_object_get(meta, "uid")) ?: "", "io.kubernetes.container.name",
			      json_string_value(json_object_get(in->container, "name")) ?: "");
	const char *profile =
	    json_string_value(json_object_get(json_object_get(meta, "annotations"), "run.cocoon.profile"));
	if (profile)
		json_object_set_new(a, "run.cocoon.profile", json_string(profile));
	if (in->image_digest)
		json_object_set_new(a, "run.cocoon.image.digest", json_string(in->image_digest));
	if (in->fscrypt_key)
		json_object_set_new(a, "run.cocoon.fscrypt.key", json_string(in->fscrypt_key));
	return a;
}

static json_t *process_of(const struct pod_container_input *in, json_t *args, json_t *user)
{
	const char *cwd = json_string_value(json_object_get(in->container, "workingDir"));
	if (!cwd || !cwd[0])
		cwd = in->image->working_dir && in->image->working_dir[0] ? in->image->working_dir : "/";
	const json_t *escalation =
	    json_object_get(json_object_get(in->container, "securityContext"), "allowPrivilegeEscalation");
	/* containerd's 1048576, bounded by what this host lets a process raise its limit to. */
	struct rlimit nofile = { 0 };
	json_int_t files = 1048576;
	if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_max != RLIM_INFINITY &&
	    (json_int_t)nofile.rlim_max < files)
		files = (json_int_t)nofile.rlim_max;
	return json_pack("{s:b, s:o, s:o, s:O, s:s, s:o, s:[{s:s, s:I, s:I}], s:b}", "terminal", 0, "user", user,
			 "args", args, "env", in->env, "cwd", cwd, "capabilities", capabilities_of(in->container),
			 "rlimits", "type", "RLIMIT_NOFILE", "hard", files, "soft", files, "noNewPrivileges",
			 json_is_false(escalation));
}

/* seccompProfile.type RuntimeDefault: the system calls Docker's and containerd's default profiles
 * deny (kernel modules and keyrings, mounts and namespaces, kexec and reboot, ptrace and other
 * processes' memory, BPF and perf, clock setting, swap, obsolete calls), each failing with EPERM.
 * The confidential profile stacks its own allowlist on top of this. */
static json_t *runtime_default_seccomp(void)
{
	static const char *const denied[] = {
		"acct",
		"add_key",
		"bpf",
		"clock_adjtime",
		"clock_settime",
		"create_module",
		"delete_module",
		"finit_module",
		"get_kernel_syms",
		"get_mempolicy",
		"init_module",
		"ioperm",
		"iopl",
		"kcmp",
		"kexec_file_load",
		"kexec_load",
		"keyctl",
		"lookup_dcookie",
		"mbind",
		"mount",
		"move_mount",
		"move_pages",
		"name_to_handle_at",
		"nfsservctl",
		"open_by_handle_at",
		"open_tree",
		"fsopen",
		"fsconfig",
		"fsmount",
		"fspick",
		"perf_event_open",
		"pivot_root",
		"process_vm_readv",
		"process_vm_writev",
		"ptrace",
		"query_module",
		"quotactl",
		"reboot",
		"request_key",
		"set_mempolicy",
		"setns",
		"settimeofday",
		"swapon",
		"swapoff",
		"sysfs",
		"_sysctl",
		"umount2",
		"unshare",
		"uselib",
		"userfaultfd",
		"ustat",
	};
	json_t *names = json_array();
	for (size_t i = 0; i < sizeof(denied) / sizeof(denied[0]); i++)
		json_array_append_new(names, json_string(denied[i]));
	return json_pack("{s:s, s:[s], s:[{s:o, s:s, s:i}]}", "defaultAction", "SCMP_ACT_ALLOW", "architectures",
			 "SCMP_ARCH_X86_64", "syscalls", "names", names, "action", "SCMP_ACT_ERRNO", "errnoRet", 1);
}

/* The seccomp of a container: its own profile, else the pod's; RuntimeDefault as above,
 * Unconfined or none as nothing. -EINVAL for Localhost (node-local profile files). */
static int seccomp_of(const struct pod_container_input *in, json_t **ret, struct cc_error *err)
{
	const json_t *profile = security_field(in->pod, in->container, "seccompProfile");
	const char *type = json_string_value(json_object_get(profile, "type"));
	*ret = NULL;
	if (!type || strcmp(type, "Unconfined") == 0)
		return 0;
	if (strcmp(type, "RuntimeDefault") == 0) {
		*ret = runtime_default_seccomp();
		return 0;
	}
	return cc_error_set(err, EINVAL,
			    "seccompProfile type `%s` is not supported by cocoon (RuntimeDefault or "
			    "Unconfined)",
			    type);
}

int pod_oci_config(const struct pod_container_input *in, json_t **ret, struct cc_error *err)
{
	const json_t *sc = json_object_get(in->container, "securityContext");
	if (json_is_true(json_object_get(sc, "privileged")))
		return cc_error_set(err, EPERM,
				    "privileged containers are not run by cocoon: grant the "
				    "capabilities the workload needs instead");
	if (json_is_true(json_object_get(in->container, "tty")))
		return cc_error_set(err, EINVAL, "tty containers are not supported yet: use `kubectl exec -it`");
	json_t *args = NULL, *user = NULL, *seccomp = NULL;
	int r = seccomp_of(in, &seccomp, err);
	if (r < 0)
		return r;
	r = pod_command(in->container, in->image, in->env, &args, err);
	if (r < 0) {
		json_decref(seccomp);
		return r;
	}
	r = user_of(in, &user, err);
	if (r < 0) {
		json_decref(args);
		json_decref(seccomp);
		return r;
	}
	json_t *mounts = base_mounts();
	json_array_extend(mounts, (json_t *)in->mounts);
	json_t *config =
	    json_pack("{s:s, s:o, s:{s:b}, s:o, s:o, s:{s:o, s:s, s:o, s:[s,s,s,s,s,s,s,s,s,s,s], s:[s,s,s,s,s]}}",
		      "ociVersion", "1.2.0", "process", process_of(in, args, user), "root", "readonly",
		      json_is_true(json_object_get(sc, "readOnlyRootFilesystem")), "mounts", mounts, "annotations",
		      annotations_of(in), "linux", "namespaces", namespaces_of(in), "cgroupsPath", in->cgroups_path,
		      "resources", resources_of(in->container), "maskedPaths", "/proc/acpi", "/proc/asound",
		      "/proc/kcore", "/proc/keys", "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
		      "/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
		      "readonlyPaths", "/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger");
	if (!config) {
		json_decref(seccomp);
		return cc_error_set(err, ENOMEM, "build the container's config.json");
	}
	if (seccomp)
		json_object_set_new(json_object_get(config, "linux"), "seccomp", seccomp);
	*ret = config;
	return 0;
}
