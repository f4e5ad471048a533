/* SPDY/3.1 framing (draft-mbelshe-httpbis-spdy-00 as moby/spdystream speaks it): the frames kubectl's
 * port-forward uses, parsed from a byte stream (messages may split frames anywhere) and written one frame
 * at a time, with the name/value header blocks zlib-compressed against the SPDY/3 dictionary, one context
 * per direction for the whole session. No I/O: the port-forward session (WebSocket tunnel or upgraded
 * socket) feeds received bytes in and sends what the writers append. The protocol brief is
 * docs/design/port-forward-protocol.md (§3). Fuzzed (tests/fuzz/fuzz_spdy.c). */
#pragma once

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

/* §3.1 of the brief: DATA is not a control type; 0 stands for it here. */
enum cc_spdy_type {
	CC_SPDY_DATA = 0,
	CC_SPDY_SYN_STREAM = 1,
	CC_SPDY_SYN_REPLY = 2,
	CC_SPDY_RST_STREAM = 3,
	CC_SPDY_SETTINGS = 4,
	CC_SPDY_PING = 6,
	CC_SPDY_GOAWAY = 7,
	CC_SPDY_HEADERS = 8,
	CC_SPDY_WINDOW_UPDATE = 9,
};

#define CC_SPDY_FLAG_FIN            0x01
#define CC_SPDY_FLAG_UNIDIRECTIONAL 0x02
#define CC_SPDY_MAX_FRAME           (1u << 20) /* a larger frame is a protocol error here (memory bound) */

/* What a header block may hold, read or written (a block outside these is -EPROTO when read and
 * -EINVAL when written, so the writers never produce what the reader refuses). */
#define CC_SPDY_MAX_HEADERS      64
#define CC_SPDY_MAX_HEADER_NAME  256
#define CC_SPDY_MAX_HEADER_VALUE 8192
#define CC_SPDY_MAX_HEADER_BLOCK (64u << 10) /* inflated: bounds a zlib bomb */

/* RST_STREAM status codes (§3.1; 0 is invalid) and GOAWAY status codes. */
enum {
	CC_SPDY_PROTOCOL_ERROR = 1,
	CC_SPDY_INVALID_STREAM = 2,
	CC_SPDY_REFUSED_STREAM = 3,
	CC_SPDY_CANCEL = 5,
	CC_SPDY_INTERNAL_ERROR = 6,
};
enum {
	CC_SPDY_GOAWAY_OK = 0,
	CC_SPDY_GOAWAY_PROTOCOL_ERROR = 1,
	CC_SPDY_GOAWAY_INTERNAL_ERROR = 2,
};

/* The SPDY/3 header compression dictionary (spec §2.6.10.1), CC_SPDY3_DICTIONARY_LEN bytes; its
 * Adler-32, the DICTID in the first compressed block's zlib header, is 0xe3c6a7c2. */
#define CC_SPDY3_DICTIONARY_LEN 1423
extern const unsigned char cc_spdy3_dictionary[CC_SPDY3_DICTIONARY_LEN + 1];

struct cc_spdy_frame {
	enum cc_spdy_type type;
	uint8_t flags;
	uint32_t stream_id;           /* DATA, SYN_STREAM, SYN_REPLY, RST_STREAM, HEADERS, WINDOW_UPDATE */
	uint32_t assoc_stream_id;     /* SYN_STREAM */
	uint32_t status;              /* RST_STREAM, GOAWAY */
	uint32_t ping_id;             /* PING */
	uint32_t last_good_stream_id; /* GOAWAY */
	uint32_t delta;               /* WINDOW_UPDATE */
	/* SYN_STREAM, SYN_REPLY, HEADERS: {"lower-case name": "value"} (a value with several NUL-separated
	 * parts is kept as the raw string with NULs replaced by ','); NULL otherwise. */
	json_t *headers;
	const uint8_t *data; /* DATA: the payload, valid until the next cc_spdy_next or cc_spdy_feed */
	size_t len;
};

struct cc_spdy_session;

/* A session is used by one side: it owns one inflate context (what it receives) and one deflate context
 * (what it sends); a test acting as the client uses a second session. */
struct cc_spdy_session *cc_spdy_session_new(void);
void cc_spdy_session_free(struct cc_spdy_session *s);
CC_DEFINE_CLEANUP_FUNC(struct cc_spdy_session *, cc_spdy_session_free)

/* Appends received bytes (any split, empty ones included). -EMSGSIZE, taking nothing, when more than
 * CC_SPDY_MAX_FRAME + 8 bytes already wait unparsed: call cc_spdy_next until it returns 0 between
 * feeds, and what waits is at most one partial frame, so memory stays bounded by one frame and one feed.
 * After cc_spdy_next failed, returns that failure again. */
int cc_spdy_feed(struct cc_spdy_session *s, const void *data, size_t len, struct cc_error *err);
/* The next whole frame: 1 with *frame filled (clear it with cc_spdy_frame_clear), 0 when more bytes are
 * needed, negative (-EPROTO, -EMSGSIZE) with err naming the problem: wrong version, bad lengths or
 * flags, a stream id 0, a header block that does not inflate or is malformed, too many headers or too
 * long names or values, a frame over CC_SPDY_MAX_FRAME. Unknown control types (NOOP, CREDENTIAL, ...)
 * are skipped, as SPDY asks, whatever their length. *frame is overwritten, not cleared first. A failure
 * is final: the inflate context is lost, so every later call returns it again; end the session
 * (GOAWAY with PROTOCOL_ERROR, then close). */
int cc_spdy_next(struct cc_spdy_session *s, struct cc_spdy_frame *frame, struct cc_error *err);
void cc_spdy_frame_clear(struct cc_spdy_frame *f);

/* Writers: each appends exactly one frame to out, or nothing. SYN_REPLY and SYN_STREAM compress headers
 * ({"name": "value"} with string values, names lower-cased; NULL for none) with the session's outgoing
 * zlib context. -EINVAL for a stream id 0 or above 2^31-1, a non-string value, a name that is empty, not
 * ASCII, duplicated once lower-cased, or one spdystream refuses in that frame (connection, keep-alive,
 * proxy-connection, transfer-encoding, and host in SYN_STREAM: it would end kubectl's session), or limits
 * above exceeded; -EMSGSIZE when out's limit refuses the frame. Neither changes the zlib context, so the
 * session goes on. */
int cc_spdy_write_syn_reply(struct cc_spdy_session *s, struct cc_buf *out, uint32_t stream_id, uint8_t flags,
			    const json_t *headers, struct cc_error *err);
/* For tests, acting as the client (priority 0, no associated stream). */
int cc_spdy_write_syn_stream(struct cc_spdy_session *s, struct cc_buf *out, uint32_t stream_id, uint8_t flags,
			     const json_t *headers, struct cc_error *err);
/* The fixed-size frames. Ids are masked to 31 bits; len must not exceed CC_SPDY_MAX_FRAME (asserted).
 * out should have no limit: a frame it refuses is left out whole. */
void cc_spdy_write_data(struct cc_buf *out, uint32_t stream_id, uint8_t flags, const void *data, size_t len);
void cc_spdy_write_rst_stream(struct cc_buf *out, uint32_t stream_id, uint32_t status);
void cc_spdy_write_ping(struct cc_buf *out, uint32_t id);
void cc_spdy_write_goaway(struct cc_buf *out, uint32_t last_good_stream_id, uint32_t status);
