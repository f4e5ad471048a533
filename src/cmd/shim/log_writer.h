/* The container's log file: CRI lines appended to FILE, rotated to FILE.1 ... FILE.(max_files-1)
 * when the next line would take FILE past max_bytes (kubelet's containerLogMaxSize/MaxFiles), every
 * file 0600. A write that fails (a full disk, a quota) never stops the monitor: the line's bytes are
 * counted as dropped, and the first line that can be written again is preceded by a note on stderr's
 * stream saying how many were lost and why. */
#pragma once

#include "cmd/shim/cri_line.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

struct cc_error;

struct shim_log {
	char *path;
	int fd;        /* -1 while the file cannot be opened: reopened at the next line */
	uint64_t size; /* bytes in the current file */
	uint64_t max_bytes;
	unsigned max_files; /* FILE counts as one; 1 keeps no history */
	uint64_t dropped;   /* content bytes lost since the last line written */
	int drop_errno;     /* why the last of them were lost */
	bool rotate_failed; /* a failed rotation was reported; quiet until one succeeds */
	/* writev(2); a test puts one here that fails as a full disk does */
	ssize_t (*writev)(int fd, const struct iovec *iov, int count);
};

/* Opens (appending to) path, mode 0600. ret_created says whether the file was made by this call. */
int shim_log_open(struct shim_log *log, const char *path, uint64_t max_bytes, unsigned max_files, bool *ret_created,
		  struct cc_error *err);
void shim_log_close(struct shim_log *log);

/* Appends one CRI line (content head + tail, see shim_cri_emit_fn), stamped unix_ns. */
void shim_log_write_line(struct shim_log *log, int64_t unix_ns, enum shim_stream stream, bool partial, const char *head,
			 size_t head_len, const char *tail, size_t tail_len);

/* Shifts FILE.(n-1) -> FILE.n ... FILE -> FILE.1 (dropping the oldest) and starts an empty FILE. */
int shim_log_rotate(struct shim_log *log, struct cc_error *err);
