/* The tenant's issuing CAs in the store, and their rotation (see kbs_mtls_ca.h). The keys are sealed
 * exactly as resources are (kbs_tenant.c): AES-256-GCM under the root key with the store key as
 * associated data. The store has per-key compare-and-swap and no transactions, so everything that
 * must change at once (which key issues, which certificates peers trust) lives in the one state
 * entry, and a key is written before the state names it and deleted after the state dropped it:
 * whatever a broker reads, the keys the state names exist. */
#include "kbs/kbs_mtls_ca.h"

#include "kbs/kbs_mtls.h"
#include "kbs/kbs_store_json.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/x509_ca.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KEY_DER_MAX    1024 /* an EC P-256 private key is about 120 bytes of DER */
#define GENERATION_MAX 1000000
#define CAS_TRIES      8

/* ---- names ---- */

static int key_name(const char *tenant, unsigned generation, char *out, size_t size, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	if (generation <= 1)
		snprintf(out, size, "kbs/%s/mtls/ca", tenant);
	else
		snprintf(out, size, "kbs/%s/mtls/ca-%u", tenant, generation);
	return 0;
}

static int state_name(const char *tenant, char *out, size_t size, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	snprintf(out, size, "kbs/%s/mtls/ca-cert", tenant);
	return 0;
}

/* ---- the state entry ---- */

static unsigned generation_of(const json_t *state, const char *which)
{
	return (unsigned)json_integer_value(json_object_get(json_object_get(state, which), "generation"));
}

static const char *certificate_of(const json_t *state, const char *which)
{
	return json_string_value(json_object_get(json_object_get(state, which), "certificate"));
}

static bool well_formed(const json_t *state)
{
	static const char *const parts[] = { "active", "next", "previous" };
	if (!json_is_object(state))
		return false;
	for (size_t i = 0; i < CC_ARRAY_SIZE(parts); i++) {
		json_t *part = json_object_get(state, parts[i]);
		json_t *generation = json_object_get(part, "generation");
		if (!part)
			continue;
		if (!json_is_integer(generation) || json_integer_value(generation) < 1 ||
		    json_integer_value(generation) > GENERATION_MAX)
			return false;
		if (i != 1 && !certificate_of(state, parts[i]))
			return false;
	}
	return !json_object_get(state, "previous") || json_object_get(state, "active");
}

/* The state and its revision: an empty object and CC_STORE_ABSENT when there is none. */
static int read_state(struct cc_store *store, const char *tenant, json_t **ret, int64_t *ret_revision,
		      struct cc_error *err)
{
	char name[128];
	if (state_name(tenant, name, sizeof(name), err) < 0)
		return -EINVAL;
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_store_get(store, name, &text, &len, ret_revision, err);
	if (r == -ENOENT) {
		*ret_revision = CC_STORE_ABSENT;
		*ret = json_object();
		return 0;
	}
	if (r < 0)
		return r;
	if (strncmp(text, "-----BEGIN", 10) == 0) { /* written before rotation existed */
		*ret = json_pack("{s:{s:i, s:s}}", "active", "generation", 1, "certificate", text);
		return 0;
	}
	if ((r = cc_json_parse(text, len, KBS_MTLS_CA_STATE_MAX, "tenant's mTLS CA state", ret, err)) < 0)
		return r;
	if (!well_formed(*ret)) {
		json_decref(*ret);
		return cc_error_set(err, EUCLEAN, "store: %s is not a CA state (active, next, previous)", name);
	}
	return 0;
}

static int write_state(struct cc_store *store, const char *tenant, const json_t *state, int64_t revision,
		       struct cc_error *err)
{
	char name[128];
	if (state_name(tenant, name, sizeof(name), err) < 0)
		return -EINVAL;
	return kbs_store_json_put(store, name, state, revision, err);
}

static int no_active(const char *tenant, struct cc_error *err)
{
	return cc_error_set(err, ENOENT, "tenant `%s` has no active mTLS CA certificate; PUT mtls/ca activates one",
			    tenant);
}

/* ---- the keys, sealed ---- */

static int seal_new_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *name, EVP_PKEY *key,
			struct cc_error *err)
{
	unsigned char *der = NULL;
	int len = i2d_PrivateKey(key, &der);
	if (len <= 0 || len > KEY_DER_MAX) {
		OPENSSL_clear_free(der, len > 0 ? (size_t)len : 0);
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot encode the issuing CA's key");
	}
	_cleanup_free_ uint8_t *sealed = cc_xmalloc((size_t)len + CC_AEAD_OVERHEAD);
	int r = cc_aead_seal(root, name, strlen(name), der, (size_t)len, sealed, err);
	OPENSSL_clear_free(der, (size_t)len);
	if (r == 0)
		r = cc_store_put(store, name, sealed, (size_t)len + CC_AEAD_OVERHEAD, CC_STORE_ABSENT, NULL, err);
	return r;
}

