/* Importing a root filesystem tarball as a one-layer image, as `podman import` and `docker import`
 * do: the tarball (plain tar, gzip or zstd) becomes the layer as it is, a config is written from the
 * Dockerfile instructions given with --change, and the whole is handed to the store as an OCI image
 * layout archive built in memory, so an imported image passes every check a loaded one does.
 *
 * --change takes the instructions that describe a container and not a build step: CMD, ENTRYPOINT,
 * ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME and WORKDIR, with the Dockerfile reference's syntax
 * (https://docs.docker.com/reference/dockerfile/). */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_buf;
struct cc_error;
struct image_load_result;
struct image_store;

/* One --change is at most this long; an import takes at most IMAGE_CHANGE_MAX_COUNT of them. */
#define IMAGE_CHANGE_MAX_SIZE  (64u * 1024)
#define IMAGE_CHANGE_MAX_COUNT 1024
/* EXPOSE ranges are expanded; an image exposes at most this many ports. */
#define IMAGE_CHANGE_MAX_PORTS 4096
/* The tarball is read into memory and copied into the archive built around it, so an import needs
 * about twice its size in memory: larger tarballs are refused. */
#define IMAGE_IMPORT_MAX_SIZE (4ull << 30)

/* Applies one instruction ("ENV PATH=/bin", "CMD [\"sh\"]", "WORKDIR=/srv" as podman also takes it)
 * to config, the `config` object of an OCI image config (Env, Cmd, Entrypoint, WorkingDir, User,
 * ExposedPorts, Volumes, Labels, StopSignal). On failure config is unchanged and err says what is
 * wrong with the instruction. */
int image_change_apply(json_t *config, const char *change, struct cc_error *err);

struct image_import_options {
	const char *name;           /* the image's name (required): `app` means `app:latest` */
	const char *const *changes; /* --change instructions, applied in order */
	size_t n_changes;
	const char *message; /* the history entry's comment; NULL: "imported from tarball" */
	int64_t created;     /* the config's `created`, Unix seconds; < 0: now */
	uint64_t max_size;   /* bytes of the tarball; 0: IMAGE_IMPORT_MAX_SIZE */
};

/* Builds the oci-archive (an uncompressed tar: oci-layout, index.json naming the image, and the
 * layer, config and manifest under blobs/sha256) around the tarball in layer. The tarball must be a
 * tar with at least one entry, plain, gzip or zstd. ret_diff_id (may be NULL) gets the layer's
 * diff_id, the sha256 of its uncompressed tar. */
int image_import_build(const void *layer, size_t len, const struct image_import_options *opts, struct cc_buf *ret,
		       char **ret_diff_id, struct cc_error *err);

/* Reads the tarball at path ("-": standard input), builds the archive and loads it into the store. */
int image_store_import(struct image_store *store, const char *path, const struct image_import_options *opts,
		       struct image_load_result *ret, struct cc_error *err);
