/* lib/net/spdy.c: SPDY/3 frames as kubectl's port-forward exchanges them. A client session writes what
 * kubectl writes (PING, SYN_STREAM with streamtype/port/requestid, DATA, RST_STREAM, GOAWAY) and a server
 * session parses it whole, byte by byte and in random splits; the server answers and a client session
 * parses that. Known answers: the frame layouts of the brief (docs/design/port-forward-protocol.md §3),
 * the dictionary's Adler-32 from spdystream, our header blocks inflated by zlib's own inflate, and blocks
 * from an independent compressor (zlib at best compression with the dictionary, as spdystream writes
 * them) read by ours. Malformed input of every kind is a negative result. */
#include "lib/base/buf.h"
#include "lib/base/error.h"
#include "lib/net/spdy.h"
#include "unit.h"

#include <errno.h>
#include <zlib.h>

/* ---- helpers ---- */

static json_t *kubectl_headers(const char *type, const char *port, const char *request_id)
{
	/* The order kubectl's Go map gives is random; this one is as good as any. */
	return json_pack("{s:s, s:s, s:s}", "streamtype", type, "port", port, "requestid", request_id);
}

static void describe(const struct cc_spdy_frame *f, struct cc_buf *log)
{
	char *headers = f->headers ? json_dumps(f->headers, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	switch (f->type) {
	case CC_SPDY_DATA:
		if (f->len <= 32) {
			cc_buf_appendf(log, "DATA %u f%u '%.*s'\n", f->stream_id, f->flags, (int)f->len,
				       (const char *)f->data);
		} else {
			uint32_t sum = (uint32_t)adler32(1, f->data, (uInt)f->len);
			cc_buf_appendf(log, "DATA %u f%u %zu:%08x\n", f->stream_id, f->flags, f->len, sum);
		}
		break;
	case CC_SPDY_SYN_STREAM:
		cc_buf_appendf(log, "SYN_STREAM %u f%u a%u %s\n", f->stream_id, f->flags, f->assoc_stream_id, headers);
		break;
	case CC_SPDY_SYN_REPLY: cc_buf_appendf(log, "SYN_REPLY %u f%u %s\n", f->stream_id, f->flags, headers); break;
	case CC_SPDY_HEADERS: cc_buf_appendf(log, "HEADERS %u f%u %s\n", f->stream_id, f->flags, headers); break;
	case CC_SPDY_RST_STREAM: cc_buf_appendf(log, "RST_STREAM %u %u\n", f->stream_id, f->status); break;
	case CC_SPDY_SETTINGS: cc_buf_appendf(log, "SETTINGS f%u\n", f->flags); break;
	case CC_SPDY_PING: cc_buf_appendf(log, "PING %u\n", f->ping_id); break;
	case CC_SPDY_GOAWAY: cc_buf_appendf(log, "GOAWAY %u %u\n", f->last_good_stream_id, f->status); break;
	case CC_SPDY_WINDOW_UPDATE: cc_buf_appendf(log, "WINDOW_UPDATE %u %u\n", f->stream_id, f->delta); break;
	}
	free(headers);
}

static unsigned next_rand(unsigned *seed)
{
	*seed = *seed * 1103515245u + 12345u;
	return *seed >> 16;
}

enum split { WHOLE, BYTES, RANDOM };

/* Feeds in as one message, byte by byte, or in random pieces (empty ones included: kubectl's empty FIN
 * data frame ends in a zero-length WebSocket message), reading every frame after each feed, as the
 * port-forward session does. Returns 0, or the first negative result with err set. */
static int parse_split(struct cc_spdy_session *s, const struct cc_buf *in, enum split how, unsigned seed,
		       struct cc_buf *log, struct cc_error *err)
{
	size_t pos = 0;
	do {
		size_t n = in->len - pos;
		if (how == BYTES && n > 1)
			n = 1;
		if (how == RANDOM) {
			size_t want = next_rand(&seed) % 4 == 0 ? next_rand(&seed) % 300 : next_rand(&seed) % 12;
			n = want < n ? want : n;
		}
		int r = cc_spdy_feed(s, in->data + pos, n, err);
		if (r < 0)
			return r;
		pos += n;
		struct cc_spdy_frame f;
		while ((r = cc_spdy_next(s, &f, err)) == 1) {
			describe(&f, log);
			cc_spdy_frame_clear(&f);
		}
		if (r < 0)
			return r;
	} while (pos < in->len);
	return 0;
}

/* Parses in with a fresh session, every way of splitting it, and checks each gives expected. */
static void assert_parses(const struct cc_buf *in, const char *expected)
{
	for (int how = WHOLE; how <= RANDOM; how++) {
		for (unsigned seed = 1; seed <= (how == RANDOM ? 20u : 1u); seed++) {
			struct cc_spdy_session *s = cc_spdy_session_new();
			struct cc_buf log = CC_BUF_INIT;
			struct cc_error err = { 0 };
			assert_int_equal(parse_split(s, in, (enum split)how, seed, &log, &err), 0);
			assert_string_equal(log.data ? log.data : "", expected);
			cc_buf_free(&log);
			cc_spdy_session_free(s);
		}
	}
}

/* Parses in with a fresh session, whole and byte by byte: the result must be code, message containing
 * what, and the failure must stay (sticky) on the next call. */
static void assert_refused(const struct cc_buf *in, int code, const char *what)
{
	for (int how = WHOLE; how <= BYTES; how++) {
		struct cc_spdy_session *s = cc_spdy_session_new();
		struct cc_buf log = CC_BUF_INIT;
		struct cc_error err = { 0 };
		int r = parse_split(s, in, (enum split)how, 1, &log, &err);
		if (r != code || !strstr(err.message, what))
			fail_msg("got %d `%s`, wanted %d `%s`", r, err.message, code, what);
		struct cc_spdy_frame f;
		cc_error_clear(&err);
		assert_int_equal(cc_spdy_next(s, &f, &err), code);
		assert_non_null(strstr(err.message, what));
		assert_int_equal(cc_spdy_feed(s, "x", 1, &err), code);
		cc_buf_free(&log);
		cc_spdy_session_free(s);
	}
}

/* A control frame as given, length field and payload independent of each other. */
static void control(struct cc_buf *b, unsigned version, unsigned type, uint8_t flags, uint32_t len, const void *payload,
		    size_t payload_len)
{
	uint8_t h[8] = {
		(uint8_t)(0x80 | version >> 8), (uint8_t)version,    (uint8_t)(type >> 8), (uint8_t)type, flags,
		(uint8_t)(len >> 16),           (uint8_t)(len >> 8), (uint8_t)len
	};
	cc_buf_append(b, h, 8);
	cc_buf_append(b, payload, payload_len);
}

static void u32(struct cc_buf *b, uint32_t v)
{
	uint8_t be[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	cc_buf_append(b, be, 4);
}

static void nv_pair(struct cc_buf *b, const void *name, size_t name_len, const void *value, size_t value_len)
{
	u32(b, (uint32_t)name_len);
	cc_buf_append(b, name, name_len);
	u32(b, (uint32_t)value_len);
	cc_buf_append(b, value, value_len);
}

/* The peer's compressor, independent of spdy.c's: zlib with the dictionary, flushed per block, at
 * spdystream's level (best compression). */
static void peer_init(z_stream *z, const void *dict, size_t dict_len)
{
	memset(z, 0, sizeof(*z));
	assert_int_equal(deflateInit(z, Z_BEST_COMPRESSION), Z_OK);
	assert_int_equal(deflateSetDictionary(z, dict, (uInt)dict_len), Z_OK);
}

static void peer_deflate(z_stream *z, const struct cc_buf *plain, struct cc_buf *out)
{
	z->next_in = (Bytef *)plain->data;
	z->avail_in = (uInt)plain->len;
	do {
		uint8_t chunk[1024];
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		assert_int_not_equal(deflate(z, Z_SYNC_FLUSH), Z_STREAM_ERROR);
		cc_buf_append(out, chunk, sizeof(chunk) - z->avail_out);
	} while (z->avail_out == 0);
}

/* A SYN_STREAM whose block the peer compressor makes from plain. */
static void peer_syn_stream(z_stream *z, struct cc_buf *out, uint32_t stream_id, const struct cc_buf *plain)
{
	struct cc_buf packed = CC_BUF_INIT, payload = CC_BUF_INIT;
	peer_deflate(z, plain, &packed);
	u32(&payload, stream_id);
	u32(&payload, 0);
	cc_buf_append(&payload, "\0\0", 2);
	cc_buf_append(&payload, packed.data, packed.len);
	control(out, 3, CC_SPDY_SYN_STREAM, 0, (uint32_t)payload.len, payload.data, payload.len);
	cc_buf_free(&packed);
	cc_buf_free(&payload);
}

/* ---- known answers ---- */

static void test_dictionary(void **state)
{
	/* spdystream's dictionary.go and the draft: 1423 bytes whose Adler-32 is the DICTID e3c6a7c2. */
	assert_int_equal(CC_SPDY3_DICTIONARY_LEN, 1423);
	assert_int_equal(adler32(1, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN), 0xe3c6a7c2);
	assert_memory_equal(cc_spdy3_dictionary, "\0\0\0\7options\0\0\0\4head", 19);
	assert_memory_equal(cc_spdy3_dictionary + CC_SPDY3_DICTIONARY_LEN - 12, "tf-,*,enq=0.", 12);
}

static void test_fixed_layouts(void **state)
{
	struct cc_buf out = CC_BUF_INIT;
	cc_spdy_write_data(&out, 1, CC_SPDY_FLAG_FIN, NULL, 0);
	cc_spdy_write_data(&out, 0x80000003, 0, "hi", 2); /* the reserved bit is masked */
	cc_spdy_write_rst_stream(&out, 3, CC_SPDY_CANCEL);
	cc_spdy_write_ping(&out, 2);
	cc_spdy_write_goaway(&out, 7, CC_SPDY_GOAWAY_PROTOCOL_ERROR);
	static const char want[] = "\x00\x00\x00\x01"
				   "\x01\x00\x00\x00" /* DATA 1, FIN, 0 */
				   "\x00\x00\x00\x03"
				   "\x00\x00\x00\x02"
				   "hi" /* DATA 3, 2 */
				   "\x80\x03\x00\x03"
				   "\x00\x00\x00\x08"
				   "\x00\x00\x00\x03"
				   "\x00\x00\x00\x05" /* RST 3 CANCEL */
				   "\x80\x03\x00\x06"
				   "\x00\x00\x00\x04"
				   "\x00\x00\x00\x02" /* PING 2 */
				   "\x80\x03\x00\x07"
				   "\x00\x00\x00\x08"
				   "\x00\x00\x00\x07"
				   "\x00\x00\x00\x01"; /* GOAWAY */
	assert_int_equal(out.len, sizeof(want) - 1);
	assert_memory_equal(out.data, want, sizeof(want) - 1);
	/* A limited buffer takes a frame whole or not at all. */
	struct cc_buf small;
	cc_buf_init_limited(&small, 12);
	cc_spdy_write_data(&small, 1, 0, "12345", 5);
	assert_int_equal(small.len, 0);
	cc_spdy_write_ping(&small, 1);
	assert_int_equal(small.len, 12);
	cc_buf_free(&small);
	cc_buf_free(&out);
}

/* The brief (§3.3) compressed an empty block twice on one stream with zlib and the dictionary. */
static void test_empty_reply_known_answer(void **state)
{
	struct cc_spdy_session *server = cc_spdy_session_new();
	struct cc_buf out = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 1, 0, NULL, &err), 0);
	static const uint8_t first[] = { 0x80, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x14, 0x00, 0x00,
					 0x00, 0x01, 0x78, 0xbb, 0xe3, 0xc6, 0xa7, 0xc2, 0x02, 0xa6,
					 0x23, 0x06, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff };
	assert_int_equal(out.len, sizeof(first));
	assert_memory_equal(out.data, first, sizeof(first));
	cc_buf_reset(&out);
	json_t *none = json_object();
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 3, 0, none, &err), 0);
	json_decref(none);
	static const uint8_t second[] = { 0x80, 0x03, 0x00, 0x02, 0x00, 0x00, 0x00, 0x0c, 0x00, 0x00,
					  0x00, 0x03, 0x02, 0x01, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff };
	assert_int_equal(out.len, sizeof(second));
	assert_memory_equal(out.data, second, sizeof(second));
	cc_buf_free(&out);
	cc_spdy_session_free(server);
}

