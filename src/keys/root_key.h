/* The root key: the one key that encrypts every stored key version (envelope encryption), so the
 * store (SQLite file, etcd) never holds key material in the clear. Sources:
 *
 *   PATH or file:PATH   32 random bytes, raw or as 64 hex digits; the file must not be readable by
 *                       group or others (refused otherwise, as ssh does for private keys)
 *   tpm:PATH            a key sealed to the node's TPM (root_key_tpm.h); the TPM is the node's
 *                       (lib/tpm/tcti.h)
 *
 * A PKCS#11 token would plug in here too. */
#pragma once

#include <stdint.h>

struct cc_error;

#define KEYS_ROOT_KEY_SIZE 32

int keys_root_key_load(const char *spec, uint8_t ret_key[KEYS_ROOT_KEY_SIZE], struct cc_error *err);

/* Writes a new random root key to path (mode 0600, never overwriting). */
int keys_root_key_generate(const char *path, struct cc_error *err);
