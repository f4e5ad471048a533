/* Pod volumes (see pod_volumes.h). */
#include "platform/pod_volumes.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/json/json.h"
#include "platform/pod_env.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

static int write_item(const char *dir, const char *path, const char *value, unsigned mode, struct cc_error *err)
{
	if (!safe_relative(path))
		return cc_error_set(err, EINVAL, "volume item path `%s` must be relative without `..`", path);
	_cleanup_free_ char *file = cc_xasprintf("%s/%s", dir, path);
	_cleanup_free_ char *parent = cc_xstrdup(file);
	*strrchr(parent, '/') = '\0';
	int r = cc_mkdir_p(parent, 0755, err);
	if (r == 0)
		r = cc_write_file_atomic(file, value, strlen(value), mode, err);
	return r;
}

/* A Secret or ConfigMap volume: every key as a file, or the listed items. */
static int source_volume(struct platform_objects *objects, const json_t *pod, const json_t *source, const char *kind,
			 const char *name_field, const char *dir, struct cc_error *err)
{
	const char *name = json_string_value(json_object_get(source, name_field)) ?: "";
	bool optional = json_is_true(json_object_get(source, "optional"));
	json_int_t mode = json_is_integer(json_object_get(source, "defaultMode"))
			      ? json_integer_value(json_object_get(source, "defaultMode"))
			      : 0644;
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
			const char *value = json_string_value(json_object_get(data, key));
			json_int_t m = json_is_integer(json_object_get(item, "mode"))
					   ? json_integer_value(json_object_get(item, "mode"))
					   : mode;
			if (!value) {
				r = cc_error_set(err, ENOENT, "configmap or secret \"%s\" has no key \"%s\"", name,
						 key);
				break;
			}
			r = write_item(dir, json_string_value(json_object_get(item, "path")) ?: key, value,
				       (unsigned)m & 0777, err);
			if (r < 0)
				break;
		}
	} else {
		const char *key;
		json_t *value;
		json_object_foreach (data, key, value) {
			r = write_item(dir, key, json_string_value(value), (unsigned)mode & 0777, err);
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
	const json_t *source;
	if ((source = json_object_get(volume, "emptyDir"))) {
		const char *base = dirs->encrypted_dir ? dirs->encrypted_dir : dirs->pod_dir;
		const char *medium = json_string_value(json_object_get(source, "medium")) ?: "";
		if (strcmp(medium, "Memory") == 0 && !dirs->encrypted_dir)
			base = dirs->memory_dir;
		*ret_path = cc_xasprintf("%s/volumes/empty-dir/%s", base, name);
		return cc_mkdir_p(*ret_path, 0777, err);
	}
	if ((source = json_object_get(volume, "secret"))) {
		*ret_path = cc_xasprintf("%s/volumes/secret/%s", dirs->memory_dir, name);
		return source_volume(objects, pod, source, "secrets", "secretName", *ret_path, err);
	}
	if ((source = json_object_get(volume, "configMap"))) {
		*ret_path = cc_xasprintf("%s/volumes/configmap/%s", dirs->memory_dir, name);
		return source_volume(objects, pod, source, "configmaps", "name", *ret_path, err);
	}
	if ((source = json_object_get(volume, "hostPath"))) {
		const char *path = json_string_value(json_object_get(source, "path")) ?: "";
		const char *type = json_string_value(json_object_get(source, "type")) ?: "";
		if (path[0] != '/')
			return cc_error_set(err, EINVAL, "volume \"%s\": hostPath.path must be absolute", name);
		char resolved[PATH_MAX];
		const char *real = realpath(path, resolved) ? resolved : path;
		for (const char *const *d = dirs->platform_dirs; d && *d; d++) {
			size_t n = strlen(*d);
			if (strncmp(real, *d, n) == 0 && (real[n] == '\0' || real[n] == '/'))
				return cc_error_set(err, EPERM,
						    "volume \"%s\": hostPath `%s` is inside the platform's own "
						    "directory `%s`",
						    name, path, *d);
			if (strncmp(*d, real, strlen(real)) == 0 &&
			    ((*d)[strlen(real)] == '/' || strcmp(real, "/") == 0))
				return cc_error_set(err, EPERM,
						    "volume \"%s\": hostPath `%s` contains the platform's own "
						    "directory `%s`",
						    name, path, *d);
		}
		if (strcmp(type, "DirectoryOrCreate") == 0 && cc_mkdir_p(path, 0755, err) < 0)
			return -errno;
		if (access(path, F_OK) < 0)
			return cc_error_set(err, ENOENT, "volume \"%s\": hostPath `%s` does not exist", name, path);
		*ret_path = cc_xstrdup(path);
		return 0;
	}
	static const char *const unsupported[] = {
		"persistentVolumeClaim", "projected", "downwardAPI", "csi", "nfs", "iscsi", "ephemeral"
	};
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
		bool readonly = json_object_get(volume, "secret") || json_object_get(volume, "configMap");
		json_object_set_new(paths, json_string_value(json_object_get(volume, "name")) ?: "",
				    json_pack("{s:s, s:b}", "path", path, "readOnly", readonly));
		free(path);
	}
	*ret = paths;
	return 0;
}

int pod_volumes_write_etc(const json_t *pod, const char *pod_dir, const char *pod_ip, struct cc_error *err)
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
		/* The host's resolvers until the cluster DNS (issue 18) answers for Services. */
		char *data = NULL;
		size_t len = 0;
		struct cc_error ignored = { 0 };
		if (cc_read_file("/etc/resolv.conf", 65536, &data, &len, &ignored) < 0)
			data = cc_xstrdup(""), len = 0;
		r = cc_write_file_atomic(resolv_path, data, len, 0644, err);
		free(data);
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

int pod_volume_mounts(const json_t *pod, const json_t *container, const json_t *volumes, const char *pod_dir,
		      json_t **ret, struct cc_error *err)
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
			path = cc_xasprintf("%s/%s", source, sub);
			struct stat st;
			if (lstat(path, &st) == 0 && S_ISLNK(st.st_mode)) {
				r = cc_error_set(err, EPERM, "volumeMount \"%s\": subPath `%s` is a symbolic link",
						 name, sub);
				break;
			}
			if (lstat(path, &st) < 0 && cc_mkdir_p(path, 0755, err) < 0) {
				r = -EIO;
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
