/* RFC 6455 framing (see websocket.h). The reader is a small state machine fed arbitrary slices of
 * the byte stream: it gathers a frame header (2 to 14 bytes), checks it completely before taking
 * any payload, then unmasks payload bytes into the message being reassembled (data frames) or a
 * 125-byte buffer (control frames, which may arrive between the fragments of a message, §5.4).
 * Every length that comes from the wire is checked against a limit before it is used. */
#include "lib/net/websocket.h"

#include "lib/base/cleanup.h"
#include "lib/base/utf8.h"
#include "lib/crypto/encode.h"
#include "lib/net/budget.h"

#include <errno.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#define WS_GUID             "258EAFA5-E914-47DA-95CA-C5AB0DC85B11" /* §1.3 */
#define DEFAULT_MAX_MESSAGE (1u << 20)

int cc_ws_accept_key(const char *key, char out[CC_WS_ACCEPT_LEN + 1])
{
	uint8_t *raw = NULL;
	size_t raw_len = 0;
	size_t key_len = strlen(key);
	/* 16 bytes in base64 are 24 characters with their padding. */
	if (key_len != 24 || cc_base64_decode(key, key_len, &raw, &raw_len) < 0 || raw_len != 16) {
		free(raw);
		return -EINVAL;
	}
	free(raw);
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned int digest_len = 0;
	char joined[24 + sizeof(WS_GUID)];
	memcpy(joined, key, 24);
	memcpy(joined + 24, WS_GUID, sizeof(WS_GUID));
	/* SHA-1 is what §4.2.2 specifies; the accept key proves the server read the handshake, it is
	 * not a security mechanism. */
	if (EVP_Digest(joined, strlen(joined), digest, &digest_len, EVP_sha1(), NULL) != 1 || digest_len != 20)
		return -EIO;
	EVP_EncodeBlock((unsigned char *)out, digest, 20);
	out[CC_WS_ACCEPT_LEN] = '\0';
	return 0;
}

size_t cc_ws_frame_header(uint8_t out[CC_WS_MAX_FRAME_HEADER], enum cc_ws_opcode opcode, bool fin, uint64_t len,
			  const uint8_t *mask)
{
	size_t n = 0;
	out[n++] = (uint8_t)((fin ? 0x80 : 0) | (opcode & 0x0f));
	uint8_t mask_bit = mask ? 0x80 : 0;
	/* §5.2: the minimal number of bytes must encode the length. */
	if (len < 126) {
		out[n++] = (uint8_t)(mask_bit | len);
	} else if (len <= 0xffff) {
		out[n++] = mask_bit | 126;
		out[n++] = (uint8_t)(len >> 8);
		out[n++] = (uint8_t)len;
	} else {
		out[n++] = mask_bit | 127;
		for (int shift = 56; shift >= 0; shift -= 8)
			out[n++] = (uint8_t)(len >> shift);
	}
	if (mask) {
		memcpy(out + n, mask, 4);
		n += 4;
	}
	return n;
}

int cc_ws_frame_append(struct cc_buf *out, enum cc_ws_opcode opcode, bool fin, const void *payload, size_t len,
		       const uint8_t *mask)
{
	uint8_t head[CC_WS_MAX_FRAME_HEADER];
	size_t head_len = cc_ws_frame_header(head, opcode, fin, len, mask);
	size_t start = out->len;
	if (cc_buf_append(out, head, head_len) < 0 || cc_buf_append(out, payload, len) < 0) {
		out->len = start; /* nothing half-written */
		if (out->data)
			out->data[start] = '\0';
		return -EMSGSIZE;
	}
	if (mask)
		cc_ws_mask((uint8_t *)out->data + start + head_len, len, mask, 0);
	return 0;
}

/* Length of the longest prefix of s (at most max bytes) that ends on a UTF-8 character boundary. */
static size_t utf8_prefix(const char *s, size_t max)
{
	size_t len = strlen(s);
	if (len <= max)
		return len;
	while (max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80)
		max--; /* s[max] continues a sequence: cut before the sequence starts */
	return max;
}

