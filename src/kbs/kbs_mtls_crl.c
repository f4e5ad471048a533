/* The tenant's CRL, cached in the store, and the CA bundle (see kbs_mtls_crl.h). */
#include "kbs/kbs_mtls_crl.h"

#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_records.h"
#include "kbs/kbs_private.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/crl.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/x509.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_MAX (CC_CRL_MAX + 4096)
#define CAS_TRIES 8
#define SKEW      60 /* thisUpdate lies this far back, as a leaf's notBefore does, for peers' clocks */
#define PEM_TYPE  "application/x-pem-file"

static int cache_key(const char *tenant, char *out, size_t size, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	snprintf(out, size, "kbs/%s/mtls/crl", tenant);
	return 0;
}

/* The cached entry and its revision (CC_STORE_ABSENT and an empty object when there is none). */
static int read_cache(struct cc_store *store, const char *key, json_t **ret, int64_t *ret_revision,
		      struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_store_get(store, key, &text, &len, ret_revision, err);
	if (r == -ENOENT) {
		*ret_revision = CC_STORE_ABSENT;
		*ret = json_object();
		return 0;
	}
	if (r == 0 && (r = cc_json_parse(text, len, CACHE_MAX, "cached CRL", ret, err)) == 0 && !json_is_object(*ret)) {
		json_decref(*ret);
		r = cc_error_set(err, EUCLEAN, "store: %s is not a JSON object", key);
	}
	return r;
}

static int write_cache(struct cc_store *store, const char *key, const json_t *value, int64_t revision,
		       struct cc_error *err)
{
	_cleanup_free_ char *text = cc_json_canonical(value);
	if (!text)
		return cc_error_set(err, ENOMEM, "cannot encode the CRL cache entry");
	return cc_store_put(store, key, text, strlen(text), revision, NULL, err);
}

int kbs_mtls_crl_invalidate(struct cc_store *store, const char *tenant, struct cc_error *err)
{
	char key[128];
	if (cache_key(tenant, key, sizeof(key), err) < 0)
		return -EINVAL;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *cache = NULL;
		int64_t revision;
		int r = read_cache(store, key, &cache, &revision, err);
		if (r < 0)
			return r;
		/* written even when absent or stale already: a broker building from a listing made
		 * before this revocation then fails its compare-and-swap and lists again */
		json_object_set_new(cache, "stale", json_true());
		r = write_cache(store, key, cache, revision, err);
		if (r != -ESTALE)
			return r;
	}
	return cc_error_set(err, EBUSY, "the CRL of tenant `%s` kept changing while it was marked stale", tenant);
}

static int64_t field(const json_t *cache, const char *name)
{
	return (int64_t)json_integer_value(json_object_get(cache, name));
}

static bool usable(const json_t *cache, const char *ca_digest, time_t now)
{
	const char *ca = json_string_value(json_object_get(cache, "ca"));
	return json_string_value(json_object_get(cache, "crl")) && !json_is_true(json_object_get(cache, "stale")) &&
	       ca && strcmp(ca, ca_digest) == 0 && now - (field(cache, "thisUpdate") + SKEW) < KBS_MTLS_CRL_REFRESH &&
	       now >= field(cache, "thisUpdate");
}

