/* Pod volumes (see pod_volumes.h). */
#include "platform/pod_volumes.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/safepath.h"
#include "lib/json/json.h"
#include "platform/pod_env.h"
#include "platform/pod_mtls.h"
#include "platform/pod_projected.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *meta(const json_t *pod, const char *field)
{
	return json_string_value(json_object_get(json_object_get(pod, "metadata"), field));
}

bool pod_wants_encryption(const json_t *pod)
{
	const char *names = json_string_value(json_object_get(
	    json_object_get(json_object_get(pod, "metadata"), "annotations"), "run.cocoon.volume.encrypted"));
	return names && names[0];
}

/* A file name inside a volume: relative, no "..", not empty. */
static bool safe_relative(const char *path)
{
	if (!path[0] || path[0] == '/')
		return false;
	_cleanup_free_ char *copy = cc_xstrdup(path);
	char *save = NULL;
	for (char *part = strtok_r(copy, "/", &save); part; part = strtok_r(NULL, "/", &save))
		if (strcmp(part, "..") == 0)
			return false;
	return true;
}

/* value is a JSON string that may hold any bytes (a Secret's DER or keystore): its length counts, not
 * its first NUL. */
int pod_volume_write_item(const char *dir, const char *path, const json_t *value, unsigned mode, struct cc_error *err)
{
	if (!safe_relative(path))
		return cc_error_set(err, EINVAL, "volume item path `%s` must be relative without `..`", path);
	_cleanup_free_ char *file = cc_xasprintf("%s/%s", dir, path);
	_cleanup_free_ char *parent = cc_xstrdup(file);
	*strrchr(parent, '/') = '\0';
	int r = cc_mkdir_p(parent, 0755, err);
	if (r == 0)
		r = cc_write_file_atomic(file, json_string_value(value), json_string_length(value), mode, err);
	return r;
}

int pod_volume_write_source(struct platform_objects *objects, const json_t *pod, const json_t *source, const char *kind,
			    const char *name_field, const char *dir, unsigned default_mode, struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(source, name_field)) ?: "";
	bool optional = json_is_true(json_object_get(source, "optional"));
	json_int_t mode = json_is_integer(json_object_get(source, "defaultMode"))
			      ? json_integer_value(json_object_get(source, "defaultMode"))
			      : default_mode;
	int r = cc_mkdir_p(dir, 0755, err);
	if (r < 0)
		return r;
	json_t *data = NULL;
	r = pod_source_data(objects, kind, meta(pod, "namespace"), name, &data, err);
	if (r == -ENOENT && optional)
		return 0;
	if (r < 0)
		return r;
	const json_t *items = json_object_get(source, "items");
	if (json_array_size(items)) {
		size_t i;
		const json_t *item;
		json_array_foreach (items, i, item) {
			const char *key = json_string_value(json_object_get(item, "key")) ?: "";
			const json_t *value = json_object_get(data, key);
			json_int_t m = json_is_integer(json_object_get(item, "mode"))
					   ? json_integer_value(json_object_get(item, "mode"))
					   : mode;
			if (!value) {
				r = cc_error_set(err, ENOENT, "configmap or secret \"%s\" has no key \"%s\"", name,
						 key);
				break;
			}
			r = pod_volume_write_item(dir, json_string_value(json_object_get(item, "path")) ?: key, value,
						  (unsigned)m & 0777, err);
			if (r < 0)
				break;
		}
	} else {
		const char *key;
		json_t *value;
		json_object_foreach (data, key, value) {
			r = pod_volume_write_item(dir, key, value, (unsigned)mode & 0777, err);
			if (r < 0)
				break;
		}
	}
	json_decref(data);
	return r;
}

