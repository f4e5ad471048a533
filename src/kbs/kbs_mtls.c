/* The tenant's mTLS issuer in the store (see kbs_mtls.h). The CA key is sealed exactly as resources
 * are (kbs_tenant.c): AES-256-GCM under the root key with the store key as associated data. */
#include "kbs/kbs_mtls.h"

#include "kbs/kbs_mtls_rate.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509.h"
#include "lib/crypto/x509_ca.h"
#include "lib/crypto/x509_names.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define KEY_DER_MAX 1024 /* an EC P-256 private key is about 120 bytes of DER */

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

/* ---- the CA key, sealed ---- */

static int seal_new_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *key_name,
			EVP_PKEY *key, struct cc_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_PrivateKey(key, &der);
	if (len <= 0 || len > KEY_DER_MAX) {
		OPENSSL_clear_free(der, len > 0 ? (size_t)len : 0);
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot encode the issuing CA's key");
	}
	_cleanup_free_ uint8_t *sealed = cc_xmalloc((size_t)len + CC_AEAD_OVERHEAD);
	int r = cc_aead_seal(root, key_name, strlen(key_name), der, (size_t)len, sealed, err);
	OPENSSL_clear_free(der, (size_t)len);
	if (r == 0)
		r = cc_store_put(store, key_name, sealed, (size_t)len + CC_AEAD_OVERHEAD, CC_STORE_ABSENT, NULL, err);
	return r;
}

static int open_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		    const char *key_name, EVP_PKEY **ret, struct cc_error *err)
{
	_cleanup_free_ char *sealed = NULL;
	size_t len;
	int r = cc_store_get(store, key_name, &sealed, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "tenant `%s` has no mTLS issuing CA; POST mtls/ca makes one", tenant);
	if (r < 0)
		return r;
	if (len <= CC_AEAD_OVERHEAD || len > KEY_DER_MAX + CC_AEAD_OVERHEAD)
		return cc_error_set(err, EUCLEAN, "store: the mTLS CA key of tenant `%s` is malformed", tenant);
	uint8_t der[KEY_DER_MAX];
	size_t der_len = len - CC_AEAD_OVERHEAD;
	if (cc_aead_open(root, key_name, strlen(key_name), (const uint8_t *)sealed, len, der, NULL) < 0)
		return cc_error_set(
		    err, EBADMSG, "the mTLS CA key of tenant `%s` does not open with this root key (altered or moved)",
		    tenant);
	const unsigned char *p = der;
	EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
	OPENSSL_cleanse(der, sizeof(der));
	ERR_clear_error();
	if (!key)
		return cc_error_set(err, EUCLEAN, "store: the mTLS CA key of tenant `%s` is not a key", tenant);
	*ret = key;
	return 0;
}

/* The tenant's CA key, made and sealed when there is none. Two brokers racing to make it: the
 * store takes the first (CC_STORE_ABSENT) and the other opens that one. */
static int get_or_make_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			   const char *key_name, EVP_PKEY **ret, bool *ret_created, struct cc_error *err)
{
	*ret_created = false;
	int r = open_key(store, root, tenant, key_name, ret, err);
	if (r != -ENOENT)
		return r;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (!key) {
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot make an EC P-256 key for the issuing CA");
	}
	r = seal_new_key(store, root, key_name, key, err);
	if (r == -ESTALE) {
		EVP_PKEY_free(key);
		return open_key(store, root, tenant, key_name, ret, err);
	}
	if (r < 0) {
		EVP_PKEY_free(key);
		return r;
	}
	*ret = key;
	*ret_created = true;
	return 0;
}

int kbs_mtls_ca_request(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			char **ret_csr_pem, bool *ret_created, struct cc_error *err)
{
	char key_name[128];
	if (store_key(tenant, "/ca", key_name, sizeof(key_name), err) < 0)
		return -EINVAL;
	EVP_PKEY *key = NULL;
	int r = get_or_make_key(store, root, tenant, key_name, &key, ret_created, err);
	if (r < 0)
		return r;
	char cn[96];
	snprintf(cn, sizeof(cn), "cocoon mTLS CA of tenant %s", tenant);
	r = cc_csr_make(key, cn, true, ret_csr_pem, err);
	EVP_PKEY_free(key);
	return r;
}

static int write_pem(X509 *cert, char **ret)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	int r = -ENOMEM;
	if (bio && PEM_write_bio_X509(bio, cert)) {
		long n = BIO_get_mem_data(bio, &data);
		*ret = cc_xstrndup(data, (size_t)n);
		r = 0;
	}
	BIO_free(bio);
	return r;
}

