/* cocoon audit verify|format: check delivered security logs; chain and format events offline. */
#include "audit/chain.h"
#include "audit/checkpoint_auth.h"
#include "audit/config.h"
#include "audit/format.h"
#include "audit/forward.h"
#include "audit/k8s.h"
#include "audit/verify.h"
#include "cmd/cli.h"
#include "commands.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/stop.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

#define MAX_LOG_SIZE (4ull << 30)

static void usage(FILE *out)
{
	fprintf(out, "Usage: cocoon audit forward --input ... --output ... --queue DIR   (see forward --help)\n"
		     "       cocoon audit verify [--key FILE] LOG...\n"
		     "       cocoon audit format [--input events|k8s] [--format json|rfc5424|cef|leef]\n"
		     "                           [--key FILE --checkpoint-every N] FILE\n"
		     "\n"
		     "verify checks hash-chained logs (JSON lines, or RFC 5424 lines whose message is the chained\n"
		     "record) and reports every deleted, altered, reordered or inserted record with its location;\n"
		     "with --key it also checks the checkpoints (an HMAC secret, or the Ed25519 public key in PEM\n"
		     "whose private key signed them). --subset: the log is a routed output, so\n"
		     "gaps are expected (each record is still checked). Exit 0 when intact, 1 if not.\n"
		     "\n"
		     "format reads cocoon events or Kubernetes audit events (audit.k8s.io/v1, JSON lines; '-' for\n"
		     "standard input), chains them and prints them in the chosen format, one per line. Lines that\n"
		     "cannot be read are reported on stderr with their number and skipped (exit 1 at the end).\n");
}

static int load_key(const char *path, uint8_t **ret, size_t *ret_len)
{
	struct cc_error err = { 0 };
	char *data;
	if (cc_read_file(path, 4096, &data, ret_len, &err) < 0) {
		cli_error("cocoon audit", "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	if (*ret_len < 16) {
		cli_error("cocoon audit", "checkpoint key `%s` is shorter than 16 bytes", path);
		cc_wipe(data, *ret_len);
		free(data);
		return CLI_EXIT_USAGE;
	}
	*ret = (uint8_t *)data;
	return 0;
}

/* A key that checkpoints are made with must work now, not fail at the first checkpoint. */
static int load_signing_key(const char *path, uint8_t **ret, size_t *ret_len)
{
	int c = load_key(path, ret, ret_len);
	if (c != 0)
		return c;
	char auth[AUDIT_AUTH_MAX];
	struct cc_error err = { 0 };
	if (audit_checkpoint_authenticate(*ret, *ret_len, 0, "sha256:", auth, &err) < 0) {
		cli_error("cocoon audit", "checkpoint key `%s`: %s", path, cc_error_message(&err));
		cc_wipe(*ret, *ret_len);
		free(*ret);
		*ret = NULL;
		return CLI_EXIT_USAGE;
	}
	return 0;
}

/* Calls fn for each line of path (any line ending; the last line may lack one). */
static int for_each_line(const char *path, void (*fn)(void *ctx, size_t no, const char *line, size_t len), void *ctx)
{
	_cleanup_free_ char *data = NULL;
	size_t len;
	struct cc_error err = { 0 };
	if (cc_read_file(path, MAX_LOG_SIZE, &data, &len, &err) < 0) {
		cli_error("cocoon audit", "%s", cc_error_message(&err));
		return -1;
	}
	size_t no = 0;
	for (char *p = data, *end = data + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		fn(ctx, ++no, p, n);
		p += (nl ? (size_t)(nl - p) + 1 : n);
	}
	return 0;
}

struct verify_ctx {
	struct audit_verifier *v;
	const char *name;
};

static void verify_line(void *ctx, size_t no, const char *line, size_t len)
{
	struct verify_ctx *c = ctx;
	audit_verifier_line(c->v, c->name, no, line, len);
}

/* Checks the logs with a verifier, prints its report and the summary; CLI_EXIT_FAILURE when a log
 * cannot be read or the chain is broken. */
static int verify_logs(char **logs, int count, const uint8_t *key, size_t key_len, bool subset)
{
	struct audit_verifier v;
	audit_verifier_init(&v, key, key_len);
	v.subset = subset;
	int rc = CLI_EXIT_OK;
	for (int i = 0; i < count; i++) {
		struct verify_ctx ctx = { &v, logs[i] };
		if (for_each_line(logs[i], verify_line, &ctx) < 0)
			rc = CLI_EXIT_FAILURE;
	}
	audit_verifier_finish(&v, logs[count - 1]);
	if (v.report.len)
		fputs(v.report.data, stderr);
	printf("%llu records, %llu checkpoints, %llu duplicates, %llu problems: %s\n", (unsigned long long)v.records,
	       (unsigned long long)v.checkpoints, (unsigned long long)v.duplicates, (unsigned long long)v.problems,
	       v.problems ? "the chain is BROKEN" : "the chain is intact");
	if (v.problems)
		rc = CLI_EXIT_FAILURE;
	audit_verifier_free(&v);
	return rc;
}

static int verify(int argc, char **argv)
{
	static const struct option options[] = { { "key", required_argument, NULL, 'k' },
						 { "subset", no_argument, NULL, 's' },
						 { "help", no_argument, NULL, 'h' },
						 { 0 } };
	const char *key_path = NULL;
	bool subset = false;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "k:h", options, NULL)) != -1) {
		if (c == 'k')
			key_path = optarg;
		else if (c == 's')
			subset = true;
		else if (c == 'h') {
			usage(stdout);
			return CLI_EXIT_OK;
		} else
			return CLI_EXIT_USAGE;
	}
	if (optind >= argc) {
		cli_error("cocoon audit verify", "give at least one LOG file");
		return CLI_EXIT_USAGE;
	}
	uint8_t *key = NULL;
	size_t key_len = 0;
	if (key_path && (c = load_key(key_path, &key, &key_len)) != 0)
		return c;
	int rc = verify_logs(argv + optind, argc - optind, key, key_len, subset);
	if (key) {
		cc_wipe(key, key_len);
		free(key);
	}
	return rc;
}

