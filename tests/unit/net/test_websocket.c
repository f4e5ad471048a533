/* lib/net/websocket.c: the accept key (RFC 6455 §1.3 example), frame headers, and the reader on the
 * RFC's examples and on every violation §5 names, fed whole and byte by byte. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/net/budget.h"
#include "lib/net/websocket.h"
#include "unit.h"

#include <errno.h>

static const uint8_t mask[4] = { 0x37, 0xfa, 0x21, 0x3d };

static void test_accept_key(void **state)
{
	char accept[CC_WS_ACCEPT_LEN + 1];
	/* RFC 6455 §1.3 */
	assert_int_equal(cc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ==", accept), 0);
	assert_string_equal(accept, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
	assert_int_equal(cc_ws_accept_key("", accept), -EINVAL);
	assert_int_equal(cc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ", accept), -EINVAL);       /* unpadded */
	assert_int_equal(cc_ws_accept_key("dGhlIHNhbXBsZSBub25jZQ=!", accept), -EINVAL);     /* not base64 */
	assert_int_equal(cc_ws_accept_key("aGVsbG8gd29ybGQgaGVsbG8gd29y", accept), -EINVAL); /* 21 bytes */
}

static void test_frame_header(void **state)
{
	uint8_t h[CC_WS_MAX_FRAME_HEADER];
	assert_int_equal(cc_ws_frame_header(h, CC_WS_OP_BINARY, true, 125, NULL), 2);
	assert_int_equal(h[0], 0x82);
	assert_int_equal(h[1], 125);
	assert_int_equal(cc_ws_frame_header(h, CC_WS_OP_TEXT, false, 126, NULL), 4);
	assert_int_equal(h[0], 0x01);
	assert_int_equal(h[1], 126);
	assert_int_equal(h[2] << 8 | h[3], 126);
	assert_int_equal(cc_ws_frame_header(h, CC_WS_OP_BINARY, true, 65535, NULL), 4);
	assert_int_equal(cc_ws_frame_header(h, CC_WS_OP_BINARY, true, 65536, mask), 14);
	assert_int_equal(h[1], 0x80 | 127);
	assert_int_equal(h[7], 1); /* 0x0000000000010000 */
	assert_memory_equal(h + 10, mask, 4);
}

/* RFC 6455 §5.7: a masked "Hello". */
static const uint8_t hello_masked[] = { 0x81, 0x85, 0x37, 0xfa, 0x21, 0x3d, 0x7f, 0x9f, 0x4d, 0x51, 0x58 };

static void test_rfc_example(void **state)
{
	struct cc_ws_reader *r = cc_ws_reader_new(0);
	size_t used, len;
	assert_int_equal(cc_ws_reader_feed(r, hello_masked, sizeof(hello_masked), &used), CC_WS_MESSAGE);
	assert_int_equal(used, sizeof(hello_masked));
	const uint8_t *data = cc_ws_reader_data(r, &len);
	assert_int_equal(len, 5);
	assert_memory_equal(data, "Hello", 5);
	assert_true(cc_ws_reader_text(r));
	assert_int_equal(cc_ws_reader_feed(r, "", 0, &used), CC_WS_NEED_MORE);
	/* Our own masked encoding gives the RFC's bytes. */
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(cc_ws_frame_append(&out, CC_WS_OP_TEXT, true, "Hello", 5, mask), 0);
	assert_int_equal(out.len, sizeof(hello_masked));
	assert_memory_equal(out.data, hello_masked, sizeof(hello_masked));
	cc_buf_free(&out);
	cc_ws_reader_free(r);
}

/* Feeds all of in, one byte at a time when bytewise; collects the events in order as a string
 * ("M:payload P:payload C:code E:code") in got. */
static void feed_all(struct cc_ws_reader *r, const struct cc_buf *in, bool bytewise, struct cc_buf *got)
{
	size_t pos = 0;
	while (pos < in->len) {
		size_t n = bytewise ? 1 : in->len - pos, used, len;
		enum cc_ws_event ev = cc_ws_reader_feed(r, in->data + pos, n, &used);
		pos += used;
		const uint8_t *data = cc_ws_reader_data(r, &len);
		switch (ev) {
		case CC_WS_NEED_MORE:
			if (!bytewise)
				assert_int_equal(pos, in->len);
			break;
		case CC_WS_MESSAGE: cc_buf_appendf(got, "M:%.*s ", (int)len, (const char *)data); break;
		case CC_WS_PING: cc_buf_appendf(got, "P:%.*s ", (int)len, (const char *)data); break;
		case CC_WS_PONG: cc_buf_appendf(got, "O:%.*s ", (int)len, (const char *)data); break;
		case CC_WS_CLOSED:
			cc_buf_appendf(got, "C:%u:%s ", cc_ws_reader_close_code(r), cc_ws_reader_close_reason(r));
			return;
		case CC_WS_ERROR: cc_buf_appendf(got, "E:%u ", cc_ws_reader_close_code(r)); return;
		}
	}
}

static void expect(const struct cc_buf *in, size_t max_message, const char *want)
{
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		struct cc_ws_reader *r = cc_ws_reader_new(max_message);
		struct cc_buf got = CC_BUF_INIT;
		feed_all(r, in, bytewise, &got);
		if (strcmp(got.data ? got.data : "", want) != 0)
			fail_msg("%s: got `%s`, want `%s`", bytewise ? "bytewise" : "whole", got.data ? got.data : "",
				 want);
		cc_buf_free(&got);
		cc_ws_reader_free(r);
	}
}

static void frame(struct cc_buf *b, enum cc_ws_opcode op, bool fin, const char *payload)
{
	assert_int_equal(cc_ws_frame_append(b, op, fin, payload, strlen(payload), mask), 0);
}

static void test_fragments_and_control(void **state)
{
	struct cc_buf in = CC_BUF_INIT;
	/* §5.4: control frames may come between the fragments of a message. */
	frame(&in, CC_WS_OP_BINARY, false, "one ");
	frame(&in, CC_WS_OP_PING, true, "are you there");
	frame(&in, CC_WS_OP_CONTINUATION, false, "two ");
	frame(&in, CC_WS_OP_PONG, true, "");
	frame(&in, CC_WS_OP_CONTINUATION, true, "three");
	frame(&in, CC_WS_OP_TEXT, true, "");
	frame(&in, CC_WS_OP_TEXT, true, "h\xc3\xa9llo"); /* UTF-8 */
	struct cc_buf close = CC_BUF_INIT;
	cc_ws_close_payload(&close, 1000, "bye");
	cc_ws_frame_append(&in, CC_WS_OP_CLOSE, true, close.data, close.len, mask);
	frame(&in, CC_WS_OP_TEXT, true, "after the close: never read");
	expect(&in, 0, "P:are you there O: M:one two three M: M:h\xc3\xa9llo C:1000:bye ");
	cc_buf_free(&close);
	cc_buf_free(&in);
}

/* A frame header built by hand (for the violations our encoder cannot produce). */
static void raw(struct cc_buf *b, uint8_t b0, uint8_t b1, const uint8_t *ext, size_t ext_len)
{
	cc_buf_append(b, &b0, 1);
	cc_buf_append(b, &b1, 1);
	if (ext_len)
		cc_buf_append(b, ext, ext_len);
	if (b1 & 0x80)
		cc_buf_append(b, mask, 4);
}

static void test_violations(void **state)
{
	struct {
		const char *what;
		uint8_t b0, b1;
		uint8_t ext[8];
		size_t ext_len;
		const char *want;
	} cases[] = {
		{ "unmasked", 0x82, 0x03, { 0 }, 0, "E:1002 " },
		{ "RSV1", 0xc2, 0x80, { 0 }, 0, "E:1002 " },
		{ "opcode 3", 0x83, 0x80, { 0 }, 0, "E:1002 " },
		{ "opcode 0xB", 0x8b, 0x80, { 0 }, 0, "E:1002 " },
		{ "fragmented ping", 0x09, 0x80, { 0 }, 0, "E:1002 " },
		{ "ping of 126", 0x89, 0x80 | 126, { 0, 126 }, 2, "E:1002 " },
		{ "continuation first", 0x80, 0x80, { 0 }, 0, "E:1002 " },
		{ "16-bit length under 126", 0x82, 0x80 | 126, { 0, 5 }, 2, "E:1002 " },
		{ "64-bit length under 65536", 0x82, 0x80 | 127, { 0, 0, 0, 0, 0, 0, 0xff, 0xff }, 8, "E:1002 " },
		{ "64-bit length with the top bit", 0x82, 0x80 | 127, { 0x80, 0, 0, 0, 0, 0, 0, 1 }, 8, "E:1002 " },
		{ "2^62 bytes", 0x82, 0x80 | 127, { 0x40, 0, 0, 0, 0, 0, 0, 0 }, 8, "E:1009 " },
		{ "close of one byte", 0x88, 0x81, { 0 }, 0, "E:1002 " },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
		struct cc_buf in = CC_BUF_INIT;
		raw(&in, cases[i].b0, cases[i].b1, cases[i].ext, cases[i].ext_len);
		if (cases[i].b1 == 0x81)
			cc_buf_append(&in, "x", 1);
		if (cases[i].b1 == 0x03)
			cc_buf_append(&in, "abc", 3);
		struct cc_ws_reader *r = cc_ws_reader_new(0);
		struct cc_buf got = CC_BUF_INIT;
		feed_all(r, &in, false, &got);
		if (strcmp(got.data ? got.data : "", cases[i].want) != 0)
			fail_msg("%s: got `%s`, want `%s`", cases[i].what, got.data ? got.data : "", cases[i].want);
		/* The reader stays failed: nothing more is consumed. */
		size_t used;
		assert_int_equal(cc_ws_reader_feed(r, hello_masked, sizeof(hello_masked), &used), CC_WS_ERROR);
		assert_int_equal(used, 0);
		cc_buf_free(&got);
		cc_buf_free(&in);
		cc_ws_reader_free(r);
	}
}

static void test_message_rules(void **state)
{
	struct cc_buf in = CC_BUF_INIT;
	/* A new message before the previous one is finished. */
	frame(&in, CC_WS_OP_BINARY, false, "a");
	frame(&in, CC_WS_OP_BINARY, true, "b");
	expect(&in, 0, "E:1002 ");
	cc_buf_reset(&in);
	/* Text that is not UTF-8 (an overlong '/'), even when split over fragments. */
	frame(&in, CC_WS_OP_TEXT, false, "\xc0");
	frame(&in, CC_WS_OP_CONTINUATION, true, "\xaf");
	expect(&in, 0, "E:1007 ");
	cc_buf_reset(&in);
	/* A character split across fragments is fine. */
	frame(&in, CC_WS_OP_TEXT, false, "\xc3");
	frame(&in, CC_WS_OP_CONTINUATION, true, "\xa9");
	expect(&in, 0, "M:\xc3\xa9 ");
	cc_buf_reset(&in);
	/* Binary is not checked. */
	frame(&in, CC_WS_OP_BINARY, true, "\xff\xfe");
	expect(&in, 0, "M:\xff\xfe ");
	cc_buf_reset(&in);
	/* The limit counts the reassembled message: 10 bytes pass, 11 do not (refused at the header of
	 * the frame that would pass it, before its payload). */
	frame(&in, CC_WS_OP_BINARY, false, "01234");
	frame(&in, CC_WS_OP_CONTINUATION, true, "56789");
	expect(&in, 10, "M:0123456789 ");
	frame(&in, CC_WS_OP_BINARY, false, "01234");
	frame(&in, CC_WS_OP_CONTINUATION, true, "567890");
	expect(&in, 10, "M:0123456789 E:1009 ");
	cc_buf_free(&in);
}

static void test_close_frames(void **state)
{
	struct cc_buf in = CC_BUF_INIT, payload = CC_BUF_INIT;
	frame(&in, CC_WS_OP_CLOSE, true, "");
	expect(&in, 0, "C:1005: ");
	uint16_t bad_codes[] = { 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000 };
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad_codes); i++) {
		cc_buf_reset(&in);
		cc_buf_reset(&payload);
		cc_ws_close_payload(&payload, bad_codes[i], NULL);
		cc_ws_frame_append(&in, CC_WS_OP_CLOSE, true, payload.data, payload.len, mask);
		expect(&in, 0, "E:1002 ");
	}
	cc_buf_reset(&in);
	cc_buf_reset(&payload);
	cc_ws_close_payload(&payload, 4000, "\xc0\xaf");
	cc_ws_frame_append(&in, CC_WS_OP_CLOSE, true, payload.data, payload.len, mask);
	expect(&in, 0, "E:1007 ");
	/* A long reason is cut to fit 125 bytes without splitting a character. */
	char reason[200];
	for (size_t i = 0; i + 2 < sizeof(reason); i += 2)
		memcpy(reason + i, "\xc3\xa9", 2);
	reason[sizeof(reason) - 1] = '\0';
	cc_buf_reset(&payload);
	cc_ws_close_payload(&payload, 1000, reason);
	assert_int_equal(payload.len, 2 + 122); /* 123 would cut an é */
	cc_buf_free(&payload);
	cc_buf_free(&in);
}

