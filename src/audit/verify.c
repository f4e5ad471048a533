/* Chain verification (see verify.h). */
#include "audit/verify.h"

#include "audit/checkpoint_auth.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/json/json.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void audit_verifier_init(struct audit_verifier *v, const uint8_t *key, size_t key_len)
{
	*v = (struct audit_verifier){ .key = key, .key_len = key_len };
}

void audit_verifier_free(struct audit_verifier *v)
{
	cc_buf_free(&v->report);
	free(v->seen);
}

static void remember(struct audit_verifier *v, uint64_t seq, const char *hash)
{
	if (seq > (1ull << 32) || strlen(hash) != 71)
		return; /* beyond any realistic log: duplicates of it then count as disorder */
	if (seq >= v->seen_cap) {
		size_t cap = v->seen_cap ? v->seen_cap : 4096;
		while (cap <= seq)
			cap *= 2;
		v->seen = cc_xrealloc(v->seen, cap * sizeof(*v->seen));
		memset(v->seen + v->seen_cap, 0, (cap - v->seen_cap) * sizeof(*v->seen));
		v->seen_cap = cap;
	}
	cc_hex_decode(hash + 7, v->seen[seq], 32);
}

static bool seen_before(const struct audit_verifier *v, uint64_t seq, const char *hash)
{
	uint8_t digest[32];
	return seq < v->seen_cap && strlen(hash) == 71 && cc_hex_decode(hash + 7, digest, 32) == 0 &&
	       memcmp(v->seen[seq], digest, 32) == 0;
}

__attribute__((format(printf, 4, 5))) static void problem(struct audit_verifier *v, const char *name, size_t line,
							  const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	cc_buf_appendf(&v->report, "%s:%zu: ", name, line);
	cc_buf_appendv(&v->report, fmt, ap);
	cc_buf_append_str(&v->report, "\n");
	va_end(ap);
	v->problems++;
}

static void checkpoint(struct audit_verifier *v, const char *name, size_t line_no, const json_t *cp)
{
	v->checkpoints++;
	const char *hash = json_string_value(json_object_get(cp, "hash"));
	const char *mac = json_string_value(json_object_get(cp, "mac"));
	json_t *seq_json = json_object_get(cp, "seq");
	if (!hash || !mac || !json_is_integer(seq_json)) {
		problem(v, name, line_no, "malformed checkpoint");
		return;
	}
	uint64_t seq = (uint64_t)json_integer_value(seq_json);
	if (v->key) {
		struct cc_error err = { 0 };
		int r = audit_checkpoint_check(v->key, v->key_len, seq, hash, mac, &err);
		if (r == -EBADMSG)
			problem(v, name, line_no,
				"checkpoint at seq %llu has an invalid MAC or signature (forged, or the wrong key)",
				(unsigned long long)seq);
		else if (r < 0)
			problem(v, name, line_no, "checkpoint at seq %llu cannot be checked: %s",
				(unsigned long long)seq, cc_error_message(&err));
	}
	/* A checkpoint resent with the records before it (after a restart) covers a seq seen before. */
	bool matches =
	    v->started && ((seq == v->last_seq && strcmp(hash, v->last_hash) == 0) || seen_before(v, seq, hash));
	if (!matches)
		problem(v, name, line_no,
			"checkpoint at seq %llu does not match the records before it (records removed or replaced)",
			(unsigned long long)seq);
	if (!v->checkpointed || seq > v->checkpointed_seq)
		v->checkpointed_seq = seq;
	v->checkpointed = true;
}

/* Where the JSON record of a line begins. JSON lines begin with it. RFC 5424 lines carry it as
 * MSG, so the header and the structured data are skipped by the RFC 5424 §6 grammar: six
 * space-free header fields, then "-" or SD elements whose quoted values may hold any byte, '{',
 * ']' and a BOM among them, with '"', '\' and ']' escaped (both found by fuzz_audit_line). */
