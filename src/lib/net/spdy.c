/* SPDY/3 framing for kubectl port-forward (see spdy.h; the protocol brief is
 * docs/design/port-forward-protocol.md, §3). Three parts:
 *  - the reader: received bytes gather in one buffer, and cc_spdy_next checks a frame's 8-byte header
 *    before it waits for the payload, so an oversized frame fails at once and an unknown control frame
 *    is dropped as it streams past instead of being buffered; the payload is then parsed in place;
 *  - header blocks: one inflate context for all that is received and one deflate context for all that
 *    is sent, both primed with the SPDY/3 dictionary and never reset (spec §2.6.10.1). A frame's block
 *    must inflate, completely, into exactly one name/value block, because the peer's framer
 *    (spdystream) reads each block through a reader limited to its frame and refuses leftovers;
 *  - the writers, which build and check the whole plain block, and make room for the frame, before the
 *    deflate context sees the block: a refused write leaves both directions in step with the peer.
 * A parse failure is final (the inflate context cannot be trusted after it) and is replayed. */
#include "lib/net/spdy.h"

#include "lib/base/error.h"
#include "lib/base/utf8.h"
#include "lib/json/json.h"

#include <assert.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#define ZLIB_CONST
#include <zlib.h>

#define SPDY_VERSION 3
#define FRAME_HEADER 8 /* §3.1: both kinds of frame */
#define MAX_ID       0x7fffffffu

/* The brief's literal, checked there byte for byte against spdystream's dictionary.go. */
#define SPDY3_DICTIONARY_TEXT                                                                                          \
	"\000\000\000\007options\000\000\000\004head\000\000\000\004post\000\000\000\003put\000\000\000"               \
	"\006delete\000\000\000\005trace\000\000\000\006accept\000\000\000\016accept-charset\000\000\000"              \
	"\017accept-encoding\000\000\000\017accept-language\000\000\000\015accept-ranges\000\000\000\003a"             \
	"ge\000\000\000\005allow\000\000\000\015authorization\000\000\000\015cache-control\000\000\000"                \
	"\012connection\000\000\000\014content-base\000\000\000\020content-encoding\000\000\000\020conten"             \
	"t-language\000\000\000\016content-length\000\000\000\020content-location\000\000\000\013content-"             \
	"md5\000\000\000\015content-range\000\000\000\014content-type\000\000\000\004date\000\000\000\004"             \
	"etag\000\000\000\006expect\000\000\000\007expires\000\000\000\004from\000\000\000\004host\000"                \
	"\000\000\010if-match\000\000\000\021if-modified-since\000\000\000\015if-none-match\000\000\000"               \
	"\010if-range\000\000\000\023if-unmodified-since\000\000\000\015last-modified\000\000\000\010loca"             \
	"tion\000\000\000\014max-forwards\000\000\000\006pragma\000\000\000\022proxy-authenticate\000\000"             \
	"\000\023proxy-authorization\000\000\000\005range\000\000\000\007referer\000\000\000\013retry-aft"             \
	"er\000\000\000\006server\000\000\000\002te\000\000\000\007trailer\000\000\000\021transfer-encodi"             \
	"ng\000\000\000\007upgrade\000\000\000\012user-agent\000\000\000\004vary\000\000\000\003via\000"               \
	"\000\000\007warning\000\000\000\020www-authenticate\000\000\000\006method\000\000\000\003get\000"             \
	"\000\000\006status\000\000\000\006200 OK\000\000\000\007version\000\000\000\010HTTP/1.1\000\000"              \
	"\000\003url\000\000\000\006public\000\000\000\012set-cookie\000\000\000\012keep-alive\000\000"                \
	"\000\006origin1001012012022052063003023033043053063074024054064074084094104114124134144154164175"             \
	"02504505203 Non-Authoritative Information204 No Content301 Moved Permanently400 Bad Request401 U"             \
	"nauthorized403 Forbidden404 Not Found500 Internal Server Error501 Not Implemented503 Service Una"             \
	"vailableJan Feb Mar Apr May Jun Jul Aug Sept Oct Nov Dec 00:00:00 Mon, Tue, Wed, Thu, Fri, Sat, "             \
	"Sun, GMTchunked,text/html,image/png,image/jpg,image/gif,application/xml,application/xhtml+xml,te"             \
	"xt/plain,text/javascript,publicprivatemax-age=gzip,deflate,sdchcharset=utf-8charset=iso-8859-1,u"             \
	"tf-,*,enq=0."
