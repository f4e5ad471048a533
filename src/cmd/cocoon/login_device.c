/* The device authorization grant (RFC 8628) for `cocoon login --device`: the host needs no browser
 * and listens on nothing. The provider hands out a device code (kept here, never shown) and a short
 * user code; the user opens the provider's page on any device, enters the user code and signs in;
 * meanwhile this polls the token endpoint at the provider's interval (5 s unless it says otherwise,
 * 5 s more after each slow_down) until the tokens come, the user refuses, the code expires, or
 * --timeout passes. */
#include "cmd/cli.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "login.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define DEVICE_GRANT       "urn:ietf:params:oauth:grant-type:device_code"
#define DEFAULT_INTERVAL_S 5 /* RFC 8628 §3.2: when the provider names none */
#define SLOW_DOWN_S        5 /* §3.5: added at each slow_down */
#define MAX_INTERVAL_S     60

struct device_code {
	char *device_code, *user_code, *uri, *uri_complete;
	int64_t expires_in;
	int interval;
};

static void device_code_clear(struct device_code *d)
{
	if (d->device_code)
		explicit_bzero(d->device_code, strlen(d->device_code));
	free(d->device_code);
	free(d->user_code);
	free(d->uri);
	free(d->uri_complete);
	*d = (struct device_code){ 0 };
}

static char *member(const json_t *o, const char *name)
{
	const char *v = json_string_value(json_object_get(o, name));
	return v && v[0] ? cc_xstrdup(v) : NULL;
}

/* §3.1-3.2: the device authorization request and its answer. */
static int request_codes(const struct login *l, struct device_code *ret, struct cc_error *err)
{
	const char *endpoint = json_string_value(json_object_get(l->discovery, "device_authorization_endpoint"));
	if (!endpoint)
		return cc_error_set(err, ENOTSUP,
				    "%s offers no device sign-in (its discovery document names no "
				    "device_authorization_endpoint): sign in through a browser, without --device",
				    l->issuer);
	struct cc_buf form = CC_BUF_INIT;
	login_form_add(&form, "scope", l->scope);
	long status = 0;
	_cleanup_json_ json_t *answer = NULL;
	int r = login_post_form(l, endpoint, &form, &status, &answer, err);
	if (r < 0)
		return cc_error_prefix(err, "ask %s for a device code", l->issuer);
	if (status != 200) {
		const char *why = login_error_text(answer);
		return cc_error_set(err, EACCES, "%s refused a device code (HTTP %ld%s%s)", l->issuer, status,
				    why ? ": " : "", why ? why : "");
	}
	*ret = (struct device_code){ .device_code = member(answer, "device_code"),
				     .user_code = member(answer, "user_code"),
				     .uri = member(answer, "verification_uri"),
				     .uri_complete = member(answer, "verification_uri_complete"),
				     .expires_in = json_integer_value(json_object_get(answer, "expires_in")),
				     .interval = (int)json_integer_value(json_object_get(answer, "interval")) };
	if (!ret->device_code || !ret->user_code || !ret->uri || ret->expires_in <= 0) {
		device_code_clear(ret);
		return cc_error_set(err, EPROTO,
				    "%s answered the device authorization request without device_code, user_code, "
				    "verification_uri or expires_in",
				    l->issuer);
	}
	if (strncmp(ret->uri, "https://", 8) != 0) {
		device_code_clear(ret);
		return cc_error_set(err, EPROTO, "%s gave a verification address that is not https", l->issuer);
	}
	if (ret->interval <= 0)
		ret->interval = DEFAULT_INTERVAL_S;
	return 0;
}

static void sleep_seconds(int seconds)
{
	struct timespec t = { .tv_sec = seconds };
	while (nanosleep(&t, &t) < 0 && errno == EINTR)
		;
}

/* §3.4-3.5: polls until an answer other than authorization_pending or slow_down. */
static int poll_tokens(const struct login *l, struct device_code *d, json_t **ret, struct cc_error *err)
{
	int64_t limit = d->expires_in < l->timeout_s ? d->expires_in : l->timeout_s;
	int64_t deadline = cc_time_monotonic_ms() + limit * 1000;
	const char *endpoint = json_string_value(json_object_get(l->discovery, "token_endpoint"));
	for (;;) {
		if (cc_time_monotonic_ms() + d->interval * 1000LL > deadline) {
			if (d->expires_in <= l->timeout_s)
				return cc_error_set(
				    err, ETIMEDOUT,
				    "the code expired before the sign-in was done: run cocoon login again");
			return cc_error_set(err, ETIMEDOUT, "no sign-in within %d s (--timeout)", l->timeout_s);
		}
		sleep_seconds(d->interval);
		struct cc_buf form = CC_BUF_INIT;
		login_form_add(&form, "grant_type", DEVICE_GRANT);
		login_form_add(&form, "device_code", d->device_code);
		long status = 0;
		json_t *answer = NULL;
		struct cc_error why = { 0 };
		if (login_post_form(l, endpoint, &form, &status, &answer, &why) < 0) {
			/* A provider briefly out of reach is no reason to give up the code: try again. */
			json_decref(answer);
			continue;
		}
		if (status == 200 && json_string_value(json_object_get(answer, "id_token"))) {
			*ret = answer;
			return 0;
		}
		const char *error = json_string_value(json_object_get(answer, "error")) ?: "";
		int r = 0;
		if (strcmp(error, "slow_down") == 0 && d->interval + SLOW_DOWN_S <= MAX_INTERVAL_S)
			d->interval += SLOW_DOWN_S;
		if (strcmp(error, "authorization_pending") == 0 || strcmp(error, "slow_down") == 0)
			r = 0; /* the user is not done yet */
		else if (strcmp(error, "access_denied") == 0) {
			r = cc_error_set(err, EACCES, "the sign-in was refused at %s", l->issuer);
		} else if (strcmp(error, "expired_token") == 0) {
			r = cc_error_set(err, ETIMEDOUT,
					 "the code expired before the sign-in was done: run cocoon "
					 "login again");
		} else if (status == 200) {
			r = cc_error_set(err, EPROTO, "%s gave tokens without an ID token (is `openid` in --scope?)",
					 l->issuer);
		} else {
			const char *text = login_error_text(answer);
			r = cc_error_set(err, EACCES, "the provider gave no ID token (HTTP %ld%s%s)", status,
					 text ? ": " : "", text ? text : "");
		}
		json_decref(answer);
		if (r < 0)
			return r;
	}
}

int login_device(struct login *l, json_t **ret, struct cc_error *err)
{
	struct device_code d = { 0 };
	int r = request_codes(l, &d, err);
	if (r < 0)
		return r;
	fprintf(stderr, "To sign in with %s, open this address on any device:\n\n  %s\n\nand enter the code  %s\n\n",
		l->issuer, d.uri, d.user_code);
	if (d.uri_complete)
		fprintf(stderr, "(or open %s, which carries the code)\n\n", d.uri_complete);
	fprintf(stderr, "Waiting for the sign-in (the code expires in %lld s)...\n", (long long)d.expires_in);
	fflush(stderr);
	r = poll_tokens(l, &d, ret, err);
	device_code_clear(&d);
	return r;
}
