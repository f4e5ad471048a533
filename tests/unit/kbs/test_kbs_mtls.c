#include "kbs/kbs_mtls.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509_ca.h"
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
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct cc_error err = { 0 };
	f->dir = unit_tmpdir();
	_cleanup_free_ char *url = cc_xasprintf("sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &f->store, &err), 0);
	memset(f->root, 0x5a, sizeof(f->root));
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;
	cc_store_close(f->store);
	unit_rmdir(f->dir);
	free(f);
	return 0;
}

static void test_config(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	json_t *cfg = NULL;
	assert_int_equal(kbs_mtls_config_get(f->store, "acme", &cfg, &err), -ENOENT);
	const char *text = "{\"trustDomain\": \"acme.example\", \"lifetime\": 600, \"enabled\": false}";
	assert_int_equal(kbs_mtls_config_put(f->store, "acme", text, strlen(text), NULL, &err), 0);
	assert_int_equal(kbs_mtls_config_get(f->store, "acme", &cfg, &err), 0);
	_cleanup_free_ char *canonical = cc_json_canonical(cfg);
	assert_string_equal(canonical, "{\"clusterDomain\":\"cluster.local\",\"enabled\":false,\"lifetime\":600,"
				       "\"trustDomain\":\"acme.example\"}");
	json_decref(cfg);

	static const char *const bad[] = {
		"{\"trustDomain\": \"acme.example\", \"lifetime\": 86401}",
		"{\"trustDomain\": \"acme.example\", \"enabled\": \"yes\"}",
		"{\"trustDomain\": 7}",
		"[]",
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(bad); i++)
		assert_int_equal(kbs_mtls_config_put(f->store, "acme", bad[i], strlen(bad[i]), NULL, &err), -EINVAL);
	assert_int_equal(kbs_mtls_config_put(f->store, "../x", text, strlen(text), NULL, &err), -EINVAL);
}

/* The tenant's root signing the CA's CSR, as an administrator does with openssl. */
static char *root_signs(const char *csr_pem, X509 **ret_root)
{
	struct cc_error err = { 0 };
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(csr_pem, strlen(csr_pem), &csr, &err), 0);
	EVP_PKEY *root_key = EVP_EC_gen("P-256");
	X509 *cert = X509_new();
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 7);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, csr->key);
	X509_set_subject_name(cert, X509_REQ_get_subject_name(csr->req));
	X509_NAME *issuer = X509_NAME_new();
	X509_NAME_add_entry_by_txt(issuer, "CN", MBSTRING_UTF8, (const unsigned char *)"root", -1, -1, 0);
	X509_set_issuer_name(cert, issuer);
	X509_NAME_free(issuer);
	X509V3_CTX ctx;
	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, NULL, cert, NULL, NULL, 0);
	X509_EXTENSION *bc = X509V3_EXT_conf_nid(NULL, &ctx, NID_basic_constraints, "critical,CA:TRUE");
	X509_EXTENSION *ski = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_key_identifier, "hash");
	X509_add_ext(cert, bc, -1);
	X509_add_ext(cert, ski, -1);
	X509_EXTENSION_free(bc);
	X509_EXTENSION_free(ski);
	assert_true(X509_sign(cert, root_key, EVP_sha256()) > 0);
	EVP_PKEY_free(root_key);
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, cert);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)n);
	BIO_free(bio);
	*ret_root = cert;
	return pem;
}

static void test_ca_key_csr_and_activation(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	_cleanup_free_ char *csr = NULL, *again = NULL;
	bool created = false;
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &csr, &created, &err), 0);
	assert_true(created);
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &again, &created, &err), 0);
	assert_false(created);
	_cleanup_(cc_csr_freep) struct cc_csr *a = NULL, *b = NULL;
	assert_int_equal(cc_csr_parse(csr, strlen(csr), &a, &err), 0);
	assert_int_equal(cc_csr_parse(again, strlen(again), &b, &err), 0);
	assert_int_equal(EVP_PKEY_eq(a->key, b->key), 1); /* the same sealed key */

	X509 *cert = NULL, *loaded = NULL;
	EVP_PKEY *key = NULL;
	assert_int_equal(kbs_mtls_ca_load(f->store, f->root, "acme", &loaded, &key, &err), -ENOENT);
	_cleanup_free_ char *pem = root_signs(csr, &cert);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", pem, strlen(pem), &err), 0);
	assert_int_equal(kbs_mtls_ca_load(f->store, f->root, "acme", &loaded, &key, &err), 0);
	assert_int_equal(X509_cmp(loaded, cert), 0);
	assert_int_equal(cc_x509_ca_check(loaded, key, time(NULL), &err), 0);
	X509_free(loaded);
	EVP_PKEY_free(key);

	/* Another root key: the sealed key does not open, and nothing is answered for it. */
	uint8_t wrong[KEYS_ROOT_KEY_SIZE];
	memset(wrong, 0x33, sizeof(wrong));
	char *none = NULL;
	assert_int_equal(kbs_mtls_ca_request(f->store, wrong, "acme", &none, &created, &err), -EBADMSG);
	assert_null(none);
	/* Another tenant has its own CA (none yet), and a certificate for acme's key is not its. */
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "other", pem, strlen(pem), &err), -ENOENT);
	_cleanup_free_ char *other_csr = NULL;
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "other", &other_csr, &created, &err), 0);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "other", pem, strlen(pem), &err), -EINVAL);
	assert_non_null(strstr(err.message, "another key"));
	X509_free(cert);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_key_csr_and_activation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
