/* Authentication (see authn.h). */
#include "platform/authn.h"

#include "lib/base/cleanup.h"
#include "lib/net/http.h"
#include "lib/net/peer.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

struct platform_authn {
	bool anonymous;
	platform_group_source_fn group_source;
	void *group_source_ctx;
	struct platform_token_authenticator tokens[PLATFORM_TOKEN_AUTHENTICATORS_MAX];
	size_t token_count;
};

struct platform_authn *platform_authn_new(bool anonymous)
{
	struct platform_authn *a = cc_xcalloc(1, sizeof(*a));
	a->anonymous = anonymous;
	return a;
}

void platform_authn_set_group_source(struct platform_authn *a, platform_group_source_fn fn, void *ctx)
{
	a->group_source = fn;
	a->group_source_ctx = ctx;
}

/* The groups of elsewhere, then system:authenticated; on a refusal the user is cleared. */
static int complete(struct platform_authn *a, struct platform_user *user, char *why, size_t size)
{
	if (a->group_source) {
		int r = a->group_source(a->group_source_ctx, user, why, size);
		if (r < 0) {
			platform_user_clear(user);
			return r;
		}
	}
	platform_user_add_group(user, "system:authenticated");
	return 0;
}

void platform_authn_free(struct platform_authn *a)
{
	free(a);
}

int platform_authn_add_token_authenticator(struct platform_authn *a, const struct platform_token_authenticator *t)
{
	if (a->token_count >= PLATFORM_TOKEN_AUTHENTICATORS_MAX)
		return -ENOSPC;
	a->tokens[a->token_count++] = *t;
	return 0;
}

static void from_certificate(const struct cc_peer *peer, struct platform_user *user)
{
	platform_user_init(user, peer->common_name, "x509");
	for (int i = 0; i < peer->group_count; i++)
		platform_user_add_group(user, peer->groups[i]);
}

/* The local socket is root's (mode 0600): root, and cocoond's own user, administer the cluster. */
static void from_credentials(const struct cc_peer *peer, struct platform_user *user)
{
	char name[32];
	snprintf(name, sizeof(name), "uid:%u", (unsigned)peer->uid);
	platform_user_init(user, name, "unix");
	if (peer->uid == 0 || peer->uid == geteuid())
		platform_user_add_group(user, "system:masters");
}

/* "Bearer TOKEN" (the scheme case-insensitive, as RFC 6750 has it); NULL when absent. */
static const char *bearer_token(const struct cc_http_request *req)
{
	const char *h = cc_http_request_header(req, "authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return NULL;
	h += 7;
	while (*h == ' ')
		h++;
	return *h ? h : NULL;
}

static int from_token(struct platform_authn *a, const char *token, struct platform_user *user, char *why, size_t size)
{
	for (size_t i = 0; i < a->token_count; i++) {
		int r = a->tokens[i].authenticate(a->tokens[i].ctx, token, user, why, size);
		if (r <= 0)
			return r;
	}
	snprintf(why, size, "the bearer token is not one any authenticator accepts");
	return -EACCES;
}

int platform_authn_token(struct platform_authn *a, const char *token, struct platform_user *user, char *why,
			 size_t size)
{
	int r = from_token(a, token, user, why, size);
	return r < 0 ? r : complete(a, user, why, size);
}

int platform_authn_authenticate(struct platform_authn *a, const struct cc_http_request *req, struct platform_user *user,
				char *why, size_t size)
{
	const struct cc_peer *peer = req->peer;
	const char *token = bearer_token(req);
	if (peer->cert_verified)
		from_certificate(peer, user);
	else if (peer->is_unix && peer->have_credentials)
		from_credentials(peer, user);
	else if (token) {
		int r = from_token(a, token, user, why, size);
		if (r < 0)
			return r;
	} else if (a->anonymous) {
		platform_user_init(user, "system:anonymous", "anonymous");
		platform_user_add_group(user, "system:unauthenticated");
		return 0;
	} else {
		snprintf(why, size, "no client certificate and no bearer token (anonymous requests are refused)");
		return -EACCES;
	}
	return complete(a, user, why, size);
}
