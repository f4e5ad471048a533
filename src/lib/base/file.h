/* Reading and writing whole files with explicit limits. Every file that may come from outside
 * (configs, manifests, evidence, certificates) is read through cc_read_file with a limit, so a
 * huge or endless input (a FIFO, /dev/zero) gets a clear error instead of exhausting memory. */
#pragma once

#include <dirent.h>
#include <stdbool.h>
#include <stddef.h>

struct cc_error;

/* Reads at most max_size bytes; a larger file is refused with -EFBIG. The result is
 * NUL-terminated (not counted in *ret_len). path "-" reads standard input. */
int cc_read_file(const char *path, size_t max_size, char **ret_data, size_t *ret_len, struct cc_error *err);
int cc_read_fd(int fd, const char *name, size_t max_size, char **ret_data, size_t *ret_len, struct cc_error *err);

/* Writes data to path atomically: a temporary file in the same directory, fsync, rename, fsync of
 * the directory. Either the old or the new content survives a crash, never a torn mix. */
int cc_write_file_atomic(const char *path, const void *data, size_t len, unsigned mode, struct cc_error *err);
/* The same replacement without the fsyncs: readers see the old or the new content, never a mix, but
 * a power cut may lose it. For what does not outlive the boot (a runtime's state in /run, pid
 * files), where a sync would only cost time. */
int cc_replace_file(const char *path, const void *data, size_t len, unsigned mode, struct cc_error *err);

/* A directory stream over a duplicate of dir_fd, from its first entry: closedir leaves dir_fd open
 * (a dup shares its position, hence the rewind). NULL with errno set, nothing leaked. */
DIR *cc_opendir_dup(int dir_fd);

/* mkdir -p: creates path and missing parents with mode; an existing directory is fine. */
int cc_mkdir_p(const char *path, unsigned mode, struct cc_error *err);

/* DIR/relative, DIR being the running binary's directory, when that is an executable: how cocoon's
 * programs find each other in a build tree or an install. false otherwise (out is then scratch). */
bool cc_sibling_executable(const char *relative, char *out, size_t size);
/* True when path is the root of a mounted filesystem (another device than its parent). */
bool cc_is_mountpoint(const char *path);
/* Writes all of data to fd, retrying short writes and EINTR. */
int cc_write_all(int fd, const void *data, size_t len);
