/* The node's side of pod certificates (see agent_mtls.h). */
#include "agent/agent_mtls.h"

#include "agent/agent.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdlib.h>
#include <string.h>

static void free_secret(char *s)
{
	if (s) {
		cc_wipe(s, strlen(s));
		free(s);
	}
}

/* PKCS#8 PEM of key, through OpenSSL's secure heap. */
static char *key_pem(EVP_PKEY *key)
{
	BIO *bio = BIO_new(BIO_s_secmem());
	char *out = NULL;
	if (bio && PEM_write_bio_PrivateKey(bio, key, NULL, NULL, 0, NULL, NULL)) {
		char *data;
		long len = BIO_get_mem_data(bio, &data);
		out = cc_xstrndup(data, (size_t)len);
	}
	BIO_free(bio);
	return out;
}

static int material(struct agent_session *s, struct agent_mtls_material *m, struct cc_error *err)
{
	int r = agent_session_get_text(s, "/kbs/v0/mtls/bundle", &m->bundle, err);
	return r < 0 ? r : agent_session_get_text(s, "/kbs/v0/mtls/crl", &m->crl, err);
}

int agent_mtls_issue(const struct agent_config *cfg, const struct agent_mtls_request *req,
		     struct agent_mtls_result *ret, struct cc_error *err)
{
	*ret = (struct agent_mtls_result){ 0 };
	_cleanup_free_ char *csr = NULL;
	struct agent_session *s = NULL;
	uint8_t spki[CC_SPKI_DIGEST_SIZE];
	char hex[2 * CC_SPKI_DIGEST_SIZE + 1];
	EVP_PKEY *key = EVP_EC_gen("prime256v1");
	int r = key ? 0 : cc_error_set(err, EIO, "cannot generate the pod's key");
	if (r == 0)
		r = cc_csr_make(key, req->common_name, false, &csr, err);
	if (r == 0)
		r = cc_spki_sha384(key, spki, err);
	if (r == 0 && !(ret->key_pem = key_pem(key)))
		r = cc_error_set(err, EIO, "cannot encode the pod's key");
	EVP_PKEY_free(key);
	if (r < 0)
		return r;
	cc_hex_encode(spki, sizeof(spki), hex);
	_cleanup_json_ json_t *extra = json_pack("{s:[s]}", "cocoon-csr", hex);
	_cleanup_json_ json_t *body = json_pack("{s:s, s:s, s:o}", "csr", csr, "token", req->token, "dnsNames",
						req->dns_names ? json_incref((json_t *)req->dns_names) : json_array());
	if ((r = agent_session_open(cfg, extra, &s, err)) == 0 &&
	    (r = agent_session_call(s, "POST", "/kbs/v0/mtls/certificate", body, 201, &ret->answer, err)) == 0)
		r = material(s, &ret->material, err);
	agent_session_free(s);
	/* jansson's copy of the token, wiped before the body is freed */
	char *token = (char *)json_string_value(json_object_get(body, "token"));
	if (token)
		cc_wipe(token, strlen(token));
	if (r == 0 && (!json_string_value(json_object_get(ret->answer, "certificate")) ||
		       !json_string_value(json_object_get(ret->answer, "serial")) ||
		       !json_string_value(json_object_get(ret->answer, "notAfter"))))
		r = cc_error_set(err, EPROTO, "the broker's certificate answer lacks certificate, serial or notAfter");
	if (r < 0)
		agent_mtls_result_clear(ret);
	return r;
}

void agent_mtls_result_clear(struct agent_mtls_result *res)
{
	free_secret(res->key_pem);
	json_decref(res->answer);
	agent_mtls_material_clear(&res->material);
	*res = (struct agent_mtls_result){ 0 };
}

int agent_mtls_material_fetch(const struct agent_config *cfg, struct agent_mtls_material *ret, struct cc_error *err)
{
	*ret = (struct agent_mtls_material){ 0 };
	struct agent_session *s = NULL;
	int r = agent_session_open(cfg, NULL, &s, err);
	if (r == 0)
		r = material(s, ret, err);
	agent_session_free(s);
	if (r < 0)
		agent_mtls_material_clear(ret);
	return r;
}

void agent_mtls_material_clear(struct agent_mtls_material *m)
{
	free(m->bundle);
	free(m->crl);
	*m = (struct agent_mtls_material){ 0 };
}

int agent_mtls_revoke(const struct agent_config *cfg, const json_t *serials, const char *reason, struct cc_error *err)
{
	struct agent_session *s = NULL;
	_cleanup_json_ json_t *body = json_pack("{s:O, s:s}", "serials", serials, "reason", reason);
	int r = agent_session_open(cfg, NULL, &s, err);
	if (r == 0)
		r = agent_session_call(s, "POST", "/kbs/v0/mtls/revoke", body, 200, NULL, err);
	agent_session_free(s);
	return r;
}
