#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_ca.h"
#include "kbs/kbs_mtls_crl.h"
#include "kbs/kbs_mtls_records.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/crl.h"
#include "lib/crypto/csr.h"
#include "lib/json/json.h"
#include "lib/store/store.h"
#include "unit.h"

#include <errno.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

struct fixture {
	char *dir;
	struct cc_store *store;
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	X509 *ca;
};

/* The tenant's CA: the broker's key (the next one with rotate), certified by a root made here
 * (CA:TRUE, a key identifier). */
static X509 *activate_key(struct fixture *f, const char *tenant, bool rotate)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *csr_pem = NULL;
	bool created;
	unsigned generation = 1;
	if (rotate)
		assert_int_equal(kbs_mtls_ca_rotate(f->store, f->root, tenant, &csr_pem, &created, &generation, &err),
				 0);
	else
		assert_int_equal(kbs_mtls_ca_request(f->store, f->root, tenant, &csr_pem, &created, &err), 0);
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(csr_pem, strlen(csr_pem), &csr, &err), 0);
	EVP_PKEY *root_key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 41 + (long)generation);
	X509_gmtime_adj(X509_getm_notBefore(cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(cert), 7 * 86400);
	X509_set_pubkey(cert, csr->key);
	X509_set_subject_name(cert, X509_REQ_get_subject_name(csr->req));
	X509_set_issuer_name(cert, X509_REQ_get_subject_name(csr->req));
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	static const int nids[] = { NID_basic_constraints, NID_key_usage, NID_subject_key_identifier };
	static const char *const values[] = { "critical,CA:TRUE", "critical,keyCertSign,cRLSign", "hash" };
	for (size_t i = 0; i < CC_ARRAY_SIZE(nids); i++) {
		X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nids[i], values[i]);
		X509_add_ext(cert, ext, -1);
		X509_EXTENSION_free(ext);
	}
	assert_true(X509_sign(cert, root_key, EVP_sha256()) > 0);
	EVP_PKEY_free(root_key);
	unsigned char *der = NULL;
	int len = i2d_X509(cert, &der);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, tenant, der, (size_t)len, NULL, 0, NULL, &err), 0);
	OPENSSL_free(der);
	return cert;
}

static X509 *activate_ca(struct fixture *f, const char *tenant)
{
	return activate_key(f, tenant, false);
}

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cc_error err = { 0 };
	f->dir = unit_tmpdir();
	_cleanup_free_ char *url = cc_xasprintf("sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	memset(f->root, 0x5a, sizeof(f->root));
	const char *cfg = "{\"trustDomain\": \"acme.example\", \"lifetime\": 900}";
	assert_int_equal(kbs_mtls_config_put(f->store, "acme", cfg, strlen(cfg), NULL, &err), 0);
	f->ca = activate_ca(f, "acme");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	X509_free(f->ca);
	cc_store_close(f->store);
	unit_rmdir(f->dir);
	free(f);
	return 0;
}

static void issued(struct fixture *f, const char *serial, time_t not_after)
{
	_cleanup_free_ char *key = cc_xasprintf("kbs/acme/mtls/issued/%s", serial);
	_cleanup_free_ char *value = cc_xasprintf("{\"jti\":\"j\",\"node\":\"n1\",\"notAfter\":%ld}", (long)not_after);
	assert_int_equal(cc_store_put(f->store, key, value, strlen(value), CC_STORE_ABSENT, NULL, NULL), 0);
}

/* The current CRL, parsed against the CA: its number, and whether serial is on it. */
static X509_CRL *current(struct fixture *f, time_t now, struct kbs_mtls_crl_info *info)
{
	struct cc_error err = { 0 };
	_cleanup_free_ char *pem = NULL;
	assert_int_equal(
	    kbs_mtls_crl_current(f->store, f->root, "acme", now, KBS_MTLS_RETENTION_DEFAULT, &pem, info, &err), 0);
	X509_CRL *crl = NULL;
	assert_int_equal(cc_crl_parse(pem, strlen(pem), f->ca, &crl, &err), 0);
	uint64_t number;
	assert_int_equal(cc_crl_number(crl, &number, &err), 0);
	assert_int_equal(number, info->number);
	return crl;
}

static int listed(X509_CRL *crl, const char *serial)
{
	return cc_crl_lookup(crl, serial, NULL, NULL, NULL);
}

