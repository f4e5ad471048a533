/* Groups from an LDAP directory (see ldap_groups.h), with OpenLDAP's client library. */
#include "platform/ldap_groups.h"

#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/file.h"
#include "lib/base/log.h"
#include "lib/base/timeutil.h"
#include "lib/json/json.h"
#include "lib/json/yaml.h"

#include <errno.h>
#include <ldap.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TIMEOUT_SECONDS 5
#define CACHE_MAX       4096
#define GROUPS_MAX      256

struct cached {
	char *user;
	json_t *groups; /* names, prefixed */
	int64_t expires_ms;
};

struct platform_ldap {
	char *url, *ca, *bind_dn, *bind_password;
	bool start_tls, allow_on_error;
	char *user_base, *user_filter;
	bool member_of; /* groups from the user's memberOf; else a group search */
	char *group_base, *group_filter, *group_name_attribute, *prefix;
	json_t *authenticators; /* whose users are looked up */
	int64_t cache_ms;
	pthread_mutex_t lock;
	struct cached cache[CACHE_MAX];
	size_t cached;
};

/* ---- filters and names ---- */

char *platform_ldap_filter_escape(const char *value)
{
	size_t len = strlen(value);
	char *out = cc_xmalloc(len * 3 + 1), *p = out;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)value[i];
		if (c == '*' || c == '(' || c == ')' || c == '\\') {
			snprintf(p, 4, "\\%02x", c);
			p += 3;
		} else {
			*p++ = (char)c;
		}
	}
	*p = '\0';
	return out;
}

char *platform_ldap_filter(const char *template, const char *name, const char *value)
{
	_cleanup_free_ char *escaped = platform_ldap_filter_escape(value);
	_cleanup_free_ char *key = cc_xasprintf("{%s}", name);
	struct cc_buf out = CC_BUF_INIT;
	for (const char *p = template; *p;) {
		const char *at = strstr(p, key);
		if (!at) {
			cc_buf_append_str(&out, p);
			break;
		}
		cc_buf_append(&out, p, (size_t)(at - p));
		cc_buf_append_str(&out, escaped);
		p = at + strlen(key);
	}
	if (!out.data)
		cc_buf_append_str(&out, "");
	return cc_buf_steal(&out, NULL);
}

char *platform_ldap_first_rdn_value(const char *dn)
{
	LDAPDN parsed = NULL;
	if (ldap_str2dn(dn, &parsed, LDAP_DN_FORMAT_LDAPV3) != LDAP_SUCCESS || !parsed || !parsed[0] || !parsed[0][0]) {
		ldap_dnfree(parsed);
		return NULL;
	}
	const struct berval *v = &parsed[0][0]->la_value;
	/* An empty value (cn=) has no bytes at all; one with a NUL inside is no group name. */
	char *name =
	    !v->bv_val || !v->bv_len || memchr(v->bv_val, '\0', v->bv_len) ? NULL : cc_xstrndup(v->bv_val, v->bv_len);
	ldap_dnfree(parsed);
	return name;
}

/* ---- configuration ---- */

static const char *str(const json_t *obj, const char *field)
{
	return json_string_value(json_object_get(obj, field));
}

static char *required(const json_t *obj, const char *field, const char *path, struct cc_error *err)
{
	const char *v = str(obj, field);
	if (!v || !v[0]) {
		cc_error_set(err, EINVAL, "%s%s: Required value", path, field);
		return NULL;
	}
	return cc_xstrdup(v);
}

