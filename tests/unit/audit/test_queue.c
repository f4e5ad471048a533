#include "audit/queue.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/resource.h>

static void append_n(struct audit_queue *q, int from, int to)
{
	for (int i = from; i < to; i++) {
		char text[64];
		int n = snprintf(text, sizeof(text), "{\"record\":%d}", i);
		assert_int_equal(audit_queue_append(q, text, (size_t)n, NULL, NULL), 0);
	}
	assert_int_equal(audit_queue_sync(q, NULL), 0);
}

/* Reads everything from the output's cursor; returns the count and checks the numbering. */
static int drain(struct audit_queue *q, const char *output, int expect_first, bool ack)
{
	struct audit_queue_pos pos, next;
	assert_int_equal(audit_queue_cursor(q, output, &pos, NULL), 0);
	int count = 0;
	const char *data;
	size_t len;
	while (audit_queue_peek(q, output, &pos, &data, &len, &next, NULL) == 1) {
		char want[64];
		snprintf(want, sizeof(want), "{\"record\":%d}", expect_first + count);
		assert_string_equal(data, want);
		pos = next;
		count++;
	}
	if (ack)
		assert_int_equal(audit_queue_ack(q, output, &pos, NULL), 0);
	return count;
}

static void test_append_read_ack_reopen(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 0, 100);
	assert_int_equal(drain(q, "siem", 0, false), 100);
	assert_int_equal(drain(q, "file", 0, true), 100);
	audit_queue_close(q);
	/* After a restart: "siem" never acked, so it starts over; "file" continues where it was. */
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 100, 110);
	assert_int_equal(drain(q, "file", 100, true), 10);
	assert_int_equal(drain(q, "siem", 0, true), 110);
	char *last;
	size_t len;
	assert_int_equal(audit_queue_last(q, &last, &len, NULL), 0);
	assert_string_equal(last, "{\"record\":109}");
	free(last);
	audit_queue_close(q);
	unit_rmdir(dir);
}

/* A reader sees only what a sync made durable: an output must never deliver a record a crash
 * could still take back. */
static void test_readers_see_only_durable_records(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 0, 3);
	assert_int_equal(audit_queue_append(q, "{\"record\":3}", 12, NULL, NULL), 0);
	assert_int_equal(drain(q, "siem", 0, false), 3);
	assert_int_equal(audit_queue_sync(q, NULL), 0);
	assert_int_equal(drain(q, "siem", 0, false), 4);
	audit_queue_close(q);
	free(dir);
	(void)state;
}

/* A write the file system refuses (here the file-size limit, as a full disk would) leaves no
 * partial record, keeps the records gathered, and succeeds at the next sync once there is room. */
static void test_refused_write_is_retried_whole(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 0, 10);
	for (int i = 10; i < 200; i++) {
		char text[64];
		int n = snprintf(text, sizeof(text), "{\"record\":%d}", i);
		assert_int_equal(audit_queue_append(q, text, (size_t)n, NULL, NULL), 0);
	}
	struct rlimit saved, small = { .rlim_cur = 300, .rlim_max = RLIM_INFINITY };
	getrlimit(RLIMIT_FSIZE, &saved);
	signal(SIGXFSZ, SIG_IGN);
	setrlimit(RLIMIT_FSIZE, &small);
	struct cc_error err = { 0 };
	int r = audit_queue_sync(q, &err);
	setrlimit(RLIMIT_FSIZE, &saved);
	assert_true(r < 0);
	assert_int_equal(drain(q, "siem", 0, false), 10); /* only what was durable before */
	assert_int_equal(audit_queue_sync(q, NULL), 0);
	assert_int_equal(drain(q, "siem", 0, false), 200);
	audit_queue_close(q);
	/* Nothing torn or doubled on disk either. */
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	struct audit_queue_stats st;
	audit_queue_stats(q, &st);
	assert_int_equal(st.torn_records, 0);
	assert_int_equal(drain(q, "file", 0, false), 200);
	audit_queue_close(q);
	free(dir);
	(void)state;
}

static void test_torn_tail_is_cut_and_counted(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 0, 5);
	audit_queue_close(q);
	/* A crash mid-write: half a header and some bytes at the end of the segment. */
	char path[512];
	snprintf(path, sizeof(path), "%s/seg-0000000000000000.q", dir);
	int fd = open(path, O_WRONLY | O_APPEND);
	assert_int_equal(write(fd, "\x20\x00\x00\x00\x01\x02garbage", 13), 13);
	close(fd);
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	struct audit_queue_stats st;
	audit_queue_stats(q, &st);
	assert_int_equal(st.torn_records, 1);
	append_n(q, 5, 8); /* new records land after the cut, readable */
	assert_int_equal(drain(q, "out", 0, true), 8);
	audit_queue_close(q);
	unit_rmdir(dir);
}

static void test_bounded_and_segment_collection(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 4096, &q, NULL), 0);
	struct cc_error err = { 0 };
	int appended = 0;
	for (;;) {
		int r = audit_queue_append(q, "{\"record\":0000000000000000000000000000000000}", 46, NULL, &err);
		if (r == -ENOSPC)
			break;
		assert_int_equal(r, 0);
		appended++;
	}
	assert_true(appended > 50 && appended < 100);
	assert_non_null(strstr(err.message, "is full"));
	/* Acking frees room again only when segments go; a single segment stays (chain head). */
	struct audit_queue_pos pos;
	assert_int_equal(audit_queue_cursor(q, "out", &pos, NULL), 0);
	assert_true(audit_queue_pending_bytes(q, &pos) > 3000);
	assert_int_equal(audit_queue_append(q, "", 0, NULL, &err), -EMSGSIZE);
	audit_queue_close(q);
	unit_rmdir(dir);
}

static void test_corrupt_record_is_reported(void **state)
{
	char *dir = unit_tmpdir();
	struct audit_queue *q;
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	append_n(q, 0, 3);
	audit_queue_close(q);
	char path[512];
	snprintf(path, sizeof(path), "%s/seg-0000000000000000.q", dir);
	int fd = open(path, O_WRONLY);
	assert_int_equal(pwrite(fd, "X", 1, 8 + 3), 1); /* flip a payload byte of record 0 */
	close(fd);
	assert_int_equal(audit_queue_open(dir, 1 << 30, &q, NULL), 0);
	struct audit_queue_stats st;
	audit_queue_stats(q, &st);
	assert_int_equal(st.corrupt_records, 1);
	assert_int_equal(st.torn_records, 0);
	/* The damaged record is skipped; the ones after it are still delivered. */
	assert_int_equal(drain(q, "out", 1, true), 2);
	audit_queue_close(q);
	unit_rmdir(dir);
}

/* RFC 3720 B.4 test vector: 32 bytes of zeros -> 0x8A9136AA; "123456789" -> 0xE3069283. */
static void test_crc32c_vectors(void **state)
{
	uint8_t zeros[32] = { 0 };
	assert_int_equal(audit_crc32c(zeros, sizeof(zeros)), 0x8A9136AA);
	assert_int_equal(audit_crc32c("123456789", 9), 0xE3069283);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32c_vectors),
		cmocka_unit_test(test_append_read_ack_reopen),
		cmocka_unit_test(test_readers_see_only_durable_records),
		cmocka_unit_test(test_refused_write_is_retried_whole),
		cmocka_unit_test(test_torn_tail_is_cut_and_counted),
		cmocka_unit_test(test_bounded_and_segment_collection),
		cmocka_unit_test(test_corrupt_record_is_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