static int open_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		    unsigned generation, EVP_PKEY **ret, struct cc_error *err)
{
	char name[128];
	if (key_name(tenant, generation, name, sizeof(name), err) < 0)
		return -EINVAL;
	_cleanup_free_ char *sealed = NULL;
	size_t len;
	int r = cc_store_get(store, name, &sealed, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "tenant `%s` has no mTLS issuing CA; POST mtls/ca makes one", tenant);
	if (r < 0)
		return r;
	if (len <= CC_AEAD_OVERHEAD || len > KEY_DER_MAX + CC_AEAD_OVERHEAD)
		return cc_error_set(err, EUCLEAN, "store: the mTLS CA key %s is malformed", name);
	uint8_t der[KEY_DER_MAX];
	size_t der_len = len - CC_AEAD_OVERHEAD;
	if (cc_aead_open(root, name, strlen(name), (const uint8_t *)sealed, len, der, NULL) < 0)
		return cc_error_set(
		    err, EBADMSG, "the mTLS CA key of tenant `%s` does not open with this root key (altered or moved)",
		    tenant);
	const unsigned char *p = der;
	EVP_PKEY *key = d2i_AutoPrivateKey(NULL, &p, (long)der_len);
	OPENSSL_cleanse(der, sizeof(der));
	ERR_clear_error();
	if (!key)
		return cc_error_set(err, EUCLEAN, "store: the mTLS CA key %s is not a key", name);
	*ret = key;
	return 0;
}

/* The key of a generation, made and sealed when there is none. Two brokers racing to make it: the
 * store takes the first (CC_STORE_ABSENT) and the other opens that one. */
static int get_or_make_key(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			   unsigned generation, EVP_PKEY **ret, bool *ret_created, struct cc_error *err)
{
	*ret_created = false;
	int r = open_key(store, root, tenant, generation, ret, err);
	if (r != -ENOENT)
		return r;
	char name[128];
	if (key_name(tenant, generation, name, sizeof(name), err) < 0)
		return -EINVAL;
	EVP_PKEY *key = EVP_EC_gen("P-256");
	if (!key) {
		ERR_clear_error();
		return cc_error_set(err, EIO, "cannot make an EC P-256 key for the issuing CA");
	}
	r = seal_new_key(store, root, name, key, err);
	if (r == -ESTALE) {
		EVP_PKEY_free(key);
		return open_key(store, root, tenant, generation, ret, err);
	}
	if (r < 0) {
		EVP_PKEY_free(key);
		return r;
	}
	*ret = key;
	*ret_created = true;
	return 0;
}

/* The CSR an administrator's root signs. Each generation has a subject of its own, so that peers
 * and their CRL lookups never take one CA of the bundle for the other. */
static int csr_for(EVP_PKEY *key, const char *tenant, unsigned generation, char **ret, struct cc_error *err)
{
	char cn[96];
	if (generation <= 1)
		snprintf(cn, sizeof(cn), "cocoon mTLS CA of tenant %s", tenant);
	else
		snprintf(cn, sizeof(cn), "cocoon mTLS CA of tenant %s (%u)", tenant, generation);
	return cc_csr_make(key, cn, true, ret, err);
}

/* ---- requests ---- */

int kbs_mtls_ca_request(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			char **ret_csr_pem, bool *ret_created, struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int64_t revision;
	int r = read_state(store, tenant, &state, &revision, err);
	if (r < 0)
		return r;
	unsigned generation = generation_of(state, "active");
	EVP_PKEY *key = NULL;
	*ret_created = false;
	if (generation) /* the active key is never remade: its certificate names it */
		r = open_key(store, root, tenant, generation, &key, err);
	else
		r = get_or_make_key(store, root, tenant, generation = 1, &key, ret_created, err);
	if (r < 0)
		return r;
	r = csr_for(key, tenant, generation, ret_csr_pem, err);
	EVP_PKEY_free(key);
	return r;
}