_Static_assert(sizeof(SPDY3_DICTIONARY_TEXT) - 1 == CC_SPDY3_DICTIONARY_LEN, "SPDY/3 dictionary length");
const unsigned char cc_spdy3_dictionary[CC_SPDY3_DICTIONARY_LEN + 1] = SPDY3_DICTIONARY_TEXT;

/* Names spdystream refuses in a received header block (types.go, invalidReqHeaders and
 * invalidRespHeaders): a frame carrying one ends kubectl's whole session, so the writers refuse them. */
static const char *const refused_in_request[] = { "connection",        "host", "keep-alive", "proxy-connection",
						  "transfer-encoding", NULL };
static const char *const refused_in_response[] = { "connection", "keep-alive", "proxy-connection", "transfer-encoding",
						   NULL };

struct cc_spdy_session {
	struct cc_buf in; /* received bytes; those before pos belong to frames already handed out */
	size_t pos;
	size_t skip; /* bytes of an ignored control frame still to drop */
	z_stream inflater, deflater;
	bool inflater_ready, deflater_ready;
	bool deflater_failed; /* the outgoing context is out of step with the peer: no more headers */
	struct cc_buf block;  /* a plain header block, inflated or being written */
	struct cc_buf packed; /* the deflated block being written */
	int failed;           /* positive errno once parsing failed for good */
	char failure[CC_ERROR_MESSAGE_MAX];
};

/* ---- byte order (§3: all integers big-endian) ---- */

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static uint32_t be24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* A control frame's 8 bytes: |1| version | type | flags | length (24 bits) |. */
static void control_header(uint8_t h[FRAME_HEADER], enum cc_spdy_type type, uint8_t flags, uint32_t length)
{
	h[0] = 0x80 | (uint8_t)(SPDY_VERSION >> 8);
	h[1] = (uint8_t)SPDY_VERSION;
	h[2] = (uint8_t)((unsigned)type >> 8);
	h[3] = (uint8_t)type;
	put32(h + 4, length);
	h[4] = flags; /* over length's top byte, always 0 below 2^24 */
}

/* The name of a control type this side reads, NULL for one to ignore (0 is no control type: DATA is
 * told apart by the frame's first bit). */
static const char *type_name(unsigned type)
{
	switch (type) {
	case CC_SPDY_SYN_STREAM: return "SYN_STREAM";
	case CC_SPDY_SYN_REPLY: return "SYN_REPLY";
	case CC_SPDY_RST_STREAM: return "RST_STREAM";
	case CC_SPDY_SETTINGS: return "SETTINGS";
	case CC_SPDY_PING: return "PING";
	case CC_SPDY_GOAWAY: return "GOAWAY";
	case CC_SPDY_HEADERS: return "HEADERS";
	case CC_SPDY_WINDOW_UPDATE: return "WINDOW_UPDATE";
	default: return NULL; /* NOOP (5, gone in v3), CREDENTIAL (10) and the unassigned ones */
	}
}

/* ---- the session and its zlib contexts ---- */

/* zlib allocates through the library's helpers, so running out of memory aborts in the one place it
 * does everywhere else instead of turning up as Z_MEM_ERROR on some frame. */
static voidpf zlib_alloc(voidpf opaque, uInt items, uInt size)
{
	return cc_xcalloc(items, size);
}

static void zlib_free(voidpf opaque, voidpf p)
{
	free(p);
}

struct cc_spdy_session *cc_spdy_session_new(void)
{
	struct cc_spdy_session *s = cc_xcalloc(1, sizeof(*s));
	cc_buf_init_limited(&s->block, CC_SPDY_MAX_HEADER_BLOCK);
	return s;
}

void cc_spdy_session_free(struct cc_spdy_session *s)
{
	if (!s)
		return;
	if (s->inflater_ready)
		inflateEnd(&s->inflater);
	if (s->deflater_ready)
		deflateEnd(&s->deflater);
	cc_buf_free(&s->in);
	cc_buf_free(&s->block);
	cc_buf_free(&s->packed);
	free(s);
}

