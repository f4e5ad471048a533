#include "kbs/kbs_mtls.h"
#include "kbs/kbs_mtls_ca.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/csr.h"
#include "lib/crypto/x509.h"
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

static char *pem_of(X509 *cert)
{
	BIO *bio = BIO_new(BIO_s_mem());
	PEM_write_bio_X509(bio, cert);
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *pem = strndup(data, (size_t)n);
	BIO_free(bio);
	return pem;
}

/* A root key signing the CA's CSR, as an administrator does with openssl. */
static char *signs(EVP_PKEY *root_key, const char *csr_pem, X509 **ret_root)
{
	struct cc_error err = { 0 };
	_cleanup_(cc_csr_freep) struct cc_csr *csr = NULL;
	assert_int_equal(cc_csr_parse(csr_pem, strlen(csr_pem), &csr, &err), 0);
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
	*ret_root = cert;
	return pem_of(cert);
}

/* The tenant's own offline root signing. */
static char *root_signs(const char *csr_pem, X509 **ret_root)
{
	EVP_PKEY *root_key = EVP_EC_gen("P-256");
	char *pem = signs(root_key, csr_pem, ret_root);
	EVP_PKEY_free(root_key);
	return pem;
}

/* A self-signed CA certificate for key: the broker's --client-ca in the tests. */
static char *self_signed(EVP_PKEY *key)
{
	X509 *cert = X509_new();
	X509_set_version(cert, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(cert), -60);
	X509_gmtime_adj(X509_getm_notAfter(cert), 86400);
	X509_set_pubkey(cert, key);
	X509_NAME *name = X509_NAME_new();
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_UTF8, (const unsigned char *)"cocoon node CA", -1, -1, 0);
	X509_set_subject_name(cert, name);
	X509_set_issuer_name(cert, name);
	X509_NAME_free(name);
	assert_true(X509_sign(cert, key, EVP_sha256()) > 0);
	char *pem = pem_of(cert);
	X509_free(cert);
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
	assert_int_equal(kbs_mtls_ca_load(f->store, f->root, "acme", &loaded, &key, NULL, &err), -ENOENT);
	_cleanup_free_ char *pem = root_signs(csr, &cert);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", pem, strlen(pem), NULL, 0, NULL, &err), 0);
	assert_int_equal(kbs_mtls_ca_load(f->store, f->root, "acme", &loaded, &key, NULL, &err), 0);
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
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "other", pem, strlen(pem), NULL, 0, NULL, &err),
			 -ENOENT);
	_cleanup_free_ char *other_csr = NULL;
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "other", &other_csr, &created, &err), 0);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "other", pem, strlen(pem), NULL, 0, NULL, &err),
			 -EINVAL);
	assert_non_null(strstr(err.message, "another key"));
	X509_free(cert);
}

/* "Confusing CAs": the broker's --client-ca may neither be the tenant's CA nor have signed it. */
static void test_ca_not_client_ca(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	_cleanup_free_ char *csr = NULL;
	bool created = false;
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &csr, &created, &err), 0);

	EVP_PKEY *client_key = EVP_EC_gen("P-256");
	_cleanup_free_ char *client_ca = self_signed(client_key);
	X509 *cert = NULL;
	_cleanup_free_ char *by_client_ca = signs(client_key, csr, &cert);
	struct kbs_mtls_activation info;
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", by_client_ca, strlen(by_client_ca), client_ca,
					      strlen(client_ca), &info, &err),
			 -EINVAL);
	assert_non_null(strstr(err.message, "signed by the broker's --client-ca"));
	assert_non_null(strstr(err.message, "cocoon node CA"));
	X509_free(cert);

	/* The tenant's own root passes, and the activated serial is named. */
	_cleanup_free_ char *by_root = root_signs(csr, &cert);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", by_root, strlen(by_root), client_ca,
					      strlen(client_ca), &info, &err),
			 0);
	assert_string_equal(info.serial, "07");
	assert_int_equal(info.generation, 1);
	assert_false(info.switched);
	assert_int_equal(kbs_mtls_ca_not_client_ca(cert, client_ca, strlen(client_ca), &err), 0);
	/* A certificate with the client CA's key itself. */
	BIO *bio = BIO_new_mem_buf(client_ca, -1);
	X509 *same = PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	assert_int_equal(kbs_mtls_ca_not_client_ca(same, client_ca, strlen(client_ca), &err), -EINVAL);
	assert_non_null(strstr(err.message, "for the key of the broker's --client-ca"));
	/* A --client-ca without certificates is a fault, not a pass. */
	assert_int_equal(kbs_mtls_ca_not_client_ca(cert, "junk", 4, &err), -EINVAL);
	X509_free(same);
	X509_free(cert);
	EVP_PKEY_free(client_key);
}

