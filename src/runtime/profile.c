/* Confidential profile rules, each the strictest of two references: the Kubernetes Pod Security
 * Standard "restricted" (capabilities, privilege escalation, host namespaces, sysctls) and runc's
 * defaults for masked and read-only paths. The seccomp allowlist lives in seccomp_filter.c and is
 * stacked on the config's own filter by the init. */
#include "runtime/profile.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "runtime/rootfs.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>

__attribute__((format(printf, 2, 3))) static void note(struct cc_buf *report, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_buf_appendv(report, fmt, ap);
	va_end(ap);
	cc_buf_append_str(report, "\n");
}

static void tighten_caps(struct runtime_spec *spec, struct cc_buf *report)
{
	const uint64_t allowed = 1ULL << runtime_cap_from_name("CAP_NET_BIND_SERVICE");
	struct runtime_caps *c = &spec->process.caps;
	uint64_t all = c->bounding | c->effective | c->inheritable | c->permitted | c->ambient;
	for (int cap = 0; cap < 64; cap++)
		if ((all & (1ULL << cap)) && !(allowed & (1ULL << cap)))
			note(report, "removed capability %s", runtime_cap_name(cap));
	c->bounding &= allowed;
	c->effective &= allowed;
	c->inheritable &= allowed;
	c->permitted &= allowed;
	c->ambient &= allowed;
	spec->process.has_caps = true;
}

/* "Host" is the namespace the runtime itself runs in (podman, containerd and kubelet call the
 * runtime from the host's namespaces). A path that cannot be inspected counts as the host's:
 * the profile fails closed. */