/* The contexts are set up on first use: a deflate context holds about 256 KiB, and a session that only
 * reads (or only writes fixed-size frames) never needs it. */
static int ensure_inflater(struct cc_spdy_session *s, struct cc_error *err)
{
	if (s->inflater_ready)
		return 0;
	s->inflater = (z_stream){ .zalloc = zlib_alloc, .zfree = zlib_free };
	if (inflateInit(&s->inflater) != Z_OK)
		return cc_error_set(err, EIO, "zlib inflateInit failed (zlib %s)", zlibVersion());
	s->inflater_ready = true;
	return 0;
}

static int ensure_deflater(struct cc_spdy_session *s, struct cc_error *err)
{
	if (s->deflater_ready)
		return 0;
	s->deflater = (z_stream){ .zalloc = zlib_alloc, .zfree = zlib_free };
	/* Any level inflates the same way; header blocks are a few dozen bytes, so the default costs nothing
	 * (spdystream's own compressor uses the best). §3.3: the dictionary goes in before the first deflate,
	 * which makes the first block's zlib header carry FDICT and its Adler-32. */
	if (deflateInit(&s->deflater, Z_DEFAULT_COMPRESSION) != Z_OK)
		return cc_error_set(err, EIO, "zlib deflateInit failed (zlib %s)", zlibVersion());
	if (deflateSetDictionary(&s->deflater, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN) != Z_OK) {
		deflateEnd(&s->deflater);
		return cc_error_set(err, EIO, "zlib deflateSetDictionary failed (zlib %s)", zlibVersion());
	}
	s->deflater_ready = true;
	return 0;
}

/* ---- reading header blocks ---- */

/* Inflates one frame's whole block into s->block. The peer flushed (Z_SYNC_FLUSH) at the end of the block,
 * so all of it comes out now; a block cut short is the peer's error, not a reason to wait. */
static int inflate_block(struct cc_spdy_session *s, const char *what, const uint8_t *in, size_t len,
			 struct cc_error *err)
{
	int r = ensure_inflater(s, err);
	if (r < 0)
		return r;
	cc_buf_reset(&s->block);
	z_stream *z = &s->inflater;
	z->next_in = in;
	z->avail_in = (uInt)len; /* at most CC_SPDY_MAX_FRAME */
	for (;;) {
		uint8_t chunk[4096];
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		int rc = inflate(z, Z_SYNC_FLUSH);
		if (rc == Z_NEED_DICT) {
			/* The first block's zlib header names the dictionary by its Adler-32 (z->adler now). */
			if (inflateSetDictionary(z, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN) != Z_OK)
				return cc_error_set(
				    err, EPROTO,
				    "SPDY %s: header block compressed with dictionary %08lx, not SPDY/3's "
				    "(e3c6a7c2)",
				    what, (unsigned long)z->adler);
			rc = Z_OK;
		}
		if (cc_buf_append(&s->block, chunk, sizeof(chunk) - z->avail_out) < 0)
			return cc_error_set(err, EPROTO, "SPDY %s: header block inflates to more than %u bytes", what,
					    CC_SPDY_MAX_HEADER_BLOCK);
		if (rc == Z_STREAM_END && z->avail_in > 0)
			return cc_error_set(err, EPROTO, "SPDY %s: the peer's zlib stream ended inside a header block",
					    what);
		/* Z_BUF_ERROR with no input left only says there was nothing more to do. */
		if (rc != Z_OK && rc != Z_STREAM_END && !(rc == Z_BUF_ERROR && z->avail_in == 0))
			return cc_error_set(err, EPROTO, "SPDY %s: header block does not inflate (zlib: %s)", what,
					    z->msg ? z->msg : zError(rc));
		if (z->avail_in == 0 && z->avail_out > 0)
			return 0;
	}
}

/* A plain block being read: §3.2, u32 count, then count × (u32 length, name, u32 length, value). */
struct block_reader {
	const char *what; /* the frame type, for messages */
	const uint8_t *p;
	size_t len, at;
};

