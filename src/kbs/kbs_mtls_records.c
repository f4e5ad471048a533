/* Pod certificate records: revocation and the sweep (see kbs_mtls_records.h). The store offers
 * per-key compare-and-swap and ordered listing, no transactions, so each write is conditional on
 * the revision read and a conflict is read again; a listing is collected first and acted on after,
 * since a visitor may not call the store. */
#include "kbs/kbs_mtls_records.h"

#include "kbs/kbs_store_json.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECORD_MAX 8192 /* a record is some 400 bytes */
#define CAS_TRIES  8

int kbs_mtls_serial_normalize(const char *text, char out[CC_X509_SERIAL_HEX_MAX], struct cc_error *err)
{
	size_t n = text ? strlen(text) : 0;
	if (n < 2 || n > CC_X509_SERIAL_HEX_MAX - 1 || n % 2 != 0 || strspn(text, "0123456789abcdefABCDEF") != n)
		return cc_error_set(err, EINVAL, "serial `%.48s` is not 2 to 40 hex digits (two per octet)",
				    text ? text : "");
	for (size_t i = 0; i <= n; i++)
		out[i] = (char)(text[i] >= 'A' && text[i] <= 'F' ? text[i] - 'A' + 'a' : text[i]);
	return 0;
}

static int record_key(const char *tenant, const char *serial, char *out, size_t size, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	snprintf(out, size, "kbs/%s/mtls/issued/%s", tenant, serial);
	return 0;
}

static int get_record(struct cc_store *store, const char *key, const char *serial, json_t **ret, int64_t *ret_revision,
		      struct cc_error *err)
{
	int r = kbs_store_json_get(store, key, RECORD_MAX, "certificate record", ret, ret_revision, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "no certificate with serial %s was issued for this tenant", serial);
	return r;
}

int kbs_mtls_record_get(struct cc_store *store, const char *tenant, const char *serial, json_t **ret,
			struct cc_error *err)
{
	char key[256];
	if (record_key(tenant, serial, key, sizeof(key), err) < 0)
		return -EINVAL;
	return get_record(store, key, serial, ret, NULL, err);
}

int kbs_mtls_record_revoke(struct cc_store *store, const char *tenant, const char *serial, enum cc_crl_reason reason,
			   const char *by, time_t now, struct cc_error *err)
{
	char key[256];
	const char *reason_name = cc_crl_reason_name(reason);
	if (!reason_name)
		return cc_error_set(err, EINVAL, "revocation reason %d is not one of RFC 5280 §5.3.1's", (int)reason);
	if (record_key(tenant, serial, key, sizeof(key), err) < 0)
		return -EINVAL;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *rec = NULL;
		int64_t revision;
		int r = get_record(store, key, serial, &rec, &revision, err);
		if (r < 0)
			return r;
		if (json_object_get(rec, "revokedAt"))
			return 0;
		json_object_set_new(rec, "revokedAt", json_integer((json_int_t)now));
		json_object_set_new(rec, "reason", json_string(reason_name));
		json_object_set_new(rec, "revokedBy", json_string(by));
		r = kbs_store_json_put(store, key, rec, revision, err);
		if (r == 0)
			return 1;
		if (r != -ESTALE)
			return r;
	}
	return cc_error_set(err, EBUSY, "the record of serial %s kept changing while it was revoked; try again",
			    serial);
}

/* ---- listing ---- */

/* One record as a listing saw it. */
struct entry {
	char serial[CC_X509_SERIAL_HEX_MAX];
	char jti[40];
	char *node, *uid;
	time_t not_after, revoked_at; /* revoked_at 0: not revoked */
	enum cc_crl_reason reason;
	unsigned issuer;
};

struct listing {
	size_t prefix_len;
	struct entry *entries;
	size_t n, cap;
	size_t malformed;
};

static void listing_free(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->entries[i].node);
		free(l->entries[i].uid);
	}
	free(l->entries);
}

static int visit_record(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	(void)revision;
	struct listing *l = userdata;
	_cleanup_json_ json_t *rec = NULL;
	cc_json_parse(value, len, RECORD_MAX, "certificate record", &rec, NULL);
	const char *serial = key + l->prefix_len, *jti = json_string_value(json_object_get(rec, "jti"));
	json_t *not_after = json_object_get(rec, "notAfter");
	const char *reason = json_string_value(json_object_get(rec, "reason"));
	if (!json_is_object(rec) || !json_is_integer(not_after) || strlen(serial) >= CC_X509_SERIAL_HEX_MAX) {
		l->malformed++; /* kept, not judged: an administrator may look at it */
		return 0;
	}
	if (l->n == l->cap) {
		if (l->cap > SIZE_MAX / 2 / sizeof(*l->entries))
			return -ENOMEM;
		l->cap = l->cap ? 2 * l->cap : 64;
		l->entries = cc_xrealloc(l->entries, l->cap * sizeof(*l->entries));
	}
	struct entry *e = &l->entries[l->n++];
	memset(e, 0, sizeof(*e));
	snprintf(e->serial, sizeof(e->serial), "%s", serial);
	snprintf(e->jti, sizeof(e->jti), "%s", jti ? jti : "");
	e->node = cc_xstrdup(json_string_value(json_object_get(rec, "node")) ?: "");
	e->uid = cc_xstrdup(json_string_value(json_object_get(rec, "uid")) ?: "");
	e->not_after = (time_t)json_integer_value(not_after);
	e->revoked_at = (time_t)json_integer_value(json_object_get(rec, "revokedAt"));
	e->reason = reason ? cc_crl_reason_from_string(reason) : CC_CRL_REASON_UNSPECIFIED;
	/* records from before rotation name no CA: generation 1, the only one there was */
	json_int_t issuer = json_integer_value(json_object_get(rec, "ca"));
	e->issuer = issuer >= 1 && issuer <= UINT32_MAX ? (unsigned)issuer : 1;
	if (e->reason == CC_CRL_REASON_MAX)
		e->reason = CC_CRL_REASON_UNSPECIFIED;
	return 0;
}

