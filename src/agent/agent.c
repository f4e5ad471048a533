/* The node attestation agent's protocol side (see agent.h): the KBS v0 exchanges over HTTPS with
 * libcurl, the TEE key (an ephemeral P-256 key per fetch) and the evidence from agent_tpm.c. */
#include "agent/agent.h"

#include "agent/agent_tpm.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/jose.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/net/client.h"

#include <errno.h>
#include <openssl/ec.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LOG_MAX (16u << 20)

/* One JSON exchange with the broker; a status other than want is an error with its problem detail. */
static int call(const struct agent_config *cfg, const char *cookie, const char *method, const char *path,
		const json_t *body, long want, json_t **ret, char *ret_cookie, size_t cookie_size, struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s", cfg->kbs_url, path);
	_cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct cc_http_client_config client = { .ca_file = cfg->ca_file, .cookie = cookie, .timeout_ms = 30000 };
	struct cc_http_result res;
	int r = cc_http_client_request(&client, method, url, text ? "application/json" : NULL, text,
				       text ? strlen(text) : 0, &res, err);
	if (r < 0)
		return r;
	json_t *reply = NULL;
	if (res.body.len > 0)
		cc_json_parse(res.body.data, res.body.len, res.body.limit, url, &reply, NULL);
	if (res.status != want) {
		const char *detail = json_string_value(json_object_get(reply, "detail"));
		r = cc_error_set(err,
				 res.status == 401 || res.status == 403 ? EACCES
				 : res.status == 404                    ? ENOENT
									: EIO,
				 "%s %s: HTTP %ld: %s", method, path, res.status, detail ? detail : "no detail");
		json_decref(reply);
	} else {
		if (ret_cookie)
			snprintf(ret_cookie, cookie_size, "%s", res.set_cookie);
		if (ret)
			*ret = reply;
		else
			json_decref(reply);
	}
	cc_buf_free_secure(&res.body);
	if (text) /* bodies carry tokens and CSRs */
		cc_wipe(text, strlen(text));
	return r;
}

static char *ak_path(const struct agent_config *cfg)
{
	return cc_xasprintf("%s/ak.json", cfg->state_dir);
}