/* One length-prefixed string of at most max bytes. */
static int take_string(struct block_reader *b, const char *field, uint32_t max, const uint8_t **ret, uint32_t *ret_len,
		       struct cc_error *err)
{
	if (b->len - b->at < 4)
		return cc_error_set(err, EPROTO, "SPDY %s: header block cut short in a %s length", b->what, field);
	uint32_t n = be32(b->p + b->at);
	b->at += 4;
	if (n > max)
		return cc_error_set(err, EPROTO, "SPDY %s: header %s of %u bytes, over the limit of %u", b->what, field,
				    n, max);
	if (b->len - b->at < n)
		return cc_error_set(err, EPROTO, "SPDY %s: header block cut short in a header %s", b->what, field);
	*ret = b->p + b->at;
	*ret_len = n;
	b->at += n;
	return 0;
}

/* Spec §2.6.10: a name is non-empty US-ASCII in lower case (spdystream refuses upper case); NUL, spaces
 * and control characters have no place in it either. */
static bool valid_name(const uint8_t *name, size_t len)
{
	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++)
		if (name[i] <= 0x20 || name[i] >= 0x7f || (name[i] >= 'A' && name[i] <= 'Z'))
			return false;
	return true;
}

/* Whether a refused name can go into a message as it is (no control characters for the logs). */
static bool printable(const uint8_t *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] < 0x20 || name[i] >= 0x7f)
			return false;
	return true;
}

/* One name/value pair into headers. */
static int take_header(struct block_reader *b, json_t *headers, struct cc_error *err)
{
	const uint8_t *name, *value;
	uint32_t name_len, value_len;
	int r = take_string(b, "name", CC_SPDY_MAX_HEADER_NAME, &name, &name_len, err);
	if (r < 0)
		return r;
	char key[CC_SPDY_MAX_HEADER_NAME + 1];
	memcpy(key, name, name_len);
	key[name_len] = '\0';
	if (!valid_name(name, name_len))
		return cc_error_set(err, EPROTO, "SPDY %s: header name `%s` is empty, not lower case or not ASCII",
				    b->what, printable(name, name_len) ? key : "(not printable)");
	if (json_object_get(headers, key))
		return cc_error_set(err, EPROTO, "SPDY %s: header `%s` appears twice", b->what, key);
	r = take_string(b, "value", CC_SPDY_MAX_HEADER_VALUE, &value, &value_len, err);
	if (r < 0)
		return r;
	/* §3.2: several values are joined with NUL; they are kept as one string, as HTTP would list them. */
	char text[CC_SPDY_MAX_HEADER_VALUE];
	for (uint32_t i = 0; i < value_len; i++)
		text[i] = value[i] ? (char)value[i] : ',';
	if (!cc_utf8_valid(text, value_len, NULL))
		return cc_error_set(err, EPROTO, "SPDY %s: header `%s` has a value that is not UTF-8", b->what, key);
	json_object_set_new(headers, key, json_stringn(text, value_len));
	return 0;
}

static int parse_block(const char *what, const uint8_t *p, size_t len, json_t **ret, struct cc_error *err)
{
	struct block_reader b = { .what = what, .p = p, .len = len };
	if (len < 4)
		return cc_error_set(err, EPROTO, "SPDY %s: header block of %zu bytes, without its count", what, len);
	uint32_t count = be32(p);
	b.at = 4;
	if (count > CC_SPDY_MAX_HEADERS)
		return cc_error_set(err, EPROTO, "SPDY %s: %u headers, more than the %d allowed", what, count,
				    CC_SPDY_MAX_HEADERS);
	_cleanup_json_ json_t *headers = json_object();
	for (uint32_t i = 0; i < count; i++) {
		int r = take_header(&b, headers, err);
		if (r < 0)
			return r;
	}
	/* Bytes after the last pair would be read by the peer's framer as the start of the next block. */
	if (b.at != len)
		return cc_error_set(err, EPROTO, "SPDY %s: %zu bytes after the last of %u headers", what, len - b.at,
				    count);
	*ret = CC_TAKE_PTR(headers);
	return 0;
}

static int read_headers(struct cc_spdy_session *s, const char *what, const uint8_t *block, size_t len, json_t **ret,
			struct cc_error *err)
{
	int r = inflate_block(s, what, block, len, err);
	if (r < 0)
		return r;
	return parse_block(what, (const uint8_t *)s->block.data, s->block.len, ret, err);
}

/* ---- reading frames ---- */

