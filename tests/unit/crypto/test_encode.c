#include "lib/crypto/encode.h"
#include "unit.h"

#include <errno.h>

/* RFC 4648 §10 test vectors. */
static void test_base64_rfc4648(void **state)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *std[] = { "", "Zg==", "Zm8=", "Zm9v", "Zm9vYg==", "Zm9vYmE=", "Zm9vYmFy" };
	const char *url[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (int i = 0; i < 7; i++) {
		char *e = cc_base64_encode((const uint8_t *)in[i], strlen(in[i]));
		assert_string_equal(e, std[i]);
		free(e);
		e = cc_base64url_encode((const uint8_t *)in[i], strlen(in[i]));
		assert_string_equal(e, url[i]);
		free(e);
		uint8_t *d;
		size_t n;
		assert_int_equal(cc_base64_decode(std[i], strlen(std[i]), &d, &n), 0);
		assert_int_equal(n, strlen(in[i]));
		assert_memory_equal(d, in[i], n);
		free(d);
		assert_int_equal(cc_base64url_decode(url[i], strlen(url[i]), &d, &n), 0);
		assert_int_equal(n, strlen(in[i]));
		free(d);
	}
}

static void test_base64_rejects_garbage(void **state)
{
	uint8_t *d;
	size_t n;
	assert_int_equal(cc_base64_decode("Zm9v!", 5, &d, &n), -EINVAL);
	assert_int_equal(cc_base64_decode("Z", 1, &d, &n), -EINVAL);
	assert_int_equal(cc_base64url_decode("Zm+v", 4, &d, &n), -EINVAL);
	/* Non-zero padding bits: not canonical. */
	assert_int_equal(cc_base64_decode("Zh==", 4, &d, &n), -EINVAL);
	assert_int_equal(cc_base64_decode("Zm\0v", 4, &d, &n), -EINVAL);
}

static void test_hex(void **state)
{
	uint8_t b[3] = { 0x00, 0xab, 0xff }, back[3];
	char hex[7];
	cc_hex_encode(b, 3, hex);
	assert_string_equal(hex, "00abff");
	assert_int_equal(cc_hex_decode("00ABff", back, 3), 0);
	assert_memory_equal(back, b, 3);
	assert_int_equal(cc_hex_decode("00abf", back, 3), -EINVAL);
	assert_int_equal(cc_hex_decode("00abfg", back, 3), -EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64_rfc4648),
		cmocka_unit_test(test_base64_rejects_garbage),
		cmocka_unit_test(test_hex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
