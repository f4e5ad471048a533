/* RFC 6455 WebSocket framing without I/O: the opening handshake's accept key, frames as a server
 * sends them, and a reader that turns a client's bytes into messages and control frames. The reader
 * enforces what §5 asks of a server (client frames masked, control frames short and whole, fragments
 * in order, no reserved bits or opcodes, valid close codes, UTF-8 text) and a message size limit,
 * and says which close code answers a violation. The server's connection code
 * (server_websocket.c), the client (websocket_client.c) and the fuzz target
 * (tests/fuzz/fuzz_websocket.c) drive the same reader. */
#pragma once

#include "lib/base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RFC 6455 §5.2 opcodes. */
enum cc_ws_opcode {
	CC_WS_OP_CONTINUATION = 0x0,
	CC_WS_OP_TEXT = 0x1,
	CC_WS_OP_BINARY = 0x2,
	CC_WS_OP_CLOSE = 0x8,
	CC_WS_OP_PING = 0x9,
	CC_WS_OP_PONG = 0xA,
};

/* RFC 6455 §7.4.1 status codes (and 1013 from the IANA registry). 1005 and 1006 never go on the
 * wire: they tell an on_close callback that the client gave no code or vanished. */
enum {
	CC_WS_CLOSE_NORMAL = 1000,
	CC_WS_CLOSE_GOING_AWAY = 1001,
	CC_WS_CLOSE_PROTOCOL_ERROR = 1002,
	CC_WS_CLOSE_UNSUPPORTED = 1003,
	CC_WS_CLOSE_NO_STATUS = 1005,
	CC_WS_CLOSE_ABNORMAL = 1006,
	CC_WS_CLOSE_INVALID_DATA = 1007,
	CC_WS_CLOSE_POLICY = 1008,
	CC_WS_CLOSE_TOO_BIG = 1009,
	CC_WS_CLOSE_INTERNAL_ERROR = 1011,
	CC_WS_CLOSE_TRY_AGAIN = 1013,
};

#define CC_WS_ACCEPT_LEN       28  /* base64 of a SHA-1 digest */
#define CC_WS_MAX_CONTROL      125 /* §5.5: control frame payload */
#define CC_WS_MAX_FRAME_HEADER 14

/* §4.2.2 item 5.4: Sec-WebSocket-Accept for the client's Sec-WebSocket-Key. -EINVAL unless the key
 * is the base64 of 16 bytes (§4.2.1 item 5). */
int cc_ws_accept_key(const char *key, char out[CC_WS_ACCEPT_LEN + 1]);

/* A frame header for a payload of len bytes; with mask (a client's frame), the 4-byte key follows
 * the length. Returns the header's size (2 to 14). */
size_t cc_ws_frame_header(uint8_t out[CC_WS_MAX_FRAME_HEADER], enum cc_ws_opcode opcode, bool fin, uint64_t len,
			  const uint8_t *mask);
/* Appends one frame. mask NULL: a server's frame (§5.1: never masked); else the payload is masked
 * with it as a client must. -EMSGSIZE past the buffer's limit. */
int cc_ws_frame_append(struct cc_buf *out, enum cc_ws_opcode opcode, bool fin, const void *payload, size_t len,
		       const uint8_t *mask);
/* Appends a close frame's payload (§5.5.1): the code in network order and the reason, cut to fit
 * 125 bytes without splitting a UTF-8 sequence. */
void cc_ws_close_payload(struct cc_buf *out, uint16_t code, const char *reason);
/* XORs data with the masking key (§5.3); offset is the position of data[0] in the payload. */
void cc_ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset);

/* What a reader found. */
enum cc_ws_event {
	CC_WS_NEED_MORE, /* all input consumed, nothing complete */
	CC_WS_MESSAGE,   /* a whole (reassembled) text or binary message */
	CC_WS_PING,      /* answer with a pong carrying the same payload (§5.5.2) */
	CC_WS_PONG,
	CC_WS_CLOSED, /* the client's close frame: answer it and close (§5.5.1) */
	CC_WS_ERROR,  /* a violation: close with cc_ws_reader_close_code (§7.1.7) */
};

struct cc_mem_charge;
struct cc_ws_reader;

/* max_message bounds a reassembled message (0: 1 MiB); a larger one is CC_WS_ERROR with 1009. */
struct cc_ws_reader *cc_ws_reader_new(size_t max_message);
/* A reader of a server's frames, as a client reads them (websocket_client.c): §5.1 the other way
 * round, a masked frame is the violation (1002); everything else is checked the same. */
struct cc_ws_reader *cc_ws_reader_new_client(size_t max_message);
void cc_ws_reader_free(struct cc_ws_reader *r);
/* Message bytes held are taken from this charge (optional); when it refuses, CC_WS_ERROR with 1013. */
void cc_ws_reader_set_charge(struct cc_ws_reader *r, struct cc_mem_charge *charge);

/* Parses from data and stops at the first event; *consumed says how much was used: call again
 * with the rest. The event's data stays valid until the next call. After CC_WS_CLOSED or
 * CC_WS_ERROR nothing more is read (the same event comes back, consuming nothing). */
enum cc_ws_event cc_ws_reader_feed(struct cc_ws_reader *r, const void *data, size_t len, size_t *consumed);
/* The payload of the last CC_WS_MESSAGE, CC_WS_PING or CC_WS_PONG. */
const uint8_t *cc_ws_reader_data(const struct cc_ws_reader *r, size_t *ret_len);
/* Whether the last message was text (else binary). */
bool cc_ws_reader_text(const struct cc_ws_reader *r);
/* After CC_WS_CLOSED: the client's code (1005 when it sent none) and reason. After CC_WS_ERROR: the
 * code to close with (1002, 1007, 1009 or 1013) and a sentence saying why. */
uint16_t cc_ws_reader_close_code(const struct cc_ws_reader *r);
const char *cc_ws_reader_close_reason(const struct cc_ws_reader *r);