void cc_ws_close_payload(struct cc_buf *out, uint16_t code, const char *reason)
{
	uint8_t be[2] = { (uint8_t)(code >> 8), (uint8_t)code };
	cc_buf_append(out, be, 2);
	if (reason)
		cc_buf_append(out, reason, utf8_prefix(reason, CC_WS_MAX_CONTROL - 2));
}

void cc_ws_mask(uint8_t *data, size_t len, const uint8_t key[4], uint64_t offset)
{
	for (size_t i = 0; i < len; i++)
		data[i] ^= key[(offset + i) & 3];
}

/* ---- the reader ---- */

struct cc_ws_reader {
	size_t max_message;
	bool client; /* reading a server's frames: unmasked */
	struct cc_mem_charge *charge;
	/* The frame being read. */
	uint8_t head[CC_WS_MAX_FRAME_HEADER];
	size_t head_len;
	bool in_payload;
	uint8_t opcode;
	bool fin;
	uint8_t mask[4];
	uint64_t payload_len, payload_done;
	/* The message being reassembled from data frames. */
	bool in_message;
	uint8_t message_opcode;
	struct cc_buf message;
	bool message_delivered; /* the last event handed out the message: clear it on the next feed */
	/* A control frame's payload. */
	uint8_t control[CC_WS_MAX_CONTROL];
	size_t control_len;
	/* The last event. */
	enum cc_ws_event event;
	const uint8_t *event_data;
	size_t event_len;
	bool done; /* closed or failed: nothing more is read */
	uint16_t close_code;
	char close_reason[160];
};

struct cc_ws_reader *cc_ws_reader_new(size_t max_message)
{
	struct cc_ws_reader *r = cc_xcalloc(1, sizeof(*r));
	r->max_message = max_message ? max_message : DEFAULT_MAX_MESSAGE;
	return r;
}

static void release_message(struct cc_ws_reader *r)
{
	if (r->charge)
		cc_mem_charge_release(r->charge);
	cc_buf_free(&r->message);
}

struct cc_ws_reader *cc_ws_reader_new_client(size_t max_message)
{
	struct cc_ws_reader *r = cc_ws_reader_new(max_message);
	r->client = true;
	return r;
}

void cc_ws_reader_free(struct cc_ws_reader *r)
{
	if (!r)
		return;
	release_message(r);
	free(r);
}

void cc_ws_reader_set_charge(struct cc_ws_reader *r, struct cc_mem_charge *charge)
{
	r->charge = charge;
}

static enum cc_ws_event fail(struct cc_ws_reader *r, uint16_t code, const char *why)
{
	r->done = true;
	r->event = CC_WS_ERROR;
	r->close_code = code;
	snprintf(r->close_reason, sizeof(r->close_reason), "%s", why);
	release_message(r);
	return CC_WS_ERROR;
}

/* Bytes the header needs in all, known once its first two bytes are in. */
static size_t header_size(const uint8_t *head)
{
	uint8_t len7 = head[1] & 0x7f;
	return 2 + (len7 == 126 ? 2 : len7 == 127 ? 8 : 0) + ((head[1] & 0x80) ? 4 : 0);
}

static bool is_control(uint8_t opcode)
{
	return opcode & 0x08;
}