static int rotation_refused(const json_t *state, const char *tenant, struct cc_error *err)
{
	if (!json_object_get(state, "active"))
		return cc_error_set(err, EBUSY,
				    "tenant `%s` has no active mTLS CA to rotate; POST mtls/ca and PUT its certificate "
				    "first",
				    tenant);
	char until[40];
	time_t t = (time_t)json_integer_value(json_object_get(json_object_get(state, "previous"), "until"));
	cc_time_format_rfc3339_seconds((int64_t)t * 1000000000, until, sizeof(until));
	return cc_error_set(err, EBUSY,
			    "tenant `%s`'s previous mTLS CA (generation %u) stays in the bundle until %s, and after "
			    "that while certificates it issued are valid; a rotation can start once it retired",
			    tenant, generation_of(state, "previous"), until);
}

int kbs_mtls_ca_rotate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		       char **ret_csr_pem, bool *ret_created, unsigned *ret_generation, struct cc_error *err)
{
	*ret_created = false;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *state = NULL;
		int64_t revision;
		int r = read_state(store, tenant, &state, &revision, err);
		if (r < 0)
			return r;
		if (!json_object_get(state, "active") || json_object_get(state, "previous"))
			return rotation_refused(state, tenant, err);
		unsigned generation = generation_of(state, "next");
		bool started = generation == 0, created = false;
		if (started)
			generation = generation_of(state, "active") + 1;
		if (generation > GENERATION_MAX)
			return cc_error_set(err, EOVERFLOW, "tenant `%s` rotated its mTLS CA too often", tenant);
		EVP_PKEY *key = NULL;
		/* the key first, then the state naming it: a broker never reads a next key that is not there */
		r = started ? get_or_make_key(store, root, tenant, generation, &key, &created, err)
			    : open_key(store, root, tenant, generation, &key, err);
		if (r == 0 && started) {
			json_object_set_new(state, "next",
					    json_pack("{s:i, s:I}", "generation", (int)generation, "startedAt",
						      (json_int_t)time(NULL)));
			r = write_state(store, tenant, state, revision, err);
		}
		if (r == 0)
			r = csr_for(key, tenant, generation, ret_csr_pem, err);
		EVP_PKEY_free(key);
		*ret_created |= created;
		if (r == -ESTALE)
			continue; /* another broker changed the state: read it again */
		if (r == 0 && ret_generation)
			*ret_generation = generation;
		return r;
	}
	return cc_error_set(err, EBUSY, "the mTLS CA state of tenant `%s` kept changing; try again", tenant);
}

/* ---- activation ---- */

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

/* Which of the tenant's keys the certificate is for: the rotation's next key, else the active one
 * (generation 1 before any activation). When it is for neither, cc_x509_ca_check against the active
 * key says why. *ret_key is that key. */
static int key_for(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		   const json_t *state, X509 *cert, unsigned *ret_generation, EVP_PKEY **ret_key, struct cc_error *err)
{
	unsigned candidates[2] = { generation_of(state, "next"), generation_of(state, "active") };
	if (!candidates[1])
		candidates[1] = 1;
	for (size_t i = 0; i < 2; i++) {
		EVP_PKEY *key = NULL;
		if (!candidates[i])
			continue;
		int r = open_key(store, root, tenant, candidates[i], &key, err);
		if (r < 0)
			return r;
		if (EVP_PKEY_eq(X509_get0_pubkey(cert), key) == 1 || i == 1) {
			*ret_generation = candidates[i];
			*ret_key = key;
			return 0;
		}
		EVP_PKEY_free(key);
	}
	return cc_error_set(err, EINVAL, "no key to activate"); /* not reached: candidates[1] is set */
}

/* How long the CA that stops issuing now stays trusted: the tenant's leaf lifetime (the longest
 * allowed without a configuration) and the skew, never past its own notAfter. The records, not this
 * time alone, decide when it retires (kbs_mtls_crl.c), so a lifetime lowered before the switch
 * cannot drop it early. */
static time_t previous_until(struct cc_store *store, const char *tenant, const char *pem, time_t now)
{
	struct cc_error err = { 0 };
	_cleanup_json_ json_t *cfg = NULL;
	json_int_t lifetime = KBS_MTLS_LIFETIME_MAX;
	if (kbs_mtls_config_get(store, tenant, &cfg, &err) == 0 && json_integer_value(json_object_get(cfg, "lifetime")))
		lifetime = json_integer_value(json_object_get(cfg, "lifetime"));
	time_t until = now + (time_t)lifetime + KBS_MTLS_CA_SKEW, not_after;
	X509 *cert = NULL;
	if (cc_x509_parse_cert(pem, strlen(pem), &cert, &err) == 0 &&
	    cc_x509_time(X509_get0_notAfter(cert), &not_after, &err) == 0 && not_after < until)
		until = not_after;
	X509_free(cert);
	return until;
}

