/* Following an append-only log file (the Kubernetes API server's audit log, JSON lines) across
 * rotation by rename and by copytruncate, with the read position persisted so a restart neither
 * repeats nor skips lines. The position is committed only after the lines read up to it are
 * durable in the queue. */
#pragma once

#include "lib/base/buf.h"

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct cc_error;

#define AUDIT_LINE_MAX   (64u * 1024)
#define AUDIT_FILE_CHUNK (1u << 20)

/* A position in the followed file: taken after a read, committed once what was read up to it
 * is durable (possibly by another thread, after more was read). */
struct audit_file_mark {
	dev_t dev;
	ino_t ino;
	uint64_t offset;
};

struct audit_follower {
	char *path;
	char *state_path; /* "<dev> <ino> <offset>" */
	int fd;
	dev_t dev;
	ino_t ino;
	uint64_t offset;                  /* of the first byte not yet handed out */
	struct audit_file_mark committed; /* persisted */
	struct cc_buf partial;            /* a line without its newline yet */
	bool skipping;                    /* inside an over-long line, discarding until its newline */
	char *chunk;                      /* AUDIT_FILE_CHUNK bytes read at once; the input's own */
	uint64_t rejected_long;
};

int audit_follower_open(struct audit_follower *in, const char *path, const char *state_path, struct cc_error *err);
void audit_follower_close(struct audit_follower *in);

/* Reads what was appended: calls line() for each complete line (without newline), at most
 * max_lines. Returns the number of lines, 0 when nothing new. Follows rotation. */
int audit_follower_read(struct audit_follower *in, size_t max_lines,
			void (*line)(void *ctx, const char *data, size_t len), void *ctx, struct cc_error *err);

/* The position after everything handed out so far (a partial line is not included: it is read
 * again after a restart). */
void audit_follower_mark(const struct audit_follower *in, struct audit_file_mark *ret);
/* Persists a mark. */
int audit_follower_commit(struct audit_follower *in, const struct audit_file_mark *mark, struct cc_error *err);