/* §3.1 and §3.4: each control frame as spdystream's reader checks it (read.go), so what this side
 * accepts is what a well-behaved peer sends. p is the payload, len its length. */
static int parse_control(struct cc_spdy_session *s, unsigned type, const uint8_t *p, uint32_t len,
			 struct cc_spdy_frame *f, struct cc_error *err)
{
	const char *what = type_name(type);
	/* The fixed part each type needs; exact for those without a header block or a list. */
	static const uint32_t fixed[] = {
		[CC_SPDY_SYN_STREAM] = 10, [CC_SPDY_SYN_REPLY] = 4,    [CC_SPDY_RST_STREAM] = 8,
		[CC_SPDY_SETTINGS] = 4,    [CC_SPDY_PING] = 4,         [CC_SPDY_GOAWAY] = 8,
		[CC_SPDY_HEADERS] = 4,     [CC_SPDY_WINDOW_UPDATE] = 8
	};
	bool exact = type == CC_SPDY_RST_STREAM || type == CC_SPDY_PING || type == CC_SPDY_GOAWAY ||
		     type == CC_SPDY_WINDOW_UPDATE;
	if (len < fixed[type] || (exact && len != fixed[type]))
		return cc_error_set(err, EPROTO, "SPDY %s frame of length %u, not %s%u", what, len,
				    exact ? "" : "at least ", fixed[type]);
	f->type = (enum cc_spdy_type)type;
	switch (type) {
	case CC_SPDY_SYN_STREAM:
		f->stream_id = be32(p) & MAX_ID;
		f->assoc_stream_id = be32(p + 4) & MAX_ID; /* then priority and slot, which nothing here uses */
		break;
	case CC_SPDY_SYN_REPLY:
	case CC_SPDY_HEADERS:
	case CC_SPDY_WINDOW_UPDATE: f->stream_id = be32(p) & MAX_ID; break;
	case CC_SPDY_RST_STREAM:
		f->stream_id = be32(p) & MAX_ID;
		f->status = be32(p + 4);
		if (f->status == 0)
			return cc_error_set(err, EPROTO, "SPDY RST_STREAM on stream %u with status 0", f->stream_id);
		break;
	case CC_SPDY_SETTINGS:
		if ((uint64_t)be32(p) * 8 + 4 != len)
			return cc_error_set(err, EPROTO, "SPDY SETTINGS frame of length %u for %u settings", len,
					    be32(p));
		return 1;
	case CC_SPDY_PING:
		f->ping_id = be32(p);
		if (f->ping_id == 0 || f->flags != 0)
			return cc_error_set(err, EPROTO, "SPDY PING with id %u and flags %#x (id 0 or flags refused)",
					    f->ping_id, f->flags);
		return 1;
	case CC_SPDY_GOAWAY:
		f->last_good_stream_id = be32(p) & MAX_ID;
		f->status = be32(p + 4);
		break;
	}
	if (type == CC_SPDY_WINDOW_UPDATE)
		f->delta = be32(p + 4) & MAX_ID;
	if ((type == CC_SPDY_GOAWAY || type == CC_SPDY_WINDOW_UPDATE) && f->flags != 0)
		return cc_error_set(err, EPROTO, "SPDY %s with flags %#x", what, f->flags);
	if (type != CC_SPDY_GOAWAY && type != CC_SPDY_WINDOW_UPDATE && f->stream_id == 0)
		return cc_error_set(err, EPROTO, "SPDY %s on stream 0", what);
	if (type == CC_SPDY_SYN_STREAM || type == CC_SPDY_SYN_REPLY || type == CC_SPDY_HEADERS) {
		int r = read_headers(s, what, p + fixed[type], len - fixed[type], &f->headers, err);
		if (r < 0)
			return r;
	}
	return 1;
}

/* Drops what is left of an ignored frame from the bytes at hand. */
static void drop_skipped(struct cc_spdy_session *s)
{
	size_t avail = s->in.len - s->pos, n = s->skip < avail ? s->skip : avail;
	s->pos += n;
	s->skip -= n;
}

