/* A pod's volumes on the host and their mounts in each container, as kubelet's volume manager
 * lays them out: emptyDir directories under the pod's directory (on the encrypted volume pool when
 * the pod asks for encryption: the annotation run.cocoon.volume.encrypted names its emptyDirs),
 * Secret and ConfigMap volumes written as files on a tmpfs (never on disk), hostPath as given.
 * Each container also gets the files kubelet manages: /etc/hosts, /etc/hostname, /etc/resolv.conf
 * and its termination log. */
#pragma once

#include <jansson.h>
#include <stdbool.h>

struct cc_error;
struct platform_objects;
struct platform_sa_tokens;

struct pod_volume_dirs {
	const char *pod_dir;       /* DATA/pods/UID: emptyDirs, the kubelet-managed files */
	const char *memory_dir;    /* on a tmpfs: Secret and ConfigMap volumes */
	const char *encrypted_dir; /* on the fscrypt pool, or NULL when the pod encrypts nothing */
	/* The platform's own directories (state, run, logs): no hostPath may reach into them, or one
	 * pod could mount another's volumes or the platform's keys. NULL-terminated. */
	const char *const *platform_dirs;
	struct platform_sa_tokens *sa_tokens; /* projected serviceAccountToken sources; NULL: none */
};

/* Whether the pod asks for encrypted volumes (annotation run.cocoon.volume.encrypted). */
bool pod_wants_encryption(const json_t *pod);

/* Creates every volume; *ret maps each volume name to {"path": host path, "readOnly": bool}. Refuses (-EINVAL, naming
 * the volume) what cannot be served: persistentVolumeClaim, an encrypted pod without a pool. */
int pod_volumes_prepare(struct platform_objects *objects, const json_t *pod, const struct pod_volume_dirs *dirs,
			json_t **ret, struct cc_error *err);

/* A Secret or ConfigMap (kind "secrets" or "configmaps", named by source[name_field]) as files in
 * dir: every key, or the listed items, with their modes. */
int pod_volume_write_source(struct platform_objects *objects, const json_t *pod, const json_t *source, const char *kind,
			    const char *name_field, const char *dir, unsigned default_mode, struct cc_error *err);
/* One file of a volume (value a JSON string: any bytes), written atomically; path relative, no `..`. */
int pod_volume_write_item(const char *dir, const char *path, const json_t *value, unsigned mode, struct cc_error *err);

/* The pod's hosts, hostname and resolv.conf under pod_dir; dns_ip is the cluster's name server
 * (NULL: the node's resolv.conf). */
int pod_volumes_write_etc(const json_t *pod, const char *pod_dir, const char *pod_ip, const char *dns_ip,
			  struct cc_error *err);

/* The OCI mounts of one container: its volumeMounts and the managed files. A subPath is resolved
 * inside its volume and bind-mounted onto a private target under subpath_dir, which the mount then
 * names (pod_volumes_unbind_subpaths undoes them). */
int pod_volume_mounts(const json_t *pod, const json_t *container, const json_t *volumes, const char *pod_dir,
		      const char *subpath_dir, json_t **ret, struct cc_error *err);
void pod_volumes_unbind_subpaths(const char *subpath_dir);