/* The state after activating pem for generation: a switch when it is the rotation's key. */
static void activated(struct cc_store *store, const char *tenant, json_t *state, unsigned generation, const char *pem,
		      time_t now, struct kbs_mtls_activation *info)
{
	info->generation = generation;
	info->switched = generation == generation_of(state, "next");
	if (info->switched) {
		const char *old = certificate_of(state, "active");
		info->previous_until = previous_until(store, tenant, old, now);
		json_object_set_new(state, "previous",
				    json_pack("{s:i, s:s, s:I}", "generation", (int)generation_of(state, "active"),
					      "certificate", old, "until", (json_int_t)info->previous_until));
		json_object_del(state, "next");
	}
	json_object_set_new(state, "active",
			    json_pack("{s:i, s:s}", "generation", (int)generation, "certificate", pem));
}

static void serial_of_pem(const char *pem, char out[CC_X509_SERIAL_HEX_MAX])
{
	struct cc_error err = { 0 };
	X509 *cert = NULL;
	out[0] = '\0';
	if (pem && cc_x509_parse_cert(pem, strlen(pem), &cert, &err) == 0)
		cc_x509_serial_hex(X509_get0_serialNumber(cert), out, &err);
	X509_free(cert);
}

static int activate_once(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, X509 *cert,
			 const char *pem, const char *client_ca, size_t client_ca_len, struct kbs_mtls_activation *info,
			 struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int64_t revision;
	unsigned generation = 0;
	EVP_PKEY *key = NULL;
	int r = read_state(store, tenant, &state, &revision, err);
	if (r == 0)
		r = key_for(store, root, tenant, state, cert, &generation, &key, err);
	if (r == 0 && cc_x509_ca_check(cert, key, time(NULL), err) < 0)
		r = cc_error_prefix(err, "the certificate for tenant `%s`'s mTLS CA", tenant);
	if (r == 0 && kbs_mtls_ca_not_client_ca(cert, client_ca, client_ca_len, err) < 0)
		r = cc_error_prefix(err, "the certificate for tenant `%s`'s mTLS CA", tenant);
	EVP_PKEY_free(key);
	if (r < 0)
		return r;
	char previous[CC_X509_SERIAL_HEX_MAX];
	serial_of_pem(certificate_of(state, "active"), previous);
	activated(store, tenant, state, generation, pem, time(NULL), info);
	if (info->switched)
		memcpy(info->previous_serial, previous, sizeof(previous));
	return write_state(store, tenant, state, revision, err);
}

int kbs_mtls_ca_activate(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			 const void *data, size_t len, const char *client_ca, size_t client_ca_len,
			 struct kbs_mtls_activation *ret, struct cc_error *err)
{
	X509 *cert = NULL;
	_cleanup_free_ char *pem = NULL;
	struct kbs_mtls_activation info = { 0 };
	int r = cc_x509_parse_cert(data, len, &cert, err);
	if (r == 0)
		r = cc_x509_serial_hex(X509_get0_serialNumber(cert), info.serial, err);
	if (r == 0 && write_pem(cert, &pem) < 0)
		r = cc_error_set(err, ENOMEM, "cannot encode the CA certificate");
	for (int attempt = 0; r == 0 && attempt < CAS_TRIES; attempt++) {
		/* a conflict is read again: another broker's switch to this very key makes this a renewal */
		r = activate_once(store, root, tenant, cert, pem, client_ca, client_ca_len, &info, err);
		if (r != -ESTALE)
			break;
		r = attempt + 1 < CAS_TRIES
			? 0
			: cc_error_set(err, EBUSY, "the mTLS CA state of tenant `%s` kept changing; try again", tenant);
	}
	X509_free(cert);
	if (ret)
		*ret = info;
	return r;
}

/* ---- reading ---- */

/* The state, when a CA is active; -ENOENT otherwise. */
static int read_active(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	int64_t revision;
	int r = read_state(store, tenant, ret, &revision, err);
	if (r == 0 && !certificate_of(*ret, "active")) {
		json_decref(*ret);
		*ret = NULL;
		return no_active(tenant, err);
	}
	return r;
}

int kbs_mtls_ca_certificate(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int r = read_active(store, tenant, &state, err);
	if (r < 0)
		return r;
	*ret_pem = cc_xstrdup(certificate_of(state, "active"));
	return 0;
}

int kbs_mtls_ca_bundle(struct cc_store *store, const char *tenant, char **ret_pem, struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int r = read_active(store, tenant, &state, err);
	if (r < 0)
		return r;
	const char *active = certificate_of(state, "active"), *previous = certificate_of(state, "previous");
	*ret_pem = cc_xasprintf("%s%s%s", active, previous && active[strlen(active) - 1] != '\n' ? "\n" : "",
				previous ? previous : "");
	return 0;
}

