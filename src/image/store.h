/* The local image store: content-addressed blobs, an index of names, and one unpacked directory per
 * layer that overlayfs stacks as a lowerdir.
 *
 *   ROOT/blobs/sha256/HEX     manifests, configs and layer blobs as loaded, named by their sha256
 *                             (verified on write: a blob whose content does not match is refused)
 *   ROOT/layers/sha256/HEX/   a layer unpacked (HEX is its diff_id, the digest of the uncompressed
 *                             tar), written once under ROOT/tmp and renamed into place, never
 *                             written again; shared by every image that has the layer
 *   ROOT/index.json           the images: manifest digest, config digest (the image ID), names,
 *                             layers; replaced atomically
 *   ROOT/lock                 held (flock) while loading or removing
 *
 * An image is addressed by a name (`busybox`, `localhost/app:1.0`, `busybox` meaning
 * `busybox:latest`), by its manifest digest (`name@sha256:HEX`, `sha256:HEX`), or by its ID (the
 * config digest, or a prefix of 12 or more hex digits of either). */
#pragma once

#include "image/layer.h"
#include "lib/base/cleanup.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct image_store;

#define IMAGE_STORE_DEFAULT_ROOT "/var/lib/cocoon/images"
/* Manifests, configs, index.json and manifest.json are read whole; larger ones are refused. */
#define IMAGE_JSON_MAX_SIZE (4u * 1024 * 1024)

/* Progress of a long load: one line of text ("unpacking layer 2/5 sha256:ab12... (31.4 MB)"). */
typedef void (*image_progress_fn)(void *ctx, const char *line);

/* Opens (creating when missing) the store under root (NULL: IMAGE_STORE_DEFAULT_ROOT). opts NULL
 * takes image_unpack_options_default. */
int image_store_open(const char *root, const struct image_unpack_options *opts, struct image_store **ret,
		     struct cc_error *err);
void image_store_free(struct image_store *store);
CC_DEFINE_CLEANUP_FUNC(struct image_store *, image_store_free)
void image_store_set_progress(struct image_store *store, image_progress_fn fn, void *ctx);
const char *image_store_root(const struct image_store *store);

struct image_info {
	char *digest; /* manifest digest, "sha256:HEX" */
	char *id;     /* config digest, "sha256:HEX" (podman's and docker's image ID) */
	char **names; /* "localhost/busybox:latest", ... */
	size_t n_names;
	size_t n_layers;
	uint64_t size; /* bytes of config and layer blobs */
	char *created; /* RFC 3339 from the config, or "" */
	char *format;  /* "docker-archive", "oci-archive" or "registry": where it came from */
	/* A pulled image's NAME@DIGEST references (its manifest's, and its index's when it was chosen
	 * from one); it answers to these digests too. */
	char **repo_digests;
	size_t n_repo_digests;
};
void image_info_clear(struct image_info *info);
void image_info_free_array(struct image_info *infos, size_t n);

struct image_load_result {
	struct image_info *images;
	size_t n_images;
	uint64_t layers_unpacked; /* layers new to the store */
	uint64_t devices_skipped;
};
void image_load_result_clear(struct image_load_result *result);

/* Loads a docker-archive (manifest.json, as `docker save` and `podman save --format
 * docker-archive` write it) or an oci-archive (oci-layout, index.json, blobs/sha256/...). name,
 * when not NULL, tags the archive's image (the archive must hold exactly one). */
int image_store_load(struct image_store *store, const char *archive_path, const char *name,
		     struct image_load_result *ret, struct cc_error *err);
int image_store_load_memory(struct image_store *store, const void *data, size_t len, const char *name,
			    struct image_load_result *ret, struct cc_error *err);

int image_store_list(struct image_store *store, struct image_info **ret, size_t *ret_n, struct cc_error *err);

/* What a runtime needs of an image config (OCI image-spec config.md, `config`). */
struct image_config {
	char **env, **entrypoint, **cmd, **exposed_ports;
	size_t n_env, n_entrypoint, n_cmd, n_exposed_ports;
	char *working_dir, *user;
	char **labels; /* "KEY=VALUE" */
	size_t n_labels;
};

struct image_resolved {
	struct image_info info;
	/* Absolute layer directories, bottom layer first (the manifest's order). overlayfs wants the
	 * top one first in lowerdir=, so a mount joins them in reverse. */
	char **layer_dirs;
	size_t n_layer_dirs;
	char **diff_ids; /* the layers' "sha256:HEX", in the same order */
	struct image_config config;
};
void image_resolved_free(struct image_resolved *resolved);
CC_DEFINE_CLEANUP_FUNC(struct image_resolved *, image_resolved_free)

/* -ENOENT with the reference in err when no image matches; -EINVAL for a malformed reference;
 * -EEXIST when an ID prefix is ambiguous. */
int image_store_resolve(struct image_store *store, const char *ref, struct image_resolved **ret, struct cc_error *err);

/* A name untags (the image goes with its last name); a digest or ID removes the image. Blobs and
 * layers no image refers to any more are deleted; layers shared with another image stay. */
int image_store_remove(struct image_store *store, const char *ref, struct cc_error *err);

/* "busybox" -> "busybox:latest"; a reference with a tag or digest stays. Returns a new string. */
char *image_reference_normalize(const char *ref);
