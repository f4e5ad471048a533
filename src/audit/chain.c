/* Hash chain and signed checkpoints (see chain.h). */
#include "audit/chain.h"

#include "audit/checkpoint_auth.h"
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void audit_chain_init(struct audit_chain *c)
{
	c->next_seq = 0;
	snprintf(c->prev, sizeof(c->prev), "sha256:%064d", 0);
}

int audit_chain_record_hash(const json_t *record, char out[AUDIT_HASH_MAX])
{
	json_t *copy = json_copy((json_t *)record);
	json_object_del(copy, "hash");
	_cleanup_free_ char *canonical = cc_json_canonical(copy);
	json_decref(copy);
	uint8_t md[32];
	if (cc_digest(CC_DIGEST_SHA256, canonical, strlen(canonical), md, NULL) < 0)
		return -EIO;
	memcpy(out, "sha256:", 7);
	cc_hex_encode(md, sizeof(md), out + 7);
	return 0;
}

int audit_chain_append(struct audit_chain *c, const struct cc_event *ev, char **ret_json, char ret_hash[AUDIT_HASH_MAX],
		       uint64_t *ret_seq, struct cc_error *err)
{
	/* The record's canonical form, {"event":...,"prev":"...","seq":N}, written directly (keys in
	 * sorted order); hashed, then the same text gets ,"hash":"..." before its closing brace.
	 * Verification removes "hash" and re-canonicalises, so the member's position is free. */
	struct cc_buf text = CC_BUF_INIT;
	cc_buf_reserve(&text, 2048); /* a typical record in one allocation */
	cc_buf_append_str(&text, "{\"event\":");
	cc_event_canonical_append(&text, ev);
	char seq[24];
	snprintf(seq, sizeof(seq), "%" PRIu64, c->next_seq);
	cc_buf_append_str(&text, ",\"prev\":\"");
	cc_buf_append_str(&text, c->prev);
	cc_buf_append_str(&text, "\",\"seq\":");
	cc_buf_append_str(&text, seq);
	cc_buf_append(&text, "}", 1);
	uint8_t md[32];
	if (cc_digest(CC_DIGEST_SHA256, text.data, text.len, md, err) < 0) {
		cc_buf_free(&text);
		return cc_error_prefix(err, "hash the chained record");
	}
	char hash[AUDIT_HASH_MAX];
	memcpy(hash, "sha256:", 7);
	cc_hex_encode(md, sizeof(md), hash + 7);
	text.len--; /* reopen the object */
	cc_buf_append_str(&text, ",\"hash\":\"");
	cc_buf_append_str(&text, hash);
	cc_buf_append(&text, "\"}", 2);
	*ret_json = cc_buf_steal(&text, NULL);

	memcpy(ret_hash, hash, AUDIT_HASH_MAX);
	*ret_seq = c->next_seq++;
	memcpy(c->prev, hash, AUDIT_HASH_MAX);
	return 0;
}

int audit_chain_checkpoint(const struct audit_chain *c, const uint8_t *key, size_t key_len, char **ret_json,
			   struct cc_error *err)
{
	if (c->next_seq == 0)
		return cc_error_set(err, EINVAL, "no record to checkpoint yet");
	char mac[AUDIT_AUTH_MAX], now[CC_TIME_RFC3339_MAX];
	int r = audit_checkpoint_authenticate(key, key_len, c->next_seq - 1, c->prev, mac, err);
	if (r < 0)
		return r;
	cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
	json_t *doc = json_pack("{s:{s:s, s:s, s:I, s:s}}", "checkpoint", "hash", c->prev, "mac", mac, "seq",
				(json_int_t)(c->next_seq - 1), "time", now);
	*ret_json = cc_json_canonical(doc);
	json_decref(doc);
	return 0;
}
