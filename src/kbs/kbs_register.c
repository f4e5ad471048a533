/* TPM node registration with the key broker (Keylime's registrar model, over the KBS's HTTPS):
 *
 *   1. an administrator enrolls the node's EK certificate: PUT /kbs/v0/admin/<tenant>/node/<name>
 *      with the certificate (PEM or DER);
 *   2. the node sends its AK: POST /kbs/v0/node/register {"tenant", "node", "ak": base64 TPM2B_PUBLIC};
 *      the broker checks the EK certificate against --ek-ca and the AK's attributes, and answers a
 *      credential (TPM2_MakeCredential to the EK for the AK's name) with a registration id;
 *   3. the node's TPM activates the credential (TPM2_ActivateCredential succeeds only with that EK and
 *      that AK loaded together) and returns the secret: POST /kbs/v0/node/activate {"id", "secret"};
 *      the AK is then the node's, and its quotes are trusted.
 *
 * Pending registrations live in memory for 5 minutes and can be answered once. */
#include "kbs/kbs_register.h"

#include "attest/chain.h"
#include "attest/tpm_credential.h"
#include "attest/verifier.h"
#include "kbs/kbs_reply.h"
#include "kbs/kbs_tenant.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define PENDING_MAX    256
#define PENDING_TTL_NS (300ll * 1000000000)
#define AK_MAX         1024

struct pending {
	char id[48];
	char tenant[64], node[64];
	uint8_t ak[AK_MAX];
	size_t ak_len;
	uint8_t secret[32];
	int64_t expires_ns;
};

struct kbs_registrations {
	struct kbs_registrar_config cfg;
	pthread_mutex_t lock;
	struct pending table[PENDING_MAX];
};

struct kbs_registrations *kbs_registrations_new(const struct kbs_registrar_config *cfg)
{
	struct kbs_registrations *r = cc_xcalloc(1, sizeof(*r));
	r->cfg = *cfg;
	pthread_mutex_init(&r->lock, NULL);
	return r;
}

void kbs_registrations_free(struct kbs_registrations *r)
{
	if (!r)
		return;
	cc_wipe(r->table, sizeof(r->table));
	pthread_mutex_destroy(&r->lock);
	free(r);
}

static X509 *certificate(const uint8_t *data, size_t len)
{
	const unsigned char *p = data;
	X509 *cert = d2i_X509(NULL, &p, (long)len);
	if (!cert) {
		BIO *bio = BIO_new_mem_buf(data, (int)len);
		cert = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		BIO_free(bio);
	}
	return cert;
}

bool kbs_is_certificate(const uint8_t *data, size_t len)
{
	X509 *cert = certificate(data, len);
	X509_free(cert);
	return cert != NULL;
}

/* The enrolled EK certificate, checked against the EK CA bundle (the TPM manufacturer's roots and
 * intermediates; swtpm's local CA in tests). Returns the EK public key. */
static int enrolled_ek(const struct kbs_registrar_config *cfg, const char *tenant, const char *node, EVP_PKEY **ret,
		       struct cc_error *err)
{
	if (!cfg->ek_ca)
		return cc_error_set(err, ENOTSUP, "this broker has no EK CA configured (--ek-ca)");
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	int r = kbs_enrollment_get(cfg->store, tenant, node, &der, &len, err);
	if (r < 0)
		return r;
	X509 *ek = certificate(der, len);
	if (!ek)
		return cc_error_set(err, EUCLEAN, "the enrolled EK certificate of node `%s` does not parse", node);
	STACK_OF(X509) *bundle = NULL;
	struct attest_chain_options o = { .anchors_pem = cfg->ek_ca, .anchors_len = cfg->ek_ca_len };
	r = attest_pem_certificates(cfg->ek_ca, cfg->ek_ca_len, &bundle, err);
	if (r == 0)
		r = attest_chain_verify(ek, bundle, &o, "EK certificate", err);
	if (r == 0 && !(*ret = X509_get_pubkey(ek)))
		r = cc_error_set(err, EINVAL, "the EK certificate has no usable key");
	sk_X509_pop_free(bundle, X509_free);
	X509_free(ek);
	return r;
}

static int add_pending(struct kbs_registrations *regs, const char *tenant, const char *node, const uint8_t *ak,
		       size_t ak_len, const uint8_t secret[32], char *ret_id, struct cc_error *err)
{
	uint8_t raw[24];
	if (cc_random_bytes(raw, sizeof(raw), err) < 0)
		return -EIO;
	_cleanup_free_ char *id = cc_base64url_encode(raw, sizeof(raw));
	int64_t now = cc_time_now_ns();
	int r = cc_error_set(err, EBUSY, "too many registrations in flight; try again shortly");
	pthread_mutex_lock(&regs->lock);
	for (int i = 0; i < PENDING_MAX; i++) {
		struct pending *p = &regs->table[i];
		if (p->id[0] && p->expires_ns > now)
			continue;
		*p = (struct pending){ .ak_len = ak_len, .expires_ns = now + PENDING_TTL_NS };
		snprintf(p->id, sizeof(p->id), "%s", id);
		snprintf(p->tenant, sizeof(p->tenant), "%s", tenant);
		snprintf(p->node, sizeof(p->node), "%s", node);
		memcpy(p->ak, ak, ak_len);
		memcpy(p->secret, secret, 32);
		snprintf(ret_id, 48, "%s", id);
		r = 0;
		break;
	}
	pthread_mutex_unlock(&regs->lock);
	return r;
}

