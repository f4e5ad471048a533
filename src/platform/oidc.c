/* OIDC bearer tokens (see oidc.h). */
#include "platform/oidc.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/jws.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"
#include "lib/net/http_fetch.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLOCK_SKEW_SECONDS 60
#define REFETCH_MIN_MS     10000 /* an unknown kid fetches the JWKS again at most this often */
#define FETCH_TIMEOUT_MS   5000
#define MAX_KEYS           32

struct signing_key {
	char kid[128];
	const char *alg;
	EVP_PKEY *key;
};

struct issuer {
	char *url, *discovery_url, *ca_pem;
	json_t *audiences;
	char *username_claim, *username_prefix, *groups_claim, *groups_prefix, *uid_claim;
	json_t *required; /* [{claim, requiredValue}] */
	pthread_mutex_t lock;
	struct signing_key keys[MAX_KEYS];
	size_t key_count;
	int64_t fetched_ms; /* CLOCK_MONOTONIC of the last fetch attempt; 0: never */
};

struct platform_oidc {
	struct issuer *issuers;
	size_t count;
};

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static char *dup_or_null(const char *s)
{
	return s ? cc_xstrdup(s) : NULL;
}

/* ---- configuration ---- */

static int refuse_expression(const json_t *obj, const char *field, struct cc_error *err)
{
	if (json_object_get(obj, "expression") || json_object_get(obj, "valueExpression"))
		return cc_error_set(err, ENOTSUP,
				    "%s: CEL expressions are not supported by cocoond; use claim (and prefix)", field);
	return 0;
}

static int parse_mapping(const json_t *mapping, const char *field, bool prefix_required, char **claim, char **prefix,
			 struct cc_error *err)
{
	if (!mapping)
		return 0;
	int r = refuse_expression(mapping, field, err);
	if (r < 0)
		return r;
	*claim = dup_or_null(str(mapping, "claim"));
	const json_t *p = json_object_get(mapping, "prefix");
	if (*claim && prefix_required && !json_is_string(p))
		return cc_error_set(
		    err, EINVAL,
		    "%s.prefix: Required value: prefix is required when claim is set (it may be \"\" to "
		    "disable prefixing)",
		    field);
	*prefix = cc_xstrdup(json_string_value(p) ?: "");
	return 0;
}

static int parse_issuer(const json_t *jwt, size_t index, struct issuer *is, struct cc_error *err)
{
	char field[96];
	snprintf(field, sizeof(field), "jwt[%zu]", index);
	const json_t *issuer = json_object_get(jwt, "issuer");
	is->url = dup_or_null(str(issuer, "url"));
	if (!is->url || strncmp(is->url, "https://", 8) != 0)
		return cc_error_set(err, EINVAL, "%s.issuer.url: must be an https URL", field);
	is->discovery_url = dup_or_null(str(issuer, "discoveryURL"));
	is->ca_pem = dup_or_null(str(issuer, "certificateAuthority"));
	const json_t *aud = json_object_get(issuer, "audiences");
	if (!json_is_array(aud) || json_array_size(aud) == 0)
		return cc_error_set(err, EINVAL, "%s.issuer.audiences: Required value: at least one audience", field);
	if (json_array_size(aud) > 1 && strcmp(str(issuer, "audienceMatchPolicy") ?: "", "MatchAny") != 0)
		return cc_error_set(err, EINVAL,
				    "%s.issuer.audienceMatchPolicy: must be MatchAny when there are several audiences",
				    field);
	is->audiences = json_incref((json_t *)aud);
	const json_t *mappings = json_object_get(jwt, "claimMappings");
	char sub[160];
	snprintf(sub, sizeof(sub), "%s.claimMappings.username", field);
	int r = parse_mapping(json_object_get(mappings, "username"), sub, true, &is->username_claim,
			      &is->username_prefix, err);
	if (r == 0 && !is->username_claim)
		r = cc_error_set(err, EINVAL, "%s: Required value: claim is required", sub);
	snprintf(sub, sizeof(sub), "%s.claimMappings.groups", field);
	if (r == 0)
		r = parse_mapping(json_object_get(mappings, "groups"), sub, true, &is->groups_claim, &is->groups_prefix,
				  err);
	snprintf(sub, sizeof(sub), "%s.claimMappings.uid", field);
	char *unused = NULL;
	if (r == 0)
		r = parse_mapping(json_object_get(mappings, "uid"), sub, false, &is->uid_claim, &unused, err);
	free(unused);
	if (r == 0 && json_array_size(json_object_get(mappings, "extra")))
		r = cc_error_set(err, ENOTSUP, "%s.claimMappings.extra: CEL expressions are not supported by cocoond",
				 field);
	if (r == 0 && json_array_size(json_object_get(jwt, "userValidationRules")))
		r = cc_error_set(err, ENOTSUP, "%s.userValidationRules: CEL expressions are not supported by cocoond",
				 field);
	is->required = json_array();
	size_t i;
	const json_t *rule;
	json_array_foreach (json_object_get(jwt, "claimValidationRules"), i, rule) {
		snprintf(sub, sizeof(sub), "%s.claimValidationRules[%zu]", field, i);
		if (r == 0)
			r = refuse_expression(rule, sub, err);
		if (r == 0 && !str(rule, "claim"))
			r = cc_error_set(err, EINVAL, "%s.claim: Required value", sub);
		if (r == 0)
			json_array_append_new(is->required,
					      json_pack("{s:s, s:s}", "claim", str(rule, "claim"), "requiredValue",
							str(rule, "requiredValue") ?: ""));
	}
	pthread_mutex_init(&is->lock, NULL);
	return r;
}

