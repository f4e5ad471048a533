/* The CRI line splitter: chunk boundaries at newlines and at SHIM_CRI_LINE_MAX, F and P tags as
 * kubelet reads them, and no byte lost, added or reordered whatever the read sizes. */
#include "cmd/shim/cri_line.h"
#include "lib/base/buf.h"
#include "unit.h"

struct chunk {
	enum shim_stream stream;
	bool partial;
	struct cc_buf content;
};

struct capture {
	size_t count, cap;
	struct chunk *chunks;
};

static void capture_chunk(void *ctx, enum shim_stream stream, bool partial, const char *head, size_t head_len,
			  const char *tail, size_t tail_len)
{
	struct capture *c = ctx;
	if (c->count == c->cap) {
		c->cap = c->cap ? 2 * c->cap : 16;
		c->chunks = realloc(c->chunks, c->cap * sizeof(*c->chunks));
		assert_non_null(c->chunks);
	}
	struct chunk *ch = &c->chunks[c->count++];
	*ch = (struct chunk){ .stream = stream, .partial = partial };
	assert_int_equal(cc_buf_append(&ch->content, head, head_len), 0);
	assert_int_equal(cc_buf_append(&ch->content, tail, tail_len), 0);
	assert_true(ch->content.len <= SHIM_CRI_LINE_MAX);
}

static void capture_free(struct capture *c)
{
	for (size_t i = 0; i < c->count; i++)
		cc_buf_free(&c->chunks[i].content);
	free(c->chunks);
	*c = (struct capture){ 0 };
}

static void assert_chunk(const struct capture *c, size_t i, bool partial, const char *content)
{
	assert_true(i < c->count);
	assert_int_equal(c->chunks[i].partial, partial);
	assert_int_equal(c->chunks[i].content.len, strlen(content));
	assert_memory_equal(c->chunks[i].content.data ? c->chunks[i].content.data : "", content, strlen(content));
}

static void test_header_is_kubelets_format(void **state)
{
	char header[SHIM_CRI_HEADER_MAX];
	/* 2016-10-06T00:17:09.669794202Z: kubelet's example line (pkg/kubelet/kuberuntime/logs). */
	size_t len = shim_cri_header(header, 1475713029669794202LL, SHIM_STDOUT, true);
	assert_string_equal(header, "2016-10-06T00:17:09.669794202Z stdout P ");
	assert_int_equal(len, strlen(header));
	shim_cri_header(header, 1475713029000000000LL, SHIM_STDERR, false);
	assert_string_equal(header, "2016-10-06T00:17:09.000000000Z stderr F ");
}

static void test_lines_become_full_chunks(void **state)
{
	static struct shim_cri_splitter s;
	struct capture c = { 0 };
	shim_cri_splitter_init(&s, SHIM_STDERR);
	shim_cri_feed(&s, "one\ntwo\n\nthree\r\n", 16, capture_chunk, &c);
	assert_int_equal(c.count, 4);
	assert_chunk(&c, 0, false, "one");
	assert_chunk(&c, 1, false, "two");
	assert_chunk(&c, 2, false, ""); /* an empty line is a line */
	assert_chunk(&c, 3, false, "three\r");
	assert_int_equal(c.chunks[0].stream, SHIM_STDERR);
	shim_cri_flush(&s, capture_chunk, &c);
	assert_int_equal(c.count, 4); /* nothing held: nothing flushed */
	capture_free(&c);
}

static void test_a_line_across_reads_is_one_chunk(void **state)
{
	static struct shim_cri_splitter s;
	struct capture c = { 0 };
	shim_cri_splitter_init(&s, SHIM_STDOUT);
	shim_cri_feed(&s, "hel", 3, capture_chunk, &c);
	assert_int_equal(c.count, 0);
	shim_cri_feed(&s, "lo\nwor", 6, capture_chunk, &c);
	shim_cri_feed(&s, "ld\nta", 5, capture_chunk, &c);
	assert_int_equal(c.count, 2);
	assert_chunk(&c, 0, false, "hello");
	assert_chunk(&c, 1, false, "world");
	/* The end of the output without a newline: a partial chunk. */
	shim_cri_flush(&s, capture_chunk, &c);
	assert_int_equal(c.count, 3);
	assert_chunk(&c, 2, true, "ta");
	capture_free(&c);
}

static char *repeat(char ch, size_t n)
{
	char *text = malloc(n + 1);
	assert_non_null(text);
	memset(text, ch, n);
	text[n] = '\0';
	return text;
}