static void test_charge(void **state)
{
	struct cc_mem_budget conn = { .limit = 8 }, server = { .limit = 0 };
	struct cc_mem_charge charge = { .conn = &conn, .server = &server };
	struct cc_ws_reader *r = cc_ws_reader_new(0);
	cc_ws_reader_set_charge(r, &charge);
	struct cc_buf in = CC_BUF_INIT, got = CC_BUF_INIT;
	frame(&in, CC_WS_OP_BINARY, true, "12345678");
	feed_all(r, &in, false, &got);
	assert_string_equal(got.data, "M:12345678 ");
	assert_int_equal(atomic_load(&conn.used), 8);
	/* The next feed gives the delivered message's bytes back, then the budget refuses 9. */
	cc_buf_reset(&in);
	cc_buf_reset(&got);
	frame(&in, CC_WS_OP_BINARY, true, "123456789");
	feed_all(r, &in, false, &got);
	assert_string_equal(got.data, "E:1013 ");
	assert_int_equal(atomic_load(&conn.used), 0);
	cc_buf_free(&in);
	cc_buf_free(&got);
	cc_ws_reader_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accept_key),   cmocka_unit_test(test_frame_header),
		cmocka_unit_test(test_rfc_example),  cmocka_unit_test(test_fragments_and_control),
		cmocka_unit_test(test_violations),   cmocka_unit_test(test_message_rules),
		cmocka_unit_test(test_close_frames), cmocka_unit_test(test_charge),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