static int one_volume(struct platform_objects *objects, const json_t *pod, const json_t *volume,
		      const struct pod_volume_dirs *dirs, char **ret_path, struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(volume, "name")) ?: "";
	/* Admission allows DNS labels only; the name is a path component here, so again. */
	if (!name[0] || strchr(name, '/') || strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		return cc_error_set(err, EINVAL, "volume name `%s` is not a DNS-1123 label", name);
	const json_t *source;
	if ((source = json_object_get(volume, "emptyDir"))) {
		const char *base = dirs->encrypted_dir ? dirs->encrypted_dir : dirs->pod_dir;
		const char *medium = json_string_value(json_object_get(source, "medium")) ?: "";
		if (strcmp(medium, "Memory") == 0 && !dirs->encrypted_dir)
			base = dirs->memory_dir;
		*ret_path = cc_xasprintf("%s/volumes/empty-dir/%s", base, name);
		int r = cc_mkdir_p(*ret_path, 0777, err);
		/* World-writable as kubelet makes it (the umask took bits off): any user of the pod writes. */
		if (r == 0 && chmod(*ret_path, 0777) < 0)
			r = cc_error_set_errno(err, errno, "chmod the emptyDir `%s`", *ret_path);
		return r;
	}
	if ((source = json_object_get(volume, "secret"))) {
		*ret_path = cc_xasprintf("%s/volumes/secret/%s", dirs->memory_dir, name);
		return pod_volume_write_source(objects, pod, source, "secrets", "secretName", *ret_path, 0644, err);
	}
	if ((source = json_object_get(volume, "configMap"))) {
		*ret_path = cc_xasprintf("%s/volumes/configmap/%s", dirs->memory_dir, name);
		return pod_volume_write_source(objects, pod, source, "configmaps", "name", *ret_path, 0644, err);
	}
	if ((source = json_object_get(volume, "projected"))) {
		*ret_path = cc_xasprintf("%s/volumes/projected/%s", dirs->memory_dir, name);
		return pod_projected_write(objects, dirs->sa_tokens, pod, source, *ret_path, err);
	}
	if ((source = json_object_get(volume, "downwardAPI"))) {
		*ret_path = cc_xasprintf("%s/volumes/downward-api/%s", dirs->memory_dir, name);
		int r = cc_mkdir_p(*ret_path, 0755, err);
		return r < 0 ? r : pod_downward_write(pod, source, *ret_path, 0644, err);
	}
	if ((source = json_object_get(volume, "hostPath"))) {
		const char *path = json_string_value(json_object_get(source, "path")) ?: "";
		const char *type = json_string_value(json_object_get(source, "type")) ?: "";
		if (path[0] != '/')
			return cc_error_set(err, EINVAL, "volume \"%s\": hostPath.path must be absolute", name);
		if (strcmp(type, "DirectoryOrCreate") == 0) {
			int r = cc_mkdir_p(path, 0755, err);
			if (r < 0)
				return r;
		}
		/* Checked and handed on resolved, so no `..` or symlink reaches around the check. */
		char real[PATH_MAX];
		if (!realpath(path, real))
			return cc_error_set_errno(err, errno, "volume \"%s\": hostPath `%s`", name, path);
		for (const char *const *d = dirs->platform_dirs; d && *d; d++) {
			char dir[PATH_MAX];
			if (!realpath(*d, dir))
				snprintf(dir, sizeof(dir), "%s", *d);
			size_t n = strlen(dir), m = strlen(real);
			if (strncmp(real, dir, n) == 0 && (real[n] == '\0' || real[n] == '/'))
				return cc_error_set(err, EPERM,
						    "volume \"%s\": hostPath `%s` is inside the platform's own "
						    "directory `%s`",
						    name, path, dir);
			if (strncmp(dir, real, m) == 0 && (dir[m] == '/' || m == 1))
				return cc_error_set(err, EPERM,
						    "volume \"%s\": hostPath `%s` contains the platform's own "
						    "directory `%s`",
						    name, path, dir);
		}
		*ret_path = cc_xstrdup(real);
		return 0;
	}
	if ((source = json_object_get(volume, "csi"))) {
		/* The one driver served: the pod's mTLS certificate, written by pod_mtls.c. */
		const char *driver = json_string_value(json_object_get(source, "driver")) ?: "";
		if (strcmp(driver, POD_MTLS_DRIVER) != 0)
			return cc_error_set(err, EINVAL,
					    "volume \"%s\": csi driver \"%s\" is not served by cocoon (only %s)", name,
					    driver, POD_MTLS_DRIVER);
		_cleanup_free_ char *dir = pod_mtls_dir(dirs->memory_dir);
		int r = cc_mkdir_p(dir, 0755, err);
		if (r < 0)
			return r;
		*ret_path = cc_xstrdup(dir);
		return 0;
	}
	static const char *const unsupported[] = { "persistentVolumeClaim", "nfs", "iscsi", "ephemeral" };
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (json_object_get(volume, unsupported[i]))
			return cc_error_set(err, EINVAL, "volume \"%s\": %s volumes are not supported by cocoon yet",
					    name, unsupported[i]);
	return cc_error_set(err, EINVAL, "volume \"%s\" names no supported source", name);
}