/* Inflates blocks with zlib's own inflate and the dictionary, one stream for all of them. */
static void zlib_inflate(z_stream *z, const uint8_t *in, size_t len, struct cc_buf *out)
{
	z->next_in = (Bytef *)in;
	z->avail_in = (uInt)len;
	while (z->avail_in > 0) {
		uint8_t chunk[1024];
		z->next_out = chunk;
		z->avail_out = sizeof(chunk);
		int rc = inflate(z, Z_SYNC_FLUSH);
		if (rc == Z_NEED_DICT) {
			assert_int_equal(z->adler, 0xe3c6a7c2);
			rc = inflateSetDictionary(z, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN);
		}
		assert_int_equal(rc, Z_OK);
		cc_buf_append(out, chunk, sizeof(chunk) - z->avail_out);
	}
}

/* §3.1: SYN_STREAM = 80 03 00 01, flags, length (10 + block), stream id, associated id, priority, slot,
 * block; §3.2/§3.3: the block is the plain name/value block, compressed and sync-flushed. */
static void test_syn_stream_layout(void **state)
{
	struct cc_spdy_session *client = cc_spdy_session_new();
	struct cc_buf out = CC_BUF_INIT, plain = CC_BUF_INIT, want = CC_BUF_INIT;
	struct cc_error err = { 0 };
	z_stream z = { 0 };
	assert_int_equal(inflateInit(&z), Z_OK);
	for (int i = 0; i < 2; i++) {
		json_t *h = kubectl_headers(i ? "data" : "error", "8080", "0");
		cc_buf_reset(&out);
		assert_int_equal(cc_spdy_write_syn_stream(client, &out, 1 + 2 * i, 0, h, &err), 0);
		json_decref(h);
		const uint8_t *p = (const uint8_t *)out.data;
		assert_memory_equal(p, "\x80\x03\x00\x01\x00", 5);
		assert_int_equal((size_t)(p[5] << 16 | p[6] << 8 | p[7]), out.len - 8);
		assert_memory_equal(p + 8, i ? "\0\0\0\3" : "\0\0\0\1", 4);
		assert_memory_equal(p + 12, "\0\0\0\0\0\0", 6); /* associated stream, priority, slot */
		const uint8_t *block = p + 18;
		size_t block_len = out.len - 18;
		if (i == 0) {
			/* RFC 1950: CM 8, CINFO 7, FDICT set, header checksum, then the DICTID. */
			assert_int_equal(block[0], 0x78);
			assert_true(block[1] & 0x20);
			assert_int_equal((block[0] << 8 | block[1]) % 31, 0);
			assert_memory_equal(block + 2, "\xe3\xc6\xa7\xc2", 4);
		}
		assert_memory_equal(block + block_len - 4, "\x00\x00\xff\xff", 4); /* Z_SYNC_FLUSH */
		cc_buf_reset(&plain);
		zlib_inflate(&z, block, block_len, &plain);
		cc_buf_reset(&want);
		u32(&want, 3);
		nv_pair(&want, "streamtype", 10, i ? "data" : "error", i ? 4 : 5);
		nv_pair(&want, "port", 4, "8080", 4);
		nv_pair(&want, "requestid", 9, "0", 1);
		assert_int_equal(plain.len, want.len);
		assert_memory_equal(plain.data, want.data, want.len);
	}
	inflateEnd(&z);
	cc_buf_free(&out);
	cc_buf_free(&plain);
	cc_buf_free(&want);
	cc_spdy_session_free(client);
}

