/* An image's files as the scanner reads them, without unpacking anything to disk.
 *
 * Inputs: a root filesystem directory, a tar of one (plain, gzip, zstd, xz), a docker-archive or an
 * oci-archive (as `podman save` writes them), or an OCI image layout directory. Layers are streamed
 * through libarchive, outer archive and layer alike, in their order from the base up:
 *   - every regular file of every layer goes to the visitor (malware and secrets: what a later layer
 *     deletes still ships in the image), with the layer it is in;
 *   - the few files the caller asks for (package databases, os-release) are kept in memory as the
 *     final filesystem has them: a later layer's entry replaces a lower one, a whiteout (`.wh.NAME`)
 *     deletes NAME and what is under it in lower layers, an opaque directory (`.wh..wh..opq`) all of
 *     its lower contents, and a non-directory replaces a lower directory with its contents.
 * Every name is normalized inside the image's root (absolute names made relative, `..` that would
 * leave the root refused); nothing is written anywhere. Counts and sizes are bounded. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

/* The content of the file being visited, read in pieces; 0 at its end, negative errno on error. */
struct scan_file_reader;
ssize_t scan_file_read(struct scan_file_reader *r, void *buf, size_t len);

struct scan_image_file {
	const char *path;  /* relative to the image's root, normalized: "usr/bin/ls" */
	uint64_t size;     /* as the layer declares it */
	mode_t mode;       /* permission bits and type */
	const char *layer; /* the layer's digest ("sha256:..."), or NULL for a directory or a rootfs tar */
};

struct scan_image_limits {
	uint64_t max_entries;    /* entries of one layer */
	uint64_t max_layer_size; /* declared bytes of the regular files of one layer */
	uint64_t max_kept_size;  /* bytes of one file kept in memory */
	uint64_t max_kept_total; /* bytes of all files kept */
	uint64_t max_layers;     /* layers of one image */
	uint64_t max_metadata;   /* bytes of one JSON file of an archive (manifest, index, config) */
};

void scan_image_limits_default(struct scan_image_limits *ret);

struct scan_image_options {
	struct scan_image_limits limits;
	/* Which files of the final filesystem to keep (path as in scan_image_file). */
	bool (*keep)(const char *path);
	/* Called for every regular file of every layer; may read it through r. A negative return stops
	 * the reading and is returned (with err set by the visitor). NULL: no visit. */
	int (*visit)(void *ctx, const struct scan_image_file *f, struct scan_file_reader *r, struct cc_error *err);
	void *ctx;
	/* A host's filesystem rather than an image: the path is walked as a directory whatever it holds
	 * (format "host"), and enter_dir, when set, says which directories to go into (path relative
	 * to the root, "" never asked; dir_fd open on it). */
	bool host;
	bool (*enter_dir)(void *ctx, const char *path, int dir_fd);
	void *enter_dir_ctx;
};

struct scan_image_kept {
	char *path;
	char *data; /* NUL-terminated copy of the content */
	size_t len;
};

struct scan_image {
	char *format;      /* "directory", "rootfs-tar", "docker-archive", "oci-archive", "oci-layout" */
	char *id;          /* the config's digest ("sha256:..."), NULL without a config */
	char *digest;      /* the manifest's digest (an OCI layout or archive, the store); NULL for a
			    * docker-archive, whose manifest.json has none */
	json_t *config;    /* the image config, NULL without one */
	json_t *repo_tags; /* names the archive gives the image (array, maybe empty) */
	json_t *layers;    /* [{"digest", "size"}], base first */
	struct scan_image_kept *kept;
	size_t n_kept;
	uint64_t files; /* regular files seen in all layers */
	uint64_t bytes; /* their declared sizes */
};

/* Reads the image at path as described above. */
int scan_image_read(const char *path, const struct scan_image_options *opts, struct scan_image *ret,
		    struct cc_error *err);
/* An image of cocoon's image store (image/store.h) at store_root: its manifest blob, then the config
 * and layer blobs, each checked against its digest (format "store"); names are its names there. */
int scan_image_read_stored(const char *store_root, const char *manifest_digest, const json_t *names,
			   const struct scan_image_options *opts, struct scan_image *ret, struct cc_error *err);
void scan_image_clear(struct scan_image *img);

/* The kept file at path of the final filesystem, NULL when the image has none. */
const struct scan_image_kept *scan_image_find(const struct scan_image *img, const char *path);