static void test_long_lines_are_cut_at_16_kib(void **state)
{
	static struct shim_cri_splitter s;
	struct capture c = { 0 };
	shim_cri_splitter_init(&s, SHIM_STDOUT);
	size_t len = 2 * SHIM_CRI_LINE_MAX + 5;
	char *line = repeat('x', len + 1);
	line[len] = '\n';
	shim_cri_feed(&s, line, len + 1, capture_chunk, &c);
	assert_int_equal(c.count, 3);
	char *full = repeat('x', SHIM_CRI_LINE_MAX);
	assert_chunk(&c, 0, true, full);
	assert_chunk(&c, 1, true, full);
	assert_chunk(&c, 2, false, "xxxxx");
	capture_free(&c);

	/* Exactly the limit, then the newline (even in the next read): one full chunk. */
	shim_cri_feed(&s, full, SHIM_CRI_LINE_MAX, capture_chunk, &c);
	assert_int_equal(c.count, 0);
	shim_cri_feed(&s, "\n", 1, capture_chunk, &c);
	assert_int_equal(c.count, 1);
	assert_chunk(&c, 0, false, full);
	capture_free(&c);

	/* The limit, then more of the same line in a later read: the held part goes out as P. */
	shim_cri_feed(&s, full, SHIM_CRI_LINE_MAX, capture_chunk, &c);
	shim_cri_feed(&s, "y\n", 2, capture_chunk, &c);
	assert_int_equal(c.count, 2);
	assert_chunk(&c, 0, true, full);
	assert_chunk(&c, 1, false, "y");
	capture_free(&c);

	/* Held bytes and new bytes share a cut chunk. */
	shim_cri_feed(&s, "abc", 3, capture_chunk, &c);
	shim_cri_feed(&s, full, SHIM_CRI_LINE_MAX, capture_chunk, &c);
	assert_int_equal(c.count, 1);
	assert_true(c.chunks[0].partial);
	assert_int_equal(c.chunks[0].content.len, SHIM_CRI_LINE_MAX);
	assert_memory_equal(c.chunks[0].content.data, "abcxxx", 6);
	shim_cri_flush(&s, capture_chunk, &c);
	assert_chunk(&c, 1, true, "xxx");
	capture_free(&c);
	free(full);
	free(line);
}

/* Rebuilds the output from the chunks as kubelet does: P chunks joined, F ends a line. */
static void rebuild(const struct capture *c, struct cc_buf *out)
{
	for (size_t i = 0; i < c->count; i++) {
		assert_int_equal(cc_buf_append(out, c->chunks[i].content.data ? c->chunks[i].content.data : "",
					       c->chunks[i].content.len),
				 0);
		if (!c->chunks[i].partial)
			assert_int_equal(cc_buf_append(out, "\n", 1), 0);
	}
}

static void test_no_byte_lost_whatever_the_reads(void **state)
{
	static struct shim_cri_splitter s;
	enum { SIZE = 200000 };
	char *input = malloc(SIZE);
	assert_non_null(input);
	uint32_t x = 12345;
	for (size_t i = 0; i < SIZE; i++) {
		x = x * 1103515245u + 12345u;
		/* Mostly short lines, some very long ones (no newline for a long stretch). */
		unsigned r = (x >> 16) % 1000;
		input[i] = (i / 50000) % 2 == 1 ? 'L' : r < 30 ? '\n' : (char)('a' + r % 26);
	}
	for (int round = 0; round < 20; round++) {
		shim_cri_splitter_init(&s, SHIM_STDOUT);
		struct cc_buf out = CC_BUF_INIT;
		size_t at = 0;
		while (at < SIZE) {
			struct capture c = { 0 };
			x = x * 1103515245u + 12345u;
			size_t n = 1 + (x >> 8) % (round < 10 ? 100 : 70000);
			if (n > SIZE - at)
				n = SIZE - at;
			shim_cri_feed(&s, input + at, n, capture_chunk, &c);
			rebuild(&c, &out);
			capture_free(&c);
			at += n;
		}
		struct capture c = { 0 };
		shim_cri_flush(&s, capture_chunk, &c);
		rebuild(&c, &out);
		capture_free(&c);
		assert_int_equal(out.len, SIZE);
		assert_memory_equal(out.data, input, SIZE);
		cc_buf_free(&out);
	}
	free(input);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_header_is_kubelets_format),
		cmocka_unit_test(test_lines_become_full_chunks),
		cmocka_unit_test(test_a_line_across_reads_is_one_chunk),
		cmocka_unit_test(test_long_lines_are_cut_at_16_kib),
		cmocka_unit_test(test_no_byte_lost_whatever_the_reads),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