/* A rotation, as two brokers on one store see it: the second key made through one, its certificate
 * activated through the other; the previous CA stays in the bundle, and only one rotation runs. */
static void test_ca_rotation(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	struct cc_store *other = NULL;
	_cleanup_free_ char *url = cc_xasprintf("sqlite:%s/state.db", f->dir);
	assert_int_equal(cc_store_open(url, &other, &err), 0);
	const char *cfg = "{\"trustDomain\": \"acme.example\", \"lifetime\": 600}";
	assert_int_equal(kbs_mtls_config_put(f->store, "acme", cfg, strlen(cfg), NULL, &err), 0);

	/* nothing to rotate before a CA is active */
	_cleanup_free_ char *csr1 = NULL, *csr2 = NULL, *again = NULL;
	bool created = false;
	unsigned generation = 0;
	assert_int_equal(kbs_mtls_ca_rotate(f->store, f->root, "acme", &csr2, &created, &generation, &err), -EBUSY);
	assert_non_null(strstr(err.message, "no active mTLS CA to rotate"));
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &csr1, &created, &err), 0);
	X509 *root1 = NULL, *root2 = NULL;
	_cleanup_free_ char *pem1 = root_signs(csr1, &root1);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", pem1, strlen(pem1), NULL, 0, NULL, &err), 0);

	/* broker A starts it: a new key, asked for again it is the same one */
	assert_int_equal(kbs_mtls_ca_rotate(f->store, f->root, "acme", &csr2, &created, &generation, &err), 0);
	assert_true(created);
	assert_int_equal(generation, 2);
	assert_int_equal(kbs_mtls_ca_rotate(other, f->root, "acme", &again, &created, &generation, &err), 0);
	assert_false(created);
	_cleanup_(cc_csr_freep) struct cc_csr *a = NULL, *b = NULL, *c = NULL;
	assert_int_equal(cc_csr_parse(csr1, strlen(csr1), &a, &err), 0);
	assert_int_equal(cc_csr_parse(csr2, strlen(csr2), &b, &err), 0);
	assert_int_equal(cc_csr_parse(again, strlen(again), &c, &err), 0);
	assert_int_equal(EVP_PKEY_eq(b->key, c->key), 1);
	assert_int_not_equal(EVP_PKEY_eq(a->key, b->key), 1);
	char subject[128];
	X509_NAME_oneline(X509_REQ_get_subject_name(b->req), subject, sizeof(subject));
	assert_string_equal(subject, "/CN=cocoon mTLS CA of tenant acme (2)");
	/* the active CA keeps issuing meanwhile, and the bundle is still the one CA */
	X509 *cert = NULL;
	EVP_PKEY *key = NULL;
	assert_int_equal(kbs_mtls_ca_load(other, f->root, "acme", &cert, &key, &generation, &err), 0);
	assert_int_equal(generation, 1);
	X509_free(cert);
	EVP_PKEY_free(key);
	json_t *status = NULL;
	assert_int_equal(kbs_mtls_ca_status(other, "acme", &status, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(status, "next"), "generation")), 2);
	assert_null(json_object_get(status, "previous"));
	json_decref(status);

	/* broker B activates the root's certificate for it: the switch */
	_cleanup_free_ char *pem2 = root_signs(csr2, &root2);
	struct kbs_mtls_activation info;
	time_t now = time(NULL);
	assert_int_equal(kbs_mtls_ca_activate(other, f->root, "acme", pem2, strlen(pem2), NULL, 0, &info, &err), 0);
	assert_true(info.switched);
	assert_int_equal(info.generation, 2);
	assert_string_equal(info.previous_serial, "07");
	assert_true(info.previous_until >= now + 600 + 60 && info.previous_until <= now + 600 + 60 + 5);
	assert_int_equal(kbs_mtls_ca_load(f->store, f->root, "acme", &cert, &key, &generation, &err), 0);
	assert_int_equal(generation, 2);
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(cert), b->key), 1);
	X509_free(cert);
	EVP_PKEY_free(key);
	_cleanup_free_ char *bundle = NULL;
	assert_int_equal(kbs_mtls_ca_bundle(f->store, "acme", &bundle, &err), 0);
	assert_ptr_equal(strstr(bundle, pem2), bundle); /* newest first */
	assert_non_null(strstr(bundle, pem1));
	assert_int_equal(kbs_mtls_ca_status(f->store, "acme", &status, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(status, "generation")), 2);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(status, "previous"), "generation")), 1);
	assert_null(json_object_get(status, "next"));
	json_decref(status);

	/* activating it again is a renewal; the old key's certificate is for no key of ours now; no
	 * second rotation while the previous CA stays */
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", pem2, strlen(pem2), NULL, 0, &info, &err), 0);
	assert_false(info.switched);
	assert_int_equal(kbs_mtls_ca_activate(f->store, f->root, "acme", pem1, strlen(pem1), NULL, 0, &info, &err),
			 -EINVAL);
	assert_non_null(strstr(err.message, "another key"));
	_cleanup_free_ char *csr3 = NULL, *renew = NULL;
	assert_int_equal(kbs_mtls_ca_rotate(other, f->root, "acme", &csr3, &created, &generation, &err), -EBUSY);
	assert_non_null(strstr(err.message, "stays in the bundle until"));
	/* a plain POST now answers for the active key, generation 2's */
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &renew, &created, &err), 0);
	assert_false(created);
	_cleanup_(cc_csr_freep) struct cc_csr *d = NULL;
	assert_int_equal(cc_csr_parse(renew, strlen(renew), &d, &err), 0);
	assert_int_equal(EVP_PKEY_eq(d->key, b->key), 1);

	X509_free(root1);
	X509_free(root2);
	cc_store_close(other);
}

