/* The Kubernetes CRI log format, as kubelet reads it (pkg/kubelet/kuberuntime/logs) and containerd
 * and CRI-O write it: one line per chunk of output,
 *
 *     2016-10-06T00:17:09.669794202Z stdout F log content
 *
 * a RFC 3339 timestamp with nanoseconds, the stream, the tag (F: the chunk ends a line of the
 * container's output, whose newline is the file's; P: a partial chunk, the line goes on in the next
 * one of the same stream), one space between each, and the content as the container wrote it. A line
 * longer than SHIM_CRI_LINE_MAX becomes P chunks of that size and a last F chunk (containerd's default
 * max_container_log_line_size); output that ends without a newline is flushed as a P chunk. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SHIM_CRI_LINE_MAX 16384

enum shim_stream {
	SHIM_STDOUT,
	SHIM_STDERR,
	SHIM_STREAM_MAX,
};

const char *shim_stream_name(enum shim_stream stream);

/* "TIMESTAMP STREAM TAG " for one chunk. Returns its length (< SHIM_CRI_HEADER_MAX). */
#define SHIM_CRI_HEADER_MAX 64
size_t shim_cri_header(char out[SHIM_CRI_HEADER_MAX], int64_t unix_ns, enum shim_stream stream, bool partial);

/* Receives one chunk: the content is head followed by tail (either may be empty), without the
 * newline. Splitting it in two saves a copy: head is what was held from earlier reads. */
typedef void (*shim_cri_emit_fn)(void *ctx, enum shim_stream stream, bool partial, const char *head, size_t head_len,
				 const char *tail, size_t tail_len);

/* Cuts one stream's output into chunks; holds the start of an unfinished line between reads. */
struct shim_cri_splitter {
	enum shim_stream stream;
	size_t held_len;
	char held[SHIM_CRI_LINE_MAX];
};

void shim_cri_splitter_init(struct shim_cri_splitter *s, enum shim_stream stream);
/* Emits every chunk that data completes; keeps the rest of an unfinished line. */
void shim_cri_feed(struct shim_cri_splitter *s, const char *data, size_t len, shim_cri_emit_fn emit, void *ctx);
/* At the end of the stream: the unfinished line, if any, as a P chunk. */
void shim_cri_flush(struct shim_cri_splitter *s, shim_cri_emit_fn emit, void *ctx);