int pod_volumes_prepare(struct platform_objects *objects, const json_t *pod, const struct pod_volume_dirs *dirs,
			json_t **ret, struct cc_error *err)
{
	json_t *paths = json_object();
	size_t i;
	const json_t *volume;
	json_array_foreach (json_object_get(json_object_get(pod, "spec"), "volumes"), i, volume) {
		char *path = NULL;
		int r = one_volume(objects, pod, volume, dirs, &path, err);
		if (r < 0) {
			free(path);
			json_decref(paths);
			return r;
		}
		/* Secret and ConfigMap volumes are always read-only in the container, as in Kubernetes. */
		bool readonly = json_object_get(volume, "secret") || json_object_get(volume, "configMap") ||
				json_object_get(volume, "csi") || json_object_get(volume, "projected") ||
				json_object_get(volume, "downwardAPI");
		json_object_set_new(paths, json_string_value(json_object_get(volume, "name")) ?: "",
				    json_pack("{s:s, s:b}", "path", path, "readOnly", readonly));
		free(path);
	}
	*ret = paths;
	return 0;
}

/* dnsConfig's nameservers, searches and options appended to what the policy gave. */
static void add_dns_config(const json_t *config, struct cc_buf *servers, struct cc_buf *search, struct cc_buf *options)
{
	size_t i;
	const json_t *v;
	json_array_foreach (json_object_get(config, "nameservers"), i, v)
		if (json_is_string(v))
			cc_buf_appendf(servers, "nameserver %s\n", json_string_value(v));
	json_array_foreach (json_object_get(config, "searches"), i, v)
		if (json_is_string(v))
			cc_buf_appendf(search, " %s", json_string_value(v));
	json_array_foreach (json_object_get(config, "options"), i, v) {
		const char *name = json_string_value(json_object_get(v, "name")),
			   *value = json_string_value(json_object_get(v, "value"));
		if (name)
			cc_buf_appendf(options, " %s%s%s", name, value ? ":" : "", value ? value : "");
	}
}

/* /etc/resolv.conf as kubelet writes it: by dnsPolicy, ClusterFirst (the default: the cluster's name
 * server, the namespace's search path, ndots:5), Default (the node's own file) or None (dnsConfig
 * only); dnsConfig adds to the first two. Without a cluster name server, the node's file. */
static char *resolv_conf(const json_t *pod, const char *dns_ip)
{
	const json_t *spec = json_object_get(pod, "spec");
	const char *policy = json_string_value(json_object_get(spec, "dnsPolicy")) ?: "ClusterFirst";
	const json_t *config = json_object_get(spec, "dnsConfig");
	struct cc_buf servers = CC_BUF_INIT, search = CC_BUF_INIT, options = CC_BUF_INIT, out = CC_BUF_INIT;
	bool cluster = dns_ip && dns_ip[0] && strcmp(policy, "Default") != 0 && strcmp(policy, "None") != 0;
	if (strcmp(policy, "None") != 0 && !cluster) {
		char *host = NULL;
		size_t len = 0;
		struct cc_error ignored = { 0 };
		if (cc_read_file("/etc/resolv.conf", 65536, &host, &len, &ignored) == 0)
			cc_buf_append(&out, host, len);
		free(host);
	}
	if (cluster) {
		const char *ns =
		    json_string_value(json_object_get(json_object_get(pod, "metadata"), "namespace")) ?: "default";
		cc_buf_appendf(&servers, "nameserver %s\n", dns_ip);
		cc_buf_appendf(&search, " %s.svc.cluster.local svc.cluster.local cluster.local", ns);
		cc_buf_append_str(&options, " ndots:5");
	}
	add_dns_config(config, &servers, &search, &options);
	if (search.len)
		cc_buf_appendf(&out, "search%s\n", search.data);
	if (servers.len)
		cc_buf_append(&out, servers.data, servers.len);
	if (options.len)
		cc_buf_appendf(&out, "options%s\n", options.data);
	cc_buf_free(&servers);
	cc_buf_free(&search);
	cc_buf_free(&options);
	if (!out.data)
		cc_buf_append_str(&out, "");
	return cc_buf_steal(&out, NULL);
}