/* A store written before rotation holds the active certificate as PEM: it reads as generation 1. */
static void test_ca_state_from_before_rotation(void **state)
{
	struct fixture *f = *state;
	struct cc_error err = { 0 };
	_cleanup_free_ char *csr = NULL, *csr2 = NULL;
	bool created = false;
	unsigned generation = 0;
	assert_int_equal(kbs_mtls_ca_request(f->store, f->root, "acme", &csr, &created, &err), 0);
	X509 *root = NULL;
	_cleanup_free_ char *pem = root_signs(csr, &root);
	assert_int_equal(cc_store_put(f->store, "kbs/acme/mtls/ca-cert", pem, strlen(pem), CC_STORE_ANY, NULL, &err),
			 0);
	_cleanup_free_ char *active = NULL;
	assert_int_equal(kbs_mtls_ca_certificate(f->store, "acme", &active, &err), 0);
	assert_string_equal(active, pem);
	assert_int_equal(kbs_mtls_ca_rotate(f->store, f->root, "acme", &csr2, &created, &generation, &err), 0);
	assert_int_equal(generation, 2);
	_cleanup_free_ char *sealed = NULL;
	size_t len;
	assert_int_equal(cc_store_get(f->store, "kbs/acme/mtls/ca-2", &sealed, &len, NULL, &err), 0);
	/* a state that is not one is refused, not taken for no CA */
	assert_int_equal(
	    cc_store_put(f->store, "kbs/acme/mtls/ca-cert", "{\"active\":{}}", 13, CC_STORE_ANY, NULL, &err), 0);
	char *none = NULL;
	assert_int_equal(kbs_mtls_ca_certificate(f->store, "acme", &none, &err), -EUCLEAN);
	X509_free(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_key_csr_and_activation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_not_client_ca, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_rotation, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ca_state_from_before_rotation, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