static int next_frame(struct cc_spdy_session *s, struct cc_spdy_frame *f, struct cc_error *err)
{
	for (;;) {
		drop_skipped(s);
		size_t avail = s->in.len - s->pos;
		if (s->skip || avail < FRAME_HEADER)
			return 0;
		const uint8_t *h = (const uint8_t *)s->in.data + s->pos;
		bool control = h[0] & 0x80;
		unsigned version = (unsigned)(h[0] & 0x7f) << 8 | h[1], type = (unsigned)h[2] << 8 | h[3];
		uint32_t len = be24(h + 5);
		if (control && version != SPDY_VERSION)
			return cc_error_set(err, EPROTO, "SPDY control frame of version %u, not 3", version);
		if (control && !type_name(type)) {
			/* Spec §2.2.1: a control frame of an unknown type is ignored, whatever its length. */
			s->pos += FRAME_HEADER;
			s->skip = len;
			continue;
		}
		if (len > CC_SPDY_MAX_FRAME)
			return cc_error_set(err, EMSGSIZE, "SPDY %s frame of %u bytes, over the limit of %u",
					    control ? type_name(type) : "DATA", len, CC_SPDY_MAX_FRAME);
		if (avail - FRAME_HEADER < len)
			return 0;
		s->pos += FRAME_HEADER + len;
		f->flags = h[4];
		if (control)
			return parse_control(s, type, h + FRAME_HEADER, len, f, err);
		f->type = CC_SPDY_DATA;
		f->stream_id = be32(h) & MAX_ID;
		f->data = h + FRAME_HEADER;
		f->len = len;
		if (f->stream_id == 0)
			return cc_error_set(err, EPROTO, "SPDY DATA frame on stream 0");
		return 1;
	}
}

int cc_spdy_feed(struct cc_spdy_session *s, const void *data, size_t len, struct cc_error *err)
{
	if (s->failed)
		return cc_error_set(err, s->failed, "%s", s->failure);
	if (s->in.len - s->pos > CC_SPDY_MAX_FRAME + FRAME_HEADER)
		return cc_error_set(
		    err, EMSGSIZE,
		    "SPDY: %zu bytes wait unparsed, more than one frame may hold (%u): read frames with "
		    "cc_spdy_next before feeding more",
		    s->in.len - s->pos, CC_SPDY_MAX_FRAME + FRAME_HEADER);
	/* The frames handed out so far go now: their data was valid until this call. Once per feed, so a
	 * buffer of many small frames is not moved once per frame. */
	if (s->pos) {
		cc_buf_consume(&s->in, s->pos);
		s->pos = 0;
	}
	size_t drop = s->skip < len ? s->skip : len;
	s->skip -= drop;
	if (cc_buf_append(&s->in, (const uint8_t *)data + drop, len - drop) < 0)
		return cc_error_set(err, EMSGSIZE, "SPDY: cannot buffer %zu more bytes", len - drop);
	return 0;
}

int cc_spdy_next(struct cc_spdy_session *s, struct cc_spdy_frame *frame, struct cc_error *err)
{
	*frame = (struct cc_spdy_frame){ 0 };
	if (s->failed)
		return cc_error_set(err, s->failed, "%s", s->failure);
	struct cc_error why = { 0 };
	int r = next_frame(s, frame, &why);
	if (r >= 0)
		return r;
	cc_spdy_frame_clear(frame);
	s->failed = -r;
	snprintf(s->failure, sizeof(s->failure), "%s", cc_error_message(&why));
	return cc_error_set(err, s->failed, "%s", s->failure);
}

void cc_spdy_frame_clear(struct cc_spdy_frame *f)
{
	json_decref(f->headers);
	*f = (struct cc_spdy_frame){ 0 };
}

/* ---- writing ---- */

static void append_u32(struct cc_buf *b, uint32_t v)
{
	uint8_t be[4];
	put32(be, v);
	cc_buf_append(b, be, 4);
}

/* The lower-cased name of one header to write, checked as the reader checks it and against the names
 * spdystream refuses in this frame. */
