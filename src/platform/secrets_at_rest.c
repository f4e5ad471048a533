/* Secrets sealed with the platform's key ring (see secrets_at_rest.h). */
#include "platform/secrets_at_rest.h"

#include "keys/keyring.h"
#include "keys/root_key.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define SEALED_PREFIX "cocoon:enc:v1:"
#define RING_TENANT   "platform"
#define RING_NAME     "secrets"

struct platform_secrets_at_rest {
	struct keyring *ring;
	struct platform_value_transformer transformer;
};

static int seal(void *ctx, const char *key, const char *plain, size_t len, char **ret, size_t *ret_len,
		struct cc_error *err)
{
	struct platform_secrets_at_rest *s = ctx;
	size_t key_len = strlen(key), bound_len = key_len + 1 + len;
	uint8_t *bound = cc_xmalloc(bound_len), *cipher = cc_xmalloc(bound_len + KEYRING_OVERHEAD);
	memcpy(bound, key, key_len);
	bound[key_len] = '\n';
	memcpy(bound + key_len + 1, plain, len);
	int r = keyring_encrypt(s->ring, bound, bound_len, cipher, err);
	explicit_bzero(bound, bound_len);
	free(bound);
	if (r == 0) {
		_cleanup_free_ char *text = cc_base64_encode(cipher, bound_len + KEYRING_OVERHEAD);
		*ret = cc_xasprintf("%s%s", SEALED_PREFIX, text);
		*ret_len = strlen(*ret);
	}
	free(cipher);
	return r;
}

static int open_value(void *ctx, const char *key, const char *sealed, size_t len, char **ret, size_t *ret_len,
		      struct cc_error *err)
{
	struct platform_secrets_at_rest *s = ctx;
	size_t prefix = strlen(SEALED_PREFIX);
	uint8_t *cipher = NULL;
	size_t cipher_len = 0;
	if (len < prefix || cc_base64_decode(sealed + prefix, len - prefix, &cipher, &cipher_len) < 0 ||
	    cipher_len < KEYRING_OVERHEAD) {
		free(cipher);
		return cc_error_set(err, EBADMSG, "the sealed value is malformed");
	}
	uint8_t *bound = cc_xmalloc(cipher_len);
	size_t bound_len = 0;
	int r = keyring_decrypt(s->ring, cipher, cipher_len, bound, &bound_len, NULL, err);
	free(cipher);
	size_t key_len = strlen(key);
	if (r == 0 && (bound_len <= key_len || memcmp(bound, key, key_len) != 0 || bound[key_len] != '\n'))
		r = cc_error_set(err, EBADMSG, "the sealed value belongs to another key: it was moved or replaced");
	if (r == 0) {
		*ret_len = bound_len - key_len - 1;
		*ret = cc_xmalloc(*ret_len + 1);
		memcpy(*ret, bound + key_len + 1, *ret_len);
		(*ret)[*ret_len] = '\0';
	}
	explicit_bzero(bound, cipher_len);
	free(bound);
	return r;
}

int platform_secrets_at_rest_open(struct cc_store *store, const char *root_key, struct platform_secrets_at_rest **ret,
				  struct cc_error *err)
{
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	int r = keys_root_key_load(root_key, root, err);
	if (r < 0)
		return cc_error_prefix(err, "the root key of Secrets at rest");
	struct cc_error exists = { 0 };
	r = keyring_change(store, root, RING_TENANT, RING_NAME, KEYRING_CREATE, 0, NULL, &exists);
	if (r < 0 && r != -EEXIST) {
		explicit_bzero(root, sizeof(root));
		*err = exists;
		return cc_error_prefix(err, "create the key ring of Secrets at rest");
	}
	struct platform_secrets_at_rest *s = cc_xcalloc(1, sizeof(*s));
	r = keyring_load(store, root, RING_TENANT, RING_NAME, &s->ring, err);
	explicit_bzero(root, sizeof(root));
	if (r < 0) {
		free(s);
		return cc_error_prefix(err,
				       "load the key ring of Secrets at rest (is it the root key it was made with?)");
	}
	s->transformer =
	    (struct platform_value_transformer){ .prefix = SEALED_PREFIX, .seal = seal, .open = open_value, .ctx = s };
	*ret = s;
	return 0;
}

void platform_secrets_at_rest_free(struct platform_secrets_at_rest *s)
{
	if (!s)
		return;
	keyring_free(s->ring);
	free(s);
}

const struct platform_value_transformer *platform_secrets_at_rest_transformer(struct platform_secrets_at_rest *s)
{
	return &s->transformer;
}