int platform_oidc_new(const char *config_path, struct platform_oidc **ret, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	int r = cc_read_file(config_path, 1u << 20, &text, &len, err);
	_cleanup_json_ json_t *config = NULL;
	if (r == 0)
		r = cc_yaml_parse_one(text, len, config_path, &config, err);
	if (r < 0)
		return cc_error_prefix(err, "authentication configuration");
	const char *version = str(config, "apiVersion") ?: "";
	if ((strcmp(version, "apiserver.config.k8s.io/v1beta1") != 0 &&
	     strcmp(version, "apiserver.config.k8s.io/v1") != 0 &&
	     strcmp(version, "apiserver.config.k8s.io/v1alpha1") != 0) ||
	    strcmp(str(config, "kind") ?: "", "AuthenticationConfiguration") != 0)
		return cc_error_set(
		    err, EINVAL, "`%s` is not an AuthenticationConfiguration of apiserver.config.k8s.io/v1beta1 or v1",
		    config_path);
	const json_t *jwts = json_object_get(config, "jwt");
	struct platform_oidc *o = cc_xcalloc(1, sizeof(*o));
	o->count = json_array_size(jwts);
	o->issuers = cc_xcalloc(o->count ? o->count : 1, sizeof(*o->issuers));
	for (size_t i = 0; i < o->count && r == 0; i++) {
		r = parse_issuer(json_array_get(jwts, i), i, &o->issuers[i], err);
		for (size_t j = 0; j < i && r == 0; j++)
			if (strcmp(o->issuers[j].url, o->issuers[i].url) == 0)
				r = cc_error_set(err, EINVAL, "jwt[%zu].issuer.url: Duplicate value: \"%s\"", i,
						 o->issuers[i].url);
	}
	if (r < 0) {
		platform_oidc_free(o);
		return cc_error_prefix(err, "authentication configuration `%s`", config_path);
	}
	*ret = o;
	return 0;
}

static void drop_keys(struct issuer *is)
{
	for (size_t k = 0; k < is->key_count; k++)
		EVP_PKEY_free(is->keys[k].key);
	is->key_count = 0;
}

void platform_oidc_free(struct platform_oidc *o)
{
	if (!o)
		return;
	for (size_t i = 0; i < o->count; i++) {
		struct issuer *is = &o->issuers[i];
		free(is->url);
		free(is->discovery_url);
		free(is->ca_pem);
		json_decref(is->audiences);
		free(is->username_claim);
		free(is->username_prefix);
		free(is->groups_claim);
		free(is->groups_prefix);
		free(is->uid_claim);
		json_decref(is->required);
		drop_keys(is);
		pthread_mutex_destroy(&is->lock);
	}
	free(o->issuers);
	free(o);
}

/* ---- keys ---- */

static int fetch_json(const struct issuer *is, const char *url, json_t **ret, struct cc_error *err)
{
	struct cc_http_fetch_config cfg = {
		.ca_pem = is->ca_pem,
		.out_fd = -1,
		.timeout_ms = FETCH_TIMEOUT_MS,
		.connect_timeout_ms = FETCH_TIMEOUT_MS,
		.max_size = 1u << 20,
		.user_agent = "cocoond",
	};
	struct cc_http_fetch_result res = { 0 };
	int r = cc_http_fetch(&cfg, "GET", url, &res, err);
	if (r == 0 && res.status != 200)
		r = cc_error_set(err, EIO, "GET %s: HTTP %ld", url, res.status);
	if (r == 0)
		r = cc_json_parse(res.body.data ? res.body.data : "", res.body.len, 1u << 20, url, ret, err);
	cc_http_fetch_result_free(&res);
	return r;
}

