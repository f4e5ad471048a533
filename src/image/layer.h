/* Unpacking one image layer (a tar stream, plain, gzip or zstd) into a directory that overlayfs
 * stacks as a lowerdir. A layer is untrusted input: every entry is created inside the layer
 * directory without following a symlink, and whiteouts become what overlayfs understands. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct archive;
struct cc_error;

/* How an OCI whiteout (`.wh.NAME`) is written. AUTO tries the character device first and falls back
 * to the xattr form when mknod is not permitted. */
enum image_whiteout_form {
	IMAGE_WHITEOUT_AUTO,
	IMAGE_WHITEOUT_CHARDEV, /* a 0/0 character device (needs CAP_MKNOD) */
	IMAGE_WHITEOUT_XATTR,   /* an empty file with trusted.overlay.whiteout (overlayfs 6.7+) */
	IMAGE_WHITEOUT_MAX,
};

struct image_limits {
	uint64_t max_entry_size; /* bytes of one regular file */
	uint64_t max_layer_size; /* bytes of all regular files of one layer, unpacked */
	uint64_t max_entries;    /* entries of one layer */
	uint64_t max_blob_size;  /* bytes of one file of an archive (a compressed layer, a config) */
};

#define IMAGE_DEFAULT_MAX_ENTRY_SIZE (4ull << 30)
#define IMAGE_DEFAULT_MAX_LAYER_SIZE (16ull << 30)
#define IMAGE_DEFAULT_MAX_ENTRIES    1000000ull
#define IMAGE_DEFAULT_MAX_BLOB_SIZE  (16ull << 30)

void image_limits_default(struct image_limits *ret);

struct image_unpack_options {
	struct image_limits limits;
	enum image_whiteout_form whiteouts;
	bool allow_devices; /* create device nodes (only honoured when running as root) */
	bool keep_owner;    /* chown entries to the tar's uid/gid (only when root) */
};

void image_unpack_options_default(struct image_unpack_options *ret);

struct image_unpack_stats {
	uint64_t entries;
	uint64_t bytes;
	uint64_t whiteouts;
	uint64_t opaques;
	uint64_t devices_skipped;
};

/* Unpacks the tar stream in the file layer_fd (read from its start) into the directory dir_fd.
 * Refuses (with the entry's name in err) paths that are absolute or contain "..", entries below a
 * symlink, hard links to a target not inside the layer, and entries over the limits. */
int image_layer_unpack_fd(int layer_fd, int dir_fd, const struct image_unpack_options *opts,
			  struct image_unpack_stats *ret_stats, struct cc_error *err);
/* The same over a buffer (tests, the fuzz target). */
int image_layer_unpack_memory(const void *data, size_t len, int dir_fd, const struct image_unpack_options *opts,
			      struct image_unpack_stats *ret_stats, struct cc_error *err);

/* The sha256 of the layer's uncompressed tar stream (its diff_id), as "sha256:HEX". */
int image_layer_diff_id(int layer_fd, uint64_t max_size, char **ret, struct cc_error *err);

/* Removes name (a file or a whole tree) under dir_fd without following any symlink. */
int image_remove_tree_at(int dir_fd, const char *name, struct cc_error *err);

/* A name inside an image's root, normalized ("./a//b/../c" -> "a/c", "/etc" -> "etc", the root
 * itself ""); NULL when `..` would leave the root. */
char *image_path_normalize(const char *path);

/* A libarchive reader for tars as images carry them: plain, gzip, zstd, xz or bzip2 (aborts when
 * out of memory, as every allocation here does). */
struct archive *image_archive_reader_new(void);
