/* The session table of the key broker (see kbs_session.h): a small array under a mutex, expired
 * entries reused, unattested ones replaced oldest first; a broker serves a few thousand guests at most
 * per five minutes, so one linear pass per new challenge is cheap next to the TLS handshake. */
#include "kbs/kbs_session.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/log.h"
#include "lib/base/ratelimit.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_SESSION_TTL    300
#define DEFAULT_CHALLENGE_TTL  60
#define DEFAULT_MAX_SESSIONS   4096
#define DEFAULT_MAX_PER_SOURCE 64
#define NS_PER_S               1000000000ll

struct kbs_sessions {
	pthread_mutex_t lock;
	int64_t session_ttl_ns, challenge_ttl_ns;
	int max, max_per_source;
	struct kbs_session *table;
	struct cc_ratelimit replaced_log; /* under lock: a flood is told once per 10 s, with its count */
};

struct kbs_sessions *kbs_sessions_new(const struct kbs_session_limits *limits)
{
	struct kbs_sessions *s = cc_xcalloc(1, sizeof(*s));
	int session_ttl = limits->session_ttl > 0 ? limits->session_ttl : DEFAULT_SESSION_TTL;
	int challenge_ttl = limits->challenge_ttl > 0 ? limits->challenge_ttl : DEFAULT_CHALLENGE_TTL;
	s->session_ttl_ns = session_ttl * NS_PER_S;
	s->challenge_ttl_ns = (challenge_ttl < session_ttl ? challenge_ttl : session_ttl) * NS_PER_S;
	s->max = limits->max_sessions > 0 ? limits->max_sessions : DEFAULT_MAX_SESSIONS;
	s->max_per_source =
	    limits->max_challenges_per_source > 0 ? limits->max_challenges_per_source : DEFAULT_MAX_PER_SOURCE;
	s->table = cc_xcalloc((size_t)s->max, sizeof(*s->table));
	s->replaced_log = (struct cc_ratelimit)CC_RATELIMIT_INIT(10000, 1);
	pthread_mutex_init(&s->lock, NULL);
	return s;
}

static void clear(struct kbs_session *session)
{
	json_decref(session->tee_key);
	json_decref(session->facts);
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

/* A session that presented authentic evidence keeps its place; any other may be replaced. */
static bool proven(const struct kbs_session *session)
{
	return session->tee_key != NULL;
}

/* The slot for a new session from source, and whether it replaces a live unattested one: source's
 * oldest when source is at its limit; else a free or expired slot; else the oldest unattested
 * anywhere. NULL when every slot holds a live attested session. One pass over the table. */
static struct kbs_session *pick_slot(struct kbs_sessions *s, const char *source, int64_t now, bool *ret_replaced)
{
	struct kbs_session *free_slot = NULL, *oldest_here = NULL, *oldest = NULL;
	int here = 0;
	for (int i = 0; i < s->max; i++) {
		struct kbs_session *slot = &s->table[i];
		if (!slot->id[0] || slot->expires_ns <= now) {
			if (!free_slot)
				free_slot = slot;
			continue;
		}
		if (proven(slot))
			continue;
		if (!oldest || slot->created_ns < oldest->created_ns)
			oldest = slot;
		if (strcmp(slot->source, source) == 0) {
			here++;
			if (!oldest_here || slot->created_ns < oldest_here->created_ns)
				oldest_here = slot;
		}
	}
	*ret_replaced = true;
	if (here >= s->max_per_source)
		return oldest_here;
	*ret_replaced = false;
	if (free_slot)
		return free_slot;
	*ret_replaced = oldest != NULL;
	return oldest;
}

int kbs_session_create(struct kbs_sessions *s, const char *source, const char *tenant, const char *tee,
		       struct kbs_session *ret, struct cc_error *err)
{
	uint8_t id[32], nonce[KBS_NONCE_SIZE];
	if (cc_random_bytes(id, sizeof(id), err) < 0 || cc_random_bytes(nonce, sizeof(nonce), err) < 0)
		return -EIO;
	_cleanup_free_ char *id_text = cc_base64url_encode(id, sizeof(id));
	_cleanup_free_ char *nonce_text = cc_base64_encode(nonce, sizeof(nonce));
	int64_t now = cc_time_now_ns();
	bool replaced = false, tell = false;
	uint64_t held_back = 0;
	pthread_mutex_lock(&s->lock);
	struct kbs_session *slot = pick_slot(s, source, now, &replaced);
	if (replaced)
		tell = cc_ratelimit_allow(&s->replaced_log, &held_back);
	if (slot) {
		clear(slot);
		snprintf(slot->id, sizeof(slot->id), "%s", id_text);
		snprintf(slot->source, sizeof(slot->source), "%s", source);
		snprintf(slot->tenant, sizeof(slot->tenant), "%s", tenant);
		snprintf(slot->tee, sizeof(slot->tee), "%s", tee);
		snprintf(slot->nonce, sizeof(slot->nonce), "%s", nonce_text);
		slot->created_ns = now;
		slot->expires_ns = now + s->challenge_ttl_ns;
		*ret = *slot;
	}
	pthread_mutex_unlock(&s->lock);
	if (tell)
		cc_warning("key broker: a challenge from %s replaced an unanswered one (at most %d unattested sessions "
			   "per address, %d in all); %" PRIu64 " more since the last report",
			   source, s->max_per_source, s->max, held_back);
	if (!slot)
		return cc_error_set(err, EBUSY, "too many attested sessions in flight; try again shortly");
	return replaced ? 1 : 0;
}

int kbs_session_get(struct kbs_sessions *s, const char *id, struct kbs_session *ret)
{
	pthread_mutex_lock(&s->lock);
	struct kbs_session *found = find(s, id, cc_time_now_ns());
	if (found) {
		*ret = *found;
		json_incref(ret->tee_key);
		json_incref(ret->facts);
		ret->token = found->token ? cc_xstrdup(found->token) : NULL;
	}
	pthread_mutex_unlock(&s->lock);
	return found ? 0 : -ENOENT;
}

void kbs_session_release(struct kbs_session *copy)
{
	json_decref(copy->tee_key);
	json_decref(copy->facts);
	free(copy->token);
	copy->tee_key = NULL;
	copy->facts = NULL;
	copy->token = NULL;
}

int kbs_session_attested(struct kbs_sessions *s, const char *id, bool affirming, json_t *tee_key, const char *token,
			 json_t *facts)
{
	pthread_mutex_lock(&s->lock);
	struct kbs_session *found = find(s, id, cc_time_now_ns());
	int r = !found ? -ENOENT : found->attested ? -EALREADY : 0;
	if (r == 0) {
		found->attested = true;
		found->affirming = affirming;
		found->tee_key = json_incref(tee_key);
		found->token = token ? cc_xstrdup(token) : NULL;
		found->facts = json_incref(facts);
		if (tee_key)
			found->expires_ns = found->created_ns + s->session_ttl_ns;
	}
	pthread_mutex_unlock(&s->lock);
	return r;
}
