/* hec+https://HOST:PORT output: Splunk's HTTP Event Collector, JSON event protocol.
 *
 * A batch is one POST to /services/collector/event: one JSON object per message, back to back,
 * {"event":...,"source":"cocoon","sourcetype":"cocoon:audit"}, where the event is the chained
 * record itself for the json format (so `audit verify` works on what Splunk indexed) and the
 * formatted line as a string for the others. "Authorization: Splunk <token>", the token read from
 * a file. The receiver is verified against --ca, with a client certificate when one is given.
 *
 * Without indexer acknowledgement, a batch is delivered on 200 with code 0. With it (--hec-ack),
 * the POST carries this process's channel (X-Splunk-Request-Channel) and returns an ackId; the
 * batch is delivered only once /services/collector/ack reports that id as indexed. Writing is
 * the POST and confirming is the polling, so the next batch is posted while the previous one is
 * being indexed. Any other answer (401/403 token, 400 data, 503 busy, an ack that never comes
 * within IO_TIMEOUT_MS) fails the batch, and the forwarder sends it again after a back-off. One
 * connection is kept open for the posts and the polls. */
#include "audit/output.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/random.h"
#include "lib/json/json.h"
#include "lib/net/client.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IO_TIMEOUT_MS 10000
#define ACK_POLL_MS   50
#define TOKEN_MAX     256
#define NO_ACK        UINT64_MAX /* the mark of a batch sent without acknowledgement */

/* Splunk HTTP Event Collector settings: the `hec` section of its entry in the configuration file
 * ({tokenFile, ack}), --hec-token-file and --hec-ack on the command line; TLS as the others. */
struct hec_settings {
	struct audit_tls tls;
	const char *token_file; /* the HEC token, read at start; never on the command line */
	bool ack;               /* indexer acknowledgement: delivered only once Splunk says indexed */
};

static const struct audit_setting hec_settings[] = {
	AUDIT_TLS_SETTINGS(struct hec_settings, tls),
	{ .section = "hec",
	  .key = "tokenFile",
	  .option = "hec-token-file",
	  .arg = "FILE",
	  .help = "file holding the HEC token",
	  .type = AUDIT_SETTING_STRING,
	  .offset = offsetof(struct hec_settings, token_file) },
	{ .section = "hec",
	  .key = "ack",
	  .option = "hec-ack",
	  .help = "delivered only once Splunk reports the batch indexed (indexer acknowledgement)",
	  .type = AUDIT_SETTING_BOOL,
	  .offset = offsetof(struct hec_settings, ack) },
	{ 0 },
};

static const struct hec_settings *settings_of(const struct audit_output *o)
{
	return o->settings.values;
}

struct hec_state {
	char authorization[TOKEN_MAX + 32];    /* "Authorization: Splunk <token>" */
	char channel[64];                      /* "X-Splunk-Request-Channel: <uuid>" */
	char base[512];                        /* https://HOST:PORT */
	struct cc_http_connection *connection; /* kept open from batch to batch */
};

static void hec_close(struct audit_output *o)
{
	struct hec_state *s = o->state;
	if (s) {
		explicit_bzero(s->authorization, sizeof(s->authorization));
		cc_http_connection_close(s->connection);
		free(s);
		o->state = NULL;
	}
}

static int hec_open(struct audit_output *o, struct hec_state **ret, struct cc_error *err)
{
	if (o->state) {
		*ret = o->state;
		return 0;
	}
	const struct hec_settings *cfg = settings_of(o);
	if (!cfg->token_file)
		return cc_error_set(err, EINVAL, "hec+https output %s needs --hec-token-file (or hec.tokenFile)",
				    o->target);
	if (!cfg->tls.ca_file)
		return cc_error_set(err, EINVAL, "hec+https output %s needs --ca to verify the receiver", o->target);
	_cleanup_free_ char *token = NULL;
	size_t len;
	int r = cc_read_file(cfg->token_file, TOKEN_MAX, &token, &len, err);
	if (r < 0)
		return cc_error_prefix(err, "HEC token");
	while (len > 0 && (token[len - 1] == '\n' || token[len - 1] == '\r' || token[len - 1] == ' '))
		token[--len] = '\0';
	if (len == 0 || token[strcspn(token, "\r\n\t ")] != '\0') {
		explicit_bzero(token, len);
		return cc_error_set(err, EINVAL, "HEC token file `%s` must hold one token", cfg->token_file);
	}
	struct hec_state *s = cc_xcalloc(1, sizeof(*s));
	snprintf(s->authorization, sizeof(s->authorization), "Authorization: Splunk %s", token);
	explicit_bzero(token, len);
	char uuid[37];
	if ((r = cc_random_uuid(uuid, err)) < 0) {
		free(s);
		return r;
	}
	snprintf(s->channel, sizeof(s->channel), "X-Splunk-Request-Channel: %s", uuid);
	snprintf(s->base, sizeof(s->base), "https://%s", o->target);
	o->state = s;
	*ret = s;
	return 0;
}

