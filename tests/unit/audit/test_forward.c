/* The forwarder as an object: two in one process share nothing (their queues, routes and metrics
 * are their own), and each stops when asked, through itself. */
#include "audit/forward.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/stop.h"
#include "lib/event/event.h"
#include "unit.h"

#include <errno.h>
#include <pthread.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>

struct instance {
	char *dir;
	struct audit_forward_config cfg;
	char *events, *output, *queue, *metrics;
	struct audit_forwarder *fwd;
	pthread_t thread;
	int result;
};

static void write_events(const char *path, int count)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	for (int i = 0; i < count; i++) {
		struct cc_event *ev;
		assert_int_equal(cc_event_new("unit", "forward.test", &ev, NULL), 0);
		char *text = cc_event_canonical(ev);
		fprintf(f, "%s\n", text);
		free(text);
		cc_event_free(ev);
	}
	fclose(f);
}

static void instance_start(struct instance *in, int events)
{
	struct cc_error err = { 0 };
	in->dir = unit_tmpdir();
	in->events = cc_xasprintf("events:%s/events.jsonl", in->dir);
	in->output = cc_xasprintf("file:%s/out.jsonl", in->dir);
	in->queue = cc_xasprintf("%s/queue", in->dir);
	in->metrics = cc_xasprintf("unix:%s/metrics.sock", in->dir);
	write_events(in->events + 7, events);
	in->cfg = (struct audit_forward_config){ .queue_dir = in->queue, .metrics_listen = in->metrics };
	assert_int_equal(audit_input_parse(in->events, &in->cfg.inputs[in->cfg.input_count++], &err), 0);
	assert_int_equal(audit_output_parse(in->output, &in->cfg.outputs[0], &err), 0);
	in->cfg.output_count = 1;
	if (audit_forwarder_new(&in->cfg, &in->fwd, &err) < 0)
		fail_msg("%s", cc_error_message(&err));
}

static void *instance_main(void *arg)
{
	struct instance *in = arg;
	struct cc_error err = { 0 };
	in->result = audit_forwarder_run(in->fwd, &err);
	return NULL;
}

static int count_lines(const char *path)
{
	_cleanup_free_ char *data = NULL;
	size_t len = 0;
	if (cc_read_file(path, 1u << 24, &data, &len, NULL) < 0)
		return 0;
	int n = 0;
	for (size_t i = 0; i < len; i++)
		n += data[i] == '\n';
	return n;
}

/* GET /metrics over the instance's unix socket. */
static char *get_metrics(const struct instance *in)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", in->metrics + 5);
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	const char *req = "GET /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	assert_int_equal(cc_write_all(fd, req, strlen(req)), 0);
	size_t cap = 1 << 16, len = 0;
	char *buf = calloc(1, cap);
	ssize_t n;
	while (len < cap - 1 && (n = read(fd, buf + len, cap - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	return buf;
}

static void instance_free(struct instance *in)
{
	audit_forwarder_free(in->fwd);
	audit_input_free(&in->cfg.inputs[0]);
	audit_output_free(&in->cfg.outputs[0]);
	free(in->events);
	free(in->output);
	free(in->queue);
	free(in->metrics);
	unit_rmdir(in->dir);
}

static void test_two_forwarders_in_one_process(void **state)
{
	struct instance a = { 0 }, b = { 0 };
	instance_start(&a, 3);
	instance_start(&b, 5);
	pthread_create(&a.thread, NULL, instance_main, &a);
	pthread_create(&b.thread, NULL, instance_main, &b);
	_cleanup_free_ char *out_a = cc_xasprintf("%s/out.jsonl", a.dir), *out_b = cc_xasprintf("%s/out.jsonl", b.dir);
	for (int i = 0; i < 500 && (count_lines(out_a) < 3 || count_lines(out_b) < 5); i++)
		nanosleep(&(struct timespec){ 0, 10 * 1000 * 1000 }, NULL);
	assert_int_equal(count_lines(out_a), 3);
	assert_int_equal(count_lines(out_b), 5);
	/* Each metrics endpoint reports its own forwarder, not the last one started. */
	_cleanup_free_ char *metrics_a = get_metrics(&a), *metrics_b = get_metrics(&b);
	assert_non_null(strstr(metrics_a, "\ncocoon_audit_queued_total 3\n"));
	assert_non_null(strstr(metrics_b, "\ncocoon_audit_queued_total 5\n"));
	/* Stopping one leaves the other running. */
	audit_forwarder_stop(a.fwd);
	pthread_join(a.thread, NULL);
	assert_int_equal(a.result, 0);
	nanosleep(&(struct timespec){ 0, 100 * 1000 * 1000 }, NULL);
	assert_int_equal(pthread_tryjoin_np(b.thread, NULL), EBUSY);
	audit_forwarder_stop(b.fwd);
	pthread_join(b.thread, NULL);
	assert_int_equal(b.result, 0);
	instance_free(&a);
	instance_free(&b);
}

int main(void)
{
	cc_stop_signals_block(); /* as a command would: no thread takes SIGTERM/SIGINT */
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_two_forwarders_in_one_process),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
