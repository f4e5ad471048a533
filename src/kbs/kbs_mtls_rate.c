/* Issuances per node per minute, a token bucket in the store (see kbs_mtls_rate.h). */
#include "kbs/kbs_mtls_rate.h"

#include "kbs/kbs_store_json.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define CAS_TRIES  8
#define BUCKET_MAX 256

/* What is left in the bucket at now_ms: the stored tokens plus the refill since, at most full. A
 * bucket from a clock ahead of ours refills nothing until ours catches up. */
static double tokens_at(const json_t *bucket, double full, int64_t now_ms)
{
	json_t *tokens = json_object_get(bucket, "tokens");
	if (!json_is_number(tokens))
		return full;
	int64_t since = now_ms - (int64_t)json_integer_value(json_object_get(bucket, "at"));
	double left = json_number_value(tokens) + (since > 0 ? (double)since * full / 60000.0 : 0);
	return left > full ? full : left < 0 ? 0 : left;
}

int kbs_mtls_rate_take(struct cc_store *store, const char *tenant, const char *node, int per_minute, int64_t now_ms,
		       int *ret_retry_after, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0 || keyring_check_name("node", node, err) < 0)
		return -EINVAL;
	double full = per_minute > 0 && per_minute <= KBS_MTLS_RATE_MAX ? per_minute : KBS_MTLS_RATE_DEFAULT;
	_cleanup_free_ char *key = cc_xasprintf("kbs/%s/mtls/rate/%s", tenant, node);
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *bucket = NULL;
		int64_t revision;
		int r = kbs_store_json_get(store, key, BUCKET_MAX, "issuance bucket", &bucket, &revision, err);
		if (r < 0 && r != -ENOENT)
			return r;
		double left = tokens_at(bucket, full, now_ms);
		if (left < 1) {
			/* whole seconds, rounded up (the margin keeps 20.000001 from being 21) */
			*ret_retry_after = (int)((1 - left) * 60.0 / full - 1e-6) + 1;
			return cc_error_set(err, EAGAIN,
					    "node `%s` of tenant `%s` reached its limit of %.0f pod certificates per "
					    "minute (issuancesPerMinute); ask again in %d s",
					    node, tenant, full, *ret_retry_after);
		}
		json_decref(bucket);
		bucket = json_pack("{s:f, s:I}", "tokens", left - 1, "at", (json_int_t)now_ms);
		r = kbs_store_json_put(store, key, bucket, revision, err);
		if (r != -ESTALE)
			return r;
	}
	return cc_error_set(err, EBUSY, "the issuance count of node `%s` kept changing; ask again", node);
}
