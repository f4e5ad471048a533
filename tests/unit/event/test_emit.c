#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/event/emit.h"
#include "unit.h"

#include <pthread.h>
#include <sys/stat.h>

static void *emit_many(void *arg)
{
	for (int i = 0; i < 200; i++) {
		struct cc_event *ev;
		assert_int_equal(cc_event_new("unit", "emit.many", &ev, NULL), 0);
		cc_event_set_reason(ev, "thread %ld event %d", (long)(intptr_t)arg, i);
		assert_int_equal(cc_event_emit(ev), 0);
	}
	return NULL;
}

static void test_concurrent_emitters_write_whole_lines(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *path = cc_xasprintf("%s/events.jsonl", dir);
	struct cc_error err = { 0 };
	assert_int_equal(cc_event_sink_open_file(path, &err), 0);
	pthread_t threads[4];
	for (long i = 0; i < 4; i++)
		pthread_create(&threads[i], NULL, emit_many, (void *)(intptr_t)i);
	for (int i = 0; i < 4; i++)
		pthread_join(threads[i], NULL);
	cc_event_sink_close();
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	char *data;
	size_t len;
	assert_int_equal(cc_read_file(path, 1u << 24, &data, &len, &err), 0);
	int lines = 0;
	for (char *line = data, *nl; (nl = strchr(line, '\n')); line = nl + 1) {
		struct cc_event *ev;
		if (cc_event_parse(line, (size_t)(nl - line), &ev, &err) < 0)
			fail_msg("line %d: %s", lines + 1, err.message);
		cc_event_free(ev);
		lines++;
	}
	assert_int_equal(lines, 800);
	free(data);
	unit_rmdir(dir);
}

static void test_without_sink_nothing_fails(void **state)
{
	struct cc_event *ev;
	assert_int_equal(cc_event_new("unit", "no.sink", &ev, NULL), 0);
	assert_int_equal(cc_event_emit(ev), 0);
}

static void test_refuses_symlinked_sink(void **state)
{
	char *dir = unit_tmpdir();
	_cleanup_free_ char *link = cc_xasprintf("%s/events.jsonl", dir);
	assert_int_equal(symlink("/etc/passwd", link), 0);
	struct cc_error err = { 0 };
	assert_true(cc_event_sink_open_file(link, &err) < 0);
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_concurrent_emitters_write_whole_lines),
		cmocka_unit_test(test_without_sink_nothing_fails),
		cmocka_unit_test(test_refuses_symlinked_sink),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
