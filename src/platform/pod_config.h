/* The OCI runtime configuration (config.json) of one container of a pod, from the pod spec, the
 * container spec and the image config, as kubelet and containerd's CRI plugin derive it: the
 * command from command/args over the image's entrypoint/cmd, the environment, the working
 * directory, the user, capabilities from securityContext over the container runtime's defaults,
 * resources to cgroup limits, and the pod's shared network, IPC and UTS namespaces. */
#pragma once

#include <jansson.h>

struct cc_error;
struct image_config;

struct pod_container_input {
	const json_t *pod;
	const json_t *container;
	const struct image_config *image;
	const char *image_digest; /* the measured identity of the rootfs (run.cocoon.image.digest) */
	const char *sandbox_dir;  /* holds the pinned namespaces: net, ipc, uts */
	const json_t *env;        /* resolved environment: array of "NAME=value" (pod_env.h) */
	const json_t *mounts;     /* OCI mounts of the pod's volumes and the files kubelet manages */
	const char *cgroups_path; /* e.g. /cocoon/pod<uid>/<id> */
	const char *fscrypt_key;  /* path the runtime reads the volume key from, or NULL */
};

/* root.path is left to the bundle's writer (pod_container.h), which mounts the rootfs.
 * -EINVAL with the field in err for what cannot run (a privileged container, a bad user). */
int pod_oci_config(const struct pod_container_input *in, json_t **ret, struct cc_error *err);

/* Kubernetes' command resolution (the "Notes" of the container command/args reference): command
 * replaces the image's ENTRYPOINT and args its CMD; args alone run with the ENTRYPOINT. $(VAR)
 * references to env are expanded, $$ escapes. Returns an array of strings; -EINVAL when empty. */
int pod_command(const json_t *container, const struct image_config *image, const json_t *env, json_t **ret,
		struct cc_error *err);

/* Expands $(NAME) from env ("NAME=value" strings) as Kubernetes does: unknown references stay as
 * written, $$ is a literal $. Returns a new string. */
char *pod_expand(const char *s, const json_t *env);
