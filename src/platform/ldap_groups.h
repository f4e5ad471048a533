/* Groups from the company directory: after a user is authenticated (by an OIDC token or a client
 * certificate), an LDAP lookup adds the groups the directory has for them, as OpenShift's LDAP group
 * sync and Dex's LDAP connector do, so RBAC can bind directory groups. The user is found by a search
 * (a filter with {username}, escaped as RFC 4515 asks); the groups come from its memberOf values, or
 * from a search for groups naming its DN (member={dn}). StartTLS or ldaps with a CA, a bind DN whose
 * password is read from a file (never logged). Answers are cached for cacheSeconds; when the
 * directory cannot answer, the request is refused (onError: deny, the default) or the user goes on
 * without directory groups (onError: allow). Configured by a YAML file (--ldap-config, docs/access.md). */
#pragma once

#include "platform/user.h"

#include <stddef.h>

struct cc_error;
struct platform_ldap;

int platform_ldap_new(const char *config_path, struct platform_ldap **ret, struct cc_error *err);
void platform_ldap_free(struct platform_ldap *l);

/* Adds the directory's groups (with the configured prefix) to user when its authenticator is one the
 * configuration names. 0; -EACCES with why when the directory could not answer and onError is deny. */
int platform_ldap_add_groups(struct platform_ldap *l, struct platform_user *user, char *why, size_t size);

/* RFC 4515: the value with `*`, `(`, `)`, `\` and NUL escaped, for a search filter (malloc'd). */
char *platform_ldap_filter_escape(const char *value);
/* The filter template with every {name} replaced by value, escaped (malloc'd). */
char *platform_ldap_filter(const char *template, const char *name, const char *value);
/* The value of a DN's first RDN (cn=payments,ou=groups,... -> payments), malloc'd; NULL when the
 * DN does not parse. */
char *platform_ldap_first_rdn_value(const char *dn);