static bool same_namespace_as_host(const char *path, const char *kind)
{
	struct stat a, b;
	_cleanup_free_ char *host = cc_xasprintf("/proc/self/ns/%s", kind);
	if (stat(path, &a) < 0 || stat(host, &b) < 0)
		return true;
	return a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

static int refuse_host_namespaces(const struct runtime_spec *spec, struct cc_error *err)
{
	static const struct {
		enum runtime_ns ns;
		const char *proc_name;
	} required[] = {
		{ RUNTIME_NS_PID, "pid" },   { RUNTIME_NS_IPC, "ipc" },     { RUNTIME_NS_UTS, "uts" },
		{ RUNTIME_NS_MOUNT, "mnt" }, { RUNTIME_NS_NETWORK, "net" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(required); i++) {
		const struct runtime_namespace *ns = &spec->namespaces[required[i].ns];
		if (!ns->enabled || (ns->path && same_namespace_as_host(ns->path, required[i].proc_name)))
			return cc_error_set(
			    err, EPERM,
			    "confidential profile: the host %s namespace is not allowed; give the container its own",
			    runtime_ns_name(required[i].ns));
	}
	return 0;
}

/* cocoond keeps each pod's own files (emptyDirs, the hosts file, Secret volumes, the encrypted
 * pool's directories) under its state and run directories, named by the pod's uid: those are the
 * pod's, not the platform's, and a container of that pod may have them. */
static bool own_pod_path(const struct runtime_spec *spec, const char *src)
{
	static const char *const pod_roots[] = { "/var/lib/cocoon/pods/", "/run/cocoon/memory/",
						 "/run/cocoon/encrypted/" };
	const char *uid = runtime_spec_annotation(spec, "io.kubernetes.pod.uid");
	if (!uid || !uid[0] || strchr(uid, '/') || strcmp(uid, ".") == 0 || strcmp(uid, "..") == 0)
		return false;
	for (size_t k = 0; k < CC_ARRAY_SIZE(pod_roots); k++) {
		size_t n = strlen(pod_roots[k]), u = strlen(uid);
		if (strncmp(src, pod_roots[k], n) == 0 && strncmp(src + n, uid, u) == 0 && src[n + u] == '/')
			return true;
	}
	return false;
}

/* Bind sources that hand a container the host: its root, kernel interfaces, and runtime sockets. */
static int refuse_dangerous_mounts(const struct runtime_spec *spec, struct cc_error *err)
{
	static const char *const exact[] = { "/", "/etc", "/root", "/boot", "/var/lib/kubelet", "/var/lib/containers" };
	static const char *const prefixes[] = { "/proc",
						"/sys",
						"/dev",
						"/run/containerd",
						"/var/run/containerd",
						"/run/podman",
						"/var/run/podman",
						"/run/crio",
						"/var/run/crio",
						"/run/docker.sock",
						"/var/run/docker.sock",
						"/run/cocoon",
						"/var/lib/cocoon" };
	for (size_t i = 0; i < spec->mount_count; i++) {
		const struct runtime_mount *m = &spec->mounts[i];
		if (!m->bind)
			continue;
		char resolved[PATH_MAX];
		const char *src = realpath(m->source, resolved) ? resolved : m->source;
		bool bad = false;
		for (size_t k = 0; k < CC_ARRAY_SIZE(exact) && !bad; k++)
			bad = strcmp(src, exact[k]) == 0;
		for (size_t k = 0; k < CC_ARRAY_SIZE(prefixes) && !bad; k++) {
			size_t n = strlen(prefixes[k]);
			bad = strncmp(src, prefixes[k], n) == 0 && (src[n] == '\0' || src[n] == '/');
		}
		/* The default device binds (/dev/null etc.) come from the runtime, not from mounts. */
		if (bad && own_pod_path(spec, src))
			bad = false;
		if (bad)
			return cc_error_set(err, EPERM,
					    "confidential profile: bind mount of host path `%s` on `%s` is not allowed",
					    src, m->destination);
	}
	return 0;
}

static bool in_list(char **list, const char *path)
{
	for (char **p = list; p && *p; p++)
		if (strcmp(*p, path) == 0)
			return true;
	return false;
}

static char **merge_defaults(char **list, const char *const *defaults, const char *kind, struct cc_buf *report)
{
	size_t n = 0, extra = 0;
	for (char **p = list; p && *p; p++)
		n++;
	for (const char *const *d = defaults; *d; d++)
		extra++;
	char **out = cc_xcalloc(n + extra + 1, sizeof(char *));
	for (size_t i = 0; i < n; i++)
		out[i] = list[i];
	for (const char *const *d = defaults; *d; d++)
		if (!in_list(list, *d)) {
			out[n++] = cc_xstrdup(*d);
			cc_buf_appendf(report, "added %s path %s\n", kind, *d);
		}
	free(list);
	return out;
}

/* Kernel interfaces mounted into the container (sysfs, cgroupfs) are read-only under the profile. */
static void readonly_kernel_mounts(struct runtime_spec *spec, struct cc_buf *report)
{
	for (size_t i = 0; i < spec->mount_count; i++) {
		struct runtime_mount *m = &spec->mounts[i];
		bool kernel =
		    strcmp(m->type, "sysfs") == 0 || strcmp(m->type, "cgroup") == 0 || strcmp(m->type, "cgroup2") == 0;
		if (kernel && !(m->flags & MS_RDONLY)) {
			m->flags |= MS_RDONLY;
			note(report, "made %s mount on %s read-only", m->type, m->destination);
		}
	}
}

static void remove_unsafe_sysctls(struct runtime_spec *spec, struct cc_buf *report)
{
	/* Kubernetes' "safe" sysctls: namespaced and unable to affect other pods. */
	static const char *const safe[] = { "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
					    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range",
					    "net.ipv4.ip_unprivileged_port_start" };
	if (!spec->sysctl)
		return;
	void *iter = json_object_iter(spec->sysctl);
	while (iter) {
		const char *key = json_object_iter_key(iter);
		void *next = json_object_iter_next(spec->sysctl, iter);
		bool ok = false;
		for (size_t i = 0; i < CC_ARRAY_SIZE(safe); i++)
			ok = ok || strcmp(safe[i], key) == 0;
		if (!ok) {
			note(report, "removed sysctl %s", key);
			json_object_del(spec->sysctl, key);
		}
		iter = next;
	}
}

static void remove_devices(struct runtime_spec *spec, struct cc_buf *report)
{
	static const char *const allowed[] = { "/dev/null",    "/dev/zero", "/dev/full",    "/dev/random",
					       "/dev/urandom", "/dev/tty",  "/dev/console", "/dev/fuse" };
	size_t kept = 0;
	for (size_t i = 0; i < spec->device_count; i++) {
		bool ok = false;
		for (size_t k = 0; k < CC_ARRAY_SIZE(allowed); k++)
			ok = ok || strcmp(allowed[k], spec->devices[i].path) == 0;
		if (ok) {
			spec->devices[kept++] = spec->devices[i];
		} else {
			note(report, "removed device %s", spec->devices[i].path);
			free(spec->devices[i].path);
		}
	}
	spec->device_count = kept;
}

int runtime_profile_confidential(struct runtime_spec *spec, struct cc_buf *report, struct cc_error *err)
{
	int r = refuse_host_namespaces(spec, err);
	if (r == 0)
		r = refuse_dangerous_mounts(spec, err);
	if (r < 0)
		return r;
	tighten_caps(spec, report);
	if (!spec->process.no_new_privileges) {
		spec->process.no_new_privileges = true;
		note(report, "forced %s", "noNewPrivileges");
	}
	spec->masked_paths = merge_defaults(spec->masked_paths, runtime_default_masked_paths, "masked", report);
	spec->readonly_paths =
	    merge_defaults(spec->readonly_paths, runtime_default_readonly_paths, "read-only", report);
	readonly_kernel_mounts(spec, report);
	remove_unsafe_sysctls(spec, report);
	remove_devices(spec, report);
	if (spec->process.apparmor_profile && strcmp(spec->process.apparmor_profile, "unconfined") == 0) {
		free(spec->process.apparmor_profile);
		spec->process.apparmor_profile = NULL;
		note(report, "removed AppArmor profile %s", "unconfined");
	}
	return 0;
}
