#include "audit/checkpoint_auth.h"
#include "lib/base/error.h"
#include "unit.h"

#include <errno.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#define HASH "sha256:5d8c9e2f56b5428438f368fda7e33e787c0b08ee9f6c0d3a1f91e89ea9156a1c"

struct pem_pair {
	char *private_pem, *public_pem;
	size_t private_len, public_len;
};

static char *bio_text(BIO *bio, size_t *len)
{
	char *data;
	long n = BIO_get_mem_data(bio, &data);
	char *copy = malloc((size_t)n + 1);
	memcpy(copy, data, (size_t)n);
	copy[n] = '\0';
	*len = (size_t)n;
	BIO_free(bio);
	return copy;
}

static struct pem_pair new_pair(bool rsa)
{
	EVP_PKEY *pkey =
	    rsa ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048) : EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	assert_non_null(pkey);
	BIO *priv = BIO_new(BIO_s_mem()), *pub = BIO_new(BIO_s_mem());
	assert_int_equal(PEM_write_bio_PrivateKey(priv, pkey, NULL, NULL, 0, NULL, NULL), 1);
	assert_int_equal(PEM_write_bio_PUBKEY(pub, pkey), 1);
	EVP_PKEY_free(pkey);
	struct pem_pair p;
	p.private_pem = bio_text(priv, &p.private_len);
	p.public_pem = bio_text(pub, &p.public_len);
	return p;
}

static void free_pair(struct pem_pair *p)
{
	free(p->private_pem);
	free(p->public_pem);
}

static void test_ed25519_signed_checkpoints_verify_with_the_public_key_only(void **state)
{
	struct pem_pair mine = new_pair(false), other = new_pair(false);
	char auth[AUDIT_AUTH_MAX];
	struct cc_error err = { 0 };
	assert_int_equal(
	    audit_checkpoint_authenticate((uint8_t *)mine.private_pem, mine.private_len, 41, HASH, auth, &err), 0);
	assert_int_equal(strncmp(auth, "ed25519:", 8), 0);
	assert_int_equal(strlen(auth), 8 + 128);
	assert_int_equal(audit_checkpoint_check((uint8_t *)mine.public_pem, mine.public_len, 41, HASH, auth, &err), 0);
	assert_int_equal(audit_checkpoint_check((uint8_t *)mine.private_pem, mine.private_len, 41, HASH, auth, &err),
			 0);
	/* another seq, another key, a flipped bit, an HMAC where a signature belongs: all refused */
	assert_int_equal(audit_checkpoint_check((uint8_t *)mine.public_pem, mine.public_len, 42, HASH, auth, &err),
			 -EBADMSG);
	assert_int_equal(audit_checkpoint_check((uint8_t *)other.public_pem, other.public_len, 41, HASH, auth, &err),
			 -EBADMSG);
	auth[20] = auth[20] == '0' ? '1' : '0';
	assert_int_equal(audit_checkpoint_check((uint8_t *)mine.public_pem, mine.public_len, 41, HASH, auth, &err),
			 -EBADMSG);
	assert_int_equal(
	    audit_checkpoint_check((uint8_t *)mine.public_pem, mine.public_len, 41, HASH, "hmac-sha256:00", &err),
	    -EBADMSG);
	/* a public key cannot sign */
	assert_int_equal(
	    audit_checkpoint_authenticate((uint8_t *)mine.public_pem, mine.public_len, 41, HASH, auth, &err), -EINVAL);
	free_pair(&mine);
	free_pair(&other);
}

static void test_pem_keys_other_than_ed25519_are_refused(void **state)
{
	struct pem_pair rsa = new_pair(true);
	char auth[AUDIT_AUTH_MAX];
	struct cc_error err = { 0 };
	assert_int_equal(
	    audit_checkpoint_authenticate((uint8_t *)rsa.private_pem, rsa.private_len, 1, HASH, auth, &err), -EINVAL);
	assert_non_null(strstr(cc_error_message(&err), "Ed25519"));
	free_pair(&rsa);
}

static void test_hmac_secrets_authenticate_and_check(void **state)
{
	const uint8_t key[] = "a checkpoint secret of enough bytes";
	char auth[AUDIT_AUTH_MAX];
	struct cc_error err = { 0 };
	assert_false(audit_checkpoint_key_is_pem(key, sizeof(key) - 1));
	assert_int_equal(audit_checkpoint_authenticate(key, sizeof(key) - 1, 7, HASH, auth, &err), 0);
	assert_int_equal(strncmp(auth, "hmac-sha256:", 12), 0);
	assert_int_equal(audit_checkpoint_check(key, sizeof(key) - 1, 7, HASH, auth, &err), 0);
	assert_int_equal(audit_checkpoint_check(key, sizeof(key) - 2, 7, HASH, auth, &err), -EBADMSG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ed25519_signed_checkpoints_verify_with_the_public_key_only),
		cmocka_unit_test(test_pem_keys_other_than_ed25519_are_refused),
		cmocka_unit_test(test_hmac_secrets_authenticate_and_check),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
