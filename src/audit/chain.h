/* Tamper evidence: every event gets a sequence number and is chained to its predecessor,
 *   record = {"event": <canonical event>, "prev": <hash of previous record>, "seq": n}
 *   hash   = "sha256:" + SHA-256(canonical record without "hash")
 * and periodic checkpoints carry an authenticator over (seq, hash): an HMAC-SHA256 with a secret,
 * or an Ed25519 signature (checkpoint_auth.h), so a verifier holding the key can also prove the
 * chain's head was not cut off and regrown. Deleting, altering, reordering or inserting records breaks the chain. */
#pragma once

#include "lib/event/event.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define AUDIT_HASH_MAX 72 /* "sha256:" + 64 hex + NUL */

struct audit_chain {
	uint64_t next_seq;
	char prev[AUDIT_HASH_MAX];
};

void audit_chain_init(struct audit_chain *c);

/* Appends ev; *ret_json is the record with its "hash" field (malloc'd). */
int audit_chain_append(struct audit_chain *c, const struct cc_event *ev, char **ret_json, char ret_hash[AUDIT_HASH_MAX],
		       uint64_t *ret_seq, struct cc_error *err);

/* A checkpoint over the last record: {"checkpoint":{"hash","mac","seq","time"}}, "mac" holding
 * the authenticator of the key's kind (HMAC secret or Ed25519 PEM private key). */
int audit_chain_checkpoint(const struct audit_chain *c, const uint8_t *key, size_t key_len, char **ret_json,
			   struct cc_error *err);

/* Recomputes a record's hash (the record without its "hash" member). */
int audit_chain_record_hash(const json_t *record, char out[AUDIT_HASH_MAX]);