/* The issuer's JWKS, through its discovery document (lock held). On failure the old keys stay. */
static int refresh_keys(struct issuer *is, struct cc_error *err)
{
	is->fetched_ms = cc_time_monotonic_ms();
	_cleanup_free_ char *discovery = is->discovery_url
					     ? cc_xstrdup(is->discovery_url)
					     : cc_xasprintf("%s%s.well-known/openid-configuration", is->url,
							    is->url[strlen(is->url) - 1] == '/' ? "" : "/");
	_cleanup_json_ json_t *doc = NULL, *jwks = NULL;
	int r = fetch_json(is, discovery, &doc, err);
	if (r == 0 && strcmp(str(doc, "issuer") ?: "", is->url) != 0)
		r = cc_error_set(err, EINVAL, "the discovery document of %s names another issuer (%s)", is->url,
				 str(doc, "issuer") ?: "none");
	if (r == 0 && !str(doc, "jwks_uri"))
		r = cc_error_set(err, EINVAL, "the discovery document of %s has no jwks_uri", is->url);
	if (r == 0)
		r = fetch_json(is, str(doc, "jwks_uri"), &jwks, err);
	if (r < 0)
		return r;
	struct signing_key fresh[MAX_KEYS];
	size_t n = 0, i;
	const json_t *jwk;
	json_array_foreach (json_object_get(jwks, "keys"), i, jwk) {
		const char *use = str(jwk, "use");
		struct cc_error ignored = { 0 };
		if (n == MAX_KEYS || (use && strcmp(use, "sig") != 0))
			continue;
		if (cc_jws_key_from_jwk(jwk, &fresh[n].key, &fresh[n].alg, &ignored) < 0) {
			cc_debug("oidc %s: key %zu skipped: %s", is->url, i, cc_error_message(&ignored));
			continue;
		}
		snprintf(fresh[n].kid, sizeof(fresh[n].kid), "%s", str(jwk, "kid") ?: "");
		n++;
	}
	drop_keys(is);
	memcpy(is->keys, fresh, n * sizeof(fresh[0]));
	is->key_count = n;
	return 0;
}

/* A reference to the key for kid (any key that fits the algorithm when the token names none). */
static EVP_PKEY *find_key(struct issuer *is, const char *kid, const char *alg, const char **ret_alg)
{
	for (size_t k = 0; k < is->key_count; k++) {
		if ((kid && strcmp(is->keys[k].kid, kid) != 0) ||
		    (!kid && strcmp(is->keys[k].alg, alg ? alg : "") != 0))
			continue;
		*ret_alg = is->keys[k].alg;
		EVP_PKEY_up_ref(is->keys[k].key);
		return is->keys[k].key;
	}
	return NULL;
}

static EVP_PKEY *key_for(struct issuer *is, const char *kid, const char *alg, const char **ret_alg, char *why,
			 size_t size)
{
	pthread_mutex_lock(&is->lock);
	EVP_PKEY *key = find_key(is, kid, alg, ret_alg);
	int64_t now = cc_time_monotonic_ms();
	if (!key && (!is->fetched_ms || now - is->fetched_ms >= REFETCH_MIN_MS)) {
		struct cc_error err = { 0 };
		if (refresh_keys(is, &err) < 0)
			cc_warning("oidc %s: keys: %s", is->url, cc_error_message(&err));
		key = find_key(is, kid, alg, ret_alg);
	}
	pthread_mutex_unlock(&is->lock);
	if (!key)
		snprintf(why, size, "oidc: the issuer %s has no signing key %s%s", is->url, kid ? "with kid " : "for ",
			 kid   ? kid
			 : alg ? alg
			       : "the token");
	return key;
}

/* ---- tokens ---- */

static bool audience_ok(const struct issuer *is, const json_t *aud)
{
	size_t i, j;
	const json_t *want, *got;
	json_array_foreach (is->audiences, i, want) {
		if (json_is_string(aud) && strcmp(json_string_value(aud), json_string_value(want) ?: "") == 0)
			return true;
		json_array_foreach (aud, j, got)
			if (json_is_string(got) && strcmp(json_string_value(got), json_string_value(want) ?: "") == 0)
				return true;
	}
	return false;
}

