/* The limit on pod certificates issued per node per minute (docs/design/pod-mtls.md, "Threat
 * model": churning pods must not mint certificates without bound). A token bucket per node of a
 * tenant, kept in the store so every broker on it counts against the same limit:
 *
 *   kbs/<tenant>/mtls/rate/<node>  {"tokens": what is left, "at": milliseconds of the last take}
 *
 * The bucket holds the tenant's `issuancesPerMinute` (kbs_mtls.h; 120 by default) and refills at
 * that many per minute, so a node may take the whole minute's worth at once (a restart that issues
 * for every pod) and then one every 60/N seconds. Each take is a compare-and-swap on the bucket. */
#pragma once

#include <stdint.h>

struct cc_error;
struct cc_store;

#define KBS_MTLS_RATE_DEFAULT 120
#define KBS_MTLS_RATE_MAX     10000

/* Takes one issuance from node's bucket at now_ms with per_minute (0: the default). 0 when taken;
 * -EAGAIN beyond the limit, with *ret_retry_after the seconds until one is free again. */
int kbs_mtls_rate_take(struct cc_store *store, const char *tenant, const char *node, int per_minute, int64_t now_ms,
		       int *ret_retry_after, struct cc_error *err);
