/* Cutting a container's output into CRI log chunks (see cri_line.h for the format). The splitter
 * never loses or reorders a byte: every byte of the input ends up in exactly one chunk, in order,
 * and only newlines are turned into the file's line ends. A "\r" before the newline is kept (CRI-O
 * keeps it; containerd drops it): the log holds what the container wrote. */
#include "cmd/shim/cri_line.h"

#include "lib/base/timeutil.h"

#include <string.h>

static const char *const stream_names[SHIM_STREAM_MAX] = {
	[SHIM_STDOUT] = "stdout",
	[SHIM_STDERR] = "stderr",
};

const char *shim_stream_name(enum shim_stream stream)
{
	return stream < SHIM_STREAM_MAX ? stream_names[stream] : "stderr";
}

size_t shim_cri_header(char out[SHIM_CRI_HEADER_MAX], int64_t unix_ns, enum shim_stream stream, bool partial)
{
	char stamp[CC_TIME_RFC3339_MAX];
	cc_time_format_rfc3339(unix_ns, stamp, sizeof(stamp));
	const char *name = shim_stream_name(stream);
	size_t stamp_len = strlen(stamp), name_len = strlen(name);
	char *p = out;
	memcpy(p, stamp, stamp_len);
	p += stamp_len;
	*p++ = ' ';
	memcpy(p, name, name_len);
	p += name_len;
	*p++ = ' ';
	*p++ = partial ? 'P' : 'F';
	*p++ = ' ';
	*p = '\0';
	return (size_t)(p - out);
}

void shim_cri_splitter_init(struct shim_cri_splitter *s, enum shim_stream stream)
{
	s->stream = stream;
	s->held_len = 0;
}

/* Emits P chunks of SHIM_CRI_LINE_MAX bytes while held + segment is longer than a chunk; returns
 * how much of segment is left, which then fits in one chunk with what is held. */
static size_t emit_full_chunks(struct shim_cri_splitter *s, const char **segment, size_t len, shim_cri_emit_fn emit,
			       void *ctx)
{
	while (s->held_len + len > SHIM_CRI_LINE_MAX) {
		size_t take = SHIM_CRI_LINE_MAX - s->held_len;
		emit(ctx, s->stream, true, s->held, s->held_len, *segment, take);
		s->held_len = 0;
		*segment += take;
		len -= take;
	}
	return len;
}

void shim_cri_feed(struct shim_cri_splitter *s, const char *data, size_t len, shim_cri_emit_fn emit, void *ctx)
{
	while (len > 0) {
		const char *newline = memchr(data, '\n', len);
		size_t segment_len = newline ? (size_t)(newline - data) : len;
		const char *segment = data;
		size_t consumed = segment_len + (newline ? 1 : 0);
		/* A line of exactly SHIM_CRI_LINE_MAX bytes is one F chunk: only more than that is cut. */
		segment_len = emit_full_chunks(s, &segment, segment_len, emit, ctx);
		if (newline) {
			emit(ctx, s->stream, false, s->held, s->held_len, segment, segment_len);
			s->held_len = 0;
		} else {
			memcpy(s->held + s->held_len, segment, segment_len);
			s->held_len += segment_len;
		}
		data += consumed;
		len -= consumed;
	}
}

void shim_cri_flush(struct shim_cri_splitter *s, shim_cri_emit_fn emit, void *ctx)
{
	if (s->held_len == 0)
		return;
	emit(ctx, s->stream, true, s->held, s->held_len, NULL, 0);
	s->held_len = 0;
}
