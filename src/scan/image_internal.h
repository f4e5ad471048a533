/* Shared between the image reader's files (image_files.c: the inputs; image_layers.c: one layer;
 * image_dir.c: a root filesystem directory). Not part of the scanner's interface. */
#pragma once

#include "scan/image_files.h"

struct archive;

struct scan_reading {
	const struct scan_image_options *opts;
	struct scan_image *img;
	size_t *kept_layer; /* the layer each kept file came from, parallel to img->kept */
	uint64_t kept_total;
};

enum scan_hide {
	SCAN_HIDE_PATH,  /* the path alone (a directory replacing a file) */
	SCAN_HIDE_TREE,  /* the path and what is below it (a file replacing a tree, a whiteout) */
	SCAN_HIDE_BELOW, /* what is below the path (an opaque directory) */
};

void scan_image_hide_lower(struct scan_reading *rd, const char *path, enum scan_hide how, size_t layer);

/* Keeps (reads into memory) the file at path of layer, size bytes from read(src). */
int scan_image_keep(struct scan_reading *rd, const char *path, uint64_t size, size_t layer,
		    ssize_t (*read)(void *src, void *buf, size_t len), void *src, struct cc_error *err);

/* Counts the file and hands it to the visitor, if any. */
int scan_image_visit(struct scan_reading *rd, const char *path, uint64_t size, mode_t mode, const char *layer,
		     ssize_t (*read)(void *src, void *buf, size_t len), void *src, struct cc_error *err);

/* archive_read_data of the archive src (the current entry's data): the reader of archive members. */
ssize_t scan_image_read_archive(void *src, void *buf, size_t len);

/* read(2) of the fd *src, EINTR retried: the reader of files and layout blobs. */
ssize_t scan_image_read_fd(void *src, void *buf, size_t len);

/* Walks one layer's tar stream (what names it in errors; digest may be NULL). */
int scan_image_walk_layer(struct scan_reading *rd, struct archive *a, const char *what, const char *digest,
			  size_t layer, struct cc_error *err);

/* Walks a root filesystem directory (dir_fd) as the one layer of the image, never following a
 * symlink. */
int scan_image_walk_directory(struct scan_reading *rd, int dir_fd, struct cc_error *err);
