/* The exit file: kubelet's exit codes (128+N for signal N), the reasons, the JSON shape, and the
 * file itself (atomic, 0600). */
#include "cmd/shim/exit_file.h"
#include "lib/base/error.h"
#include "unit.h"

#include <sys/stat.h>
#include <sys/wait.h>

#define STARTED  1475713029000000001LL /* 2016-10-06T00:17:09.000000001Z */
#define FINISHED 1475713030500000000LL

static void test_codes_and_reasons(void **state)
{
	struct shim_exit e = { .wait_status = W_EXITCODE(0, 0) };
	assert_int_equal(shim_exit_code(e.wait_status), 0);
	assert_string_equal(shim_exit_reason(&e), "Completed");
	e.wait_status = W_EXITCODE(3, 0);
	assert_int_equal(shim_exit_code(e.wait_status), 3);
	assert_string_equal(shim_exit_reason(&e), "Error");
	e.wait_status = W_EXITCODE(0, SIGKILL);
	assert_int_equal(shim_exit_code(e.wait_status), 137);
	assert_string_equal(shim_exit_reason(&e), "Error");
	e.oom_killed = true;
	assert_string_equal(shim_exit_reason(&e), "OOMKilled");
	e.wait_status = W_EXITCODE(0, SIGTERM);
	assert_int_equal(shim_exit_code(e.wait_status), 143);
}

static void test_json_shape(void **state)
{
	struct shim_exit e = {
		.wait_status = W_EXITCODE(0, SIGKILL),
		.oom_killed = true,
		.started_ns = STARTED,
		.finished_ns = FINISHED,
		.pid = 4242,
	};
	char *text = shim_exit_json(&e);
	assert_string_equal(text, "{\"exitCode\":137,\"signal\":9,\"reason\":\"OOMKilled\","
				  "\"startedAt\":\"2016-10-06T00:17:09.000000001Z\","
				  "\"finishedAt\":\"2016-10-06T00:17:10.500000000Z\",\"pid\":4242}");
	free(text);
	e = (struct shim_exit){
		.wait_status = W_EXITCODE(3, 0), .started_ns = STARTED, .finished_ns = FINISHED, .pid = 7
	};
	text = shim_exit_json(&e);
	assert_non_null(strstr(text, "\"exitCode\":3,\"signal\":0,\"reason\":\"Error\""));
	free(text);
}

static void test_file_is_written_whole_and_private(void **state)
{
	char *dir = unit_tmpdir();
	char path[512];
	snprintf(path, sizeof(path), "%s/c.exit", dir);
	struct shim_exit e = { .wait_status = 0, .started_ns = STARTED, .finished_ns = FINISHED, .pid = 1 };
	struct cc_error err = { 0 };
	assert_int_equal(shim_exit_file_write(path, &e, &err), 0);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	FILE *f = fopen(path, "r");
	char text[512] = { 0 };
	assert_true(fread(text, 1, sizeof(text) - 1, f) > 0);
	fclose(f);
	assert_non_null(strstr(text, "\"reason\":\"Completed\""));
	assert_int_equal(text[strlen(text) - 1], '\n');
	/* A directory that does not exist: an error naming the file. */
	snprintf(path, sizeof(path), "%s/missing/c.exit", dir);
	assert_true(shim_exit_file_write(path, &e, &err) < 0);
	assert_non_null(strstr(err.message, "c.exit"));
	unit_rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_codes_and_reasons),
		cmocka_unit_test(test_json_shape),
		cmocka_unit_test(test_file_is_written_whole_and_private),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