int pod_volumes_write_etc(const json_t *pod, const char *pod_dir, const char *pod_ip, const char *dns_ip,
			  struct cc_error *err)
{
	const char *name = meta(pod, "name") ?: "pod";
	char hostname[64];
	snprintf(hostname, sizeof(hostname), "%.63s", name);
	_cleanup_free_ char *hosts = cc_xasprintf("# Kubernetes-managed hosts file (cocoon).\n127.0.0.1\tlocalhost\n"
						  "::1\tlocalhost ip6-localhost ip6-loopback\n%s\t%s\n",
						  pod_ip && pod_ip[0] ? pod_ip : "127.0.1.1", hostname);
	_cleanup_free_ char *hosts_path = cc_xasprintf("%s/etc-hosts", pod_dir);
	_cleanup_free_ char *hostname_path = cc_xasprintf("%s/etc-hostname", pod_dir);
	_cleanup_free_ char *resolv_path = cc_xasprintf("%s/resolv.conf", pod_dir);
	_cleanup_free_ char *hostname_line = cc_xasprintf("%s\n", hostname);
	int r = cc_write_file_atomic(hosts_path, hosts, strlen(hosts), 0644, err);
	if (r == 0)
		r = cc_write_file_atomic(hostname_path, hostname_line, strlen(hostname_line), 0644, err);
	if (r == 0) {
		_cleanup_free_ char *resolv = resolv_conf(pod, dns_ip);
		r = cc_write_file_atomic(resolv_path, resolv, strlen(resolv), 0644, err);
	}
	return r;
}

static json_t *bind(const char *destination, const char *source, bool readonly)
{
	return json_pack("{s:s, s:s, s:s, s:[s,s,s]}", "destination", destination, "type", "bind", "source", source,
			 "options", "rbind", readonly ? "ro" : "rw", "rprivate");
}

/* The termination log: an empty file per container (terminationMessagePath), kept in the pod
 * directory so a restarted container finds its predecessor's message gone, as in Kubernetes. */
static int termination_log(const json_t *container, const char *pod_dir, json_t *mounts, struct cc_error *err)
{
	const char *dest = json_string_value(json_object_get(container, "terminationMessagePath"));
	if (!dest || dest[0] != '/')
		return 0;
	const char *cname = json_string_value(json_object_get(container, "name")) ?: "c";
	_cleanup_free_ char *path = cc_xasprintf("%s/termination-%s.log", pod_dir, cname);
	int r = cc_write_file_atomic(path, "", 0, 0666, err);
	if (r == 0)
		json_array_append_new(mounts, bind(dest, path, false));
	return r;
}

/* A subPath is resolved inside its volume by the kernel (openat2 RESOLVE_IN_ROOT: a symlink the
 * container planted, `x -> /`, points at the volume's own root, never the host's), and the result is
 * bind-mounted by its descriptor onto a private target the runtime then binds: nothing re-resolves the
 * path later, so it cannot be swapped between the check and the mount (CVE-2017-1002101's lesson).
 * Missing directories are made inside the volume the same way. */
