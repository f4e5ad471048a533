/* What makes a checkpoint trustworthy: its authenticator over (seq, hash), in the checkpoint's
 * "mac" field. The key decides the kind:
 *   - a secret of 16 bytes or more: "hmac-sha256:<hex>". Whoever verifies holds the secret, and
 *     so could also forge checkpoints;
 *   - an Ed25519 key in PEM: "ed25519:<hex signature>". The forwarder signs with the private
 *     key; a SIEM or auditor verifies with the public key alone and cannot forge. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define AUDIT_AUTH_MAX 160 /* "ed25519:" + 128 hex + NUL, with room */

/* True when key holds a PEM key (Ed25519 expected) rather than an HMAC secret. */
bool audit_checkpoint_key_is_pem(const uint8_t *key, size_t key_len);

/* The authenticator of (seq, hash). Fails for a PEM key that is not an Ed25519 private key. */
int audit_checkpoint_authenticate(const uint8_t *key, size_t key_len, uint64_t seq, const char *hash,
				  char out[AUDIT_AUTH_MAX], struct cc_error *err);

/* 0 when auth authenticates (seq, hash) under key; -EBADMSG when it does not (forged, altered, or
 * another key); another negative errno when the key itself is unusable. A PEM key may be the
 * public or the private Ed25519 key. */
int audit_checkpoint_check(const uint8_t *key, size_t key_len, uint64_t seq, const char *hash, const char *auth,
			   struct cc_error *err);