/* ---- both directions ---- */

/* What kubectl sends for one forwarded connection and then Ctrl-C (brief §4.1, §4.6, §4.7). */
static void kubectl_client_bytes(struct cc_buf *out)
{
	struct cc_spdy_session *client = cc_spdy_session_new();
	struct cc_error err = { 0 };
	char big[32768];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	cc_spdy_write_ping(out, 1);
	json_t *h = kubectl_headers("error", "8080", "0");
	assert_int_equal(cc_spdy_write_syn_stream(client, out, 1, 0, h, &err), 0);
	json_decref(h);
	cc_spdy_write_data(out, 1, CC_SPDY_FLAG_FIN, NULL, 0);
	h = kubectl_headers("data", "8080", "0");
	assert_int_equal(cc_spdy_write_syn_stream(client, out, 3, 0, h, &err), 0);
	json_decref(h);
	cc_spdy_write_data(out, 3, 0, "GET / HTTP/1.1\r\n\r\n", 18);
	cc_spdy_write_data(out, 3, 0, big, sizeof(big));
	cc_spdy_write_ping(out, 3);
	cc_spdy_write_data(out, 3, CC_SPDY_FLAG_FIN, NULL, 0);
	cc_spdy_write_rst_stream(out, 3, CC_SPDY_CANCEL);
	cc_spdy_write_goaway(out, 0, CC_SPDY_GOAWAY_OK);
	cc_spdy_session_free(client);
}

