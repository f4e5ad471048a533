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

static void test_load_reads_every_section(void **state)
{
	char *dir = unit_tmpdir();
	char *path = write_config(dir, "queue: /q\n"
				       "queueMaxBytes: 4096\n"
				       "inputs: [k8s-audit:/a.log, socket:/s]\n"
				       "webhook: {listen: 127.0.0.1:8443, cert: /w.crt, key: /w.key}\n"
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
	assert_int_equal(cfg.input_count, 3);
	assert_ptr_equal(cfg.inputs[1].ops, &audit_in_socket);
	assert_string_equal(cfg.inputs[1].target, "/s");
	/* the webhook is an input of its kind, with its own settings */
	assert_ptr_equal(cfg.inputs[2].ops, &audit_in_webhook);
	assert_string_equal(cfg.inputs[2].target, "127.0.0.1:8443");
	assert_string_equal(audit_settings_string(&cfg.inputs[2].settings, NULL, "cert"), "/w.crt");
	assert_string_equal(key, "/k");
	assert_int_equal(cfg.checkpoint_every, 50);
	assert_int_equal(cfg.redact_count, 1);
	assert_int_equal(cfg.output_count, 3);
	assert_string_equal(audit_settings_string(&cfg.outputs[2].settings, "hec", "tokenFile"), "/t");
	assert_true(audit_settings_bool(&cfg.outputs[2].settings, "hec", "ack"));
	assert_int_equal(cfg.outputs[2].format, AUDIT_FORMAT_JSON);
	assert_int_equal(cfg.outputs[0].format, AUDIT_FORMAT_LEEF);
	assert_true(cfg.outputs[0].routed);
	assert_string_equal(audit_settings_string(&cfg.outputs[0].settings, "tls", "serverName"), "siem.example");
	assert_null(audit_settings_string(&cfg.outputs[2].settings, "tls", "ca"));
	assert_null(audit_settings_string(&cfg.outputs[1].settings, "tls", "ca")); /* a file has no TLS */

	/* The command line wins; its lists come first. */
	struct audit_forward_config cli = { .queue_dir = "/cli-q" };
	assert_int_equal(audit_input_parse("events:/e", &cli.inputs[cli.input_count++], &err), 0);
	assert_int_equal(audit_config_merge(&cli, &cfg, &err), 0);
	assert_string_equal(cli.queue_dir, "/cli-q");
	assert_int_equal(cli.queue_max_bytes, 4096);
	assert_int_equal(cli.input_count, 4);
	assert_int_equal(cfg.input_count, 0);
	assert_ptr_equal(cli.inputs[0].ops, &audit_in_file);
	assert_string_equal(cli.inputs[0].target, "/e");
	assert_int_equal(cli.output_count, 3);
	assert_int_equal(cfg.output_count, 0);
	/* The command line's TLS options go to the outputs whose entry has no tls section, whole: the
	 * syslog output keeps its own, without the command line's --cert; the HEC output takes them
	 * all, and the command line's --hec-ack, but keeps its tokenFile (its hec section). */
	struct audit_options opts = { .count = 4 };
	opts.items[0].option = "ca", opts.items[0].value = "/cli-ca";
	opts.items[1].option = "cert", opts.items[1].value = "/cli-cert";
	opts.items[2].option = "hec-token-file", opts.items[2].value = "/cli-token";
	opts.items[3].option = "hec-color", opts.items[3].value = "red"; /* no kind takes it: warned */
	assert_int_equal(audit_config_apply_options(&cli, &opts, &err), 0);
	assert_string_equal(audit_settings_string(&cli.outputs[0].settings, "tls", "ca"), "/ca");
	assert_string_equal(audit_settings_string(&cli.outputs[0].settings, "tls", "cert"), "/c");
	assert_string_equal(audit_settings_string(&cli.outputs[2].settings, "tls", "ca"), "/cli-ca");
	assert_string_equal(audit_settings_string(&cli.outputs[2].settings, "tls", "cert"), "/cli-cert");
	assert_string_equal(audit_settings_string(&cli.outputs[2].settings, "hec", "tokenFile"), "/t");
	audit_config_free(&cli);
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
	assert_int_equal(cfg.input_count, 0);
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
	expect_refused("inputs: [1]\n", "inputs[0]: must be a string or a mapping with `url`");
	expect_refused("inputs: [pipe:/p]\n", "unsupported input `pipe:/p`");
	expect_refused("webhook: {listen: x, cert: /c, key: /k, crl: /l}\n", "webhook: unknown key `crl`");
	expect_refused("outputs: [{url: file:/a}, {url: file:/b, format: xml}]\n", "outputs[1]: unknown format `xml`");
	expect_refused("outputs: [{url: syslog+tls://h:1, tls: {ca: /x, pin: y}}]\n", "tls: unknown key `pin`");
	/* settings are each kind's own: a file has no TLS, a syslog receiver no HEC token */
	expect_refused("outputs: [{url: file:/a, tls: {ca: /x}}]\n", "output: unknown key `tls`");
	expect_refused("outputs: [{url: syslog+tls://h:1, hec: {tokenFile: /t}}]\n", "output: unknown key `hec`");
	expect_refused("outputs: [{url: hec+https://h:1, hec: {ack: yes please}}]\n", "`ack` must be true or false");
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