static int header_name(const char *what, const char *key, const char *const *refused, char name[], struct cc_error *err)
{
	size_t len = strlen(key);
	if (len > CC_SPDY_MAX_HEADER_NAME)
		return cc_error_set(err, EINVAL, "SPDY %s: header name of %zu bytes, over the limit of %u", what, len,
				    CC_SPDY_MAX_HEADER_NAME);
	for (size_t i = 0; i <= len; i++)
		name[i] = key[i] >= 'A' && key[i] <= 'Z' ? (char)(key[i] - 'A' + 'a') : key[i];
	if (!valid_name((const uint8_t *)name, len))
		return cc_error_set(err, EINVAL, "SPDY %s: header name `%s` is empty or not printable ASCII", what,
				    key);
	for (size_t i = 0; refused[i]; i++)
		if (strcmp(name, refused[i]) == 0)
			return cc_error_set(err, EINVAL,
					    "SPDY %s: header `%s` would make spdystream refuse the frame and end the "
					    "client's session",
					    what, name);
	return 0;
}

/* Builds the plain block for headers in s->block (§3.2), refusing whatever the reader would refuse. */
static int build_block(struct cc_spdy_session *s, const char *what, const json_t *headers, const char *const *refused,
		       struct cc_error *err)
{
	if (headers && !json_is_object(headers))
		return cc_error_set(err, EINVAL, "SPDY %s: headers must be a JSON object", what);
	size_t count = headers ? json_object_size(headers) : 0;
	if (count > CC_SPDY_MAX_HEADERS)
		return cc_error_set(err, EINVAL, "SPDY %s: %zu headers, more than the %d allowed", what, count,
				    CC_SPDY_MAX_HEADERS);
	cc_buf_reset(&s->block);
	append_u32(&s->block, (uint32_t)count);
	_cleanup_json_ json_t *seen = json_object();
	const char *key;
	json_t *value;
	json_object_foreach ((json_t *)headers, key, value) {
		char name[CC_SPDY_MAX_HEADER_NAME + 1];
		int r = header_name(what, key, refused, name, err);
		if (r < 0)
			return r;
		if (json_object_get(seen, name))
			return cc_error_set(err, EINVAL, "SPDY %s: header `%s` given twice (names are lower-cased)",
					    what, name);
		json_object_set_new(seen, name, json_true());
		if (!json_is_string(value) || json_string_length(value) > CC_SPDY_MAX_HEADER_VALUE)
			return cc_error_set(err, EINVAL, "SPDY %s: header `%s` needs a string of at most %u bytes",
					    what, name, CC_SPDY_MAX_HEADER_VALUE);
		size_t name_len = strlen(name), value_len = json_string_length(value);
		size_t before = s->block.len;
		append_u32(&s->block, (uint32_t)name_len);
		cc_buf_append(&s->block, name, name_len);
		append_u32(&s->block, (uint32_t)value_len);
		cc_buf_append(&s->block, json_string_value(value), value_len);
		/* Each append is refused whole past the block's limit, so a short block means one was. */
		if (s->block.len != before + 8 + name_len + value_len)
			return cc_error_set(err, EINVAL, "SPDY %s: header block over %u bytes", what,
					    CC_SPDY_MAX_HEADER_BLOCK);
	}
	return 0;
}

/* Deflates s->block into s->packed with the outgoing context. §3.3: a sync flush ends every block, so
 * the whole block is in this frame (spdystream's reader stops at the frame's end). */
static int deflate_block(struct cc_spdy_session *s, struct cc_error *err)
{
	z_stream *z = &s->deflater;
	cc_buf_reset(&s->packed);
	z->next_in = (const uint8_t *)s->block.data;
	z->avail_in = (uInt)s->block.len;
	do {
		uint8_t chunk[4096];
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		int rc = deflate(z, Z_SYNC_FLUSH);
		if (rc != Z_OK && rc != Z_BUF_ERROR) {
			s->deflater_failed = true;
			return cc_error_set(err, EIO, "SPDY: zlib deflate failed (%s)", zError(rc));
		}
		cc_buf_append(&s->packed, chunk, sizeof(chunk) - z->avail_out);
	} while (z->avail_out == 0);
	return 0;
}