static void test_server_reads_kubectl(void **state)
{
	struct cc_buf in = CC_BUF_INIT;
	kubectl_client_bytes(&in);
	char big_sum[64];
	char big[32768];
	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	snprintf(big_sum, sizeof(big_sum), "%08x", (unsigned)adler32(1, (const Bytef *)big, sizeof(big)));
	char *want =
	    cc_xasprintf("PING 1\n"
			 "SYN_STREAM 1 f0 a0 {\"port\":\"8080\",\"requestid\":\"0\",\"streamtype\":\"error\"}\n"
			 "DATA 1 f1 ''\n"
			 "SYN_STREAM 3 f0 a0 {\"port\":\"8080\",\"requestid\":\"0\",\"streamtype\":\"data\"}\n"
			 "DATA 3 f0 'GET / HTTP/1.1\r\n\r\n'\n"
			 "DATA 3 f0 32768:%s\n"
			 "PING 3\n"
			 "DATA 3 f1 ''\n"
			 "RST_STREAM 3 5\n"
			 "GOAWAY 0 0\n",
			 big_sum);
	assert_parses(&in, want);
	free(want);
	cc_buf_free(&in);
}

static void test_client_reads_server(void **state)
{
	struct cc_spdy_session *server = cc_spdy_session_new();
	struct cc_buf out = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 1, 0, NULL, &err), 0);
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 3, 0, NULL, &err), 0);
	cc_spdy_write_ping(&out, 1);
	cc_spdy_write_data(&out, 3, 0, "hello\n", 6);
	json_t *h = json_pack("{s:s, s:s}", "X-Note", "pod gone", "status", "200");
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 5, CC_SPDY_FLAG_FIN, h, &err), 0);
	json_decref(h);
	cc_spdy_write_data(&out, 3, CC_SPDY_FLAG_FIN, NULL, 0);
	cc_spdy_write_data(&out, 1, CC_SPDY_FLAG_FIN, NULL, 0);
	cc_spdy_write_goaway(&out, 5, CC_SPDY_GOAWAY_OK);
	assert_parses(&out, "SYN_REPLY 1 f0 {}\n"
			    "SYN_REPLY 3 f0 {}\n"
			    "PING 1\n"
			    "DATA 3 f0 'hello\n'\n"
			    "SYN_REPLY 5 f1 {\"status\":\"200\",\"x-note\":\"pod gone\"}\n"
			    "DATA 3 f1 ''\n"
			    "DATA 1 f1 ''\n"
			    "GOAWAY 5 0\n");
	cc_buf_free(&out);
	cc_spdy_session_free(server);
}

/* §3.3: one context per direction for the whole session. Fifty connections' worth of header frames in
 * both directions, interleaved, each frame fed as it would arrive (one message, split at random). */
static void test_shared_contexts(void **state)
{
	struct cc_spdy_session *client = cc_spdy_session_new(), *server = cc_spdy_session_new();
	struct cc_buf wire = CC_BUF_INIT, log = CC_BUF_INIT, first = CC_BUF_INIT, second = CC_BUF_INIT;
	struct cc_error err = { 0 };
	size_t sizes[2] = { 0 };
	for (unsigned i = 0; i < 50; i++) {
		char id[16], port[16];
		snprintf(id, sizeof(id), "%u", i);
		snprintf(port, sizeof(port), "%u", 8000 + i % 3);
		for (unsigned k = 0; k < 2; k++) {
			uint32_t stream = 4 * i + 2 * k + 1;
			json_t *h = kubectl_headers(k ? "data" : "error", port, id);
			cc_buf_reset(&wire);
			assert_int_equal(cc_spdy_write_syn_stream(client, &wire, stream, 0, h, &err), 0);
			if (i == 0)
				sizes[k] = wire.len;
			if (i == 0 && k == 0)
				cc_buf_append(&first, wire.data, wire.len);
			if (i == 0 && k == 1)
				cc_buf_append(&second, wire.data, wire.len);
			cc_buf_reset(&log);
			assert_int_equal(parse_split(server, &wire, RANDOM, stream, &log, &err), 0);
			char *text = json_dumps(h, JSON_COMPACT | JSON_SORT_KEYS);
			char *want = cc_xasprintf("SYN_STREAM %u f0 a0 %s\n", stream, text);
			assert_string_equal(log.data, want);
			free(want);
			free(text);
			json_decref(h);

			json_t *reply = i % 5 ? NULL : json_pack("{s:s}", "requestid", id);
			cc_buf_reset(&wire);
			assert_int_equal(cc_spdy_write_syn_reply(server, &wire, stream, 0, reply, &err), 0);
			cc_buf_reset(&log);
			assert_int_equal(parse_split(client, &wire, BYTES, 0, &log, &err), 0);
			text = reply ? json_dumps(reply, JSON_COMPACT) : strdup("{}");
			want = cc_xasprintf("SYN_REPLY %u f0 %s\n", stream, text);
			assert_string_equal(log.data, want);
			free(want);
			free(text);
			json_decref(reply);
		}
	}
	/* The second block refers back into the first: it is shorter, and a fresh context (a per-frame reset)
	 * cannot read it. */
	assert_true(sizes[1] < sizes[0]);
	struct cc_spdy_session *fresh = cc_spdy_session_new();
	assert_int_equal(parse_split(fresh, &second, WHOLE, 0, &log, &err), -EPROTO);
	assert_non_null(strstr(err.message, "does not inflate"));
	cc_spdy_session_free(fresh);
	/* And one block given to the same context twice fails the second time. */
	fresh = cc_spdy_session_new();
	assert_int_equal(parse_split(fresh, &first, WHOLE, 0, &log, &err), 0);
	assert_int_equal(parse_split(fresh, &first, WHOLE, 0, &log, &err), -EPROTO);
	cc_spdy_session_free(fresh);
	cc_buf_free(&wire);
	cc_buf_free(&log);
	cc_buf_free(&first);
	cc_buf_free(&second);
	cc_spdy_session_free(client);
	cc_spdy_session_free(server);
}

