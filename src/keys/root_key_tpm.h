/* A root key sealed to the node's TPM: 32 random bytes stored as a TPM sealed-data object under the
 * owner hierarchy's storage primary key (TPM 2.0 Part 1 §27.5). The file holds only the object's
 * public and (TPM-encrypted) private parts, so it is useless on any other TPM and cannot be copied off
 * the machine. Spec: `tpm:FILE`. */
#pragma once

#include "keys/root_key.h"

#include <stdint.h>

struct cc_error;

/* Seals a new random root key into FILE (JSON, mode 0600, never overwritten). */
int keys_root_key_tpm_seal(const char *tcti, const char *path, struct cc_error *err);

/* Unseals FILE's key with the TPM that sealed it. */
int keys_root_key_tpm_unseal(const char *tcti, const char *path, uint8_t ret_key[KEYS_ROOT_KEY_SIZE],
			     struct cc_error *err);
