#include "lib/base/error.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/secure.h"
#include "unit.h"

#include <errno.h>

/* The GCM specification's test case 14 (AES-256, zero key, zero IV, one zero block). */
static void test_gcm_known_answer(void **state)
{
	uint8_t key[32] = { 0 }, nonce[12] = { 0 }, plain[16] = { 0 }, cipher[16], tag[16];
	struct cc_error err = { 0 };
	assert_int_equal(cc_aead_seal_nonce(key, nonce, NULL, 0, plain, 16, cipher, tag, &err), 0);
	char hex[33];
	cc_hex_encode(cipher, 16, hex);
	assert_string_equal(hex, "cea7403d4d606b6e074ec5d3baf39d18");
	cc_hex_encode(tag, 16, hex);
	assert_string_equal(hex, "d0d1c8a799996bf0265b98b5d48ab919");
	uint8_t back[16];
	assert_int_equal(cc_aead_open_nonce(key, nonce, NULL, 0, cipher, 16, tag, back, &err), 0);
	assert_memory_equal(back, plain, 16);
}

static void test_seal_open_round_trip_and_tamper(void **state)
{
	uint8_t key[32];
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)(i * 7);
	const char *msg = "the volume key of pod db-0";
	size_t len = strlen(msg);
	uint8_t sealed[128], opened[128];
	struct cc_error err = { 0 };
	assert_int_equal(cc_aead_seal(key, "kid:1", 5, msg, len, sealed, &err), 0);
	assert_int_equal(cc_aead_open(key, "kid:1", 5, sealed, len + CC_AEAD_OVERHEAD, opened, &err), 0);
	assert_memory_equal(opened, msg, len);
	/* Wrong associated data, a flipped bit anywhere, a wrong key, truncation: all refused. */
	assert_int_equal(cc_aead_open(key, "kid:2", 5, sealed, len + CC_AEAD_OVERHEAD, opened, &err), -EBADMSG);
	for (size_t i = 0; i < len + CC_AEAD_OVERHEAD; i++) {
		sealed[i] ^= 0x01;
		assert_int_equal(cc_aead_open(key, "kid:1", 5, sealed, len + CC_AEAD_OVERHEAD, opened, &err), -EBADMSG);
		sealed[i] ^= 0x01;
	}
	key[0] ^= 1;
	assert_int_equal(cc_aead_open(key, "kid:1", 5, sealed, len + CC_AEAD_OVERHEAD, opened, &err), -EBADMSG);
	assert_int_equal(cc_aead_open(key, NULL, 0, sealed, 10, opened, &err), -EBADMSG);
}

static void test_nonces_differ(void **state)
{
	uint8_t key[32] = { 1 }, a[64], b[64];
	struct cc_error err = { 0 };
	cc_aead_seal(key, NULL, 0, "same", 4, a, &err);
	cc_aead_seal(key, NULL, 0, "same", 4, b, &err);
	assert_memory_not_equal(a, b, 4 + CC_AEAD_OVERHEAD);
}

static void test_constant_time_compare_and_wipe(void **state)
{
	assert_true(cc_equal_ct("abcd", "abcd", 4));
	assert_false(cc_equal_ct("abcd", "abce", 4));
	char secret[8] = "secret!";
	cc_wipe(secret, sizeof(secret));
	for (size_t i = 0; i < sizeof(secret); i++)
		assert_int_equal(secret[i], 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gcm_known_answer),
		cmocka_unit_test(test_seal_open_round_trip_and_tamper),
		cmocka_unit_test(test_nonces_differ),
		cmocka_unit_test(test_constant_time_compare_and_wipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