/* Blocks from the independent compressor (best compression, as spdystream) read by ours, over several
 * frames of one stream; and the header block rules. */
static void test_peer_compressor(void **state)
{
	z_stream z;
	peer_init(&z, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN);
	struct cc_buf in = CC_BUF_INIT, plain = CC_BUF_INIT;
	for (uint32_t i = 0; i < 3; i++) {
		cc_buf_reset(&plain);
		u32(&plain, 2);
		nv_pair(&plain, "port", 4, "8080", 4);
		nv_pair(&plain, "accept", 6, "a\0b\0c", 5); /* §3.2: several values joined with NUL */
		peer_syn_stream(&z, &in, 2 * i + 1, &plain);
	}
	assert_parses(&in, "SYN_STREAM 1 f0 a0 {\"accept\":\"a,b,c\",\"port\":\"8080\"}\n"
			   "SYN_STREAM 3 f0 a0 {\"accept\":\"a,b,c\",\"port\":\"8080\"}\n"
			   "SYN_STREAM 5 f0 a0 {\"accept\":\"a,b,c\",\"port\":\"8080\"}\n");
	deflateEnd(&z);
	cc_buf_free(&in);
	cc_buf_free(&plain);
}

/* One plain block, compressed by a fresh peer compressor into a SYN_STREAM, must be refused. */
static void assert_block_refused(const struct cc_buf *plain, const char *what)
{
	z_stream z;
	peer_init(&z, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN);
	struct cc_buf in = CC_BUF_INIT;
	peer_syn_stream(&z, &in, 1, plain);
	assert_refused(&in, -EPROTO, what);
	deflateEnd(&z);
	cc_buf_free(&in);
}

static void test_header_block_rules(void **state)
{
	struct cc_buf plain = CC_BUF_INIT;
	char name[300], value[9000];
	memset(name, 'a', sizeof(name));
	memset(value, 'v', sizeof(value));

	u32(&plain, CC_SPDY_MAX_HEADERS + 1);
	for (int i = 0; i < CC_SPDY_MAX_HEADERS + 1; i++) {
		char n[16];
		snprintf(n, sizeof(n), "h%d", i);
		nv_pair(&plain, n, strlen(n), "1", 1);
	}
	assert_block_refused(&plain, "65 headers");
	/* Exactly the limits pass. */
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, name, CC_SPDY_MAX_HEADER_NAME, value, CC_SPDY_MAX_HEADER_VALUE);
	z_stream z;
	peer_init(&z, cc_spdy3_dictionary, CC_SPDY3_DICTIONARY_LEN);
	struct cc_buf in = CC_BUF_INIT, log = CC_BUF_INIT;
	struct cc_error err = { 0 };
	peer_syn_stream(&z, &in, 1, &plain);
	deflateEnd(&z);
	struct cc_spdy_session *s = cc_spdy_session_new();
	assert_int_equal(parse_split(s, &in, WHOLE, 0, &log, &err), 0);
	assert_non_null(strstr(log.data, "SYN_STREAM 1"));
	cc_spdy_session_free(s);

	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, name, CC_SPDY_MAX_HEADER_NAME + 1, "1", 1);
	assert_block_refused(&plain, "header name of 257 bytes");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, "x", 1, value, CC_SPDY_MAX_HEADER_VALUE + 1);
	assert_block_refused(&plain, "header value of 8193 bytes");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, "Port", 4, "1", 1);
	assert_block_refused(&plain, "not lower case");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, "", 0, "1", 1);
	assert_block_refused(&plain, "is empty");
	cc_buf_reset(&plain);
	u32(&plain, 2);
	nv_pair(&plain, "port", 4, "1", 1);
	nv_pair(&plain, "port", 4, "2", 1);
	assert_block_refused(&plain, "appears twice");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, "port", 4, "\xff", 1);
	assert_block_refused(&plain, "not UTF-8");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	nv_pair(&plain, "port", 4, "1", 1);
	cc_buf_append(&plain, "junk", 4);
	assert_block_refused(&plain, "4 bytes after the last of 1 headers");
	cc_buf_reset(&plain);
	u32(&plain, 2);
	nv_pair(&plain, "port", 4, "1", 1);
	assert_block_refused(&plain, "cut short in a name length");
	cc_buf_reset(&plain);
	u32(&plain, 1);
	u32(&plain, 4);
	cc_buf_append(&plain, "po", 2);
	assert_block_refused(&plain, "cut short in a header name");
	/* A zlib bomb: 4 MiB of zeros compress to a few KiB, and must not be inflated past the limit. */
	cc_buf_reset(&plain);
	u32(&plain, 1);
	u32(&plain, 1);
	cc_buf_append(&plain, "x", 1);
	u32(&plain, 4u << 20);
	char *zeros = calloc(1, 4u << 20);
	cc_buf_append(&plain, zeros, 4u << 20);
	free(zeros);
	assert_block_refused(&plain, "inflates to more than 65536 bytes");

	cc_buf_free(&in);
	cc_buf_free(&log);
	cc_buf_free(&plain);
}

/* ---- malformed frames ---- */

