/* The session table of the key broker (see kbs_session.h): a small array under a mutex, expired
 * entries reused; a broker serves a few thousand guests at most per five minutes. */
#include "kbs/kbs_session.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct kbs_sessions {
	pthread_mutex_t lock;
	int64_t ttl_ns;
	int max;
	struct kbs_session *table;
};

struct kbs_sessions *kbs_sessions_new(int ttl_seconds, int max_sessions)
{
	struct kbs_sessions *s = cc_xcalloc(1, sizeof(*s));
	s->table = cc_xcalloc((size_t)max_sessions, sizeof(*s->table));
	pthread_mutex_init(&s->lock, NULL);
	s->ttl_ns = (int64_t)ttl_seconds * 1000000000;
	s->max = max_sessions;
	return s;
}

static void clear(struct kbs_session *session)
{
	json_decref(session->tee_key);
	free(session->token);
	memset(session, 0, sizeof(*session));
}

void kbs_sessions_free(struct kbs_sessions *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->max; i++)
		clear(&s->table[i]);
	pthread_mutex_destroy(&s->lock);
	free(s->table);
	free(s);
}

static struct kbs_session *find(struct kbs_sessions *s, const char *id, int64_t now)
{
	for (int i = 0; i < s->max; i++)
		if (s->table[i].id[0] && strcmp(s->table[i].id, id) == 0 && s->table[i].expires_ns > now)
			return &s->table[i];
	return NULL;
}

int kbs_session_create(struct kbs_sessions *s, const char *tenant, const char *tee, struct kbs_session *ret,
		       struct cc_error *err)
{
	uint8_t id[32], nonce[KBS_NONCE_SIZE];
	if (cc_random_bytes(id, sizeof(id), err) < 0 || cc_random_bytes(nonce, sizeof(nonce), err) < 0)
		return -EIO;
	char *id_text = cc_base64url_encode(id, sizeof(id)), *nonce_text = cc_base64_encode(nonce, sizeof(nonce));
	int64_t now = cc_time_now_ns();
	int r = -EBUSY;
	pthread_mutex_lock(&s->lock);
	for (int i = 0; id_text && nonce_text && i < s->max; i++) {
		struct kbs_session *slot = &s->table[i];
		if (slot->id[0] && slot->expires_ns > now)
			continue;
		clear(slot);
		snprintf(slot->id, sizeof(slot->id), "%s", id_text);
		snprintf(slot->tenant, sizeof(slot->tenant), "%s", tenant);
		snprintf(slot->tee, sizeof(slot->tee), "%s", tee);
		snprintf(slot->nonce, sizeof(slot->nonce), "%s", nonce_text);
		slot->expires_ns = now + s->ttl_ns;
		*ret = *slot;
		r = 0;
		break;
	}
	pthread_mutex_unlock(&s->lock);
	free(id_text);
	free(nonce_text);
	if (r == -EBUSY)
		return cc_error_set(err, EBUSY, "too many attestation sessions in flight; try again shortly");
	return r;
}

int kbs_session_get(struct kbs_sessions *s, const char *id, struct kbs_session *ret)
{
	pthread_mutex_lock(&s->lock);
	struct kbs_session *found = find(s, id, cc_time_now_ns());
	if (found) {
		*ret = *found;
		json_incref(ret->tee_key);
		ret->token = found->token ? cc_xstrdup(found->token) : NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return found ? 0 : -ENOENT;
}

void kbs_session_release(struct kbs_session *copy)
{
	json_decref(copy->tee_key);
	free(copy->token);
	copy->tee_key = NULL;
	copy->token = NULL;
}

int kbs_session_attested(struct kbs_sessions *s, const char *id, bool affirming, json_t *tee_key, const char *token)
{
	pthread_mutex_lock(&s->lock);
	struct kbs_session *found = find(s, id, cc_time_now_ns());
	int r = !found ? -ENOENT : found->attested ? -EALREADY : 0;
	if (r == 0) {
		found->attested = true;
		found->affirming = affirming;
		found->tee_key = json_incref(tee_key);
		found->token = token ? cc_xstrdup(token) : NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