static void test_crl_cache_and_numbers(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	time_t now = time(NULL);
	issued(f, "0a", now + 900);
	issued(f, "0b", now + 900);
	struct kbs_mtls_crl_info info;
	X509_CRL *crl = current(f, now, &info);
	assert_true(info.built);
	assert_true(info.swept);
	assert_int_equal(info.number, 1);
	assert_int_equal(info.entries, 0);
	/* nextUpdate is the leaf lifetime ahead; thisUpdate a minute back, for peers' clocks */
	time_t next = 0, this = 0;
	assert_int_equal(cc_x509_time(X509_CRL_get0_nextUpdate(crl), &next, &err), 0);
	assert_int_equal(cc_x509_time(X509_CRL_get0_lastUpdate(crl), &this, &err), 0);
	assert_int_equal(next, now + 900);
	assert_int_equal(this, now - 60);
	X509_CRL_free(crl);

	/* served from the cache until a revocation marks it stale */
	crl = current(f, now + 10, &info);
	assert_false(info.built);
	assert_int_equal(info.number, 1);
	X509_CRL_free(crl);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0a", CC_CRL_REASON_KEY_COMPROMISE, "x", now, &err),
			 1);
	assert_int_equal(kbs_mtls_crl_invalidate(f->store, "acme", &err), 0);
	crl = current(f, now + 10, &info);
	assert_true(info.built);
	assert_false(info.swept); /* not due yet */
	assert_int_equal(info.number, 2);
	assert_int_equal(listed(crl, "0a"), 1);
	assert_int_equal(listed(crl, "0b"), 0);
	X509_CRL_free(crl);

	/* rebuilt after KBS_MTLS_CRL_REFRESH, and the number goes on; an expired certificate leaves */
	crl = current(f, now + 901, &info);
	assert_true(info.built);
	assert_int_equal(info.number, 3);
	assert_int_equal(listed(crl, "0a"), 0);
	X509_CRL_free(crl);
}

static void test_crl_invalidate_always_writes(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	int64_t before = 0, after = 0;
	_cleanup_free_ char *v1 = NULL, *v2 = NULL;
	size_t len;
	/* absent: a stale placeholder, so a CRL built from an older listing cannot be stored over it */
	assert_int_equal(kbs_mtls_crl_invalidate(f->store, "acme", &err), 0);
	assert_int_equal(cc_store_get(f->store, "kbs/acme/mtls/crl", &v1, &len, &before, &err), 0);
	assert_int_equal(kbs_mtls_crl_invalidate(f->store, "acme", &err), 0);
	assert_int_equal(cc_store_get(f->store, "kbs/acme/mtls/crl", &v2, &len, &after, &err), 0);
	assert_true(after > before);
	struct kbs_mtls_crl_info info;
	X509_CRL *crl = current(f, time(NULL), &info);
	assert_int_equal(info.number, 1);
	X509_CRL_free(crl);
}

static void test_crl_without_ca(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	char *pem = NULL;
	struct kbs_mtls_crl_info info;
	assert_int_equal(kbs_mtls_crl_current(f->store, f->root, "other", time(NULL), 60, &pem, &info, &err), -ENOENT);
	assert_null(pem);
	assert_int_equal(kbs_mtls_crl_current(f->store, f->root, "../x", time(NULL), 60, &pem, &info, &err), -EINVAL);
}

/* A record of a certificate issued by a CA generation (0: a record from before rotation). */
static void issued_by(struct fixture *f, const char *serial, time_t not_after, unsigned generation)
{
	_cleanup_free_ char *key = cc_xasprintf("kbs/acme/mtls/issued/%s", serial);
	_cleanup_free_ char *value =
	    generation ? cc_xasprintf("{\"ca\":%u,\"jti\":\"j\",\"node\":\"n1\",\"notAfter\":%ld}", generation,
				      (long)not_after)
		       : cc_xasprintf("{\"jti\":\"j\",\"node\":\"n1\",\"notAfter\":%ld}", (long)not_after);
	assert_int_equal(cc_store_put(f->store, key, value, strlen(value), CC_STORE_ABSENT, NULL, NULL), 0);
}

/* The i-th CRL of a PEM with several, parsed against its CA. */
static X509_CRL *nth_crl(const char *pem, int i, X509 *ca)
{
	struct cc_error err = { 0 };
	static const char end[] = "-----END X509 CRL-----\n";
	const char *start = pem;
	for (int k = 0; k < i; k++) {
		start = strstr(start, end);
		assert_non_null(start);
		start += strlen(end);
	}
	const char *stop = strstr(start, end);
	assert_non_null(stop);
	X509_CRL *crl = NULL;
	assert_int_equal(cc_crl_parse(start, (size_t)(stop + strlen(end) - start), ca, &crl, &err), 0);
	return crl;
}

