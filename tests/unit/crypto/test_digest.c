#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "unit.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void expect_hex(const uint8_t *data, size_t len, const char *hex)
{
	char out[2 * CC_DIGEST_MAX_SIZE + 1];
	cc_hex_encode(data, len, out);
	assert_string_equal(out, hex);
}

/* FIPS 180-4 examples ("abc"). */
static void test_sha2_vectors(void **state)
{
	uint8_t md[CC_DIGEST_MAX_SIZE];
	struct cc_error err = { 0 };
	assert_int_equal(cc_digest(CC_DIGEST_SHA256, "abc", 3, md, &err), 0);
	expect_hex(md, 32, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(cc_digest(CC_DIGEST_SHA384, "abc", 3, md, &err), 0);
	expect_hex(md, 48,
		   "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed8086072ba1e7cc2358baeca134c825a7");
}

static void test_incremental_equals_oneshot(void **state)
{
	uint8_t a[48], b[48];
	struct cc_error err = { 0 };
	struct cc_digest_ctx *ctx;
	assert_int_equal(cc_digest_begin(CC_DIGEST_SHA384, &ctx, &err), 0);
	cc_digest_update(ctx, "hello ", 6);
	cc_digest_update(ctx, "world", 5);
	assert_int_equal(cc_digest_end(ctx, a, &err), 0);
	cc_digest(CC_DIGEST_SHA384, "hello world", 11, b, &err);
	assert_memory_equal(a, b, 48);
}

/* RFC 4231 test case 2. */
static void test_hmac_rfc4231(void **state)
{
	uint8_t mac[32];
	struct cc_error err = { 0 };
	const char *data = "what do ya want for nothing?";
	assert_int_equal(cc_hmac(CC_DIGEST_SHA256, "Jefe", 4, data, strlen(data), mac, &err), 0);
	expect_hex(mac, 32, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
}

/* RFC 5869 test case 1. */
static void test_hkdf_rfc5869(void **state)
{
	uint8_t ikm[22], salt[13], info[10], okm[42];
	memset(ikm, 0x0b, sizeof(ikm));
	for (int i = 0; i < 13; i++)
		salt[i] = (uint8_t)i;
	for (int i = 0; i < 10; i++)
		info[i] = (uint8_t)(0xf0 + i);
	struct cc_error err = { 0 };
	assert_int_equal(
	    cc_hkdf(CC_DIGEST_SHA256, ikm, sizeof(ikm), salt, sizeof(salt), info, sizeof(info), okm, sizeof(okm), &err),
	    0);
	expect_hex(okm, 42, "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865");
	assert_true(cc_hkdf(CC_DIGEST_SHA256, ikm, 22, NULL, 0, NULL, 0, okm, 0, &err) < 0);
}

static void test_names(void **state)
{
	assert_int_equal(cc_digest_from_string("sha384"), CC_DIGEST_SHA384);
	assert_int_equal(cc_digest_from_string("md5"), CC_DIGEST_MAX);
	assert_int_equal(cc_digest_size(CC_DIGEST_SHA256), 32);
}

/* The provider path (a FIPS host's) gives the same digests: this test binary again, in that mode. */
static void test_provider_path_agrees(void **state)
{
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	assert_true(n > 0);
	self[n] = '\0';
	char *cmd = cc_xasprintf("OPENSSL_FORCE_FIPS_MODE=1 '%s' --providers", self);
	int status = system(cmd);
	free(cmd);
	assert_int_equal(status, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--providers") == 0) {
		const struct CMUnitTest again[] = {
			cmocka_unit_test(test_sha2_vectors),
			cmocka_unit_test(test_incremental_equals_oneshot),
		};
		return cmocka_run_group_tests(again, NULL, NULL);
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha2_vectors), cmocka_unit_test(test_incremental_equals_oneshot),
		cmocka_unit_test(test_hmac_rfc4231), cmocka_unit_test(test_hkdf_rfc5869),
		cmocka_unit_test(test_names),        cmocka_unit_test(test_provider_path_agrees),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