int kbs_mtls_ca_not_client_ca(X509 *cert, const char *client_ca, size_t client_ca_len, struct cc_error *err)
{
	if (!client_ca || client_ca_len == 0)
		return 0;
	BIO *bio = BIO_new_mem_buf(client_ca, (int)client_ca_len);
	if (!bio)
		return cc_error_set(err, ENOMEM, "cannot read the broker's --client-ca");
	EVP_PKEY *key = X509_get0_pubkey(cert);
	int r = 0, seen = 0;
	X509 *ca;
	while (r == 0 && (ca = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		EVP_PKEY *ca_key = X509_get0_pubkey(ca);
		char subject[256];
		X509_NAME_oneline(X509_get_subject_name(ca), subject, sizeof(subject));
		seen++;
		if (ca_key && key && EVP_PKEY_eq(ca_key, key) == 1)
			r = cc_error_set(
			    err, EINVAL,
			    "the certificate is for the key of the broker's --client-ca (`%s`): a tenant's "
			    "mTLS CA must never be the CA of cocoond's or the admin API's client certificates",
			    subject);
		else if (ca_key && X509_verify(cert, ca_key) == 1)
			r = cc_error_set(
			    err, EINVAL,
			    "the certificate is signed by the broker's --client-ca (`%s`): pod certificates "
			    "would chain to the CA of cocoond's and the admin API's client certificates; sign "
			    "it with the tenant's own offline root",
			    subject);
		X509_free(ca);
	}
	BIO_free(bio);
	ERR_clear_error();
	if (r == 0 && seen == 0)
		return cc_error_set(err, EINVAL, "the broker's --client-ca holds no PEM certificate");
	return r;
}

int kbs_mtls_ca_activate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			 const void *data, size_t len, const char *client_ca, size_t client_ca_len, char *ret_serial,
			 struct cc_error *err)
{
	char key_name[128], cert_name[128];
	if (store_key(tenant, "/ca", key_name, sizeof(key_name), err) < 0 ||
	    store_key(tenant, "/ca-cert", cert_name, sizeof(cert_name), err) < 0)
		return -EINVAL;
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	_cleanup_free_ char *pem = NULL;
	int r = cc_x509_parse_cert(data, len, &cert, err);
	if (r == 0)
		r = open_key(store, root, tenant, key_name, &key, err);
	if (r == 0 && cc_x509_ca_check(cert, key, time(NULL), err) < 0)
		r = cc_error_prefix(err, "the certificate for tenant `%s`'s mTLS CA", tenant);
	if (r == 0 && kbs_mtls_ca_not_client_ca(cert, client_ca, client_ca_len, err) < 0)
		r = cc_error_prefix(err, "the certificate for tenant `%s`'s mTLS CA", tenant);
	if (r == 0 && ret_serial)
		r = cc_x509_serial_hex(X509_get0_serialNumber(cert), ret_serial, err);
	if (r == 0 && write_pem(cert, &pem) < 0)
		r = cc_error_set(err, ENOMEM, "cannot encode the CA certificate");
	if (r == 0)
		r = cc_store_put(store, cert_name, pem, strlen(pem), CC_STORE_ANY, NULL, err);
	X509_free(cert);
	EVP_PKEY_free(key);
	return r;
}

int kbs_mtls_ca_certificate(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err)
{
	char cert_name[128];
	if (store_key(tenant, "/ca-cert", cert_name, sizeof(cert_name), err) < 0)
		return -EINVAL;
	size_t len;
	int r = cc_store_get(store, cert_name, ret_pem, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT,
				    "tenant `%s` has no active mTLS CA certificate; PUT mtls/ca activates one", tenant);
	return r;
}

int kbs_mtls_ca_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     X509 **ret_cert, EVP_PKEY **ret_key, struct cc_error *err)
{
	char key_name[128];
	if (store_key(tenant, "/ca", key_name, sizeof(key_name), err) < 0)
		return -EINVAL;
	_cleanup_free_ char *pem = NULL;
	int r = kbs_mtls_ca_certificate(store, tenant, &pem, err);
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	if (r == 0)
		r = cc_x509_parse_cert(pem, strlen(pem), &cert, err);
	if (r == 0)
		r = open_key(store, root, tenant, key_name, &key, err);
	if (r < 0) {
		X509_free(cert);
		return r;
	}
	*ret_cert = cert;
	*ret_key = key;
	return 0;
}