static int bind_subpath(const char *volume_root, const char *sub, const char *target, struct cc_error *err)
{
	_cleanup_close_ int root = open(volume_root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return cc_error_set_errno(err, errno, "open the volume `%s`", volume_root);
	struct cc_error missing = { 0 };
	int fd = cc_path_open_in_root(root, sub, O_PATH, 0, &missing);
	if (fd == -ENOENT)
		fd = cc_path_mkdir_in_root(root, sub, 0755, err);
	else if (fd < 0)
		*err = missing;
	if (fd < 0)
		return fd;
	struct stat st;
	int r = fstat(fd, &st) < 0 ? cc_error_set_errno(err, errno, "stat subPath `%s`", sub) : 0;
	_cleanup_free_ char *parent = cc_xstrdup(target);
	*strrchr(parent, '/') = '\0';
	if (r == 0)
		r = cc_mkdir_p(parent, 0700, err);
	if (r == 0) {
		umount2(target, MNT_DETACH); /* an earlier instance's */
		if (S_ISDIR(st.st_mode))
			r = mkdir(target, 0700) < 0 && errno != EEXIST ? -errno : 0;
		else {
			int f = open(target, O_WRONLY | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
			r = f < 0 ? -errno : 0;
			if (f >= 0)
				close(f);
		}
		if (r < 0)
			r = cc_error_set_errno(err, -r, "create the subPath mount point `%s`", target);
	}
	char proc[64];
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	if (r == 0 && mount(proc, target, NULL, MS_BIND, NULL) < 0)
		r = cc_error_set_errno(err, errno, "bind subPath `%s`", sub);
	close(fd);
	return r;
}

void pod_volumes_unbind_subpaths(const char *subpath_dir)
{
	DIR *d = opendir(subpath_dir);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)))
		if (e->d_name[0] != '.') {
			_cleanup_free_ char *target = cc_xasprintf("%s/%s", subpath_dir, e->d_name);
			umount2(target, MNT_DETACH);
		}
	closedir(d);
}

int pod_volume_mounts(const json_t *pod, const json_t *container, const json_t *volumes, const char *pod_dir,
		      const char *subpath_dir, json_t **ret, struct cc_error *err)
{
	json_t *mounts = json_array();
	static const char *const managed[][2] = { { "/etc/hosts", "etc-hosts" },
						  { "/etc/hostname", "etc-hostname" },
						  { "/etc/resolv.conf", "resolv.conf" } };
	for (size_t i = 0; i < 3; i++) {
		_cleanup_free_ char *source = cc_xasprintf("%s/%s", pod_dir, managed[i][1]);
		json_array_append_new(mounts, bind(managed[i][0], source, false));
	}
	(void)pod;
	size_t i;
	const json_t *vm;
	int r = 0;
	json_array_foreach (json_object_get(container, "volumeMounts"), i, vm) {
		const char *name = json_string_value(json_object_get(vm, "name")) ?: "";
		const char *dest = json_string_value(json_object_get(vm, "mountPath")) ?: "";
		const char *sub = json_string_value(json_object_get(vm, "subPath")) ?: "";
		const json_t *volume = json_object_get(volumes, name);
		const char *source = json_string_value(json_object_get(volume, "path"));
		bool readonly =
		    json_is_true(json_object_get(vm, "readOnly")) || json_is_true(json_object_get(volume, "readOnly"));
		if (!source) {
			r = cc_error_set(err, EINVAL, "volumeMount \"%s\": no volume of that name in the pod", name);
			break;
		}
		if (dest[0] != '/') {
			r = cc_error_set(err, EINVAL, "volumeMount \"%s\": mountPath `%s` must be absolute", name,
					 dest);
			break;
		}
		_cleanup_free_ char *path = NULL;
		if (sub[0]) {
			if (!safe_relative(sub)) {
				r = cc_error_set(err, EINVAL,
						 "volumeMount \"%s\": subPath `%s` must be relative "
						 "without `..`",
						 name, sub);
				break;
			}
			const char *cname = json_string_value(json_object_get(container, "name")) ?: "c";
			path = cc_xasprintf("%s/%s-%zu", subpath_dir, cname, i);
			r = bind_subpath(source, sub, path, err);
			if (r < 0) {
				cc_error_prefix(err, "volumeMount \"%s\"", name);
				break;
			}
		}
		json_array_append_new(mounts, bind(dest, path ? path : source, readonly));
	}
	if (r == 0)
		r = termination_log(container, pod_dir, mounts, err);
	if (r < 0) {
		json_decref(mounts);
		return r;
	}
	*ret = mounts;
	return 0;
}
