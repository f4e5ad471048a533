/* A tenant's mTLS configuration in the key broker (docs/design/pod-mtls.md, "The issuer"), kept in
 * the state store beside the tenant's other data (kbs_tenant.h), so several brokers on one etcd share
 * it:
 *
 *   kbs/<tenant>/mtls          the configuration, canonical JSON: {"trustDomain", "clusterDomain",
 *                              "lifetime" (seconds), "enabled", and "issuancesPerMinute" (per node;
 *                              kbs_mtls_rate.h's 120 when absent)}; without it nothing is issued
 *
 * The tenant's issuing CAs, their keys and their rotation are kbs_mtls_ca.h's. */
#pragma once

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;

#define KBS_MTLS_LIFETIME_DEFAULT 3600
#define KBS_MTLS_LIFETIME_MIN     600
#define KBS_MTLS_LIFETIME_MAX     86400
#define KBS_MTLS_CONFIG_MAX       4096

/* Checks the configuration (unknown fields refused; trustDomain required; clusterDomain defaults to
 * cluster.local, lifetime to 3600 s within 600-86400, enabled to true; issuancesPerMinute, 1-10000,
 * stays absent unless given) and stores it with the defaults filled in. *ret (optional) is what was
 * stored. */
int kbs_mtls_config_put(struct cc_store *store, const char *tenant, const char *text, size_t len, json_t **ret,
			struct cc_error *err);
/* -ENOENT when the tenant has no mTLS configuration. */
int kbs_mtls_config_get(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);