static const char *record_start(const char *line, size_t len)
{
	if (len == 0 || line[0] != '<')
		return memchr(line, '{', len);
	const char *p = line, *end = line + len;
	for (int field = 0; field < 6; field++) {
		while (p < end && *p != ' ')
			p++;
		if (p == end)
			return NULL;
		p++;
	}
	if (p < end && *p == '-') {
		p++;
	} else {
		while (p < end && *p == '[') {
			bool quoted = false;
			for (p++; p < end; p++) {
				if (quoted && *p == '\\') {
					p++;
					continue;
				}
				if (*p == '"')
					quoted = !quoted;
				else if (*p == ']' && !quoted)
					break;
			}
			if (p == end)
				return NULL;
			p++;
		}
	}
	if (p < end && *p == ' ')
		p++;
	if (end - p >= 3 && memcmp(p, "\xEF\xBB\xBF", 3) == 0)
		p += 3;
	return p < end && *p == '{' ? p : NULL;
}

void audit_verifier_line(struct audit_verifier *v, const char *name, size_t line_no, const char *line, size_t len)
{
	const char *start = record_start(line, len);
	if (!start) {
		if (len > 0)
			problem(v, name, line_no, "no JSON record on this line");
		return;
	}
	_cleanup_json_ json_t *doc = NULL;
	struct cc_error err = { 0 };
	if (cc_json_parse(start, len - (size_t)(start - line), 1u << 20, "record", &doc, &err) < 0 ||
	    !json_is_object(doc)) {
		problem(v, name, line_no, "unreadable record (%s)",
			err.code ? cc_error_message(&err) : "not an object");
		return;
	}
	json_t *cp = json_object_get(doc, "checkpoint");
	if (cp) {
		checkpoint(v, name, line_no, cp);
		return;
	}
	json_t *seq_json = json_object_get(doc, "seq");
	const char *hash = json_string_value(json_object_get(doc, "hash"));
	const char *prev = json_string_value(json_object_get(doc, "prev"));
	if (!json_is_integer(seq_json) || !hash || !prev || !json_is_object(json_object_get(doc, "event"))) {
		problem(v, name, line_no, "not a chained record (seq, prev, hash and event are required)");
		return;
	}
	uint64_t seq = (uint64_t)json_integer_value(seq_json);
	char computed[AUDIT_HASH_MAX];
	audit_chain_record_hash(doc, computed);
	if (strcmp(computed, hash) != 0) {
		problem(v, name, line_no, "record seq %llu was altered (its hash does not match its content)",
			(unsigned long long)seq);
		/* Keep following the chain through the claimed hash, so one alteration is one report. */
		v->started = true;
		v->last_seq = seq;
		snprintf(v->last_hash, sizeof(v->last_hash), "%s", hash);
		return;
	}
	v->records++;
	if (!v->started) {
		if (seq != 0 && !v->subset)
			problem(v, name, line_no, "the chain starts at seq %llu: records 0..%llu are missing",
				(unsigned long long)seq, (unsigned long long)seq - 1);
		v->started = true;
	} else if (seq <= v->last_seq) {
		if (seen_before(v, seq, hash)) {
			v->duplicates++; /* redelivered after a reconnect or restart: the same record again */
			v->records--;
			return;
		}
		problem(v, name, line_no, "record seq %llu is out of order (after seq %llu): reordered or inserted",
			(unsigned long long)seq, (unsigned long long)v->last_seq);
		return;
	} else if (seq != v->last_seq + 1 && v->subset) {
		/* Routed output: records in between went elsewhere; nothing to link with. */
	} else if (seq != v->last_seq + 1) {
		problem(v, name, line_no, "records %llu..%llu are missing (deleted) before seq %llu",
			(unsigned long long)v->last_seq + 1, (unsigned long long)seq - 1, (unsigned long long)seq);
	} else if (strcmp(prev, v->last_hash) != 0) {
		problem(v, name, line_no,
			"record seq %llu does not follow seq %llu (prev hash differs): inserted or replaced",
			(unsigned long long)seq, (unsigned long long)v->last_seq);
	}
	v->last_seq = seq;
	snprintf(v->last_hash, sizeof(v->last_hash), "%s", hash);
	remember(v, seq, hash);
}

void audit_verifier_finish(struct audit_verifier *v, const char *name)
{
	if (!v->started) {
		problem(v, name, 0, "no chained records found");
		return;
	}
	/* With a key, the end of the log must be vouched for: records after the last checkpoint
	 * could be the stump of a log whose tail was cut off. */
	if (v->key && (!v->checkpointed || v->checkpointed_seq != v->last_seq))
		problem(v, name, 0,
			"records after seq %llu are not covered by a checkpoint: the log may have been cut off",
			v->checkpointed ? (unsigned long long)v->checkpointed_seq : 0ULL);
}
