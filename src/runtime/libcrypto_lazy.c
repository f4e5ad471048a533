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
 * an undefined reference: add it below.
 *
 * Only the process that called runtime_libcrypto_lazy_bind loads it, and only while its root is
 * the one it had then. A child of the runtime may have switched to the container's root, where
 * dlopen would find the image's libcrypto (code an image chose, run as root): in a child every
 * function its parent had not called before creating it fails as if libcrypto were missing, and
 * callers report an error (what the parent had called is the host's code, already in the child's
 * copy of memory). The function pointers are process-wide
 * state on purpose: they are what the dynamic linker would otherwise hold. */
#define OPENSSL_SUPPRESS_DEPRECATED /* SHA*_Init and friends: libcocoon's digest uses them */
#include "runtime/libcrypto_lazy.h"

#include "lib/base/log.h"

#include <dlfcn.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/rand.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LIBCRYPTO_SONAME "libcrypto.so.3"

/* The process that may load libcrypto: its pid, and the root directory it had (a child's pid in
 * another pid namespace can equal it; a process that changed root must never load). */
static pid_t bound_pid;
static dev_t bound_root_dev;
static ino_t bound_root_ino;
static pthread_once_t load_once = PTHREAD_ONCE_INIT;
static void *library;

void runtime_libcrypto_lazy_bind(void)
{
	struct stat st;
	if (stat("/", &st) < 0)
		return; /* unbound: nothing loads */
	bound_root_dev = st.st_dev;
	bound_root_ino = st.st_ino;
	bound_pid = getpid();
}

static bool in_bound_process(void)
{
	struct stat st;
	return bound_pid != 0 && getpid() == bound_pid && stat("/", &st) == 0 && st.st_dev == bound_root_dev &&
	       st.st_ino == bound_root_ino;
}

static void load(void)
{
	library = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!library) {
		/* Said once, here: the callers only see a digest or a key that failed. */
		const char *why = dlerror();
		cc_err("cannot load %s (OpenSSL 3, which measuring a container needs): %s", LIBCRYPTO_SONAME,
		       why ? why : "unknown error");
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
	if (!in_bound_process())
		return NULL;
	pthread_once(&load_once, load);
	if (!library)
		return NULL;
	fn = dlsym(library, name);
	if (fn)
		__atomic_store_n(slot, fn, __ATOMIC_RELEASE);
	return fn;
}

int runtime_libcrypto_lazy_load(void)
{
	if (!in_bound_process())
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

/* The low-level digests libcocoon's digest uses for SHA-2 (faster than EVP for short inputs). */
FORWARD(int, SHA256_Init, (SHA256_CTX * c), (c), 0)
FORWARD(int, SHA256_Update, (SHA256_CTX * c, const void *data, size_t len), (c, data, len), 0)
FORWARD(int, SHA256_Final, (unsigned char *md, SHA256_CTX *c), (md, c), 0)
FORWARD(int, SHA384_Init, (SHA512_CTX * c), (c), 0)
FORWARD(int, SHA384_Update, (SHA512_CTX * c, const void *data, size_t len), (c, data, len), 0)
FORWARD(int, SHA384_Final, (unsigned char *md, SHA512_CTX *c), (md, c), 0)
FORWARD(int, SHA512_Init, (SHA512_CTX * c), (c), 0)
FORWARD(int, SHA512_Update, (SHA512_CTX * c, const void *data, size_t len), (c, data, len), 0)
FORWARD(int, SHA512_Final, (unsigned char *md, SHA512_CTX *c), (md, c), 0)