static void test_malformed_frames(void **state)
{
	struct cc_buf in = CC_BUF_INIT;
	static const uint8_t one[4] = { 0, 0, 0, 1 }, zero[8] = { 0 }, rst_cancel0[8] = { 0, 0, 0, 0, 0, 0, 0, 5 },
			     rst_status0[8] = { 0, 0, 0, 1, 0, 0, 0, 0 }, ten[10] = { 0, 0, 0, 1 };
#define REFUSED(code, what, ...)                                                                                       \
	do {                                                                                                           \
		cc_buf_reset(&in);                                                                                     \
		__VA_ARGS__;                                                                                           \
		assert_refused(&in, code, what);                                                                       \
	} while (0)
	REFUSED(-EPROTO, "version 2", control(&in, 2, CC_SPDY_PING, 0, 4, one, 4));
	REFUSED(-EPROTO, "version 2", control(&in, 2, 5, 0, 0, NULL, 0)); /* even for a type to ignore */
	REFUSED(-EPROTO, "PING frame of length 5", control(&in, 3, CC_SPDY_PING, 0, 5, "\0\0\0\1\0", 5));
	REFUSED(-EPROTO, "PING frame of length 0", control(&in, 3, CC_SPDY_PING, 0, 0, NULL, 0));
	REFUSED(-EPROTO, "flags 0x1", control(&in, 3, CC_SPDY_PING, 1, 4, one, 4));
	REFUSED(-EPROTO, "id 0", control(&in, 3, CC_SPDY_PING, 0, 4, zero, 4));
	REFUSED(-EPROTO, "RST_STREAM frame of length 4", control(&in, 3, CC_SPDY_RST_STREAM, 0, 4, one, 4));
	REFUSED(-EPROTO, "status 0", control(&in, 3, CC_SPDY_RST_STREAM, 0, 8, rst_status0, 8));
	REFUSED(-EPROTO, "RST_STREAM on stream 0", control(&in, 3, CC_SPDY_RST_STREAM, 0, 8, rst_cancel0, 8));
	REFUSED(-EPROTO, "GOAWAY frame of length 4", control(&in, 3, CC_SPDY_GOAWAY, 0, 4, zero, 4));
	REFUSED(-EPROTO, "GOAWAY with flags", control(&in, 3, CC_SPDY_GOAWAY, 1, 8, zero, 8));
	REFUSED(-EPROTO, "WINDOW_UPDATE frame of length 12", control(&in, 3, CC_SPDY_WINDOW_UPDATE, 0, 12, ten, 12));
	REFUSED(-EPROTO, "WINDOW_UPDATE with flags", control(&in, 3, CC_SPDY_WINDOW_UPDATE, 2, 8, zero, 8));
	REFUSED(-EPROTO, "SYN_STREAM frame of length 9", control(&in, 3, CC_SPDY_SYN_STREAM, 0, 9, ten, 9));
	REFUSED(-EPROTO, "SYN_REPLY frame of length 3", control(&in, 3, CC_SPDY_SYN_REPLY, 0, 3, one, 3));
	REFUSED(-EPROTO, "SYN_STREAM on stream 0", control(&in, 3, CC_SPDY_SYN_STREAM, 0, 10, zero, 10));
	REFUSED(-EPROTO, "without its count", control(&in, 3, CC_SPDY_SYN_REPLY, 0, 4, one, 4)); /* no block */
	REFUSED(-EPROTO, "HEADERS on stream 0", control(&in, 3, CC_SPDY_HEADERS, 0, 4, zero, 4));
	REFUSED(-EPROTO, "SETTINGS frame of length 12 for 2",
		control(&in, 3, CC_SPDY_SETTINGS, 0, 12, "\0\0\0\2\0\0\0\1\0\0\0\1", 12));
	REFUSED(-EPROTO, "DATA frame on stream 0", cc_buf_append(&in, "\0\0\0\0\0\0\0\1x", 9));
	/* Over the limit: refused as soon as the 8-byte header is in, before any payload. */
	REFUSED(-EMSGSIZE, "DATA frame of 1048577 bytes", cc_buf_append(&in, "\0\0\0\1\0\x10\0\1", 8));
	REFUSED(-EMSGSIZE, "SYN_REPLY frame of 16777215 bytes",
		control(&in, 3, CC_SPDY_SYN_REPLY, 0, 0xffffff, NULL, 0));
	/* A valid frame before a bad one is still delivered. */
	cc_buf_reset(&in);
	cc_spdy_write_ping(&in, 1);
	control(&in, 3, CC_SPDY_PING, 0, 3, "abc", 3);
	struct cc_spdy_session *s = cc_spdy_session_new();
	struct cc_buf log = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(parse_split(s, &in, WHOLE, 0, &log, &err), -EPROTO);
	assert_string_equal(log.data, "PING 1\n");
	cc_spdy_session_free(s);
	/* SETTINGS and WINDOW_UPDATE are read (the client sends neither, brief §4.5). */
	cc_buf_reset(&in);
	control(&in, 3, CC_SPDY_SETTINGS, 1, 12, "\0\0\0\1\0\0\0\7\0\1\0\0", 12);
	control(&in, 3, CC_SPDY_WINDOW_UPDATE, 0, 8, "\x80\0\0\0\x80\x01\0\0", 8);
	assert_parses(&in, "SETTINGS f1\nWINDOW_UPDATE 0 65536\n");
	cc_buf_free(&log);
	cc_buf_free(&in);
}

/* A block that does not inflate: a flipped byte, a block cut short, another dictionary, no zlib
 * header. */
