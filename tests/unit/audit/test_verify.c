#include "audit/chain.h"
#include "audit/verify.h"
#include "lib/base/buf.h"
#include "unit.h"

static const uint8_t key[] = "0123456789abcdef0123456789abcdef";

/* A log of n records with a checkpoint after each 4 and at the end. */
static char **make_log(int n, int *ret_lines)
{
	struct audit_chain chain;
	audit_chain_init(&chain);
	char **lines = calloc((size_t)n * 2 + 2, sizeof(char *));
	int count = 0;
	for (int i = 0; i < n; i++) {
		struct cc_event *ev;
		assert_int_equal(cc_event_new("unit", "verify", &ev, NULL), 0);
		cc_event_set_reason(ev, "event %d", i);
		char hash[AUDIT_HASH_MAX];
		uint64_t seq;
		assert_int_equal(audit_chain_append(&chain, ev, &lines[count++], hash, &seq, NULL), 0);
		cc_event_free(ev);
		if (i % 4 == 3 || i == n - 1)
			assert_int_equal(audit_chain_checkpoint(&chain, key, sizeof(key) - 1, &lines[count++], NULL),
					 0);
	}
	*ret_lines = count;
	return lines;
}

static uint64_t run(char **lines, int count, const uint8_t *k, struct audit_verifier *v)
{
	audit_verifier_init(v, k, k ? sizeof(key) - 1 : 0);
	for (int i = 0; i < count; i++)
		if (lines[i])
			audit_verifier_line(v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
	audit_verifier_finish(v, "log");
	return v->problems;
}

static void free_log(char **lines, int count)
{
	for (int i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
}

static void test_intact(void **state)
{
	int n;
	char **lines = make_log(10, &n);
	struct audit_verifier v;
	assert_int_equal(run(lines, n, key, &v), 0);
	assert_int_equal(v.records, 10);
	assert_int_equal(v.checkpoints, 3);
	audit_verifier_free(&v);
	free_log(lines, n);
}

static void expect(char **lines, int n, const char *needle)
{
	struct audit_verifier v;
	if (run(lines, n, key, &v) == 0)
		fail_msg("tampering not detected (%s)", needle);
	if (!strstr(v.report.data, needle))
		fail_msg("report `%s` lacks `%s`", v.report.data, needle);
	audit_verifier_free(&v);
}

static void test_deleted_altered_reordered_inserted(void **state)
{
	int n;
	char **lines = make_log(10, &n);
	/* Deleted: line 3 is record seq 2. */
	char *saved = lines[2];
	lines[2] = NULL;
	expect(lines, n, "records 2..2 are missing");
	lines[2] = saved;
	/* Altered. */
	char *e = strstr(lines[1], "event 1");
	e[6] = '9';
	expect(lines, n, "record seq 1 was altered");
	e[6] = '1';
	/* Reordered: swap records 1 and 2. */
	saved = lines[1];
	lines[1] = lines[2];
	lines[2] = saved;
	expect(lines, n, "out of order");
	lines[2] = lines[1];
	lines[1] = saved;
	/* Inserted: a record from another chain with a plausible seq. */
	int other_n;
	char **other = make_log(3, &other_n);
	saved = lines[2];
	lines[2] = other[2]; /* seq 2 of a different chain */
	expect(lines, n, "inserted or replaced");
	lines[2] = saved;
	free_log(other, other_n);
	/* Tail cut off after the last checkpoint's records. */
	expect(lines, n - 2, "not covered by a checkpoint");
	/* Forged checkpoint (MAC with another key). */
	struct audit_verifier v;
	audit_verifier_init(&v, (const uint8_t *)"another key, another chain", 26);
	for (int i = 0; i < n; i++)
		audit_verifier_line(&v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
	assert_non_null(strstr(v.report.data, "invalid MAC"));
	audit_verifier_free(&v);
	free_log(lines, n);
}

static void test_duplicates_are_not_errors(void **state)
{
	int n;
	char **lines = make_log(3, &n);
	struct audit_verifier v;
	audit_verifier_init(&v, key, sizeof(key) - 1);
	for (int i = 0; i < n; i++) {
		audit_verifier_line(&v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
		if (i == 1)
			audit_verifier_line(&v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
	}
	audit_verifier_finish(&v, "log");
	assert_int_equal(v.problems, 0);
	assert_int_equal(v.duplicates, 1);
	audit_verifier_free(&v);
	free_log(lines, n);
}

static void test_replayed_run_after_restart(void **state)
{
	int n;
	char **lines = make_log(12, &n);
	struct audit_verifier v;
	audit_verifier_init(&v, key, sizeof(key) - 1);
	/* Lines 0..8 arrive, the sender restarts and resends from line 3 (its last ack), then the rest. */
	for (int i = 0; i <= 8; i++)
		audit_verifier_line(&v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
	for (int i = 3; i < n; i++)
		audit_verifier_line(&v, "log", (size_t)i + 1, lines[i], strlen(lines[i]));
	audit_verifier_finish(&v, "log");
	if (v.problems)
		fail_msg("%s", v.report.data);
	assert_int_equal(v.records, 12);
	assert_true(v.duplicates >= 5);
	audit_verifier_free(&v);
	free_log(lines, n);
}

static void test_garbage_lines(void **state)
{
	struct audit_verifier v;
	audit_verifier_init(&v, NULL, 0);
	audit_verifier_line(&v, "log", 1, "not json at all", 15);
	audit_verifier_line(&v, "log", 2, "{\"seq\":1}", 9);
	audit_verifier_line(&v, "log", 3, "{broken", 7);
	audit_verifier_finish(&v, "log");
	assert_int_equal(v.problems, 4);
	audit_verifier_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_intact),
		cmocka_unit_test(test_deleted_altered_reordered_inserted),
		cmocka_unit_test(test_duplicates_are_not_errors),
		cmocka_unit_test(test_replayed_run_after_restart),
		cmocka_unit_test(test_garbage_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