static int write_header_frame(struct cc_spdy_session *s, struct cc_buf *out, enum cc_spdy_type type, uint32_t stream_id,
			      uint8_t flags, const json_t *headers, struct cc_error *err)
{
	const char *what = type_name(type);
	if (stream_id == 0 || stream_id > MAX_ID)
		return cc_error_set(err, EINVAL, "SPDY %s: stream id %u is not in 1..2^31-1", what, stream_id);
	int r = ensure_deflater(s, err);
	if (r < 0)
		return r;
	if (s->deflater_failed)
		return cc_error_set(err, EIO, "SPDY %s: header compression failed earlier; end the session", what);
	r = build_block(s, what, headers, type == CC_SPDY_SYN_STREAM ? refused_in_request : refused_in_response, err);
	if (r < 0)
		return r;
	/* Room for the frame first: once the deflate context has taken the block, the frame must go out, or
	 * the peer's inflate context falls behind. Sync-flushed deflate output exceeds its input by a few
	 * bytes per 16 KiB stored block and the zlib header; an eighth plus 64 is far more than that. */
	uint32_t fixed = type == CC_SPDY_SYN_STREAM ? 10 : 4;
	if (cc_buf_reserve(out, FRAME_HEADER + fixed + s->block.len + s->block.len / 8 + 64) < 0)
		return cc_error_set(err, EMSGSIZE, "SPDY %s: the output buffer has no room for the frame", what);
	r = deflate_block(s, err);
	if (r < 0)
		return r;
	uint8_t head[FRAME_HEADER + 10] = { 0 }; /* SYN_STREAM: associated stream 0, priority 0, slot 0 */
	control_header(head, type, flags, fixed + (uint32_t)s->packed.len);
	put32(head + FRAME_HEADER, stream_id);
	size_t start = out->len;
	if (cc_buf_append(out, head, FRAME_HEADER + fixed) < 0 ||
	    cc_buf_append(out, s->packed.data, s->packed.len) < 0) {
		out->len = start; /* not after the reservation above; but never half a frame */
		s->deflater_failed = true;
		return cc_error_set(err, EMSGSIZE, "SPDY %s: the output buffer refused the frame", what);
	}
	return 0;
}

int cc_spdy_write_syn_reply(struct cc_spdy_session *s, struct cc_buf *out, uint32_t stream_id, uint8_t flags,
			    const json_t *headers, struct cc_error *err)
{
	return write_header_frame(s, out, CC_SPDY_SYN_REPLY, stream_id, flags, headers, err);
}

int cc_spdy_write_syn_stream(struct cc_spdy_session *s, struct cc_buf *out, uint32_t stream_id, uint8_t flags,
			     const json_t *headers, struct cc_error *err)
{
	return write_header_frame(s, out, CC_SPDY_SYN_STREAM, stream_id, flags, headers, err);
}

/* A frame goes into out whole or not at all: half a frame would put the peer out of step for good. */
static void append_frame(struct cc_buf *out, const uint8_t *head, size_t head_len, const void *payload, size_t len)
{
	if (cc_buf_reserve(out, head_len + len) < 0)
		return;
	cc_buf_append(out, head, head_len);
	cc_buf_append(out, payload, len);
}

void cc_spdy_write_data(struct cc_buf *out, uint32_t stream_id, uint8_t flags, const void *data, size_t len)
{
	assert(len <= CC_SPDY_MAX_FRAME);
	uint8_t head[FRAME_HEADER];
	put32(head, stream_id & MAX_ID);
	put32(head + 4, (uint32_t)len);
	head[4] = flags;
	append_frame(out, head, sizeof(head), data, len);
}

/* A control frame of two 32-bit words (RST_STREAM, GOAWAY) or one (PING), flags 0. */
static void write_words(struct cc_buf *out, enum cc_spdy_type type, uint32_t a, const uint32_t *b)
{
	uint8_t frame[FRAME_HEADER + 8];
	control_header(frame, type, 0, b ? 8 : 4);
	put32(frame + FRAME_HEADER, a);
	if (b)
		put32(frame + FRAME_HEADER + 4, *b);
	append_frame(out, frame, FRAME_HEADER + (b ? 8 : 4), NULL, 0);
}

void cc_spdy_write_rst_stream(struct cc_buf *out, uint32_t stream_id, uint32_t status)
{
	write_words(out, CC_SPDY_RST_STREAM, stream_id & MAX_ID, &status);
}

void cc_spdy_write_ping(struct cc_buf *out, uint32_t id)
{
	write_words(out, CC_SPDY_PING, id, NULL);
}

void cc_spdy_write_goaway(struct cc_buf *out, uint32_t last_good_stream_id, uint32_t status)
{
	write_words(out, CC_SPDY_GOAWAY, last_good_stream_id & MAX_ID, &status);
}