int kbs_mtls_ca_status(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int r = read_active(store, tenant, &state, err);
	if (r < 0)
		return r;
	json_t *status = json_pack("{s:s, s:i}", "certificate", certificate_of(state, "active"), "generation",
				   (int)generation_of(state, "active"));
	if (json_object_get(state, "previous"))
		json_object_set(status, "previous", json_object_get(state, "previous"));
	if (json_object_get(state, "next"))
		json_object_set(status, "next", json_object_get(state, "next"));
	*ret = status;
	return 0;
}

int kbs_mtls_ca_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     X509 **ret_cert, EVP_PKEY **ret_key, unsigned *ret_generation, struct cc_error *err)
{
	_cleanup_json_ json_t *state = NULL;
	int r = read_active(store, tenant, &state, err);
	if (r < 0)
		return r;
	const char *pem = certificate_of(state, "active");
	unsigned generation = generation_of(state, "active");
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	r = cc_x509_parse_cert(pem, strlen(pem), &cert, err);
	if (r == 0)
		r = open_key(store, root, tenant, generation, &key, err);
	if (r < 0) {
		X509_free(cert);
		return r;
	}
	*ret_cert = cert;
	*ret_key = key;
	if (ret_generation)
		*ret_generation = generation;
	return 0;
}

static int load_signer(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		       const json_t *state, const char *which, struct kbs_mtls_signer *s, struct cc_error *err)
{
	const char *pem = certificate_of(state, which);
	s->generation = generation_of(state, which);
	s->until = (time_t)json_integer_value(json_object_get(json_object_get(state, which), "until"));
	int r = cc_x509_parse_cert(pem, strlen(pem), &s->cert, err);
	if (r == 0)
		r = open_key(store, root, tenant, s->generation, &s->key, err);
	return r;
}

int kbs_mtls_ca_signers(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
			struct kbs_mtls_signers *ret, struct cc_error *err)
{
	memset(ret, 0, sizeof(*ret));
	_cleanup_json_ json_t *state = NULL;
	int r = read_active(store, tenant, &state, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *both =
	    cc_xasprintf("%s%s", certificate_of(state, "active"), certificate_of(state, "previous") ?: "");
	uint8_t digest[32];
	if ((r = cc_digest(CC_DIGEST_SHA256, both, strlen(both), digest, err)) < 0)
		return r;
	cc_hex_encode(digest, sizeof(digest), ret->digest);
	r = load_signer(store, root, tenant, state, "active", &ret->ca[ret->n++], err);
	if (r == 0 && json_object_get(state, "previous")) {
		r = load_signer(store, root, tenant, state, "previous", &ret->ca[ret->n++], err);
		if (r == -ENOENT) /* its key is deleted only after the state dropped it */
			r = cc_error_set(err, ESTALE, "tenant `%s`'s previous mTLS CA retired meanwhile", tenant);
	}
	if (r < 0)
		kbs_mtls_signers_free(ret);
	return r;
}

void kbs_mtls_signers_free(struct kbs_mtls_signers *signers)
{
	for (size_t i = 0; i < signers->n; i++) {
		X509_free(signers->ca[i].cert);
		EVP_PKEY_free(signers->ca[i].key);
	}
	memset(signers, 0, sizeof(*signers));
}

/* ---- retirement ---- */

int kbs_mtls_ca_retire(struct cc_store *store, const char *tenant, unsigned generation, struct cc_error *err)
{
	char name[128];
	if (key_name(tenant, generation, name, sizeof(name), err) < 0)
		return -EINVAL;
	for (int attempt = 0; attempt < CAS_TRIES; attempt++) {
		_cleanup_json_ json_t *state = NULL;
		int64_t revision;
		int r = read_state(store, tenant, &state, &revision, err);
		if (r < 0)
			return r;
		if (generation_of(state, "previous") != generation)
			return 0; /* another broker retired it */
		json_object_del(state, "previous");
		r = write_state(store, tenant, state, revision, err);
		if (r == -ESTALE)
			continue;
		if (r < 0)
			return r;
		/* the state no longer names the key: nothing reads it again */
		r = cc_store_delete(store, name, err);
		return r < 0 && r != -ENOENT ? cc_error_prefix(err, "the retired CA's key stays in the store") : 1;
	}
	return cc_error_set(err, EBUSY, "the mTLS CA state of tenant `%s` kept changing; try again", tenant);
}