/* §5.2 and §5.4: everything about a frame that can be refused before its payload is read. */
static enum cc_ws_event check_header(struct cc_ws_reader *r)
{
	const uint8_t *h = r->head;
	r->fin = h[0] & 0x80;
	r->opcode = h[0] & 0x0f;
	if (h[0] & 0x70)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "reserved bits set without a negotiated extension");
	if (r->opcode != CC_WS_OP_CONTINUATION && r->opcode != CC_WS_OP_TEXT && r->opcode != CC_WS_OP_BINARY &&
	    r->opcode != CC_WS_OP_CLOSE && r->opcode != CC_WS_OP_PING && r->opcode != CC_WS_OP_PONG)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "reserved opcode");
	bool masked = h[1] & 0x80;
	if (!masked && !r->client)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "client frames must be masked (RFC 6455 §5.1)");
	if (masked && r->client)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "server frames must not be masked (RFC 6455 §5.1)");
	uint8_t len7 = h[1] & 0x7f;
	uint64_t len = len7;
	size_t at = 2;
	if (len7 == 126) {
		len = (uint64_t)h[2] << 8 | h[3];
		at = 4;
		if (len < 126)
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "frame length not in its minimal encoding");
	} else if (len7 == 127) {
		len = 0;
		for (int i = 0; i < 8; i++)
			len = len << 8 | h[2 + i];
		at = 10;
		if (len >> 63)
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "frame length with its most significant bit set");
		if (len <= 0xffff)
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "frame length not in its minimal encoding");
	}
	if (masked)
		memcpy(r->mask, h + at, 4);
	else
		memset(r->mask, 0, 4); /* XOR with zeros: the payload as it came */
	r->payload_len = len;
	r->payload_done = 0;
	if (is_control(r->opcode)) {
		if (!r->fin)
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "fragmented control frame");
		if (len > CC_WS_MAX_CONTROL)
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "control frame longer than 125 bytes");
		r->control_len = 0;
		return CC_WS_NEED_MORE;
	}
	if (r->opcode == CC_WS_OP_CONTINUATION && !r->in_message)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "continuation frame without a message to continue");
	if (r->opcode != CC_WS_OP_CONTINUATION && r->in_message)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "new message before the previous one was finished");
	if (len > r->max_message || r->message.len > r->max_message - len) {
		char why[96];
		snprintf(why, sizeof(why), "message larger than %zu bytes", r->max_message);
		return fail(r, CC_WS_CLOSE_TOO_BIG, why);
	}
	if (r->opcode != CC_WS_OP_CONTINUATION) {
		r->in_message = true;
		r->message_opcode = r->opcode;
	}
	return CC_WS_NEED_MORE;
}

/* Takes header bytes from data; true once the header is complete (and checked). */
static bool read_header(struct cc_ws_reader *r, const uint8_t *data, size_t len, size_t *pos)
{
	while (*pos < len) {
		size_t need = r->head_len < 2 ? 2 : header_size(r->head);
		if (r->head_len >= need)
			break;
		size_t take = need - r->head_len;
		if (take > len - *pos)
			take = len - *pos;
		memcpy(r->head + r->head_len, data + *pos, take);
		r->head_len += take;
		*pos += take;
	}
	if (r->head_len < 2 || r->head_len < header_size(r->head))
		return false;
	r->head_len = 0;
	if (check_header(r) == CC_WS_ERROR)
		return false;
	r->in_payload = true;
	return true;
}

static enum cc_ws_event read_payload(struct cc_ws_reader *r, const uint8_t *data, size_t len, size_t *pos)
{
	uint64_t left = r->payload_len - r->payload_done;
	size_t take = left < len - *pos ? (size_t)left : len - *pos;
	if (take == 0)
		return CC_WS_NEED_MORE;
	uint8_t *dst;
	if (is_control(r->opcode)) {
		dst = r->control + r->control_len;
		memcpy(dst, data + *pos, take);
		r->control_len += take;
	} else {
		if (r->charge && !cc_mem_charge_add(r->charge, take))
			return fail(r, CC_WS_CLOSE_TRY_AGAIN, "server busy: memory budget exhausted, retry later");
		size_t at = r->message.len;
		if (cc_buf_append(&r->message, data + *pos, take) < 0)
			return fail(r, CC_WS_CLOSE_TRY_AGAIN, "out of memory for the message");
		dst = (uint8_t *)r->message.data + at;
	}
	cc_ws_mask(dst, take, r->mask, r->payload_done);
	r->payload_done += take;
	*pos += take;
	return CC_WS_NEED_MORE;
}

static bool valid_close_code(uint16_t code)
{
	/* §7.4.1 and §7.4.2: 1000-1003 and 1007-1011 are defined for endpoints, 1012-1014 were
	 * registered later; 3000-4999 belong to libraries and applications. 1004-1006 and 1015 must
	 * not be sent. */
	return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014) || (code >= 3000 && code <= 4999);
}