/* One CRL from the records, signed by the tenant's CA: the scan's revoked serials, the next number. */
static int build(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, time_t now,
		 time_t retention, const json_t *cache, json_t **ret, struct kbs_mtls_crl_info *info,
		 struct cc_error *err)
{
	_cleanup_json_ json_t *cfg = NULL;
	int r = kbs_mtls_config_get(store, tenant, &cfg, err);
	if (r < 0)
		return r;
	json_int_t lifetime = json_integer_value(json_object_get(cfg, "lifetime"));
	bool sweep = now - field(cache, "sweptAt") >= KBS_MTLS_SWEEP_INTERVAL;
	struct kbs_mtls_scan scan;
	if ((r = kbs_mtls_records_scan(store, tenant, now, sweep, retention, &scan, err)) < 0)
		return r;
	struct cc_crl_entry *entries = cc_xcalloc(scan.n_revoked ? scan.n_revoked : 1, sizeof(*entries));
	for (size_t i = 0; i < scan.n_revoked; i++)
		entries[i] =
		    (struct cc_crl_entry){ scan.revoked[i].serial, scan.revoked[i].revoked_at, scan.revoked[i].reason };
	struct cc_crl_request req = {
		.entries = entries,
		.n_entries = scan.n_revoked,
		.number = (uint64_t)field(cache, "number") + 1,
		.this_update = now - SKEW,
		.next_update = now + (lifetime > 0 ? lifetime : KBS_MTLS_LIFETIME_DEFAULT),
	};
	X509 *ca = NULL;
	EVP_PKEY *ca_key = NULL;
	_cleanup_free_ char *pem = NULL;
	time_t ca_start = 0;
	r = kbs_mtls_ca_load(store, root, tenant, &ca, &ca_key, err);
	if (r == 0)
		r = cc_x509_time(X509_get0_notBefore(ca), &ca_start, err);
	if (r == 0 && ca_start > req.this_update && ca_start <= now)
		req.this_update = ca_start; /* a CA younger than the skew: its CRL starts with it */
	if (r == 0)
		r = cc_crl_build(&req, ca, ca_key, &pem, err);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	free(entries);
	*info = (struct kbs_mtls_crl_info){ .number = req.number,
					    .built = true,
					    .entries = scan.n_revoked,
					    .swept = sweep,
					    .removed_records = scan.removed_records,
					    .removed_ears = scan.removed_ears };
	kbs_mtls_scan_free(&scan);
	if (r < 0)
		return r;
	*ret = json_pack("{s:I, s:I, s:I, s:I, s:b, s:s}", "number", (json_int_t)req.number, "thisUpdate",
			 (json_int_t)req.this_update, "nextUpdate", (json_int_t)req.next_update, "sweptAt",
			 (json_int_t)(sweep ? now : field(cache, "sweptAt")), "stale", 0, "crl", pem);
	return 0;
}

static int ca_digest_of(struct cc_store *store, const char *tenant, char out[65], struct cc_error *err)
{
	_cleanup_free_ char *pem = NULL;
	uint8_t digest[32];
	int r = kbs_mtls_ca_certificate(store, tenant, &pem, err);
	if (r == 0)
		r = cc_digest(CC_DIGEST_SHA256, pem, strlen(pem), digest, err);
	if (r == 0)
		cc_hex_encode(digest, sizeof(digest), out);
	return r;
}

int kbs_mtls_crl_current(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, time_t now,
			 time_t retention, char **ret_pem, struct kbs_mtls_crl_info *ret_info, struct cc_error *err)
{
	char key[128];
	if (cache_key(tenant, key, sizeof(key), err) < 0)
		return -EINVAL;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *cache = NULL, *fresh = NULL;
		int64_t revision;
		char ca[65];
		int r = read_cache(store, key, &cache, &revision, err);
		if (r == 0)
			r = ca_digest_of(store, tenant, ca, err);
		if (r < 0)
			return r;
		if (usable(cache, ca, now)) {
			*ret_pem = cc_xstrdup(json_string_value(json_object_get(cache, "crl")));
			*ret_info = (struct kbs_mtls_crl_info){ .number = (uint64_t)field(cache, "number") };
			return 0;
		}
		if ((r = build(store, root, tenant, now, retention, cache, &fresh, ret_info, err)) < 0)
			return r;
		json_object_set_new(fresh, "ca", json_string(ca));
		r = write_cache(store, key, fresh, revision, err);
		if (r == 0) {
			*ret_pem = cc_xstrdup(json_string_value(json_object_get(fresh, "crl")));
			return 0;
		}
		if (r != -ESTALE)
			return r;
		/* another broker built one, or a revocation marked it stale: read again */
	}
	return cc_error_set(err, EBUSY, "the CRL of tenant `%s` kept changing while it was built; ask again", tenant);
}