struct format_ctx {
	bool k8s;
	const struct audit_formatter *formatter;
	enum audit_format format;
	struct audit_chain chain;
	const uint8_t *key;
	size_t key_len;
	long checkpoint_every;
	const char *name;
	unsigned bad;
};

static void emit_line(struct cc_buf *out)
{
	fwrite(out->data, 1, out->len, stdout);
	fputc('\n', stdout);
	cc_buf_reset(out);
}

static void format_line(void *ctx, size_t no, const char *line, size_t len)
{
	struct format_ctx *c = ctx;
	if (len == 0)
		return;
	struct cc_error err = { 0 };
	struct cc_event *ev = NULL;
	_cleanup_json_ json_t *doc = NULL;
	int r = cc_json_parse(line, len, CC_EVENT_MAX_SIZE * 4, "line", &doc, &err);
	if (r == 0)
		r = c->k8s ? audit_k8s_to_event(doc, &ev, &err) : cc_event_from_json(doc, &ev, &err);
	if (r < 0) {
		fprintf(stderr, "%s:%zu: skipped: %s\n", c->name, no, cc_error_message(&err));
		c->bad++;
		return;
	}
	_cleanup_free_ char *json = NULL;
	char hash[AUDIT_HASH_MAX];
	uint64_t seq;
	if (audit_chain_append(&c->chain, ev, &json, hash, &seq, &err) == 0) {
		struct audit_record rec = { .event = ev, .seq = seq, .hash = hash, .json = json };
		_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
		c->formatter->format(&rec, &out);
		emit_line(&out);
		if (c->key && c->checkpoint_every > 0 && (seq + 1) % (uint64_t)c->checkpoint_every == 0) {
			_cleanup_free_ char *cp = NULL;
			if (audit_chain_checkpoint(&c->chain, c->key, c->key_len, &cp, NULL) == 0) {
				audit_format_checkpoint(c->format, cp, strlen(cp), &out);
				emit_line(&out);
			}
		}
	}
	cc_event_free(ev);
}

