/* OpenSSL's libcrypto for the runtime, loaded at its first use rather than at every start.
 *
 * Why: every `create` and `run` starts the runtime twice (the re-execution from a sealed copy), and
 * loading libcrypto at start (its relocations and its CPU feature probing, which traps to the
 * hypervisor in a VM) was 0.6 ms of each start here, more than a tenth of a `run`. Measuring needs
 * it, but in a thread beside the container's setup, off the path to the workload; most other
 * commands never need it.
 *
 * The runtime links this file instead of libcrypto: each function libcocoon calls is defined here
 * with OpenSSL's own prototype (a mismatch fails to compile) and calls the real one, looked up in
 * libcrypto.so.3 on its first call. A function added to what the runtime uses fails the link with
 * an undefined reference: add it below. The SHA-2 functions, all a plain create needs, are
 * computed by libnettle when it loads (a sixth of libcrypto's loading; see below).
 *
 * Only the process that called runtime_libcrypto_lazy_bind loads it. A child of the runtime may
 * have switched to the container's root, where dlopen would find the image's libcrypto (code an
 * image chose, run as root): in a child every function its parent had not called before creating
 * it fails as if libcrypto were missing, and callers report an error (what the parent had called is
 * the host's code, already in the child's copy of memory). The function pointers are process-wide
 * state on purpose: they are what the dynamic linker would otherwise hold. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA*_Init and friends: libcocoon's digest uses them */
#include "runtime/libcrypto_lazy.h"

#include <dlfcn.h>
#include <nettle/sha2.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define LIBCRYPTO_SONAME "libcrypto.so.3"
#define NETTLE_SONAME    "libnettle.so.8"

static pid_t bound_pid;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *library;
static char load_error[256];

void runtime_libcrypto_lazy_bind(void)
{
	bound_pid = getpid();
}

static void load(void)
{
	library = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!library) {
		const char *why = dlerror();
		snprintf(load_error, sizeof(load_error), "%s", why ? why : "unknown error");
		return;
	}
	/* A command lives milliseconds: OpenSSL's exit-time cleanup would only free memory the exit
	 * frees anyway. */
	int (*init)(uint64_t, const OPENSSL_INIT_SETTINGS *) =
	    (int (*)(uint64_t, const OPENSSL_INIT_SETTINGS *))dlsym(library, "OPENSSL_init_crypto");
	if (init)
		init(OPENSSL_INIT_NO_ATEXIT, NULL);
}

/* The real function, or NULL: libcrypto cannot be loaded, lacks it, or this is not the bound
 * process. slot caches the answer for the bound process. */
