/* `cocoon audit verify`: checks delivered logs (JSON lines, or RFC 5424 lines whose MSG is the
 * chained record) and says where the chain breaks: deleted records (a gap in seq), altered ones
 * (hash mismatch), inserted or reordered ones (prev does not match), forged checkpoints. A record
 * delivered again (at-least-once delivery resends from the last acknowledged position after a
 * reconnect or restart) has the hash already seen for its seq: a duplicate, not an error. */
#pragma once

#include "audit/chain.h"
#include "lib/base/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct audit_verifier {
	const uint8_t *key; /* checkpoint key, or NULL to skip MAC checks */
	size_t key_len;
	bool subset; /* a routed output: gaps in seq are expected, each record is still checked */
	bool started;
	uint64_t last_seq;
	char last_hash[AUDIT_HASH_MAX];
	uint64_t records, duplicates, checkpoints, problems;
	uint8_t (*seen)[32]; /* hash of each seq seen, to recognise redelivered records */
	size_t seen_cap;
	bool checkpointed;         /* a valid-looking checkpoint was seen */
	uint64_t checkpointed_seq; /* the seq the last checkpoint covers */
	struct cc_buf report;      /* one line per problem: "FILE:LINE: what" */
};

void audit_verifier_init(struct audit_verifier *v, const uint8_t *key, size_t key_len);
void audit_verifier_free(struct audit_verifier *v);
/* Feeds one line (without newline); name and line number locate problems. */
void audit_verifier_line(struct audit_verifier *v, const char *name, size_t line_no, const char *line, size_t len);
/* Call after the last line: with a key, the log must end in a checkpoint over its last record. */
void audit_verifier_finish(struct audit_verifier *v, const char *name);