/* One option of `audit format`: -1 to go on, else the exit code. */
static int format_option(struct format_ctx *ctx, int c, const char *arg, const char **key_path)
{
	switch (c) {
	case 'i':
		if (strcmp(arg, "k8s") != 0 && strcmp(arg, "events") != 0) {
			cli_error("cocoon audit format", "--input must be events or k8s");
			return CLI_EXIT_USAGE;
		}
		ctx->k8s = strcmp(arg, "k8s") == 0;
		return -1;
	case 'f':
		ctx->format = audit_format_from_string(arg);
		ctx->formatter = audit_formatter(ctx->format);
		if (!ctx->formatter) {
			cli_error("cocoon audit format", "unknown --format `%s` (json, rfc5424, cef, leef)", arg);
			return CLI_EXIT_USAGE;
		}
		return -1;
	case 'k': *key_path = arg; return -1;
	case 'c':
		ctx->checkpoint_every = atol(arg);
		if (ctx->checkpoint_every <= 0) {
			cli_error("cocoon audit format", "--checkpoint-every must be a positive number");
			return CLI_EXIT_USAGE;
		}
		return -1;
	case 'h': usage(stdout); return CLI_EXIT_OK;
	default: return CLI_EXIT_USAGE;
	}
}

/* Chains and prints every line of the file; a final checkpoint closes the log, so a verifier can
 * tell a cut-off tail. */
static int format_file(struct format_ctx *ctx, const char *path)
{
	ctx->name = path;
	audit_chain_init(&ctx->chain);
	int r = for_each_line(path, format_line, ctx);
	if (r == 0 && ctx->key && ctx->chain.next_seq > 0 &&
	    ctx->chain.next_seq % (uint64_t)ctx->checkpoint_every != 0) {
		_cleanup_free_ char *cp = NULL;
		if (audit_chain_checkpoint(&ctx->chain, ctx->key, ctx->key_len, &cp, NULL) == 0) {
			_cleanup_buf_ struct cc_buf out = CC_BUF_INIT;
			audit_format_checkpoint(ctx->format, cp, strlen(cp), &out);
			emit_line(&out);
		}
	}
	return r < 0 || ctx->bad ? CLI_EXIT_FAILURE : CLI_EXIT_OK;
}

static int format(int argc, char **argv)
{
	static const struct option options[] = {
		{ "input", required_argument, NULL, 'i' }, { "format", required_argument, NULL, 'f' },
		{ "key", required_argument, NULL, 'k' },   { "checkpoint-every", required_argument, NULL, 'c' },
		{ "help", no_argument, NULL, 'h' },        { 0 },
	};
	struct format_ctx ctx = { .formatter = audit_formatter(AUDIT_FORMAT_JSON),
				  .format = AUDIT_FORMAT_JSON,
				  .checkpoint_every = 1000 };
	const char *key_path = NULL;
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "i:f:k:c:h", options, NULL)) != -1)
		if ((c = format_option(&ctx, c, optarg, &key_path)) != -1)
			return c;
	if (optind != argc - 1) {
		cli_error("cocoon audit format", "give exactly one FILE ('-' for standard input)");
		return CLI_EXIT_USAGE;
	}
	uint8_t *key = NULL;
	size_t key_len = 0;
	if (key_path && (c = load_signing_key(key_path, &key, &key_len)) != 0)
		return c;
	ctx.key = key;
	ctx.key_len = key_len;
	int rc = format_file(&ctx, argv[optind]);
	if (key) {
		cc_wipe(key, key_len);
		free(key);
	}
	return rc;
}

/* `cocoon audit forward`, in phases: the options, the configuration file, the checks, the
 * checkpoint key, then the forwarder run until SIGTERM or SIGINT. */
struct forward_args {
	struct audit_forward_config cfg;
	struct audit_options plugin_options; /* --ca, --hec-token-file, ...: for the kinds that take them */
	const char *format_name, *checkpoint_key, *config_file;
	const char *webhook; /* --webhook ADDR: an input added after all others */
	json_t *config_doc;  /* the configuration file, which strings in cfg point into */
	uint8_t *key;
	size_t key_len;
};

static void forward_args_free(struct forward_args *a)
{
	audit_config_free(&a->cfg);
	json_decref(a->config_doc);
	if (a->key) {
		cc_wipe(a->key, a->key_len);
		free(a->key);
	}
}

#define FORWARD_GO_ON (-1) /* a phase's result when the command continues */
#define FORWARD_NAME  "cocoon audit forward"

