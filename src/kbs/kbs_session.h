/* Key broker sessions: one per `kbs-session-id` cookie, from the challenge (auth) through the
 * attestation to resource requests. A session belongs to one tenant and expires (5 minutes by
 * default); its challenge nonce can be answered once. Held in memory: a broker restart asks the
 * guests to attest again, which the protocol does on any 401. */
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
	char tenant[64];
	char tee[16];
	char nonce[64]; /* base64 of KBS_NONCE_SIZE random bytes, as sent in the challenge */
	int64_t expires_ns;
	bool attested;   /* the challenge was answered with authentic evidence */
	bool affirming;  /* ... and the tenant's policy was met */
	json_t *tee_key; /* the TEE's public JWK from the attestation */
	char *token;     /* the EAR token issued */
};

struct kbs_sessions *kbs_sessions_new(int ttl_seconds, int max_sessions);
void kbs_sessions_free(struct kbs_sessions *s);

/* A new challenged session; -EBUSY when the table is full of unexpired sessions. */
int kbs_session_create(struct kbs_sessions *s, const char *tenant, const char *tee, struct kbs_session *ret,
		       struct cc_error *err);

/* A copy of the session (tee_key referenced, token duplicated; release with kbs_session_release);
 * -ENOENT for an unknown or expired one. */
int kbs_session_get(struct kbs_sessions *s, const char *id, struct kbs_session *ret);
void kbs_session_release(struct kbs_session *copy);

/* Records the attestation outcome. The challenge can be answered once: -EALREADY afterwards, so a
 * replayed attestation is refused. Takes a reference to tee_key. */
int kbs_session_attested(struct kbs_sessions *s, const char *id, bool affirming, json_t *tee_key, const char *token);
