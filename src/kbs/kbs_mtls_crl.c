/* The tenant's CRL, cached in the store, and the CA bundle (see kbs_mtls_crl.h). */
#include "kbs/kbs_mtls_crl.h"

#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_ca.h"
#include "kbs/kbs_mtls_records.h"
#include "kbs/kbs_private.h"
#include "kbs/kbs_store_json.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/crl.h"
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
	int r = kbs_store_json_get(store, key, CACHE_MAX, "cached CRL", ret, ret_revision, err);
	if (r == -ENOENT) {
		*ret = json_object();
		return 0;
	}
	return r;
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
		r = kbs_store_json_put(store, key, cache, revision, err);
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

/* The records' revoked certificates that signer's CA issued. */
static struct cc_crl_entry *entries_of(const struct kbs_mtls_scan *scan, unsigned generation, size_t *ret_n)
{
	struct cc_crl_entry *entries = cc_xcalloc(scan->n_revoked ? scan->n_revoked : 1, sizeof(*entries));
	size_t n = 0;
	for (size_t i = 0; i < scan->n_revoked; i++)
		if (scan->revoked[i].issuer == generation)
			entries[n++] = (struct cc_crl_entry){ scan->revoked[i].serial, scan->revoked[i].revoked_at,
							      scan->revoked[i].reason };
	*ret_n = n;
	return entries;
}

/* One CRL per CA peers trust, each signed by its CA and listing what it issued, all with the same
 * number (each CA's sequence still only increases), concatenated as PEM: OpenSSL's -CRLfile and
 * X509_STORE take every CRL of a file and pick the issuer's. */
static int sign_all(const struct kbs_mtls_signers *signers, const struct kbs_mtls_scan *scan,
		    const struct cc_crl_request *base, char **ret_pem, struct cc_error *err)
{
	struct cc_buf out = { 0 };
	int r = 0;
	for (size_t i = 0; r == 0 && i < signers->n; i++) {
		const struct kbs_mtls_signer *ca = &signers->ca[i];
		struct cc_crl_request req = *base;
		_cleanup_free_ struct cc_crl_entry *entries = entries_of(scan, ca->generation, &req.n_entries);
		_cleanup_free_ char *pem = NULL;
		time_t ca_start = 0;
		req.entries = entries;
		r = cc_x509_time(X509_get0_notBefore(ca->cert), &ca_start, err);
		if (r == 0 && ca_start > req.this_update && ca_start <= base->this_update + SKEW)
			req.this_update = ca_start; /* a CA younger than the skew: its CRL starts with it */
		if (r == 0)
			r = cc_crl_build(&req, ca->cert, ca->key, &pem, err);
		if (r == 0)
			cc_buf_append_str(&out, pem);
	}
	if (r == 0)
		*ret_pem = cc_xstrndup(out.data ? out.data : "", out.len);
	cc_buf_free(&out);
	return r;
}

/* The previous CA retires once its stay passed and no certificate it issued is still valid and
 * unrevoked: 1 when it did now (the caller reads the CAs again), 0 when it stays. */
static int retire_previous(struct cc_store *store, const char *tenant, const struct kbs_mtls_signers *signers,
			   const struct kbs_mtls_scan *scan, time_t now, struct cc_error *err)
{
	if (signers->n < 2)
		return 0;
	const struct kbs_mtls_signer *previous = &signers->ca[1];
	if (now < previous->until || (scan->oldest_live_issuer && scan->oldest_live_issuer <= previous->generation))
		return 0;
	int r = kbs_mtls_ca_retire(store, tenant, previous->generation, err);
	return r < 0 ? r : 1;
}

/* The CRLs from the records, the next number; *ret_retired is the generation of a previous CA that
 * retired instead (-ESTALE then: read the CAs again). */
static int build(struct cc_store *store, const char *tenant, time_t now, time_t retention, const json_t *cache,
		 const struct kbs_mtls_signers *signers, json_t **ret, struct kbs_mtls_crl_info *info,
		 unsigned *ret_retired, struct cc_error *err)
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
	if ((r = retire_previous(store, tenant, signers, &scan, now, err)) != 0) {
		if (r == 1)
			*ret_retired = signers->ca[1].generation;
		kbs_mtls_scan_free(&scan);
		return r == 1 ? -ESTALE : r;
	}
	struct cc_crl_request req = {
		.number = (uint64_t)field(cache, "number") + 1,
		.this_update = now - SKEW,
		.next_update = now + (lifetime > 0 ? lifetime : KBS_MTLS_LIFETIME_DEFAULT),
	};
	_cleanup_free_ char *pem = NULL;
	r = sign_all(signers, &scan, &req, &pem, err);
	*info = (struct kbs_mtls_crl_info){ .number = req.number,
					    .built = true,
					    .entries = scan.n_revoked,
					    .issuers = signers->n,
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

int kbs_mtls_crl_current(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, time_t now,
			 time_t retention, char **ret_pem, struct kbs_mtls_crl_info *ret_info, struct cc_error *err)
{
	char key[128];
	if (cache_key(tenant, key, sizeof(key), err) < 0)
		return -EINVAL;
	unsigned retired = 0;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *cache = NULL, *fresh = NULL;
		int64_t revision;
		struct kbs_mtls_signers signers;
		int r = read_cache(store, key, &cache, &revision, err);
		if (r < 0)
			return r;
		if ((r = kbs_mtls_ca_signers(store, root, tenant, &signers, err)) == -ESTALE)
			continue; /* the previous CA retired while it was read */
		if (r < 0)
			return r;
		if (usable(cache, signers.digest, now)) {
			kbs_mtls_signers_free(&signers);
			*ret_pem = cc_xstrdup(json_string_value(json_object_get(cache, "crl")));
			*ret_info = (struct kbs_mtls_crl_info){ .number = (uint64_t)field(cache, "number"),
								.retired = retired };
			return 0;
		}
		r = build(store, tenant, now, retention, cache, &signers, &fresh, ret_info, &retired, err);
		if (r == 0) {
			/* the CAs it was signed by: a switch or a retirement makes another */
			json_object_set_new(fresh, "ca", json_string(signers.digest));
			r = kbs_store_json_put(store, key, fresh, revision, err);
		}
		kbs_mtls_signers_free(&signers);
		if (r == 0) {
			ret_info->retired = retired;
			*ret_pem = cc_xstrdup(json_string_value(json_object_get(fresh, "crl")));
			return 0;
		}
		if (r != -ESTALE)
			return r;
		/* another broker built one, a revocation marked it stale, or the previous CA retired: read
		 * again */
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
	if (info.retired) {
		_cleanup_free_ char *what = cc_xasprintf("mtls/ca generation %u", info.retired);
		kbs_record_as("cocoon-kbs", "kbs.mtls.ca.retire", tenant, what, true, NULL);
	}
	if (!info.built)
		return; /* served from the cache: nothing was decided or signed */
	json_t *extra = json_pack("{s:I, s:I, s:I}", "number", (json_int_t)info.number, "entries",
				  (json_int_t)info.entries, "issuers", (json_int_t)info.issuers);
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
	int r = kbs_mtls_ca_bundle(kbs->cfg.store, tenant, &pem, &err);
	if (r < 0)
		return refuse(req, resp, "kbs.mtls.crl", tenant, "bundle", r, &err);
	pem_response(resp, pem);
}
