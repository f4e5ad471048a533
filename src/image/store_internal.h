/* Shared between store.c (the store, its index, references) and archive.c (loading archives). */
#pragma once

#include "image/store.h"

#include <jansson.h>
#include <stdbool.h>

struct image_store {
	char *root;
	int root_fd, blobs_fd, layers_fd, tmp_fd;
	struct image_unpack_options opts;
	image_progress_fn progress;
	void *progress_ctx;
};

void store_progress(struct image_store *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The HEX of "sha256:HEX" when it is a well-formed sha256 digest, else NULL. */
const char *store_digest_hex(const char *digest);

int store_lock(struct image_store *s, int *ret_fd, struct cc_error *err);
int store_index_load(struct image_store *s, json_t **ret, struct cc_error *err);
int store_index_save(struct image_store *s, json_t *index, struct cc_error *err);
/* Deletes blobs and layer directories that no image of index refers to. */
int store_gc(struct image_store *s, json_t *index, struct cc_error *err);

/* A new temporary file under ROOT/tmp, and moving one into blobs/sha256 under its digest. */
int store_tmp_file(struct image_store *s, char **ret_name, struct cc_error *err);
int store_blob_commit(struct image_store *s, const char *tmp_name, const char *digest, struct cc_error *err);
int store_blob_put_memory(struct image_store *s, const void *data, size_t len, char **ret_digest, struct cc_error *err);
int store_blob_open(struct image_store *s, const char *digest, int *ret_fd, uint64_t *ret_size, struct cc_error *err);
int store_blob_read(struct image_store *s, const char *digest, size_t max, char **ret, size_t *ret_len,
		    struct cc_error *err);
bool store_layer_exists(struct image_store *s, const char *diff_id);

/* image_store_load_memory with the words its errors start with: "VERB `WHAT`: ..." (an import
 * names the tarball it was made from, not the archive built around it). */
int store_load_memory(struct image_store *s, const void *data, size_t len, const char *verb, const char *what,
		      const char *name, struct image_load_result *ret, struct cc_error *err);

/* Registers an image whose manifest, config and layers are already in blobs/sha256 (a pull wrote
 * them there, each verified against its digest as it streamed in), the caller holding the store's
 * lock: every check of an oci-archive's load applies (descriptor sizes, each layer's diff_id
 * against the config, the unpacking rules), then the index names it (name may be NULL) and records
 * repo_digests (NAME@DIGEST strings, may be NULL). Whatever no image uses afterwards is removed, on
 * failure too. format is what `image list` shows it came from. */
int store_register_locked(struct image_store *s, const char *manifest_digest, const char *media_type, const char *name,
			  json_t *repo_digests, const char *format, struct image_load_result *ret,
			  struct cc_error *err);
bool store_blob_exists(struct image_store *s, const char *digest, uint64_t size);

/* Adds or merges the image entry into index and moves its names away from other images. */
void store_index_add(json_t *index, json_t *entry);
void store_info_from_entry(json_t *entry, struct image_info *info);