/* POST (or GET) to the collector; the answer's JSON in *ret_doc. */
static int hec_call(struct audit_output *o, struct hec_state *s, const char *path, const char *body, size_t len,
		    long *ret_status, json_t **ret_doc, struct cc_error *err)
{
	const struct hec_settings *settings = settings_of(o);
	const char *headers[] = { s->authorization, settings->ack ? s->channel : NULL, NULL };
	struct cc_http_client_config cfg = {
		.ca_file = settings->tls.ca_file,
		.cert_file = settings->tls.cert_file,
		.key_file = settings->tls.key_file,
		.timeout_ms = IO_TIMEOUT_MS,
		.max_response = 1u << 20,
		.headers = headers,
		.connection = &s->connection,
	};
	_cleanup_free_ char *url = cc_xasprintf("%s%s", s->base, path);
	struct cc_http_result res = { 0 };
	int r = cc_http_client_request(&cfg, "POST", url, "application/json", body, len, &res, err);
	if (r < 0) {
		cc_http_result_free(&res);
		return r;
	}
	*ret_status = res.status;
	*ret_doc = NULL;
	if (res.body.len)
		cc_json_parse(res.body.data, res.body.len, 1u << 20, "HEC answer", ret_doc, NULL);
	cc_http_result_free(&res);
	return 0;
}

/* The collector's refusal as an error: its own text and code when it gave them. */
static int refused(struct audit_output *o, long status, const json_t *doc, struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(doc, "text"));
	json_int_t code = json_integer_value(json_object_get(doc, "code"));
	return cc_error_set(err, EPROTO, "HEC %s answered %ld: %s (code %" JSON_INTEGER_FORMAT ")", o->target, status,
			    text ? text : "no explanation", code);
}

static int hec_write(struct audit_output *o, const struct audit_message *batch, size_t count, uint64_t *ret_mark,
		     struct cc_error *err)
{
	struct hec_state *s = NULL;
	int r = hec_open(o, &s, err);
	if (r < 0)
		return r;
	_cleanup_buf_ struct cc_buf body = CC_BUF_INIT;
	for (size_t i = 0; i < count; i++) {
		cc_buf_append_str(&body, "{\"event\":");
		if (o->format == AUDIT_FORMAT_JSON)
			cc_buf_append(&body, batch[i].data, batch[i].len); /* the record is a JSON object */
		else
			cc_json_string_append(&body, batch[i].data, batch[i].len);
		cc_buf_append_str(&body, ",\"source\":\"cocoon\",\"sourcetype\":\"cocoon:audit\"}\n");
	}
	long status;
	_cleanup_json_ json_t *doc = NULL;
	if ((r = hec_call(o, s, "/services/collector/event", body.data, body.len, &status, &doc, err)) < 0)
		return r;
	/* Fail closed: only the collector's own "code":0 counts, not any 200. */
	json_t *code = json_object_get(doc, "code");
	if (status != 200 || !json_is_integer(code) || json_integer_value(code) != 0)
		return refused(o, status, doc, err);
	if (!settings_of(o)->ack) {
		*ret_mark = NO_ACK;
		return 0;
	}
	json_t *ack = json_object_get(doc, "ackId");
	if (!json_is_integer(ack) || json_integer_value(ack) < 0)
		return cc_error_set(
		    err, EPROTO, "HEC %s gave no ackId: is indexer acknowledgement enabled for this token?", o->target);
	*ret_mark = (uint64_t)json_integer_value(ack);
	return 0;
}

/* Polls /services/collector/ack until the batch's ackId is reported indexed. */
static int hec_confirm(struct audit_output *o, uint64_t mark, struct cc_error *err)
{
	struct hec_state *s = o->state;
	if (mark == NO_ACK)
		return 0;
	if (!s)
		return cc_error_set(err, ECONNRESET, "HEC %s: the output was reset before the batch was confirmed",
				    o->target);
	char body[64];
	int len = snprintf(body, sizeof(body), "{\"acks\":[%" PRIu64 "]}", mark);
	char id[24];
	snprintf(id, sizeof(id), "%" PRIu64, mark);
	int64_t deadline = cc_time_monotonic_ms() + IO_TIMEOUT_MS;
	for (;;) {
		long status;
		_cleanup_json_ json_t *doc = NULL;
		int r = hec_call(o, s, "/services/collector/ack", body, (size_t)len, &status, &doc, err);
		if (r < 0)
			return r;
		if (status != 200)
			return refused(o, status, doc, err);
		if (json_is_true(json_object_get(json_object_get(doc, "acks"), id)))
			return 0;
		if (cc_time_monotonic_ms() > deadline)
			return cc_error_set(err, ETIMEDOUT, "HEC %s did not report ackId %s indexed within %d s",
					    o->target, id, IO_TIMEOUT_MS / 1000);
		usleep(ACK_POLL_MS * 1000);
	}
}

static int hec_prepare(struct audit_output *o, struct cc_error *err)
{
	struct hec_state *s;
	return hec_open(o, &s, err);
}

const struct audit_output_ops audit_out_hec_https = {
	.scheme = "hec",
	.prefix = "hec+https://",
	.usage = "hec+https://HOST:PORT",
	.settings = hec_settings,
	.settings_size = sizeof(struct hec_settings),
	.default_format = AUDIT_FORMAT_JSON,
	.write = hec_write,
	.confirm = hec_confirm,
	.prepare = hec_prepare,
	.close = hec_close,
};
