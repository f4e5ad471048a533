/* Named, versioned data-encryption keys (AES-256-GCM), as a KMS or Vault's transit engine keeps
 * them. A key is a ring of versions: encryption uses the primary (the newest), decryption any
 * version not retired, so data written before a rotation stays readable until it is rewrapped and
 * the old version retired. Every version's material is stored sealed under the root key with the
 * key's identity as associated data; a whole ring is one store value written by compare-and-swap,
 * so a crash in the middle of a rotation leaves the old ring or the new one, never a lost key.
 *
 * Store key: keys/<tenant>/<name>. Value (JSON):
 *   {"tenant", "name", "primary": 2, "versions": [{"version": 1, "state": "enabled"|"retired",
 *    "created": RFC3339, "material": base64(sealed 32 bytes)}, ...]}
 *
 * Ciphertext layout: 0x01 (format) || version (4 bytes, big-endian) || nonce (12) || data || tag (16);
 * the associated data binds tenant, name and version. */
#pragma once

#include "keys/root_key.h"

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;

#define KEYRING_OVERHEAD (1 + 4 + 12 + 16)

enum keyring_op { KEYRING_CREATE, KEYRING_ROTATE, KEYRING_RETIRE };

/* Tenants and names: 1-63 of [a-z0-9-], starting with a letter or digit (DNS-label style), so they
 * are safe in store keys, key ids and messages. */
int keyring_check_name(const char *what, const char *name, struct cc_error *err);

/* Creates a key with version 1 (-EEXIST if it exists), adds a new primary version, or retires
 * version (never the primary). *ret_version (optional) is the version created or retired. */
int keyring_change(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
		   enum keyring_op op, uint32_t version, uint32_t *ret_version, struct cc_error *err);

/* The key rings of a tenant as JSON, without material: [{"name", "primary", "versions": [{"version",
 * "state", "created"}]}]. */
int keyring_list(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err);

/* A key ring loaded into memory, material opened (wiped on free). */
struct keyring;

int keyring_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
		 struct keyring **ret, struct cc_error *err);
void keyring_free(struct keyring *kr);
/* The store revision it was loaded at, to notice changes by polling. */
int64_t keyring_revision(const struct keyring *kr);
uint32_t keyring_primary(const struct keyring *kr);
/* "<tenant>/<name>:v<version>": names a version for KMS key ids and messages. */
void keyring_version_id(const struct keyring *kr, uint32_t version, char *out, size_t size);

/* out must hold len + KEYRING_OVERHEAD bytes. Thread-safe (the ring is read-only once loaded). */
int keyring_encrypt(const struct keyring *kr, const void *plain, size_t len, uint8_t *out, struct cc_error *err);
/* out must hold len - KEYRING_OVERHEAD bytes; *ret_version (optional) says which version opened it.
 * -EBADMSG for tampered data, -ENOKEY for an unknown or retired version. */
int keyring_decrypt(const struct keyring *kr, const uint8_t *cipher, size_t len, uint8_t *out, size_t *ret_len,
		    uint32_t *ret_version, struct cc_error *err);