/* Removes and returns the pending registration (once only). */
static bool take_pending(struct kbs_registrations *regs, const char *id, struct pending *ret)
{
	bool found = false;
	int64_t now = cc_time_now_ns();
	pthread_mutex_lock(&regs->lock);
	for (int i = 0; i < PENDING_MAX && !found; i++) {
		struct pending *p = &regs->table[i];
		if (p->id[0] && strcmp(p->id, id) == 0 && p->expires_ns > now) {
			*ret = *p;
			cc_wipe(p, sizeof(*p));
			found = true;
		}
	}
	pthread_mutex_unlock(&regs->lock);
	return found;
}

void kbs_handle_register(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs_registrations *regs = userdata;
	_cleanup_json_ json_t *body = NULL;
	if (cc_http_request_json(req, resp, &body) < 0)
		return;
	const char *tenant = json_string_value(json_object_get(body, "tenant"));
	const char *node = json_string_value(json_object_get(body, "node"));
	const char *ak_text = json_string_value(json_object_get(body, "ak"));
	struct cc_error err = { 0 };
	_cleanup_free_ uint8_t *ak = NULL, *credential = NULL;
	size_t ak_len = 0, credential_len = 0, name_len = 0;
	uint8_t name[TPM_NAME_MAX], secret[32];
	EVP_PKEY *ek = NULL;
	char id[48];
	int r = 0;
	if (!tenant || !node || !ak_text || cc_base64_decode(ak_text, strlen(ak_text), &ak, &ak_len) < 0 ||
	    ak_len > AK_MAX)
		r = cc_error_set(&err, EINVAL, "the body needs tenant, node and ak (base64 TPM2B_PUBLIC)");
	if (r == 0)
		r = enrolled_ek(&regs->cfg, tenant, node, &ek, &err);
	if (r == 0 && (r = tpm_check_ak(ak, ak_len, &err)) == 0 &&
	    (r = tpm_object_name(ak, ak_len, name, &name_len, &err)) == 0 &&
	    (r = cc_random_bytes(secret, sizeof(secret), &err)) == 0 &&
	    (r = tpm_make_credential(ek, name, name_len, secret, sizeof(secret), &credential, &credential_len, &err)) ==
		0)
		r = add_pending(regs, tenant, node, ak, ak_len, secret, id, &err);
	EVP_PKEY_free(ek);
	cc_wipe(secret, sizeof(secret));
	if (r < 0) {
		kbs_record(req, "kbs.node.register", tenant, node, false, cc_error_message(&err));
		int status = r == -ENOENT ? 404 : r == -ENOTSUP ? 501 : r == -EBUSY ? 503 : 400;
		return kbs_problem(resp, status, "RegistrationRefused", "%s", cc_error_message(&err));
	}
	_cleanup_free_ char *text = cc_base64_encode(credential, credential_len);
	cc_http_response_json(resp, 200, json_pack("{s:s, s:s}", "id", id, "credential", text));
	kbs_record(req, "kbs.node.register", tenant, node, true, NULL);
}

void kbs_handle_activate(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs_registrations *regs = userdata;
	_cleanup_json_ json_t *body = NULL;
	if (cc_http_request_json(req, resp, &body) < 0)
		return;
	const char *id = json_string_value(json_object_get(body, "id"));
	const char *secret_text = json_string_value(json_object_get(body, "secret"));
	_cleanup_free_ uint8_t *secret = NULL;
	size_t secret_len = 0;
	struct pending p;
	struct cc_error err = { 0 };
	if (!id || !secret_text || cc_base64_decode(secret_text, strlen(secret_text), &secret, &secret_len) < 0)
		return kbs_problem(resp, 400, "InvalidRequest", "the body needs id and secret (base64)");
	if (!take_pending(regs, id, &p)) {
		kbs_record(req, "kbs.node.activate", NULL, id, false, "unknown or expired registration");
		return kbs_problem(resp, 404, "RegistrationNotFound",
				   "unknown or expired registration: register again");
	}
	bool proven = secret_len == sizeof(p.secret) && cc_equal_ct(secret, p.secret, sizeof(p.secret));
	int r = proven ? kbs_node_put(regs->cfg.store, p.tenant, p.node, p.ak, p.ak_len, &err) : -EACCES;
	cc_wipe(&p.secret, sizeof(p.secret));
	if (r < 0) {
		const char *why =
		    proven ? cc_error_message(&err) : "the credential was not activated by the enrolled TPM";
		kbs_record(req, "kbs.node.activate", p.tenant, p.node, false, why);
		return kbs_problem(resp, proven ? 500 : 403, "RegistrationRefused", "%s", why);
	}
	resp->status = 204;
	kbs_record(req, "kbs.node.activate", p.tenant, p.node, true, NULL);
}
