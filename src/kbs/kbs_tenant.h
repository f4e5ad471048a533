/* What the key broker keeps per tenant in the state store (lib/store), so several brokers on one
 * etcd cluster serve the same data:
 *
 *   kbs/<tenant>/policy                       the attestation policy (policy.h rules, JSON)
 *   kbs/<tenant>/resource/<repo>/<type>/<tag> a secret, sealed under the root key (AES-256-GCM, the
 *                                             store key as associated data, so values cannot be
 *                                             moved between tenants or paths)
 *   kbs/<tenant>/node/<name>                  a node's TPM attestation key (TPM2B_PUBLIC)
 *   kbs/<tenant>/enroll/<name>                a node's EK certificate, enrolled by an administrator;
 *                                             the node then registers its AK by credential activation
 *
 * Every name is checked here, before it reaches a store key. */
#pragma once

#include "keys/root_key.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;

#define KBS_RESOURCE_MAX (64u * 1024)

/* "repo/type/tag": three segments of [A-Za-z0-9._-], 1-128 characters, not "." or "..". */
int kbs_check_resource_path(const char *path, struct cc_error *err);

int kbs_resource_put(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     const char *path, const void *secret, size_t len, struct cc_error *err);
/* -ENOENT when the tenant has no such resource. *ret is malloc'd; wipe it after use. */
int kbs_resource_get(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     const char *path, uint8_t **ret, size_t *ret_len, struct cc_error *err);
int kbs_resource_delete(struct cc_store *store, const char *tenant, const char *path, struct cc_error *err);
/* ["repo/type/tag", ...] */
int kbs_resource_list(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);

/* The policy is checked (attest_policy_parse) before it is stored. */
int kbs_policy_put(struct cc_store *store, const char *tenant, const char *text, size_t len, struct cc_error *err);
/* -ENOENT when the tenant has none: the broker then refuses every attestation (fail closed). */
int kbs_policy_get(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);

int kbs_node_put(struct cc_store *store, const char *tenant, const char *node, const uint8_t *ak, size_t len,
		 struct cc_error *err);
/* The EK certificate (PEM or DER) an administrator enrolled for a node. */
int kbs_enrollment_put(struct cc_store *store, const char *tenant, const char *node, const uint8_t *cert, size_t len,
		       struct cc_error *err);
int kbs_enrollment_get(struct cc_store *store, const char *tenant, const char *node, uint8_t **ret, size_t *ret_len,
		       struct cc_error *err);

int kbs_node_get(struct cc_store *store, const char *tenant, const char *node, uint8_t **ret, size_t *ret_len,
		 struct cc_error *err);