static void test_corrupt_block(void **state)
{
	struct cc_spdy_session *client = cc_spdy_session_new();
	struct cc_buf in = CC_BUF_INIT, cut = CC_BUF_INIT, plain = CC_BUF_INIT;
	struct cc_error err = { 0 };
	json_t *h = kubectl_headers("error", "8080", "0");
	assert_int_equal(cc_spdy_write_syn_stream(client, &in, 1, 0, h, &err), 0);
	json_decref(h);
	/* The flip lands in the deflate data after the 6-byte zlib header. */
	for (size_t at = 18 + 6; at < in.len - 4; at += 3) {
		struct cc_buf bad = CC_BUF_INIT;
		cc_buf_append(&bad, in.data, in.len);
		bad.data[at] ^= 0x55;
		struct cc_spdy_session *s = cc_spdy_session_new();
		struct cc_buf log = CC_BUF_INIT;
		int r = parse_split(s, &bad, WHOLE, 0, &log, &err);
		/* A flip may still inflate to a well-formed block with other bytes; never a crash, and a
		 * refusal says why. */
		assert_true(r == 0 || (r == -EPROTO && strstr(err.message, "SPDY SYN_STREAM: ")));
		cc_buf_free(&log);
		cc_buf_free(&bad);
		cc_spdy_session_free(s);
	}
	/* The header checksum byte: zlib refuses the block outright. */
	in.data[19] ^= 0x01;
	assert_refused(&in, -EPROTO, "does not inflate");
	in.data[19] ^= 0x01;
	/* Cut short by 8 bytes (the sync flush's 4 and some of the codes before it), the length fixed to
	 * match: what inflates is not the whole block. */
	cc_buf_append(&cut, in.data, in.len - 8);
	cut.data[7] = (char)(cut.data[7] - 8);
	assert_refused(&cut, -EPROTO, "SPDY SYN_STREAM: header block");
	/* Compressed against another dictionary. */
	z_stream z;
	peer_init(&z, "another dictionary", 18);
	u32(&plain, 0);
	cc_buf_reset(&cut);
	peer_syn_stream(&z, &cut, 1, &plain);
	deflateEnd(&z);
	assert_refused(&cut, -EPROTO, "not SPDY/3's (e3c6a7c2)");
	/* Not zlib at all: the plain block as it is. */
	cc_buf_reset(&cut);
	control(&cut, 3, CC_SPDY_SYN_REPLY, 0, 8, "\0\0\0\1\0\0\0\0", 8);
	assert_refused(&cut, -EPROTO, "does not inflate");
	cc_buf_free(&plain);
	cc_buf_free(&cut);
	cc_buf_free(&in);
	cc_spdy_session_free(client);
}

/* Spec §2.2.1: unknown control types (NOOP 5, CREDENTIAL 10, anything unassigned) are ignored, however
 * long, even longer than a frame may be here; they are dropped as they arrive, not buffered. */
static void test_unknown_control_skipped(void **state)
{
	struct cc_buf in = CC_BUF_INIT;
	control(&in, 3, 5, 0, 0, NULL, 0);
	control(&in, 3, 10, 0xff, 3, "abc", 3);
	control(&in, 3, 0, 0, 4, "\0\0\0\0", 4);
	control(&in, 3, 0xffff, 0, 2, "zz", 2);
	cc_spdy_write_ping(&in, 7);
	assert_parses(&in, "PING 7\n");

	struct cc_spdy_session *s = cc_spdy_session_new();
	struct cc_error err = { 0 };
	struct cc_spdy_frame f;
	cc_buf_reset(&in);
	control(&in, 3, 11, 0, 0xffffff, NULL, 0);
	assert_int_equal(cc_spdy_feed(s, in.data, in.len, &err), 0);
	assert_int_equal(cc_spdy_next(s, &f, &err), 0);
	char *chunk = calloc(1, 1u << 20);
	for (int i = 0; i < 15; i++) {
		assert_int_equal(cc_spdy_feed(s, chunk, 1u << 20, &err), 0);
		assert_int_equal(cc_spdy_next(s, &f, &err), 0);
	}
	free(chunk);
	/* 16 MiB - 1 - 15 MiB remain; the PING comes right after them, in the same feed. */
	cc_buf_reset(&in);
	char *rest = calloc(1, (1u << 20) - 1);
	cc_buf_append(&in, rest, (1u << 20) - 1);
	free(rest);
	cc_spdy_write_ping(&in, 9);
	assert_int_equal(cc_spdy_feed(s, in.data, in.len, &err), 0);
	assert_int_equal(cc_spdy_next(s, &f, &err), 1);
	assert_int_equal(f.type, CC_SPDY_PING);
	assert_int_equal(f.ping_id, 9);
	assert_int_equal(cc_spdy_next(s, &f, &err), 0);
	cc_spdy_session_free(s);
	cc_buf_free(&in);
}

/* cc_spdy_feed refuses to buffer more when the caller does not read frames between feeds. */
static void test_feed_limit(void **state)
{
	struct cc_spdy_session *s = cc_spdy_session_new();
	struct cc_buf pings = CC_BUF_INIT;
	struct cc_error err = { 0 };
	struct cc_spdy_frame f;
	for (unsigned i = 1; pings.len <= CC_SPDY_MAX_FRAME + 8; i++)
		cc_spdy_write_ping(&pings, i);
	assert_int_equal(cc_spdy_feed(s, pings.data, pings.len, &err), 0);
	assert_int_equal(cc_spdy_feed(s, "x", 1, &err), -EMSGSIZE);
	assert_non_null(strstr(err.message, "cc_spdy_next"));
	/* Nothing was taken and nothing broken: read everything, and feeding goes on. */
	size_t n = 0;
	int r;
	while ((r = cc_spdy_next(s, &f, &err)) == 1) {
		assert_int_equal(f.ping_id, ++n);
	}
	assert_int_equal(r, 0);
	assert_int_equal(n, pings.len / 12);
	cc_buf_reset(&pings);
	cc_spdy_write_ping(&pings, 77);
	assert_int_equal(cc_spdy_feed(s, pings.data, pings.len, &err), 0);
	assert_int_equal(cc_spdy_next(s, &f, &err), 1);
	assert_int_equal(f.ping_id, 77);
	/* A frame of exactly the limit passes. */
	cc_buf_reset(&pings);
	char *big = calloc(1, CC_SPDY_MAX_FRAME);
	cc_spdy_write_data(&pings, 1, 0, big, CC_SPDY_MAX_FRAME);
	free(big);
	for (size_t at = 0; at < pings.len; at += 65536) {
		size_t len = pings.len - at < 65536 ? pings.len - at : 65536;
		assert_int_equal(cc_spdy_feed(s, pings.data + at, len, &err), 0);
		r = cc_spdy_next(s, &f, &err);
		assert_int_equal(r, at + len == pings.len ? 1 : 0);
	}
	assert_int_equal(f.len, CC_SPDY_MAX_FRAME);
	cc_buf_free(&pings);
	cc_spdy_session_free(s);
}