static const struct option forward_options[] = {
	{ "input", required_argument, NULL, 'i' },           { "output", required_argument, NULL, 'o' },
	{ "queue", required_argument, NULL, 'q' },           { "format", required_argument, NULL, 'f' },
	{ "checkpoint-key", required_argument, NULL, 'K' },  { "checkpoint-every", required_argument, NULL, 'E' },
	{ "queue-max-bytes", required_argument, NULL, 'M' }, { "batch", required_argument, NULL, 'B' },
	{ "metrics", required_argument, NULL, 'm' },         { "once", no_argument, NULL, '1' },
	{ "redact", required_argument, NULL, 'R' },          { "webhook", required_argument, NULL, 'W' },
	{ "config", required_argument, NULL, 'F' },          { "help", no_argument, NULL, 'h' },
};

#define PLUGIN_OPTION_BASE 1000 /* getopt value of the plugins' options: base + their index */
#define PLUGIN_OPTIONS_MAX 32

static void forward_help(const struct audit_setting *const *plugin, size_t plugin_count)
{
	printf("Usage: cocoon audit forward --input INPUT ... --output OUTPUT ... --queue DIR\n"
	       "       cocoon audit forward --config FILE [OPTIONS]\n"
	       "       [--format rfc5424|cef|leef|json] [--ca F --cert F --key F]\n"
	       "       [--checkpoint-key F [--checkpoint-every N]] [--metrics ADDR] [--once]\n"
	       "       (--checkpoint-key: an HMAC secret of 16+ bytes, or an Ed25519 private key in PEM)\n"
	       "       [--redact PATH]...  (e.g. --redact extra.k8s.requestObject --redact actor)\n"
	       "       [--webhook ADDR --webhook-cert F --webhook-key F [--webhook-client-ca F]]\n\n"
	       "INPUT: k8s-audit:FILE (Kubernetes audit log, followed across rotation), events:FILE\n"
	       "(cocoon events), socket:PATH (producers get \"ok <id>\" once an event is durable).\n"
	       "--webhook ADDR (or --input webhook:ADDR): the Kubernetes audit webhook backend (POST of an\n"
	       "EventList over HTTPS, mutual TLS with --webhook-client-ca), answered 200 once the events\n"
	       "are durable.\n"
	       "OUTPUT: syslog+tls://HOST:PORT (RFC 5425, mutual TLS), relp+tls://HOST:PORT (RELP,\n"
	       "mutual TLS, removed from the queue on the receiver's 200 OK), hec+https://HOST:PORT\n"
	       "(Splunk HTTP Event Collector) or file:PATH, optionally routed with\n"
	       "?min-severity=warning&component=runtime,attest&tenant=bank-a.\n"
	       "Events are chained, written to the durable queue in DIR, and removed only once every\n"
	       "output delivered them.\n"
	       "--once exits when the inputs are read and everything is delivered. Metrics (Prometheus\n"
	       "text) at GET /metrics on ADDR (e.g. 127.0.0.1:9464 or unix:/run/cocoon/audit.sock).\n"
	       "--config FILE (YAML or JSON): queue, inputs, outputs each with its own url, format and\n"
	       "its kind's settings (tls {ca, cert, key, serverName}, hec {tokenFile, ack}), checkpoint,\n"
	       "metrics, redact, webhook (docs/audit.md).\n"
	       "Options on the command line win; their inputs and outputs are added to the file's.\n\n"
	       "Settings of the input and output kinds, for every input or output that takes them (a\n"
	       "configuration file entry that has the setting's section keeps its own):\n");
	for (size_t i = 0; i < plugin_count; i++) {
		char name[64];
		snprintf(name, sizeof(name), "--%s%s%s", plugin[i]->option, plugin[i]->arg ? " " : "",
			 plugin[i]->arg ? plugin[i]->arg : "");
		printf("  %-22s %s\n", name, plugin[i]->help);
	}
}