static enum cc_ws_event control_done(struct cc_ws_reader *r)
{
	r->event_data = r->control;
	r->event_len = r->control_len;
	if (r->opcode == CC_WS_OP_PING)
		return r->event = CC_WS_PING;
	if (r->opcode == CC_WS_OP_PONG)
		return r->event = CC_WS_PONG;
	/* A close frame (§5.5.1): empty, or a code and an optional UTF-8 reason. */
	if (r->control_len == 1)
		return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "close frame with a one-byte payload");
	r->close_code = CC_WS_CLOSE_NO_STATUS;
	r->close_reason[0] = '\0';
	if (r->control_len >= 2) {
		r->close_code = (uint16_t)(r->control[0] << 8 | r->control[1]);
		if (!valid_close_code(r->close_code))
			return fail(r, CC_WS_CLOSE_PROTOCOL_ERROR, "close frame with an invalid status code");
		if (!cc_utf8_valid((const char *)r->control + 2, r->control_len - 2, NULL))
			return fail(r, CC_WS_CLOSE_INVALID_DATA, "close reason is not UTF-8");
		memcpy(r->close_reason, r->control + 2, r->control_len - 2);
		r->close_reason[r->control_len - 2] = '\0';
	}
	r->done = true;
	r->event_len = 0;
	release_message(r);
	return r->event = CC_WS_CLOSED;
}

static enum cc_ws_event frame_done(struct cc_ws_reader *r)
{
	r->in_payload = false;
	if (is_control(r->opcode))
		return control_done(r);
	if (!r->fin)
		return CC_WS_NEED_MORE;
	r->in_message = false;
	/* §8.1: a text message must be UTF-8 as a whole (fragments may split characters). */
	if (r->message_opcode == CC_WS_OP_TEXT && !cc_utf8_valid(r->message.data, r->message.len, NULL))
		return fail(r, CC_WS_CLOSE_INVALID_DATA, "text message is not UTF-8");
	r->message_delivered = true;
	r->event_data = (const uint8_t *)r->message.data;
	r->event_len = r->message.len;
	return r->event = CC_WS_MESSAGE;
}

enum cc_ws_event cc_ws_reader_feed(struct cc_ws_reader *r, const void *input, size_t len, size_t *consumed)
{
	const uint8_t *data = input;
	size_t pos = 0;
	*consumed = 0;
	if (r->done)
		return r->event;
	if (r->message_delivered) {
		r->message_delivered = false;
		release_message(r);
	}
	r->event = CC_WS_NEED_MORE;
	r->event_data = NULL;
	r->event_len = 0;
	for (;;) {
		if (!r->in_payload) {
			if (!read_header(r, data, len, &pos)) {
				*consumed = pos;
				return r->done ? r->event : CC_WS_NEED_MORE;
			}
		}
		if (read_payload(r, data, len, &pos) == CC_WS_ERROR) {
			*consumed = pos;
			return CC_WS_ERROR;
		}
		if (r->payload_done == r->payload_len) {
			enum cc_ws_event ev = frame_done(r);
			if (ev != CC_WS_NEED_MORE) {
				*consumed = pos;
				return ev;
			}
		}
		if (pos == len) {
			*consumed = pos;
			return CC_WS_NEED_MORE;
		}
	}
}

const uint8_t *cc_ws_reader_data(const struct cc_ws_reader *r, size_t *ret_len)
{
	*ret_len = r->event_len;
	return r->event_data ? r->event_data : (const uint8_t *)"";
}

bool cc_ws_reader_text(const struct cc_ws_reader *r)
{
	return r->message_opcode == CC_WS_OP_TEXT;
}

uint16_t cc_ws_reader_close_code(const struct cc_ws_reader *r)
{
	return r->close_code;
}

const char *cc_ws_reader_close_reason(const struct cc_ws_reader *r)
{
	return r->close_reason;
}
