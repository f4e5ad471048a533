/* Secrets encrypted at rest, as kube-apiserver's EncryptionConfiguration does it with a KMS: every
 * Secret is sealed with the platform's data-encryption key before it reaches the store, so neither
 * the SQLite file (or etcd) nor a backup of it holds a Secret in the clear. The key is a ring of
 * versions (keys/keyring.h: AES-256-GCM) kept in the same store under keys/platform/secrets, sealed
 * under the root key (keys/root_key.h: a 0600 file, made at first start, or tpm:PATH sealed to the
 * node's TPM). `cocoon key rotate --store ... --root-key ... platform secrets` adds a version; a
 * restart of cocoond takes it up; every Secret written after that uses it, older ones stay readable.
 *
 * A stored value is "cocoon:enc:v1:" followed by base64 of the keyring's ciphertext of
 * (store key, a newline, the object's JSON): bound to its key, so a value copied to another Secret's
 * key does not open. */
#pragma once

#include "platform/objects.h"

struct cc_error;
struct cc_store;
struct platform_secrets_at_rest;

/* root_key: a keys/root_key.h spec; the key ring is created on first use. */
int platform_secrets_at_rest_open(struct cc_store *store, const char *root_key, struct platform_secrets_at_rest **ret,
				  struct cc_error *err);
void platform_secrets_at_rest_free(struct platform_secrets_at_rest *s);
/* The transformer to give platform_objects_set_transformer for secrets (valid until freed). */
const struct platform_value_transformer *platform_secrets_at_rest_transformer(struct platform_secrets_at_rest *s);