static void *resolve(const char *name, void **slot)
{
	void *fn = __atomic_load_n(slot, __ATOMIC_ACQUIRE);
	if (fn)
		return fn;
	if (bound_pid == 0 || getpid() != bound_pid)
		return NULL;
	pthread_once(&load_once, load);
	if (!library)
		return NULL;
	fn = dlsym(library, name);
	if (fn)
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

const char *runtime_libcrypto_lazy_error(void)
{
	if (bound_pid == 0 || getpid() != bound_pid)
		return "libcrypto is not loaded in a child of the runtime";
	return library ? NULL : load_error[0] ? load_error : "libcrypto has not been loaded";
}

int runtime_libcrypto_lazy_load(void)
{
	if (bound_pid == 0 || getpid() != bound_pid)
		return -1;
	pthread_once(&load_once, load);
	return library ? 0 : -1;
}

/* A forwarder: ret name params calls the real name with args, or returns fail. */
#define FORWARD(ret, name, params, args, fail)                                                                         \
	ret name params                                                                                                \
	{                                                                                                              \
		static void *slot;                                                                                     \
		ret(*fn) params = (ret(*) params)resolve(#name, &slot);                                                \
		return fn ? fn args : fail;                                                                            \
	}
/* The same for a function that returns nothing; without libcrypto there is nothing to do (what it
 * would free was never allocated). */
#define FORWARD_VOID(name, params, args)                                                                               \
	void name params                                                                                               \
	{                                                                                                              \
		static void *slot;                                                                                     \
		void(*fn) params = (void(*) params)resolve(#name, &slot);                                              \
		if (fn)                                                                                                \
			fn args;                                                                                       \
	}

FORWARD(int, OPENSSL_init_crypto, (uint64_t opts, const OPENSSL_INIT_SETTINGS *settings), (opts, settings), 0)
FORWARD(void *, CRYPTO_zalloc, (size_t num, const char *file, int line), (num, file, line), NULL)
FORWARD_VOID(CRYPTO_clear_free, (void *ptr, size_t num, const char *file, int line), (ptr, num, file, line))
FORWARD(int, RAND_bytes, (unsigned char *buf, int num), (buf, num), 0)

/* Wiping memory must happen with or without libcrypto. */
void OPENSSL_cleanse(void *ptr, size_t len)
{
	static void *slot;
	void (*fn)(void *, size_t) = (void (*)(void *, size_t))resolve("OPENSSL_cleanse", &slot);
	if (fn)
		fn(ptr, len);
	else
		explicit_bzero(ptr, len);
}

FORWARD(EVP_MD_CTX *, EVP_MD_CTX_new, (void), (), NULL)
FORWARD_VOID(EVP_MD_CTX_free, (EVP_MD_CTX * ctx), (ctx))
FORWARD(EVP_MD *, EVP_MD_fetch, (OSSL_LIB_CTX * ctx, const char *algorithm, const char *properties),
	(ctx, algorithm, properties), NULL)
FORWARD(const EVP_MD *, EVP_get_digestbyname, (const char *name), (name), NULL)
FORWARD(int, EVP_DigestInit_ex2, (EVP_MD_CTX * ctx, const EVP_MD *type, const OSSL_PARAM params[]), (ctx, type, params),
	0)
FORWARD(int, EVP_DigestUpdate, (EVP_MD_CTX * ctx, const void *d, size_t cnt), (ctx, d, cnt), 0)
FORWARD(int, EVP_DigestFinal_ex, (EVP_MD_CTX * ctx, unsigned char *md, unsigned int *s), (ctx, md, s), 0)
FORWARD(int, EVP_Digest,
	(const void *data, size_t count, unsigned char *md, unsigned int *size, const EVP_MD *type, ENGINE *impl),
	(data, count, md, size, type, impl), 0)
FORWARD(unsigned char *, EVP_Q_mac,
	(OSSL_LIB_CTX * libctx, const char *name, const char *propq, const char *subalg, const OSSL_PARAM *params,
	 const void *key, size_t keylen, const unsigned char *data, size_t datalen, unsigned char *out, size_t outsize,
	 size_t *outlen),
	(libctx, name, propq, subalg, params, key, keylen, data, datalen, out, outsize, outlen), NULL)

FORWARD(EVP_KDF *, EVP_KDF_fetch, (OSSL_LIB_CTX * libctx, const char *algorithm, const char *properties),
	(libctx, algorithm, properties), NULL)
FORWARD_VOID(EVP_KDF_free, (EVP_KDF * kdf), (kdf))
FORWARD(EVP_KDF_CTX *, EVP_KDF_CTX_new, (EVP_KDF * kdf), (kdf), NULL)
FORWARD_VOID(EVP_KDF_CTX_free, (EVP_KDF_CTX * ctx), (ctx))
FORWARD(int, EVP_KDF_derive, (EVP_KDF_CTX * ctx, unsigned char *key, size_t keylen, const OSSL_PARAM params[]),
	(ctx, key, keylen, params), 0)

FORWARD(OSSL_PARAM, OSSL_PARAM_construct_end, (void), (), (OSSL_PARAM){ .key = NULL })
FORWARD(OSSL_PARAM, OSSL_PARAM_construct_utf8_string, (const char *key, char *buf, size_t bsize), (key, buf, bsize),
	(OSSL_PARAM){ .key = NULL })
FORWARD(OSSL_PARAM, OSSL_PARAM_construct_octet_string, (const char *key, void *buf, size_t bsize), (key, buf, bsize),
	(OSSL_PARAM){ .key = NULL })

/* The low-level SHA-2 functions libcocoon's digest uses outside FIPS mode (its EVP path, taken in
 * FIPS mode, goes to libcrypto above). They are computed by GnuTLS's libnettle when it can be loaded:
 * loading it costs a sixth of libcrypto's, and a plain create needs nothing else. The OpenSSL
 * context is the storage of nettle's (the same sizes; checked below); a context is handled by the
 * same library from its Init to its Final, as the choice depends only on what is loaded and on the
 * context's alignment. */
struct nettle_sha2 {
	void (*sha256_init)(struct sha256_ctx *);
	void (*sha256_update)(struct sha256_ctx *, size_t, const uint8_t *);
	void (*sha256_digest)(struct sha256_ctx *, size_t, uint8_t *);
	void (*sha384_init)(struct sha512_ctx *);
	void (*sha384_digest)(struct sha512_ctx *, size_t, uint8_t *);
	void (*sha512_init)(struct sha512_ctx *);
	void (*sha512_update)(struct sha512_ctx *, size_t, const uint8_t *);
	void (*sha512_digest)(struct sha512_ctx *, size_t, uint8_t *);
};

_Static_assert(sizeof(struct sha256_ctx) <= sizeof(SHA256_CTX), "nettle's SHA-256 context fits OpenSSL's");
_Static_assert(sizeof(struct sha512_ctx) <= sizeof(SHA512_CTX), "nettle's SHA-512 context fits OpenSSL's");

static pthread_once_t nettle_once = PTHREAD_ONCE_INIT;
static struct nettle_sha2 nettle;
static bool nettle_loaded;

static void load_nettle(void)
{
	void *lib = dlopen(NETTLE_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!lib)
		return;
	struct {
		const char *name;
		void **slot;
	} symbols[] = {
		{ "nettle_sha256_init", (void **)&nettle.sha256_init },
		{ "nettle_sha256_update", (void **)&nettle.sha256_update },
		{ "nettle_sha256_digest", (void **)&nettle.sha256_digest },
		{ "nettle_sha384_init", (void **)&nettle.sha384_init },
		{ "nettle_sha384_digest", (void **)&nettle.sha384_digest },
		{ "nettle_sha512_init", (void **)&nettle.sha512_init },
		{ "nettle_sha512_update", (void **)&nettle.sha512_update },
		{ "nettle_sha512_digest", (void **)&nettle.sha512_digest },
	};
	for (size_t i = 0; i < sizeof(symbols) / sizeof(symbols[0]); i++)
		if (!(*symbols[i].slot = dlsym(lib, symbols[i].name))) {
			dlclose(lib);
			return;
		}
	nettle_loaded = true;
}

/* nettle for this context, or NULL for libcrypto. Loads it only in the bound process. */
static const struct nettle_sha2 *nettle_for(const void *ctx, size_t align)
{
	if (bound_pid != 0 && getpid() == bound_pid)
		pthread_once(&nettle_once, load_nettle);
	return nettle_loaded && (uintptr_t)ctx % align == 0 ? &nettle : NULL;
}

#define NETTLE_256(c) nettle_for(c, _Alignof(struct sha256_ctx))
#define NETTLE_512(c) nettle_for(c, _Alignof(struct sha512_ctx))

/* A forwarder to libcrypto's function of that name, for when nettle cannot serve. */
#define LIBCRYPTO(ret, name, params, args)                                                                             \
	static ret libcrypto_##name params                                                                             \
	{                                                                                                              \
		static void *slot;                                                                                     \
		ret(*fn) params = (ret(*) params)resolve(#name, &slot);                                                \
		return fn ? fn args : 0;                                                                               \
	}

LIBCRYPTO(int, SHA256_Init, (SHA256_CTX * c), (c))
LIBCRYPTO(int, SHA256_Update, (SHA256_CTX * c, const void *data, size_t len), (c, data, len))
LIBCRYPTO(int, SHA256_Final, (unsigned char *md, SHA256_CTX *c), (md, c))
LIBCRYPTO(int, SHA384_Init, (SHA512_CTX * c), (c))
LIBCRYPTO(int, SHA384_Update, (SHA512_CTX * c, const void *data, size_t len), (c, data, len))
LIBCRYPTO(int, SHA384_Final, (unsigned char *md, SHA512_CTX *c), (md, c))
LIBCRYPTO(int, SHA512_Init, (SHA512_CTX * c), (c))
LIBCRYPTO(int, SHA512_Update, (SHA512_CTX * c, const void *data, size_t len), (c, data, len))
LIBCRYPTO(int, SHA512_Final, (unsigned char *md, SHA512_CTX *c), (md, c))

int SHA256_Init(SHA256_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_256(c);
	if (!n)
		return libcrypto_SHA256_Init(c);
	n->sha256_init((struct sha256_ctx *)(void *)c);
	return 1;
}

int SHA256_Update(SHA256_CTX *c, const void *data, size_t len)
{
	const struct nettle_sha2 *n = NETTLE_256(c);
	if (!n)
		return libcrypto_SHA256_Update(c, data, len);
	n->sha256_update((struct sha256_ctx *)(void *)c, len, data);
	return 1;
}

int SHA256_Final(unsigned char *md, SHA256_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_256(c);
	if (!n)
		return libcrypto_SHA256_Final(md, c);
	n->sha256_digest((struct sha256_ctx *)(void *)c, SHA256_DIGEST_LENGTH, md);
	return 1;
}

int SHA384_Init(SHA512_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA384_Init(c);
	n->sha384_init((struct sha512_ctx *)(void *)c);
	return 1;
}

/* SHA-384 is SHA-512's compression with another start and a shorter output. */
int SHA384_Update(SHA512_CTX *c, const void *data, size_t len)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA384_Update(c, data, len);
	n->sha512_update((struct sha512_ctx *)(void *)c, len, data);
	return 1;
}

int SHA384_Final(unsigned char *md, SHA512_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA384_Final(md, c);
	n->sha384_digest((struct sha512_ctx *)(void *)c, SHA384_DIGEST_LENGTH, md);
	return 1;
}

int SHA512_Init(SHA512_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA512_Init(c);
	n->sha512_init((struct sha512_ctx *)(void *)c);
	return 1;
}

int SHA512_Update(SHA512_CTX *c, const void *data, size_t len)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA512_Update(c, data, len);
	n->sha512_update((struct sha512_ctx *)(void *)c, len, data);
	return 1;
}

int SHA512_Final(unsigned char *md, SHA512_CTX *c)
{
	const struct nettle_sha2 *n = NETTLE_512(c);
	if (!n)
		return libcrypto_SHA512_Final(md, c);
	n->sha512_digest((struct sha512_ctx *)(void *)c, SHA512_DIGEST_LENGTH, md);
	return 1;
}