static int add_input(struct forward_args *a, const char *spec)
{
	struct cc_error err = { 0 };
	if (a->cfg.input_count == AUDIT_MAX_INPUTS) {
		cli_error(FORWARD_NAME, "at most %d inputs", AUDIT_MAX_INPUTS);
		return CLI_EXIT_USAGE;
	}
	if (audit_input_parse(spec, &a->cfg.inputs[a->cfg.input_count], &err) < 0) {
		cli_error(FORWARD_NAME, "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	a->cfg.input_count++;
	return FORWARD_GO_ON;
}

static int add_output(struct forward_args *a, const char *spec)
{
	struct cc_error err = { 0 };
	if (a->cfg.output_count == AUDIT_MAX_OUTPUTS) {
		cli_error(FORWARD_NAME, "at most %d outputs", AUDIT_MAX_OUTPUTS);
		return CLI_EXIT_USAGE;
	}
	if (audit_output_parse(spec, &a->cfg.outputs[a->cfg.output_count], &err) < 0) {
		cli_error(FORWARD_NAME, "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	a->cfg.output_count++;
	return FORWARD_GO_ON;
}

static int add_plugin_option(struct forward_args *a, const struct audit_setting *s, const char *value)
{
	if (a->plugin_options.count == AUDIT_MAX_OPTIONS) {
		cli_error(FORWARD_NAME, "too many input and output options");
		return CLI_EXIT_USAGE;
	}
	a->plugin_options.items[a->plugin_options.count].option = s->option;
	a->plugin_options.items[a->plugin_options.count++].value = value ? value : "true";
	return FORWARD_GO_ON;
}

static int add_redaction(struct forward_args *a, const char *path)
{
	if (a->cfg.redact_count == CC_ARRAY_SIZE(a->cfg.redact)) {
		cli_error(FORWARD_NAME, "at most %zu --redact paths", CC_ARRAY_SIZE(a->cfg.redact));
		return CLI_EXIT_USAGE;
	}
	a->cfg.redact[a->cfg.redact_count++] = path;
	return FORWARD_GO_ON;
}

/* One option of the forwarder's own (not a plugin's). */
static int forward_option(struct forward_args *a, int c, const char *arg)
{
	struct audit_forward_config *cfg = &a->cfg;
	switch (c) {
	case 'i': return add_input(a, arg);
	case 'o': return add_output(a, arg);
	case 'R': return add_redaction(a, arg);
	case 'q': cfg->queue_dir = arg; break;
	case 'F': a->config_file = arg; break;
	case 'f': a->format_name = arg; break;
	case 'K': a->checkpoint_key = arg; break;
	case 'E': cfg->checkpoint_every = strtoull(arg, NULL, 10); break;
	case 'M': cfg->queue_max_bytes = strtoull(arg, NULL, 10); break;
	case 'B': cfg->batch = strtoul(arg, NULL, 10); break;
	case 'm': cfg->metrics_listen = arg; break;
	case '1': cfg->once = true; break;
	case 'W': a->webhook = arg; break;
	default: return CLI_EXIT_USAGE;
	}
	return FORWARD_GO_ON;
}

/* Phase 1: the command line. The option table is the forwarder's own options and every plugin
 * option of the registries. */
static int parse_forward_options(int argc, char **argv, struct forward_args *a)
{
	const struct audit_setting *plugin[PLUGIN_OPTIONS_MAX];
	size_t plugin_count = audit_config_plugin_options(plugin, PLUGIN_OPTIONS_MAX);
	struct option options[CC_ARRAY_SIZE(forward_options) + PLUGIN_OPTIONS_MAX + 1];
	memcpy(options, forward_options, sizeof(forward_options));
	for (size_t i = 0; i < plugin_count; i++)
		options[CC_ARRAY_SIZE(forward_options) + i] =
		    (struct option){ plugin[i]->option, plugin[i]->arg ? required_argument : no_argument, NULL,
				     PLUGIN_OPTION_BASE + (int)i };
	options[CC_ARRAY_SIZE(forward_options) + plugin_count] = (struct option){ 0 };
	optind = 1;
	int c;
	while ((c = getopt_long(argc, argv, "i:o:q:f:h", options, NULL)) != -1) {
		int r;
		if (c == 'h') {
			forward_help(plugin, plugin_count);
			return CLI_EXIT_OK;
		}
		if (c >= PLUGIN_OPTION_BASE && c < PLUGIN_OPTION_BASE + (int)plugin_count)
			r = add_plugin_option(a, plugin[c - PLUGIN_OPTION_BASE], optarg);
		else
			r = forward_option(a, c, optarg);
		if (r != FORWARD_GO_ON)
			return r;
	}
	return FORWARD_GO_ON;
}

/* Phase 2: --format for the command line's outputs; the configuration file, merged under the
 * command line; then the plugin options to every input and output whose kind takes them. */
static int apply_configuration(struct forward_args *a)
{
	struct cc_error err = { 0 };
	enum audit_format format = a->format_name ? audit_format_from_string(a->format_name) : AUDIT_FORMAT_MAX;
	if (a->format_name && format == AUDIT_FORMAT_MAX) {
		cli_error(FORWARD_NAME, "unknown --format `%s`", a->format_name);
		return CLI_EXIT_USAGE;
	}
	for (size_t i = 0; a->format_name && i < a->cfg.output_count; i++)
		a->cfg.outputs[i].format = format;
	if (a->config_file) {
		struct audit_forward_config file_cfg = { 0 };
		const char *file_checkpoint_key = NULL;
		if (audit_config_load(a->config_file, &file_cfg, &a->config_doc, &file_checkpoint_key, &err) < 0 ||
		    audit_config_merge(&a->cfg, &file_cfg, &err) < 0) {
			audit_config_free(&file_cfg);
			cli_error(FORWARD_NAME, "%s", cc_error_message(&err));
			return CLI_EXIT_USAGE;
		}
		if (!a->checkpoint_key)
			a->checkpoint_key = file_checkpoint_key;
	}
	if (a->webhook) {
		/* Last, so the other inputs keep their places (their read positions are named by them). */
		_cleanup_free_ char *spec = cc_xasprintf("webhook:%s", a->webhook);
		int r = add_input(a, spec);
		if (r != FORWARD_GO_ON)
			return r;
	}
	if (audit_config_apply_options(&a->cfg, &a->plugin_options, &err) < 0) {
		cli_error(FORWARD_NAME, "%s", cc_error_message(&err));
		return CLI_EXIT_USAGE;
	}
	return FORWARD_GO_ON;
}

/* Phase 3: what the forwarder cannot do without, and the checkpoint key, which must sign now. */
static int check_forward_configuration(struct forward_args *a)
{
	struct audit_forward_config *cfg = &a->cfg;
	if (!cfg->queue_dir || cfg->input_count == 0 || cfg->output_count == 0) {
		cli_error(FORWARD_NAME,
			  "a queue, an input or webhook, and an output are required (options or --config)");
		return CLI_EXIT_USAGE;
	}
	if (a->checkpoint_key) {
		int c = load_signing_key(a->checkpoint_key, &a->key, &a->key_len);
		if (c != 0)
			return c;
		cfg->checkpoint_key = a->key;
		cfg->checkpoint_key_len = a->key_len;
	}
	return FORWARD_GO_ON;
}

static int run_forwarder(void *fwd, struct cc_error *err)
{
	return audit_forwarder_run(fwd, err);
}

static void stop_forwarder(void *fwd)
{
	audit_forwarder_stop(fwd);
}

/* Phase 4: the forwarder, until SIGTERM or SIGINT (or, with --once, until it is done). */
static int run_forwarder_until_stopped(struct audit_forward_config *cfg)
{
	struct cc_error err = { 0 };
	cc_stop_signals_block(); /* before the forwarder starts its threads: they inherit the block */
	_cleanup_(audit_forwarder_freep) struct audit_forwarder *fwd = NULL;
	int r = audit_forwarder_new(cfg, &fwd, &err);
	if (r == 0)
		r = cc_run_until_stopped(run_forwarder, stop_forwarder, fwd, &err);
	if (r < 0) {
		cli_error(FORWARD_NAME, "%s", cc_error_message(&err));
		return CLI_EXIT_FAILURE;
	}
	return CLI_EXIT_OK;
}

static int forward(int argc, char **argv)
{
	_cleanup_(forward_args_free) struct forward_args args = { 0 };
	int r = parse_forward_options(argc, argv, &args);
	if (r == FORWARD_GO_ON)
		r = apply_configuration(&args);
	if (r == FORWARD_GO_ON)
		r = check_forward_configuration(&args);
	if (r == FORWARD_GO_ON)
		r = run_forwarder_until_stopped(&args.cfg);
	return r;
}

int cmd_audit(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "forward") == 0)
		return forward(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "verify") == 0)
		return verify(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "format") == 0)
		return format(argc - 1, argv + 1);
	if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	usage(stderr);
	return CLI_EXIT_USAGE;
}