static int list_records(struct cc_store *store, const char *tenant, struct listing *ret, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	_cleanup_free_ char *prefix = cc_xasprintf("kbs/%s/mtls/issued/", tenant);
	memset(ret, 0, sizeof(*ret));
	ret->prefix_len = strlen(prefix);
	int r = cc_store_list(store, prefix, visit_record, ret, err);
	if (r < 0)
		listing_free(ret);
	return r;
}

int kbs_mtls_revoke_node(struct cc_store *store, const char *tenant, const char *node, const char *uid,
			 enum cc_crl_reason reason, const char *by, time_t now, json_t *revoked, struct cc_error *err)
{
	struct listing l;
	int r = list_records(store, tenant, &l, err);
	if (r < 0)
		return r;
	int count = 0;
	for (size_t i = 0; r >= 0 && i < l.n; i++) {
		const struct entry *e = &l.entries[i];
		if (strcmp(e->node, node) != 0 || (uid && strcmp(e->uid, uid) != 0) || e->not_after <= now ||
		    e->revoked_at)
			continue;
		r = kbs_mtls_record_revoke(store, tenant, e->serial, reason, by, now, err);
		if (r == 1) {
			count++;
			json_array_append_new(revoked, json_string(e->serial));
		}
		if (r == -ENOENT) /* swept meanwhile: nothing left to revoke */
			r = 0;
	}
	listing_free(&l);
	return r < 0 ? r : count;
}

/* ---- the sweep ---- */

static int visit_ear(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	(void)value;
	(void)len;
	(void)revision;
	json_array_append_new(userdata, json_string(strrchr(key, '/') + 1));
	return 0;
}

static bool cited(const struct listing *l, const char *jti)
{
	for (size_t i = 0; i < l->n; i++)
		if (l->entries[i].serial[0] && strcmp(l->entries[i].jti, jti) == 0)
			return true;
	return false;
}

/* Removes the records past retention (their serial is then cleared in l) and the EARs of ears that
 * no remaining record cites. ears was listed before the records: an issuance writes its record
 * before its EAR, so every EAR listed has its record in l, and a fresh EAR is never taken for an
 * orphan. */
static int sweep(struct cc_store *store, const char *tenant, struct listing *l, const json_t *ears, time_t before,
		 struct kbs_mtls_scan *scan, struct cc_error *err)
{
	for (size_t i = 0; i < l->n; i++) {
		if (l->entries[i].not_after >= before)
			continue;
		_cleanup_free_ char *key = cc_xasprintf("kbs/%s/mtls/issued/%s", tenant, l->entries[i].serial);
		int r = cc_store_delete(store, key, err);
		if (r < 0 && r != -ENOENT)
			return r;
		scan->removed_records += r == 0;
		l->entries[i].serial[0] = '\0';
	}
	size_t i;
	const json_t *jti;
	json_array_foreach (ears, i, jti) {
		if (cited(l, json_string_value(jti)))
			continue;
		_cleanup_free_ char *key = cc_xasprintf("kbs/%s/mtls/ear/%s", tenant, json_string_value(jti));
		int r = cc_store_delete(store, key, err);
		if (r < 0 && r != -ENOENT)
			return r;
		scan->removed_ears += r == 0;
	}
	return 0;
}

static int by_serial(const void *a, const void *b)
{
	return strcmp(((const struct kbs_mtls_revoked *)a)->serial, ((const struct kbs_mtls_revoked *)b)->serial);
}

int kbs_mtls_records_scan(struct cc_store *store, const char *tenant, time_t now, bool do_sweep, time_t retention,
			  struct kbs_mtls_scan *ret, struct cc_error *err)
{
	memset(ret, 0, sizeof(*ret));
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	_cleanup_json_ json_t *ears = json_array();
	_cleanup_free_ char *ear_prefix = cc_xasprintf("kbs/%s/mtls/ear/", tenant);
	int r = do_sweep ? cc_store_list(store, ear_prefix, visit_ear, ears, err) : 0;
	struct listing l = { 0 };
	if (r == 0)
		r = list_records(store, tenant, &l, err);
	if (r < 0)
		return r;
	if (do_sweep)
		r = sweep(store, tenant, &l, ears, now - retention, ret, err);
	for (size_t i = 0; r == 0 && i < l.n; i++) {
		const struct entry *e = &l.entries[i];
		if (!e->serial[0] || e->not_after <= now)
			continue;
		if (!e->revoked_at) {
			if (!ret->oldest_live_issuer || e->issuer < ret->oldest_live_issuer)
				ret->oldest_live_issuer = e->issuer;
			continue;
		}
		/* at most l.n entries, which fit in memory already */
		ret->revoked = cc_xrealloc(ret->revoked, (ret->n_revoked + 1) * sizeof(*ret->revoked));
		struct kbs_mtls_revoked *v = &ret->revoked[ret->n_revoked++];
		memcpy(v->serial, e->serial, sizeof(v->serial));
		v->revoked_at = e->revoked_at;
		v->reason = e->reason;
		v->issuer = e->issuer;
	}
	listing_free(&l);
	if (r < 0) {
		kbs_mtls_scan_free(ret);
		return r;
	}
	if (ret->n_revoked > 1)
		qsort(ret->revoked, ret->n_revoked, sizeof(*ret->revoked), by_serial);
	return 0;
}

void kbs_mtls_scan_free(struct kbs_mtls_scan *scan)
{
	free(scan->revoked);
	memset(scan, 0, sizeof(*scan));
}