static int parse(struct platform_ldap *l, const json_t *c, struct cc_error *err)
{
	if (!(l->url = required(c, "url", "", err)))
		return -EINVAL;
	bool ldaps = strncmp(l->url, "ldaps://", 8) == 0;
	l->start_tls = json_is_true(json_object_get(c, "startTLS"));
	if (!ldaps && !l->start_tls)
		return cc_error_set(err, EINVAL,
				    "url: a directory is reached over TLS only: ldaps://, or startTLS: true");
	l->ca = str(c, "certificateAuthority") ? cc_xstrdup(str(c, "certificateAuthority")) : NULL;
	if (str(c, "bindDN")) {
		l->bind_dn = cc_xstrdup(str(c, "bindDN"));
		const char *file = str(c, "bindPasswordFile");
		if (!file)
			return cc_error_set(err, EINVAL, "bindPasswordFile: Required value (with bindDN)");
		size_t len = 0;
		if (cc_read_file(file, 4096, &l->bind_password, &len, err) < 0)
			return cc_error_prefix(err, "bindPasswordFile");
		l->bind_password[strcspn(l->bind_password, "\r\n")] = '\0';
	}
	const json_t *users = json_object_get(c, "userSearch");
	if (!(l->user_base = required(users, "baseDN", "userSearch.", err)) ||
	    !(l->user_filter = required(users, "filter", "userSearch.", err)))
		return -EINVAL;
	const json_t *groups = json_object_get(c, "groups");
	const char *from = str(groups, "from") ?: "memberOf";
	l->member_of = strcmp(from, "memberOf") == 0;
	if (!l->member_of && strcmp(from, "search") != 0)
		return cc_error_set(err, EINVAL, "groups.from: Unsupported value: \"%s\": memberOf or search", from);
	if (!l->member_of && (!(l->group_base = required(groups, "baseDN", "groups.", err)) ||
			      !(l->group_filter = required(groups, "filter", "groups.", err))))
		return -EINVAL;
	l->group_name_attribute = cc_xstrdup(str(groups, "nameAttribute") ?: "cn");
	l->prefix = cc_xstrdup(str(groups, "prefix") ?: "");
	const json_t *seconds = json_object_get(c, "cacheSeconds");
	l->cache_ms = (json_is_integer(seconds) ? json_integer_value(seconds) : 300) * 1000;
	const char *on_error = str(c, "onError") ?: "deny";
	if (strcmp(on_error, "deny") != 0 && strcmp(on_error, "allow") != 0)
		return cc_error_set(err, EINVAL, "onError: Unsupported value: \"%s\": deny or allow", on_error);
	l->allow_on_error = strcmp(on_error, "allow") == 0;
	const json_t *who = json_object_get(c, "users");
	l->authenticators = json_is_array(who) ? json_incref((json_t *)who) : json_pack("[s]", "oidc");
	return 0;
}

int platform_ldap_new(const char *config_path, struct platform_ldap **ret, struct cc_error *err)
{
	_cleanup_free_ char *text = NULL;
	size_t len = 0;
	_cleanup_json_ json_t *config = NULL;
	int r = cc_read_file(config_path, 1u << 20, &text, &len, err);
	if (r == 0)
		r = cc_yaml_parse_one(text, len, config_path, &config, err);
	struct platform_ldap *l = cc_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->lock, NULL);
	if (r == 0)
		r = parse(l, config, err);
	if (r < 0) {
		platform_ldap_free(l);
		return cc_error_prefix(err, "LDAP configuration `%s`", config_path);
	}
	*ret = l;
	return 0;
}

void platform_ldap_free(struct platform_ldap *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->cached; i++) {
		free(l->cache[i].user);
		json_decref(l->cache[i].groups);
	}
	if (l->bind_password)
		explicit_bzero(l->bind_password, strlen(l->bind_password));
	free(l->bind_password);
	free(l->url);
	free(l->ca);
	free(l->bind_dn);
	free(l->user_base);
	free(l->user_filter);
	free(l->group_base);
	free(l->group_filter);
	free(l->group_name_attribute);
	free(l->prefix);
	json_decref(l->authenticators);
	pthread_mutex_destroy(&l->lock);
	free(l);
}

/* ---- the directory ---- */

static int fail(LDAP *ld, int rc, const char *what, struct cc_error *err)
{
	return cc_error_set(err, EIO, "LDAP %s: %s", what, ldap_err2string(rc));
}

