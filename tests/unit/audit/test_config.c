#include "audit/config.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>

static char *write_config(const char *dir, const char *text)
{
	char *path;
	assert_true(asprintf(&path, "%s/forward.yaml", dir) > 0);
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	return path;
}

static void free_outputs(struct audit_forward_config *cfg)
{
	for (size_t i = 0; i < cfg->output_count; i++)
		audit_output_free(&cfg->outputs[i]);
}

static void test_load_reads_every_section(void **state)
{
	char *dir = unit_tmpdir();
	char *path = write_config(dir, "queue: /q\n"
				       "queueMaxBytes: 4096\n"
				       "inputs: [k8s-audit:/a.log, socket:/s]\n"
				       "checkpoint: {key: /k, every: 50}\n"
				       "redact: [actor]\n"
				       "outputs:\n"
				       "- url: syslog+tls://siem:6514?min-severity=warning\n"
				       "  format: leef\n"
				       "  tls: {ca: /ca, cert: /c, key: /k2, serverName: siem.example}\n"
				       "- url: file:/out\n"
				       "- url: hec+https://splunk:8088\n"
				       "  hec: {tokenFile: /t, ack: true}\n");
	struct audit_forward_config cfg = { 0 };
	json_t *doc = NULL;
	const char *key = NULL;
	struct cc_error err = { 0 };
	assert_int_equal(audit_config_load(path, &cfg, &doc, &key, &err), 0);
	assert_string_equal(cfg.queue_dir, "/q");
	assert_int_equal(cfg.queue_max_bytes, 4096);
	assert_int_equal(cfg.input_count, 2);
	assert_string_equal(cfg.inputs[1], "socket:/s");
	assert_string_equal(key, "/k");
	assert_int_equal(cfg.checkpoint_every, 50);
	assert_int_equal(cfg.redact_count, 1);
	assert_int_equal(cfg.output_count, 3);
	assert_string_equal(cfg.outputs[2].hec.token_file, "/t");
	assert_true(cfg.outputs[2].hec.ack);
	assert_int_equal(cfg.outputs[2].format, AUDIT_FORMAT_JSON);
	assert_int_equal(cfg.outputs[0].format, AUDIT_FORMAT_LEEF);
	assert_true(cfg.outputs[0].routed);
	assert_string_equal(cfg.outputs[0].tls.server_name, "siem.example");
	assert_null(cfg.outputs[1].tls.ca_file);

	/* The command line wins; its lists come first; outputs without tls get the command line's. */
	struct audit_forward_config cli = { .queue_dir = "/cli-q", .input_count = 1, .inputs = { "events:/e" } };
	struct audit_tls tls = { .ca_file = "/cli-ca" };
	assert_int_equal(audit_config_merge(&cli, &cfg, &tls, &(struct audit_hec){ 0 }, &err), 0);
	assert_string_equal(cli.queue_dir, "/cli-q");
	assert_int_equal(cli.queue_max_bytes, 4096);
	assert_int_equal(cli.input_count, 3);
	assert_string_equal(cli.inputs[0], "events:/e");
	assert_int_equal(cli.output_count, 3);
	assert_int_equal(cfg.output_count, 0);
	assert_string_equal(cli.outputs[0].tls.ca_file, "/ca");
	assert_string_equal(cli.outputs[1].tls.ca_file, "/cli-ca");
	free_outputs(&cli);
	json_decref(doc);
	free(path);
	unit_rmdir(dir);
}

static void expect_refused(const char *text, const char *message)
{
	char *dir = unit_tmpdir();
	char *path = write_config(dir, text);
	struct audit_forward_config cfg = { 0 };
	json_t *doc = NULL;
	const char *key;
	struct cc_error err = { 0 };
	assert_true(audit_config_load(path, &cfg, &doc, &key, &err) < 0);
	if (!strstr(cc_error_message(&err), message))
		fail_msg("`%s` does not say `%s`", cc_error_message(&err), message);
	assert_int_equal(cfg.output_count, 0);
	assert_null(doc);
	free(path);
	unit_rmdir(dir);
}

static void test_load_refuses_what_it_does_not_understand(void **state)
{
	expect_refused("queu: /q\n", "unknown key `queu`");
	expect_refused("- a\n", "must be a mapping");
	expect_refused("queue: 5\n", "`queue` must be a string");
	expect_refused("queueMaxBytes: -1\n", "positive integer");
	expect_refused("inputs: [1]\n", "`inputs[0]` must be a string");
	expect_refused("outputs: [{url: file:/a}, {url: file:/b, format: xml}]\n", "outputs[1]: unknown format `xml`");
	expect_refused("outputs: [{url: file:/a, tls: {ca: /x, pin: y}}]\n", "tls: unknown key `pin`");
	expect_refused("checkpoint: {every: 5}\n", "checkpoint");
	expect_refused("a: 1\n---\nb: 2\n", "expected one document");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_load_reads_every_section),
		cmocka_unit_test(test_load_refuses_what_it_does_not_understand),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
