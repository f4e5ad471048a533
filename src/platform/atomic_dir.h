/* A directory of files that readers always see whole, as kubelet's atomic writer lays out Secret
 * volumes: the files live in a hidden directory `..TIMESTAMP`, the symlink `..data` points at it,
 * and each name is a symlink `NAME -> ..data/NAME`. A new set is written beside the old one and
 * `..data` replaced by a rename, so a reader opening `tls.crt` and then `tls.key` gets a matching
 * pair whenever it reads both through `..data` (or credentials that hold both in one file). */
#pragma once

#include <stddef.h>
#include <sys/types.h>

struct cc_error;

struct atomic_file {
	const char *name; /* a plain file name: no `/`, not starting with `..` */
	const void *data;
	size_t len;
	mode_t mode;
	uid_t uid;
	gid_t gid;
};

/* Writes the set into dir (created 0755 if missing) and switches `..data` to it; the previous set
 * is removed afterwards. Names of an earlier set that this one lacks are left dangling symlinks no
 * longer: they are removed. */
int atomic_dir_write(const char *dir, const struct atomic_file *files, size_t n, struct cc_error *err);

/* One file of the current set (dir/..data/name), at most max bytes; -ENOENT when there is none. */
int atomic_dir_read(const char *dir, const char *name, size_t max, char **ret, size_t *ret_len, struct cc_error *err);