/* A DATA payload stays valid across cc_spdy_next calls until the next feed. */
static void test_data_lifetime(void **state)
{
	struct cc_spdy_session *s = cc_spdy_session_new();
	struct cc_buf in = CC_BUF_INIT;
	struct cc_error err = { 0 };
	cc_spdy_write_data(&in, 1, 0, "first", 5);
	cc_spdy_write_data(&in, 1, 0, "second", 6);
	cc_buf_append(&in, "\0\0", 2); /* the start of the next frame */
	assert_int_equal(cc_spdy_feed(s, in.data, in.len, &err), 0);
	struct cc_spdy_frame a, b, c;
	assert_int_equal(cc_spdy_next(s, &a, &err), 1);
	assert_int_equal(cc_spdy_next(s, &b, &err), 1);
	assert_int_equal(cc_spdy_next(s, &c, &err), 0);
	assert_memory_equal(a.data, "first", 5);
	assert_memory_equal(b.data, "second", 6);
	cc_spdy_session_free(s);
	cc_buf_free(&in);
}

/* The writers refuse what the reader (or spdystream) would refuse, write nothing then, and leave the
 * outgoing context in step with the peer's. */
static void test_writer_refusals(void **state)
{
	struct cc_spdy_session *server = cc_spdy_session_new(), *client = cc_spdy_session_new();
	struct cc_buf out = CC_BUF_INIT, log = CC_BUF_INIT;
	struct cc_error err = { 0 };
	char long_value[CC_SPDY_MAX_HEADER_VALUE + 2];
	memset(long_value, 'v', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	json_t *many = json_object();
	for (int i = 0; i <= CC_SPDY_MAX_HEADERS; i++) {
		char n[16];
		snprintf(n, sizeof(n), "h%d", i);
		json_object_set_new(many, n, json_string("1"));
	}
	struct {
		uint32_t stream;
		json_t *headers;
		const char *what;
	} bad[] = {
		{ 0, NULL, "stream id 0" },
		{ 0x80000001u, NULL, "stream id 2147483649" },
		{ 1, json_pack("{s:i}", "port", 80), "needs a string" },
		{ 1, json_pack("{s:s}", "port", long_value), "needs a string of at most 8192" },
		{ 1, json_pack("{s:s}", "Connection", "close"), "header `connection` would make spdystream" },
		{ 1, json_pack("{s:s}", "transfer-encoding", "chunked"), "header `transfer-encoding`" },
		{ 1, json_pack("{s:s, s:s}", "Port", "1", "port", "2"), "header `port` given twice" },
		{ 1, json_pack("{s:s}", "", "1"), "is empty or not printable ASCII" },
		{ 1, json_pack("{s:s}", "a b", "1"), "is empty or not printable ASCII" },
		{ 1, json_pack("{s:s}", "caf\xc3\xa9", "1"), "is empty or not printable ASCII" },
		{ 1, json_array(), "must be a JSON object" },
		{ 1, json_incref(many), "65 headers" },
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++) {
		cc_error_clear(&err);
		assert_int_equal(cc_spdy_write_syn_reply(server, &out, bad[i].stream, 0, bad[i].headers, &err),
				 -EINVAL);
		if (!strstr(err.message, bad[i].what))
			fail_msg("case %zu: `%s` does not say `%s`", i, err.message, bad[i].what);
		assert_int_equal(out.len, 0);
		json_decref(bad[i].headers);
	}
	/* host is refused in a request, fine in a reply. */
	json_t *host = json_pack("{s:s}", "host", "x");
	assert_int_equal(cc_spdy_write_syn_stream(client, &out, 1, 0, host, &err), -EINVAL);
	assert_int_equal(out.len, 0);
	/* An output buffer too small: refused before the context moves. */
	struct cc_buf small;
	cc_buf_init_limited(&small, 16);
	assert_int_equal(cc_spdy_write_syn_reply(server, &small, 1, 0, host, &err), -EMSGSIZE);
	assert_int_equal(small.len, 0);
	cc_buf_free(&small);
	/* After all that, what the server writes still reads right, names lower-cased. */
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 1, 0, host, &err), 0);
	json_t *upper = json_pack("{s:s}", "X-Stream-Protocol-Version", "portforward.k8s.io");
	assert_int_equal(cc_spdy_write_syn_reply(server, &out, 3, 0, upper, &err), 0);
	assert_int_equal(parse_split(client, &out, RANDOM, 3, &log, &err), 0);
	assert_string_equal(log.data, "SYN_REPLY 1 f0 {\"host\":\"x\"}\n"
				      "SYN_REPLY 3 f0 {\"x-stream-protocol-version\":\"portforward.k8s.io\"}\n");
	json_decref(upper);
	json_decref(host);
	json_decref(many);
	cc_buf_free(&out);
	cc_buf_free(&log);
	cc_spdy_session_free(server);
	cc_spdy_session_free(client);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dictionary),
		cmocka_unit_test(test_fixed_layouts),
		cmocka_unit_test(test_empty_reply_known_answer),
		cmocka_unit_test(test_syn_stream_layout),
		cmocka_unit_test(test_server_reads_kubectl),
		cmocka_unit_test(test_client_reads_server),
		cmocka_unit_test(test_shared_contexts),
		cmocka_unit_test(test_peer_compressor),
		cmocka_unit_test(test_header_block_rules),
		cmocka_unit_test(test_malformed_frames),
		cmocka_unit_test(test_corrupt_block),
		cmocka_unit_test(test_unknown_control_skipped),
		cmocka_unit_test(test_feed_limit),
		cmocka_unit_test(test_data_lifetime),
		cmocka_unit_test(test_writer_refusals),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