static const char *check_claims(const struct issuer *is, const json_t *claims)
{
	int64_t now = cc_time_now_ns() / 1000000000;
	const json_t *exp = json_object_get(claims, "exp"), *nbf = json_object_get(claims, "nbf");
	if (!json_is_number(exp))
		return "the token has no expiry (exp)";
	if (json_number_value(exp) <= (double)now)
		return "the token has expired";
	if (json_is_number(nbf) && json_number_value(nbf) > (double)(now + CLOCK_SKEW_SECONDS))
		return "the token is not valid yet (nbf)";
	if (!audience_ok(is, json_object_get(claims, "aud")))
		return "the token is not for this cluster (audience)";
	size_t i;
	const json_t *rule;
	json_array_foreach (is->required, i, rule) {
		const char *value = str(claims, str(rule, "claim"));
		if (!value || strcmp(value, str(rule, "requiredValue")) != 0)
			return "a required claim is missing or has another value (claimValidationRules)";
	}
	return NULL;
}

static int map_user(const struct issuer *is, const json_t *claims, struct platform_user *user, char *why, size_t size)
{
	const char *name = str(claims, is->username_claim);
	if (!name || !name[0]) {
		snprintf(why, size, "oidc: the username claim `%s` is missing", is->username_claim);
		return -EACCES;
	}
	const json_t *verified = json_object_get(claims, "email_verified");
	if (strcmp(is->username_claim, "email") == 0 && verified && !json_is_true(verified)) {
		snprintf(why, size, "oidc: the email is not verified (email_verified)");
		return -EACCES;
	}
	char full[256];
	snprintf(full, sizeof(full), "%s%s", is->username_prefix, name);
	platform_user_init(user, full, "oidc");
	if (is->uid_claim)
		snprintf(user->uid, sizeof(user->uid), "%s", str(claims, is->uid_claim) ?: "");
	const json_t *groups = is->groups_claim ? json_object_get(claims, is->groups_claim) : NULL;
	if (json_is_string(groups)) {
		_cleanup_free_ char *g = cc_xasprintf("%s%s", is->groups_prefix, json_string_value(groups));
		platform_user_add_group(user, g);
	}
	size_t i;
	const json_t *g;
	json_array_foreach (groups, i, g) {
		if (!json_is_string(g))
			continue;
		_cleanup_free_ char *prefixed = cc_xasprintf("%s%s", is->groups_prefix, json_string_value(g));
		platform_user_add_group(user, prefixed);
	}
	return 0;
}

static int authenticate(void *ctx, const char *token, struct platform_user *user, char *why, size_t size)
{
	struct platform_oidc *o = ctx;
	_cleanup_json_ json_t *header = NULL, *unverified = NULL;
	struct cc_error err = { 0 };
	if (cc_jws_peek(token, &header, &unverified, &err) < 0)
		return 1; /* not a JWT: another authenticator's, or nobody's */
	const char *iss = str(unverified, "iss");
	struct issuer *is = NULL;
	for (size_t i = 0; i < o->count && !is; i++)
		if (iss && strcmp(o->issuers[i].url, iss) == 0)
			is = &o->issuers[i];
	if (!is)
		return 1;
	const char *alg = str(header, "alg"), *kid = str(header, "kid");
	if (!alg || strcmp(alg, "none") == 0) {
		snprintf(why, size, "oidc: unsigned tokens (alg none) are refused");
		return -EACCES;
	}
	const char *key_alg = NULL;
	EVP_PKEY *key = key_for(is, kid, alg, &key_alg, why, size);
	if (!key)
		return -EACCES;
	_cleanup_json_ json_t *claims = NULL;
	int r = cc_jws_verify(token, key, key_alg, &claims, &err);
	EVP_PKEY_free(key);
	if (r < 0) {
		snprintf(why, size, "oidc: %s", cc_error_message(&err));
		return -EACCES;
	}
	const char *bad = check_claims(is, claims);
	if (bad) {
		snprintf(why, size, "oidc: %s", bad);
		return -EACCES;
	}
	return map_user(is, claims, user, why, size);
}

struct platform_token_authenticator platform_oidc_authenticator(struct platform_oidc *o)
{
	return (struct platform_token_authenticator){ .name = "oidc", .authenticate = authenticate, .ctx = o };
}