int agent_register(const struct agent_config *cfg, struct cc_error *err)
{
	_cleanup_free_ char *path = ak_path(cfg);
	_cleanup_free_ uint8_t *ak = NULL, *credential = NULL;
	size_t ak_len, credential_len;
	int r = agent_tpm_ak_ensure(cfg->tcti, path, &ak, &ak_len, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *ak_text = cc_base64_encode(ak, ak_len);
	_cleanup_json_ json_t *request =
	    json_pack("{s:s, s:s, s:s}", "tenant", cfg->tenant, "node", cfg->node, "ak", ak_text);
	_cleanup_json_ json_t *challenge = NULL;
	if ((r = call(cfg, NULL, "POST", "/kbs/v0/node/register", request, 200, &challenge, NULL, 0, err)) < 0)
		return r;
	const char *id = json_string_value(json_object_get(challenge, "id"));
	const char *text = json_string_value(json_object_get(challenge, "credential"));
	if (!id || !text || cc_base64_decode(text, strlen(text), &credential, &credential_len) < 0)
		return cc_error_set(err, EPROTO, "the broker's registration answer lacks id or credential");
	uint8_t secret[64];
	size_t secret_len = 0;
	if ((r = agent_tpm_activate(cfg->tcti, path, credential, credential_len, secret, &secret_len, err)) < 0)
		return r;
	_cleanup_free_ char *secret_text = cc_base64_encode(secret, secret_len);
	cc_wipe(secret, sizeof(secret));
	_cleanup_json_ json_t *proof = json_pack("{s:s, s:s}", "id", id, "secret", secret_text);
	cc_wipe(secret_text, strlen(secret_text));
	return call(cfg, NULL, "POST", "/kbs/v0/node/activate", proof, 204, NULL, NULL, 0, err);
}

/* The runtime's measurement records for our PCR, oldest first. */
static int measurement_log(const struct agent_config *cfg, json_t **ret, struct cc_error *err)
{
	json_t *records = json_array();
	if (!cfg->measurement_log) {
		*ret = records;
		return 0;
	}
	_cleanup_free_ char *data = NULL;
	size_t len;
	int r = cc_read_file(cfg->measurement_log, LOG_MAX, &data, &len, err);
	if (r == -ENOENT) {
		*ret = records; /* nothing measured yet */
		return 0;
	}
	for (char *line = data, *end; r == 0 && line && line < data + len; line = end ? end + 1 : NULL) {
		end = memchr(line, '\n', (size_t)(data + len - line));
		size_t n = end ? (size_t)(end - line) : (size_t)(data + len - line);
		json_t *record = NULL;
		if (n == 0)
			continue;
		if (cc_json_parse(line, n, n + 1, cfg->measurement_log, &record, err) < 0)
			r = -EINVAL;
		else if (json_integer_value(json_object_get(record, "pcr")) == cfg->pcr &&
			 json_object_get(record, "pcr"))
			json_array_append_new(records, record);
		else
			json_decref(record);
	}
	if (r < 0) {
		json_decref(records);
		return r;
	}
	*ret = records;
	return 0;
}

static json_t *tee_jwk(EVP_PKEY *key)
{
	json_t *jwk = cc_jose_jwk_from_key(key);
	if (jwk)
		json_object_set_new(jwk, "alg", json_string("ECDH-ES+A256KW"));
	return jwk;
}

struct agent_session {
	const struct agent_config *cfg;
	char cookie[256];
	EVP_PKEY *tee_key; /* the secrets of this session come back encrypted to it */
};

void agent_session_free(struct agent_session *s)
{
	if (!s)
		return;
	EVP_PKEY_free(s->tee_key);
	cc_wipe(s->cookie, sizeof(s->cookie));
	free(s);
}

int agent_session_open(const struct agent_config *cfg, const json_t *extra, struct agent_session **ret,
		       struct cc_error *err)
{
	_cleanup_free_ char *path = ak_path(cfg), *canonical = NULL;
	_cleanup_json_ json_t *challenge = NULL, *runtime = NULL, *evidence = NULL, *log = NULL, *body = NULL;
	_cleanup_json_ json_t *auth =
	    json_pack("{s:s, s:s, s:{s:s}}", "version", "0.1.0", "tee", "tpm", "extra-params", "tenant", cfg->tenant);
	if (access(path, F_OK) != 0)
		return cc_error_set(err, ENOENT,
				    "the node has no attestation key in %s: run `cocoon attest agent register`",
				    cfg->state_dir);
	struct agent_session *s = cc_xcalloc(1, sizeof(*s));
	s->cfg = cfg;
	int r = call(cfg, NULL, "POST", "/kbs/v0/auth", auth, 200, &challenge, s->cookie, sizeof(s->cookie), err);
	if (r < 0)
		goto out;
	const char *nonce = json_string_value(json_object_get(challenge, "nonce"));
	if (!nonce || !s->cookie[0]) {
		r = cc_error_set(err, EPROTO, "the broker's challenge lacks a nonce or a session cookie");
		goto out;
	}
	/* A fresh TEE key per session: secrets come back encrypted to it and nothing else. */
	if (!(s->tee_key = EVP_EC_gen("prime256v1"))) {
		r = cc_error_set(err, EIO, "cannot generate the TEE key");
		goto out;
	}
	runtime = json_pack("{s:s, s:o}", "nonce", nonce, "tee-pubkey", tee_jwk(s->tee_key));
	if (cfg->pod) /* bound by the quote with the rest: the broker judges this pod's containers */
		json_object_set_new(runtime, "cocoon-pod", json_string(cfg->pod));
	if (extra)
		json_object_update(runtime, (json_t *)extra);
	canonical = cc_json_canonical(runtime);
	uint8_t binding[48];
	if ((r = cc_digest(CC_DIGEST_SHA384, canonical, strlen(canonical), binding, err)) < 0 ||
	    (r = agent_tpm_quote(cfg->tcti, path, cfg->pcr, binding, sizeof(binding), &evidence, err)) < 0 ||
	    (r = measurement_log(cfg, &log, err)) < 0)
		goto out;
	json_object_set_new(evidence, "node", json_string(cfg->node));
	json_object_set(evidence, "measurements", log);
	body = json_pack("{s:O, s:O}", "runtime-data", runtime, "tee-evidence", evidence);
	r = call(cfg, s->cookie, "POST", "/kbs/v0/attest", body, 200, NULL, NULL, 0, err);
out:
	if (r < 0)
		agent_session_free(s);
	else
		*ret = s;
	return r;
}

int agent_session_call(struct agent_session *s, const char *method, const char *path, const json_t *body, long want,
		       json_t **ret, struct cc_error *err)
{
	return call(s->cfg, s->cookie, method, path, body, want, ret, NULL, 0, err);
}

int agent_session_get_text(struct agent_session *s, const char *path, char **ret, struct cc_error *err)
{
	_cleanup_free_ char *url = cc_xasprintf("%s%s", s->cfg->kbs_url, path);
	struct cc_http_client_config client = { .ca_file = s->cfg->ca_file, .cookie = s->cookie, .timeout_ms = 30000 };
	struct cc_http_result res;
	int r = cc_http_client_request(&client, "GET", url, NULL, NULL, 0, &res, err);
	if (r < 0)
		return r;
	if (res.status != 200)
		r = cc_error_set(err, res.status == 404 ? ENOENT : EIO, "GET %s: HTTP %ld: %.*s", path, res.status,
				 (int)(res.body.len > 300 ? 300 : res.body.len), res.body.data ? res.body.data : "");
	else
		*ret = cc_xstrndup(res.body.data ? res.body.data : "", res.body.len);
	cc_http_result_free(&res);
	return r;
}

int agent_fetch(const struct agent_config *cfg, const char *resource, const char *out_path, struct cc_error *err)
{
	_cleanup_free_ char *resource_path = cc_xasprintf("/kbs/v0/resource/%s", resource);
	_cleanup_json_ json_t *jwe = NULL;
	struct agent_session *s = NULL;
	uint8_t *secret = NULL;
	size_t secret_len = 0;
	int r = agent_session_open(cfg, NULL, &s, err);
	if (r == 0 && (r = agent_session_call(s, "GET", resource_path, NULL, 200, &jwe, err)) == 0 &&
	    (r = cc_jose_jwe_decrypt_ecdh(s->tee_key, jwe, &secret, &secret_len, err)) == 0)
		r = cc_write_file_atomic(out_path, secret, secret_len, 0600, err);
	if (secret) {
		cc_wipe(secret, secret_len);
		free(secret);
	}
	agent_session_free(s);
	return r;
}