static int connect_and_bind(const struct platform_ldap *l, LDAP **ret, struct cc_error *err)
{
	LDAP *ld = NULL;
	int rc = ldap_initialize(&ld, l->url);
	if (rc != LDAP_SUCCESS)
		return fail(NULL, rc, "connect", err);
	int version = LDAP_VERSION3, demand = LDAP_OPT_X_TLS_DEMAND, new_ctx = 0;
	struct timeval timeout = { .tv_sec = TIMEOUT_SECONDS };
	ldap_set_option(ld, LDAP_OPT_PROTOCOL_VERSION, &version);
	ldap_set_option(ld, LDAP_OPT_NETWORK_TIMEOUT, &timeout);
	ldap_set_option(ld, LDAP_OPT_TIMEOUT, &timeout);
	ldap_set_option(ld, LDAP_OPT_REFERRALS, LDAP_OPT_OFF);
	ldap_set_option(ld, LDAP_OPT_X_TLS_REQUIRE_CERT, &demand);
	if (l->ca)
		ldap_set_option(ld, LDAP_OPT_X_TLS_CACERTFILE, l->ca);
	ldap_set_option(ld, LDAP_OPT_X_TLS_NEWCTX, &new_ctx); /* this handle's own TLS context, with the above */
	if (l->start_tls && (rc = ldap_start_tls_s(ld, NULL, NULL)) != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return fail(NULL, rc, "StartTLS", err);
	}
	struct berval cred = { .bv_val = l->bind_password, .bv_len = l->bind_password ? strlen(l->bind_password) : 0 };
	rc = ldap_sasl_bind_s(ld, l->bind_dn ? l->bind_dn : "", LDAP_SASL_SIMPLE, &cred, NULL, NULL, NULL);
	if (rc != LDAP_SUCCESS) {
		ldap_unbind_ext_s(ld, NULL, NULL);
		return fail(NULL, rc, "bind", err);
	}
	*ret = ld;
	return 0;
}

static void add_name(const struct platform_ldap *l, json_t *groups, const char *name)
{
	if (!name || !name[0] || json_array_size(groups) >= GROUPS_MAX)
		return;
	_cleanup_free_ char *full = cc_xasprintf("%s%s", l->prefix, name);
	json_array_append_new(groups, json_string(full));
}

/* The values of attribute of the entry, each through fn. */
static void each_value(LDAP *ld, LDAPMessage *entry, const char *attribute, const struct platform_ldap *l,
		       json_t *groups, bool dn_values)
{
	struct berval **values = ldap_get_values_len(ld, entry, attribute);
	for (size_t i = 0; values && values[i]; i++) {
		_cleanup_free_ char *text = memchr(values[i]->bv_val, '\0', values[i]->bv_len)
						? NULL
						: cc_xstrndup(values[i]->bv_val, values[i]->bv_len);
		if (!text)
			continue;
		if (dn_values) {
			_cleanup_free_ char *name = platform_ldap_first_rdn_value(text);
			add_name(l, groups, name);
		} else {
			add_name(l, groups, text);
		}
	}
	ldap_value_free_len(values);
}