/* ---- the routes ---- */

static void pem_response(struct cc_http_response *resp, const char *pem)
{
	resp->status = 200;
	snprintf(resp->content_type, sizeof(resp->content_type), PEM_TYPE);
	cc_buf_reset(&resp->body);
	cc_buf_append_str(&resp->body, pem);
}

/* The requester's tenant: an attested session's (cookie) or an EAR's (bearer), any verdict. false
 * after answering 401 and recording the refusal as `action`. */
static bool tenant_of(struct kbs *kbs, const struct cc_http_request *req, struct cc_http_response *resp,
		      const char *action, const char *what, char *tenant, size_t size)
{
	struct cc_error err = { 0 };
	bool affirming;
	_cleanup_json_ json_t *tee_key = NULL;
	if (kbs_requester(kbs, req, tenant, size, &affirming, &tee_key, &err) == 0)
		return true;
	kbs_record(req, action, NULL, what, false, cc_error_message(&err));
	kbs_problem(resp, 401, "UnAuthenticated", "%s", cc_error_message(&err));
	return false;
}

static void refuse(const struct cc_http_request *req, struct cc_http_response *resp, const char *action,
		   const char *tenant, const char *what, int r, const struct cc_error *err)
{
	kbs_record(req, action, tenant, what, false, cc_error_message(err));
	if (r == -ENOENT)
		return kbs_problem(resp, 404, "MtlsNotConfigured", "%s", cc_error_message(err));
	kbs_problem(resp, r == -EBUSY ? 503 : 500, "Internal", "%s", cc_error_message(err));
}

void kbs_mtls_handle_crl(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	char tenant[64];
	if (!tenant_of(kbs, req, resp, "kbs.mtls.crl", "crl", tenant, sizeof(tenant)))
		return;
	struct cc_error err = { 0 };
	_cleanup_free_ char *pem = NULL;
	struct kbs_mtls_crl_info info;
	int r = kbs_mtls_crl_current(kbs->cfg.store, kbs->root, tenant, time(NULL),
				     kbs->cfg.mtls_retention ? kbs->cfg.mtls_retention : KBS_MTLS_RETENTION_DEFAULT,
				     &pem, &info, &err);
	if (r < 0)
		return refuse(req, resp, "kbs.mtls.crl", tenant, "crl", r, &err);
	pem_response(resp, pem);
	if (!info.built)
		return; /* served from the cache: nothing was decided or signed */
	json_t *extra = json_pack("{s:I, s:I}", "number", (json_int_t)info.number, "entries", (json_int_t)info.entries);
	if (info.swept)
		json_object_set_new(extra, "swept",
				    json_pack("{s:I, s:I}", "records", (json_int_t)info.removed_records, "ears",
					      (json_int_t)info.removed_ears));
	kbs_record_extra(req->peer ? req->peer->address : NULL, "kbs.mtls.crl", tenant, "crl", true, NULL, extra);
}

void kbs_mtls_handle_bundle(const struct cc_http_request *req, struct cc_http_response *resp, void *userdata)
{
	struct kbs *kbs = userdata;
	char tenant[64];
	if (!tenant_of(kbs, req, resp, "kbs.mtls.crl", "bundle", tenant, sizeof(tenant)))
		return;
	struct cc_error err = { 0 };
	_cleanup_free_ char *pem = NULL;
	/* one active CA today; a rotation's second CA joins it here (design step 2, not built) */
	int r = kbs_mtls_ca_certificate(kbs->cfg.store, tenant, &pem, &err);
	if (r < 0)
		return refuse(req, resp, "kbs.mtls.crl", tenant, "bundle", r, &err);
	pem_response(resp, pem);
}