static int count_crls(const char *pem)
{
	int n = 0;
	for (const char *p = pem; (p = strstr(p, "-----BEGIN X509 CRL-----")); p++)
		n++;
	return n;
}

/* After a switch the CRL is one per CA, each listing what its CA issued; the previous CA retires only
 * once its stay passed and nothing it issued is still valid and unrevoked, and its key goes with it. */
static void test_crl_rotation(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	time_t now = time(NULL);
	issued_by(f, "0a", now + 900, 0); /* before rotation: generation 1's */
	issued_by(f, "0b", now + 900, 1);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0b", CC_CRL_REASON_KEY_COMPROMISE, "x", now, &err),
			 1);
	X509 *second = activate_key(f, "acme", true);
	issued_by(f, "0c", now + 900, 2);
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0c", CC_CRL_REASON_SUPERSEDED, "x", now, &err), 1);

	_cleanup_free_ char *pem = NULL;
	struct kbs_mtls_crl_info info;
	assert_int_equal(
	    kbs_mtls_crl_current(f->store, f->root, "acme", now, KBS_MTLS_RETENTION_DEFAULT, &pem, &info, &err), 0);
	assert_int_equal(info.issuers, 2);
	assert_int_equal(count_crls(pem), 2);
	X509_CRL *active = nth_crl(pem, 0, second), *previous = nth_crl(pem, 1, f->ca);
	assert_int_equal(listed(active, "0c"), 1);
	assert_int_equal(listed(active, "0b"), 0);
	assert_int_equal(listed(previous, "0b"), 1);
	assert_int_equal(listed(previous, "0c"), 0);
	uint64_t a = 0, b = 0;
	assert_int_equal(cc_crl_number(active, &a, &err), 0);
	assert_int_equal(cc_crl_number(previous, &b, &err), 0);
	assert_int_equal(a, info.number);
	assert_int_equal(b, info.number);
	X509_CRL_free(active);
	X509_CRL_free(previous);

	/* past its stay (lifetime 900 s and the skew), 0a has expired, but 0d, of generation 1 (a record
	 * from before rotation), is still valid: the previous CA stays */
	json_t *status = NULL;
	assert_int_equal(kbs_mtls_ca_status(f->store, "acme", &status, &err), 0);
	time_t until = (time_t)json_integer_value(json_object_get(json_object_get(status, "previous"), "until"));
	json_decref(status);
	assert_true(until >= now + 900 + 60 && until <= now + 900 + 60 + 5);
	issued_by(f, "0d", until + 500, 0);
	free(pem);
	pem = NULL;
	assert_int_equal(
	    kbs_mtls_crl_current(f->store, f->root, "acme", until + 1, KBS_MTLS_RETENTION_DEFAULT, &pem, &info, &err),
	    0);
	assert_true(info.built);
	assert_int_equal(info.issuers, 2);
	assert_int_equal(info.retired, 0);
	/* once 0d is revoked, the next build retires it */
	assert_int_equal(kbs_mtls_record_revoke(f->store, "acme", "0d", CC_CRL_REASON_UNSPECIFIED, "x", now, &err), 1);
	assert_int_equal(kbs_mtls_crl_invalidate(f->store, "acme", &err), 0);
	free(pem);
	pem = NULL;
	assert_int_equal(
	    kbs_mtls_crl_current(f->store, f->root, "acme", until + 2, KBS_MTLS_RETENTION_DEFAULT, &pem, &info, &err),
	    0);
	assert_int_equal(info.retired, 1);
	assert_int_equal(info.issuers, 1);
	assert_int_equal(count_crls(pem), 1);
	X509_CRL *only = nth_crl(pem, 0, second);
	X509_CRL_free(only);
	_cleanup_free_ char *bundle = NULL, *gone = NULL;
	assert_int_equal(kbs_mtls_ca_bundle(f->store, "acme", &bundle, &err), 0);
	assert_null(strstr(strstr(bundle, "-----END CERTIFICATE-----"), "BEGIN"));
	size_t len;
	assert_int_equal(cc_store_get(f->store, "kbs/acme/mtls/ca", &gone, &len, NULL, &err), -ENOENT);
	/* retiring again is nothing; a new rotation may start, with the third key */
	assert_int_equal(kbs_mtls_ca_retire(f->store, "acme", 1, &err), 0);
	X509 *third = activate_key(f, "acme", true);
	X509_free(third);
	X509_free(second);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_crl_cache_and_numbers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_invalidate_always_writes, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_without_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_crl_rotation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