static int lookup(const struct platform_ldap *l, const char *user, json_t **ret, struct cc_error *err)
{
	LDAP *ld = NULL;
	int r = connect_and_bind(l, &ld, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *filter = platform_ldap_filter(l->user_filter, "username", user);
	char *attrs[] = { l->member_of ? "memberOf" : "1.1", NULL };
	struct timeval timeout = { .tv_sec = TIMEOUT_SECONDS };
	LDAPMessage *res = NULL;
	int rc =
	    ldap_search_ext_s(ld, l->user_base, LDAP_SCOPE_SUBTREE, filter, attrs, 0, NULL, NULL, &timeout, 2, &res);
	json_t *groups = json_array();
	if (rc != LDAP_SUCCESS)
		r = fail(ld, rc, "user search", err);
	else if (ldap_count_entries(ld, res) != 1)
		r = 0; /* no such user in the directory (or an ambiguous one): no groups from it */
	else if (l->member_of)
		each_value(ld, ldap_first_entry(ld, res), "memberOf", l, groups, true);
	else {
		char *dn = ldap_get_dn(ld, ldap_first_entry(ld, res));
		_cleanup_free_ char *group_filter = platform_ldap_filter(l->group_filter, "dn", dn ? dn : "");
		ldap_memfree(dn);
		LDAPMessage *found = NULL;
		char *names[] = { l->group_name_attribute, NULL };
		rc = ldap_search_ext_s(ld, l->group_base, LDAP_SCOPE_SUBTREE, group_filter, names, 0, NULL, NULL,
				       &timeout, GROUPS_MAX, &found);
		if (rc != LDAP_SUCCESS && rc != LDAP_SIZELIMIT_EXCEEDED)
			r = fail(ld, rc, "group search", err);
		for (LDAPMessage *e = ldap_first_entry(ld, found); r == 0 && e; e = ldap_next_entry(ld, e))
			each_value(ld, e, l->group_name_attribute, l, groups, false);
		ldap_msgfree(found);
	}
	ldap_msgfree(res);
	ldap_unbind_ext_s(ld, NULL, NULL);
	if (r < 0) {
		json_decref(groups);
		return r;
	}
	*ret = groups;
	return 0;
}

/* ---- the cache ---- */

static json_t *cache_get(struct platform_ldap *l, const char *user)
{
	int64_t now = cc_time_monotonic_ms();
	json_t *groups = NULL;
	pthread_mutex_lock(&l->lock);
	for (size_t i = 0; i < l->cached && !groups; i++)
		if (strcmp(l->cache[i].user, user) == 0 && l->cache[i].expires_ms > now)
			groups = json_incref(l->cache[i].groups);
	pthread_mutex_unlock(&l->lock);
	return groups;
}

static void cache_put(struct platform_ldap *l, const char *user, json_t *groups)
{
	int64_t now = cc_time_monotonic_ms();
	pthread_mutex_lock(&l->lock);
	size_t slot = l->cached, oldest = 0;
	for (size_t i = 0; i < l->cached; i++) {
		if (strcmp(l->cache[i].user, user) == 0 || l->cache[i].expires_ms <= now) {
			slot = i;
			break;
		}
		if (l->cache[i].expires_ms < l->cache[oldest].expires_ms)
			oldest = i;
	}
	if (slot == CACHE_MAX)
		slot = oldest;
	if (slot < l->cached) {
		free(l->cache[slot].user);
		json_decref(l->cache[slot].groups);
	} else {
		l->cached++;
	}
	l->cache[slot] =
	    (struct cached){ .user = cc_xstrdup(user), .groups = json_incref(groups), .expires_ms = now + l->cache_ms };
	pthread_mutex_unlock(&l->lock);
}

int platform_ldap_add_groups(struct platform_ldap *l, struct platform_user *user, char *why, size_t size)
{
	bool applies = false;
	size_t i;
	const json_t *a;
	json_array_foreach (l->authenticators, i, a)
		applies =
		    applies || strcmp(json_string_value(a) ?: "", user->authenticator ? user->authenticator : "") == 0;
	if (!applies)
		return 0;
	json_t *groups = cache_get(l, user->name);
	if (!groups) {
		struct cc_error err = { 0 };
		if (lookup(l, user->name, &groups, &err) < 0) {
			cc_warning("ldap: the groups of %s: %s", user->name, cc_error_message(&err));
			if (l->allow_on_error)
				return 0;
			snprintf(why, size, "the directory could not be asked for the user's groups (%s)",
				 cc_error_message(&err));
			return -EACCES;
		}
		cache_put(l, user->name, groups);
	}
	const json_t *g;
	json_array_foreach (groups, i, g)
		platform_user_add_group(user, json_string_value(g));
	json_decref(groups);
	return 0;
}
