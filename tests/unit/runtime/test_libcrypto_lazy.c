/* The runtime's libcrypto loaded at first use: this program is linked like cocoon-runtime, without
 * libcrypto, so every digest below goes through the forwarders of runtime/libcrypto_lazy.c. */
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "runtime/libcrypto_lazy.h"
#include "unit.h"

#include <link.h>
#include <stdbool.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int find_libcrypto(struct dl_phdr_info *info, size_t size, void *data)
{
	(void)size;
	if (strstr(info->dlpi_name, "libcrypto.so"))
		*(bool *)data = true;
	return 0;
}

static bool libcrypto_loaded(void)
{
	bool found = false;
	dl_iterate_phdr(find_libcrypto, &found);
	return found;
}

static void hex_of(enum cc_digest alg, const char *text, char *out)
{
	uint8_t md[64];
	struct cc_error err = { 0 };
	assert_int_equal(cc_digest(alg, text, strlen(text), md, &err), 0);
	cc_hex_encode(md, cc_digest_size(alg), out);
}

/* Runs in order: nothing is loaded before the first digest, and the process is not bound yet. */
static void test_unbound_process_fails_without_loading(void **state)
{
	assert_false(libcrypto_loaded());
	uint8_t md[32];
	struct cc_error err = { 0 };
	assert_true(cc_digest(CC_DIGEST_SHA256, "abc", 3, md, &err) < 0);
	assert_false(libcrypto_loaded());
	assert_int_equal(runtime_libcrypto_lazy_load(), -1);
}

/* FIPS 180-2 and RFC 4231 vectors, through the real libcrypto once loaded. */
static void test_bound_process_digests_after_loading(void **state)
{
	runtime_libcrypto_lazy_bind();
	char hex[129];
	hex_of(CC_DIGEST_SHA256, "abc", hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(libcrypto_loaded());
	assert_int_equal(runtime_libcrypto_lazy_load(), 0);
	hex_of(CC_DIGEST_SHA384, "abc", hex);
	assert_string_equal(hex, "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
				 "8086072ba1e7cc2358baeca134c825a7");
	hex_of(CC_DIGEST_SHA512, "abc", hex);
	assert_string_equal(hex, "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
				 "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
	/* Longer than a block, in pieces: "a" a million times. */
	struct cc_digest_ctx *ctx;
	assert_int_equal(cc_digest_begin(CC_DIGEST_SHA256, &ctx, NULL), 0);
	char chunk[1000];
	memset(chunk, 'a', sizeof(chunk));
	for (int i = 0; i < 1000; i++)
		cc_digest_update(ctx, chunk, sizeof(chunk));
	uint8_t million[32];
	assert_int_equal(cc_digest_end(ctx, million, NULL), 0);
	cc_hex_encode(million, sizeof(million), hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	uint8_t key[20], mac[32];
	memset(key, 0x0b, sizeof(key));
	struct cc_error err = { 0 };
	assert_int_equal(cc_hmac(CC_DIGEST_SHA256, key, sizeof(key), "Hi There", 8, mac, &err), 0);
	cc_hex_encode(mac, sizeof(mac), hex);
	assert_string_equal(hex, "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7");
}

/* In a child: 0 when it can neither load libcrypto nor use a function of it its parent had not
 * called (its forwarders are cached in the parent only after a call; HKDF was never called). */
static int child_refuses(void)
{
	uint8_t md[32];
	struct cc_error err = { 0 };
	if (runtime_libcrypto_lazy_load() != -1)
		return 1;
	return cc_hkdf(CC_DIGEST_SHA256, "k", 1, NULL, 0, "i", 1, md, sizeof(md), &err) < 0 ? 0 : 1;
}

/* Runs setup (may be NULL) then child_refuses in a child, and checks it said 0. */
static void assert_child_refuses(void (*setup)(void))
{
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		if (setup)
			setup();
		_exit(child_refuses());
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
}

/* A child (the container's init, after it changed root) must not load a libcrypto it finds there. */
static void test_child_of_bound_process_refuses(void **state)
{
	assert_child_refuses(NULL);
}

static void bind_then_change_root(void)
{
	runtime_libcrypto_lazy_bind();
	if (chroot("/tmp") < 0)
		_exit(2);
}

/* A bound process whose root changed (a chroot, pivot_root or setns) no longer loads anything. */
static void test_process_with_another_root_refuses(void **state)
{
	if (getuid() != 0)
		skip();
	assert_child_refuses(bind_then_change_root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_unbound_process_fails_without_loading),
		cmocka_unit_test(test_bound_process_digests_after_loading),
		cmocka_unit_test(test_child_of_bound_process_refuses),
		cmocka_unit_test(test_process_with_another_root_refuses),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
