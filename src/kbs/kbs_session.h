/* Key broker sessions: one per `kbs-session-id` cookie, from the challenge (auth) through the
 * attestation to resource requests. A session belongs to one tenant and expires (5 minutes by
 * default); its challenge nonce can be answered once. Held in memory: a broker restart asks the
 * guests to attest again, which the protocol does on any 401.
 *
 * Anyone may ask for a challenge, so challenges that were never answered with authentic evidence must
 * not crowd out guests (issue 11, finding 2: 4,100 auth requests on one connection used to fill the
 * table for five minutes). An unattested session lives only the challenge TTL (60 s), one source
 * address holds at most max_challenges_per_source of them (its oldest is replaced beyond that), and
 * when the table is full the oldest unattested session anywhere makes room. Only sessions that
 * presented authentic evidence keep their place for the whole session TTL. */
#pragma once

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct cc_error;
struct kbs_sessions;

#define KBS_SESSION_ID_SIZE 44 /* base64url of 32 random bytes, plus NUL */
#define KBS_NONCE_SIZE      32

struct kbs_session {
	char id[KBS_SESSION_ID_SIZE];
	char source[64]; /* the requester's address without its port */
	char tenant[64];
	char tee[16];
	char nonce[64]; /* base64 of KBS_NONCE_SIZE random bytes, as sent in the challenge */
	int64_t created_ns;
	int64_t expires_ns;
	bool attested;   /* the challenge was answered (rightly or wrongly: it cannot be answered again) */
	bool affirming;  /* ... and the tenant's policy was met */
	json_t *tee_key; /* the TEE's public JWK from the attestation: set only for authentic evidence */
	char *token;     /* the EAR token issued */
	/* What pod certificates need beyond the EAR (kbs_mtls_issue.h), or NULL when the runtime data
	 * bound no CSR keys: {node, evidenceDigest, policyDigest, csr: [...], logSeq: [...]} */
	json_t *facts;
};

struct kbs_session_limits {
	int session_ttl;               /* seconds a session lasts from its challenge (300) */
	int challenge_ttl;             /* seconds an unanswered or refused challenge lasts (60; at most session_ttl) */
	int max_sessions;              /* table size (4096) */
	int max_challenges_per_source; /* unattested sessions one address may hold (64) */
};

/* Zero fields take the defaults above. */
struct kbs_sessions *kbs_sessions_new(const struct kbs_session_limits *limits);
void kbs_sessions_free(struct kbs_sessions *s);

/* A new challenged session for a requester at source (an address without its port). Returns the number
 * of unattested sessions it replaced (0 or 1: source's oldest one when source is at its limit, else the
 * oldest anywhere when the table is full), or -EBUSY when the table is full of attested sessions. */
int kbs_session_create(struct kbs_sessions *s, const char *source, const char *tenant, const char *tee,
		       struct kbs_session *ret, struct cc_error *err);

/* A copy of the session (tee_key and facts referenced, token duplicated; release with kbs_session_release);
 * -ENOENT for an unknown or expired one. */
int kbs_session_get(struct kbs_sessions *s, const char *id, struct kbs_session *ret);
void kbs_session_release(struct kbs_session *copy);

/* Records the attestation outcome. The challenge can be answered once: -EALREADY afterwards, so a
 * replayed attestation is refused. Takes a reference to tee_key and facts (optional); with one (authentic evidence) the
 * session lasts the session TTL from its challenge, without one (a refused answer) it keeps the
 * challenge's short life and may be replaced. */
int kbs_session_attested(struct kbs_sessions *s, const char *id, bool affirming, json_t *tee_key, const char *token,
			 json_t *facts);
