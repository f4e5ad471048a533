/* The tenant's mTLS configuration in the store (see kbs_mtls.h); its CAs are kbs_mtls_ca.c's. */
#include "kbs/kbs_mtls.h"

#include "kbs/kbs_mtls_rate.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/x509_names.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int store_key(const char *tenant, const char *suffix, char *out, size_t size, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	snprintf(out, size, "kbs/%s/mtls%s", tenant, suffix);
	return 0;
}

/* ---- configuration ---- */

static int check_config(json_t *cfg, struct cc_error *err)
{
	static const char *const fields[] = { "trustDomain", "clusterDomain", "lifetime", "enabled",
					      "issuancesPerMinute" };
	if (!json_is_object(cfg))
		return cc_error_set(err, EINVAL, "the mTLS configuration is a JSON object");
	const char *name;
	json_t *value;
	json_object_foreach (cfg, name, value) {
		size_t i = 0;
		while (i < CC_ARRAY_SIZE(fields) && strcmp(fields[i], name) != 0)
			i++;
		if (i == CC_ARRAY_SIZE(fields))
			return cc_error_set(
			    err, EINVAL,
			    "unknown mTLS field `%.64s` (trustDomain, clusterDomain, lifetime, enabled, "
			    "issuancesPerMinute)",
			    name);
	}
	const char *td = json_string_value(json_object_get(cfg, "trustDomain"));
	if (!td)
		return cc_error_set(err, EINVAL, "the mTLS configuration needs a trustDomain (a string)");
	if (cc_spiffe_trust_domain_check(td, err) < 0)
		return cc_error_prefix(err, "trustDomain");
	json_t *cd = json_object_get(cfg, "clusterDomain");
	if (cd && (!json_is_string(cd) || cc_dns_name_check(json_string_value(cd), err) < 0))
		return cd && json_is_string(cd) ? cc_error_prefix(err, "clusterDomain")
						: cc_error_set(err, EINVAL, "clusterDomain is a string");
	json_t *lifetime = json_object_get(cfg, "lifetime");
	if (lifetime && (!json_is_integer(lifetime) || json_integer_value(lifetime) < KBS_MTLS_LIFETIME_MIN ||
			 json_integer_value(lifetime) > KBS_MTLS_LIFETIME_MAX))
		return cc_error_set(err, EINVAL, "lifetime is a number of seconds from %d to %d", KBS_MTLS_LIFETIME_MIN,
				    KBS_MTLS_LIFETIME_MAX);
	json_t *enabled = json_object_get(cfg, "enabled");
	if (enabled && !json_is_boolean(enabled))
		return cc_error_set(err, EINVAL, "enabled is true or false");
	json_t *rate = json_object_get(cfg, "issuancesPerMinute");
	if (rate &&
	    (!json_is_integer(rate) || json_integer_value(rate) < 1 || json_integer_value(rate) > KBS_MTLS_RATE_MAX))
		return cc_error_set(err, EINVAL, "issuancesPerMinute is a number of certificates per node from 1 to %d",
				    KBS_MTLS_RATE_MAX);
	return 0;
}

static void fill_defaults(json_t *cfg)
{
	if (!json_object_get(cfg, "clusterDomain"))
		json_object_set_new(cfg, "clusterDomain", json_string("cluster.local"));
	if (!json_object_get(cfg, "lifetime"))
		json_object_set_new(cfg, "lifetime", json_integer(KBS_MTLS_LIFETIME_DEFAULT));
	if (!json_object_get(cfg, "enabled"))
		json_object_set_new(cfg, "enabled", json_true());
}

int kbs_mtls_config_put(struct cc_store *store, const char *tenant, const char *text, size_t len, json_t **ret,
			struct cc_error *err)
{
	char key[128];
	if (store_key(tenant, "", key, sizeof(key), err) < 0)
		return -EINVAL;
	_cleanup_json_ json_t *cfg = NULL;
	int r = cc_json_parse(text, len, KBS_MTLS_CONFIG_MAX, "mTLS configuration", &cfg, err);
	if (r < 0)
		return r;
	if ((r = check_config(cfg, err)) < 0)
		return r;
	fill_defaults(cfg);
	_cleanup_free_ char *canonical = cc_json_canonical(cfg);
	r = cc_store_put(store, key, canonical, strlen(canonical), CC_STORE_ANY, NULL, err);
	if (r == 0 && ret)
		*ret = json_incref(cfg);
	return r;
}

int kbs_mtls_config_get(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	char key[128];
	if (store_key(tenant, "", key, sizeof(key), err) < 0)
		return -EINVAL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_store_get(store, key, &text, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "tenant `%s` has no mTLS configuration, so nothing is issued", tenant);
	if (r < 0)
		return r;
	return cc_json_parse(text, len, KBS_MTLS_CONFIG_MAX, "stored mTLS configuration", ret, err);
}
