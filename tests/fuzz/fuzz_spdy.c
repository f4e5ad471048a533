/* libFuzzer target: the SPDY/3 reader (lib/net/spdy.c) as the port-forward session drives it. The first
 * input byte seeds the splits; the rest is fed once whole and once in pieces of pseudo-random size (empty
 * ones included, as zero-length WebSocket messages arrive), reading every frame after each feed. Both
 * runs must see the same frames and end the same way (the reader's state carried across feeds, and the
 * shared inflate context, are where framing bugs hide). Every frame of the whole run is also written
 * back with the writers and read by a second pair of sessions, which must give the same frame: what the
 * reader accepts, the writers reproduce, and what the writers produce, the reader accepts. */
#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "lib/net/spdy.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void describe(const struct cc_spdy_frame *f, struct cc_buf *log)
{
	cc_buf_appendf(log, "%d f%u s%u a%u st%u p%u l%u d%u ", (int)f->type, f->flags, f->stream_id,
		       f->assoc_stream_id, f->status, f->ping_id, f->last_good_stream_id, f->delta);
	check(f->stream_id <= 0x7fffffffu && f->last_good_stream_id <= 0x7fffffffu);
	bool with_headers = f->type == CC_SPDY_SYN_STREAM || f->type == CC_SPDY_SYN_REPLY || f->type == CC_SPDY_HEADERS;
	check(with_headers == (f->headers != NULL));
	if (f->headers) {
		check(json_is_object(f->headers) && json_object_size(f->headers) <= CC_SPDY_MAX_HEADERS);
		char *text = json_dumps(f->headers, JSON_COMPACT | JSON_SORT_KEYS);
		check(text != NULL);
		cc_buf_append_str(log, text);
		free(text);
	}
	if (f->type == CC_SPDY_DATA) {
		check(f->len <= CC_SPDY_MAX_FRAME && (f->len == 0 || f->data));
		cc_buf_appendf(log, "%zu:", f->len);
		cc_buf_append(log, f->data, f->len);
	} else {
		check(f->data == NULL && f->len == 0);
	}
	cc_buf_append(log, "\n", 1);
}

/* The peer's side of the round trip: w writes, r reads what w wrote. */
struct echo {
	struct cc_spdy_session *w, *r;
	struct cc_buf wire;
};

/* Writes f again and reads it back: the same frame must come out. */
static void round_trip(struct echo *e, const struct cc_spdy_frame *f)
{
	struct cc_error err = { 0 };
	cc_buf_reset(&e->wire);
	int r = 0;
	switch (f->type) {
	case CC_SPDY_DATA: cc_spdy_write_data(&e->wire, f->stream_id, f->flags, f->data, f->len); break;
	case CC_SPDY_SYN_STREAM:
		r = cc_spdy_write_syn_stream(e->w, &e->wire, f->stream_id, f->flags, f->headers, &err);
		break;
	case CC_SPDY_SYN_REPLY:
	case CC_SPDY_HEADERS:
		r = cc_spdy_write_syn_reply(e->w, &e->wire, f->stream_id, f->flags, f->headers, &err);
		break;
	case CC_SPDY_RST_STREAM: cc_spdy_write_rst_stream(&e->wire, f->stream_id, f->status); break;
	case CC_SPDY_PING: cc_spdy_write_ping(&e->wire, f->ping_id); break;
	case CC_SPDY_GOAWAY: cc_spdy_write_goaway(&e->wire, f->last_good_stream_id, f->status); break;
	default: return; /* SETTINGS and WINDOW_UPDATE have no writer */
	}
	/* Only the names spdystream refuses (host, connection, ...) are read but not written. */
	check(r == 0 || (r == -EINVAL && e->wire.len == 0));
	if (r < 0)
		return;
	struct cc_spdy_frame back;
	check(cc_spdy_feed(e->r, e->wire.data, e->wire.len, &err) == 0);
	check(cc_spdy_next(e->r, &back, &err) == 1);
	enum cc_spdy_type want = f->type == CC_SPDY_HEADERS ? CC_SPDY_SYN_REPLY : f->type;
	check(back.type == want && back.stream_id == f->stream_id && back.status == f->status &&
	      back.ping_id == f->ping_id && back.last_good_stream_id == f->last_good_stream_id);
	check(f->type == CC_SPDY_RST_STREAM || f->type == CC_SPDY_GOAWAY || f->type == CC_SPDY_PING ||
	      back.flags == f->flags);
	check(back.len == f->len && (f->len == 0 || memcmp(back.data, f->data, f->len) == 0));
	check((back.headers == NULL) == (f->headers == NULL) && (!f->headers || json_equal(back.headers, f->headers)));
	cc_spdy_frame_clear(&back);
	check(cc_spdy_next(e->r, &back, &err) == 0);
}

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

/* Feeds data whole (seed 0) or in pseudo-random pieces; the frames and the outcome as text in log. */
static void run(const uint8_t *data, size_t size, unsigned seed, struct echo *echo, struct cc_buf *log)
{
	struct cc_spdy_session *s = cc_spdy_session_new();
	struct cc_error err = { 0 };
	size_t pos = 0;
	int r = 0;
	do {
		size_t n = size - pos;
		if (seed) {
			size_t want = next_rand(&seed) % 8 == 0 ? next_rand(&seed) % 512 : next_rand(&seed) % 9;
			n = want < n ? want : n;
		}
		r = cc_spdy_feed(s, data + pos, n, &err);
		if (r < 0)
			break;
		pos += n;
		struct cc_spdy_frame f;
		while ((r = cc_spdy_next(s, &f, &err)) == 1) {
			describe(&f, log);
			if (echo)
				round_trip(echo, &f);
			cc_spdy_frame_clear(&f);
		}
		if (r < 0)
			break;
	} while (pos < size);
	/* A failure is a protocol error or an oversized frame, and it stays. */
	check(r == 0 || r == -EPROTO || r == -EMSGSIZE);
	if (r < 0) {
		struct cc_spdy_frame f;
		check(cc_spdy_next(s, &f, &err) == r && f.headers == NULL);
		cc_buf_appendf(log, "error %d %s\n", r, err.message);
	}
	cc_spdy_session_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct echo echo = { .w = cc_spdy_session_new(), .r = cc_spdy_session_new() };
	struct cc_buf whole = CC_BUF_INIT, split = CC_BUF_INIT;
	run(data + 1, size - 1, 0, &echo, &whole);
	run(data + 1, size - 1, data[0] + 1u, NULL, &split);
	check(whole.len == split.len && (whole.len == 0 || memcmp(whole.data, split.data, whole.len) == 0));
	cc_buf_free(&whole);
	cc_buf_free(&split);
	cc_buf_free(&echo.wire);
	cc_spdy_session_free(echo.w);
	cc_spdy_session_free(echo.r);
	return 0;
}
