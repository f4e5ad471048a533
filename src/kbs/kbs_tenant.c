/* Tenant data of the key broker in the state store (see kbs_tenant.h). */
#include "kbs/kbs_tenant.h"

#include "attest/policy.h"
#include "keys/keyring.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SEGMENT_MAX 128
#define AK_MAX      1024
#define CERT_MAX    16384

static bool segment_ok(const char *s, size_t n)
{
	if (n == 0 || n > SEGMENT_MAX || (n == 1 && s[0] == '.') || (n == 2 && s[0] == '.' && s[1] == '.'))
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '_' || c == '-'))
			return false;
	}
	return true;
}

int kbs_check_resource_path(const char *path, struct cc_error *err)
{
	const char *start = path;
	int segments = 0;
	for (const char *p = path;; p++) {
		if (*p != '/' && *p != '\0')
			continue;
		if (!segment_ok(start, (size_t)(p - start)) || ++segments > 3)
			break;
		if (*p == '\0')
			return segments == 3
				   ? 0
				   : cc_error_set(err, EINVAL, "resource `%.200s` is not repo/type/tag", path);
		start = p + 1;
	}
	return cc_error_set(err, EINVAL,
			    "resource `%.200s` is not repo/type/tag of [A-Za-z0-9._-] segments of 1-%d characters",
			    path, SEGMENT_MAX);
}

static int check_tenant_and(const char *tenant, const char *path, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	return path ? kbs_check_resource_path(path, err) : 0;
}

static void resource_key(const char *tenant, const char *path, char *out, size_t size)
{
	snprintf(out, size, "kbs/%s/resource/%s", tenant, path);
}

int kbs_resource_put(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     const char *path, const void *secret, size_t len, struct cc_error *err)
{
	if (check_tenant_and(tenant, path, err) < 0)
		return -EINVAL;
	if (len == 0 || len > KBS_RESOURCE_MAX)
		return cc_error_set(err, EINVAL, "a resource is 1 to %u bytes, not %zu", KBS_RESOURCE_MAX, len);
	char key[512];
	resource_key(tenant, path, key, sizeof(key));
	_cleanup_free_ uint8_t *sealed = cc_xmalloc(len + CC_AEAD_OVERHEAD);
	int r = cc_aead_seal(root, key, strlen(key), secret, len, sealed, err);
	if (r == 0)
		r = cc_store_put(store, key, sealed, len + CC_AEAD_OVERHEAD, CC_STORE_ANY, NULL, err);
	return r;
}

int kbs_resource_get(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		     const char *path, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	if (check_tenant_and(tenant, path, err) < 0)
		return -EINVAL;
	char key[512];
	resource_key(tenant, path, key, sizeof(key));
	_cleanup_free_ char *sealed = NULL;
	size_t len;
	int r = cc_store_get(store, key, &sealed, &len, NULL, err);
	if (r < 0)
		return r == -ENOENT ? cc_error_set(err, ENOENT, "tenant `%s` has no resource `%s`", tenant, path) : r;
	if (len <= CC_AEAD_OVERHEAD)
		return cc_error_set(err, EUCLEAN, "store: resource `%s` of tenant `%s` is malformed", path, tenant);
	uint8_t *plain = cc_xmalloc(len - CC_AEAD_OVERHEAD);
	if (cc_aead_open(root, key, strlen(key), (const uint8_t *)sealed, len, plain, NULL) < 0) {
		free(plain);
		return cc_error_set(err, EBADMSG,
				    "resource `%s` of tenant `%s` does not open with this root key (altered or moved)",
				    path, tenant);
	}
	*ret = plain;
	*ret_len = len - CC_AEAD_OVERHEAD;
	return 0;
}

int kbs_resource_delete(struct cc_store *store, const char *tenant, const char *path, struct cc_error *err)
{
	if (check_tenant_and(tenant, path, err) < 0)
		return -EINVAL;
	char key[512];
	resource_key(tenant, path, key, sizeof(key));
	return cc_store_delete(store, key, err);
}

struct listing {
	json_t *out;
	size_t prefix_len;
};

static int list_one(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	(void)value, (void)len, (void)revision;
	struct listing *l = userdata;
	json_array_append_new(l->out, json_string(key + l->prefix_len));
	return 0;
}

int kbs_resource_list(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	if (check_tenant_and(tenant, NULL, err) < 0)
		return -EINVAL;
	char prefix[128];
	snprintf(prefix, sizeof(prefix), "kbs/%s/resource/", tenant);
	struct listing l = { .out = json_array(), .prefix_len = strlen(prefix) };
	int r = cc_store_list(store, prefix, list_one, &l, err);
	if (r < 0) {
		json_decref(l.out);
		return r;
	}
	*ret = l.out;
	return 0;
}

int kbs_policy_put(struct cc_store *store, const char *tenant, const char *text, size_t len, struct cc_error *err)
{
	if (check_tenant_and(tenant, NULL, err) < 0)
		return -EINVAL;
	if (len > ATTEST_POLICY_MAX)
		return cc_error_set(err, EFBIG, "a policy is at most %u bytes", ATTEST_POLICY_MAX);
	_cleanup_json_ json_t *policy = NULL;
	int r = attest_policy_parse(text, len, "policy", &policy, err);
	if (r < 0)
		return r;
	_cleanup_free_ char *canonical = cc_json_canonical(policy);
	char key[128];
	snprintf(key, sizeof(key), "kbs/%s/policy", tenant);
	return cc_store_put(store, key, canonical, strlen(canonical), CC_STORE_ANY, NULL, err);
}

int kbs_policy_get(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	if (check_tenant_and(tenant, NULL, err) < 0)
		return -EINVAL;
	char key[128];
	snprintf(key, sizeof(key), "kbs/%s/policy", tenant);
	_cleanup_free_ char *text = NULL;
	size_t len;
	int r = cc_store_get(store, key, &text, &len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "tenant `%s` has no attestation policy, so nothing is released",
				    tenant);
	if (r < 0)
		return r;
	return attest_policy_parse(text, len, "stored policy", ret, err);
}

/* kbs/<tenant>/<kind>/<node>, checked. */
static int node_key(const char *tenant, const char *kind, const char *node, char *out, size_t size,
		    struct cc_error *err)
{
	if (check_tenant_and(tenant, NULL, err) < 0 || keyring_check_name("node", node, err) < 0)
		return -EINVAL;
	snprintf(out, size, "kbs/%s/%s/%s", tenant, kind, node);
	return 0;
}

static int put_node_value(struct cc_store *store, const char *tenant, const char *kind, const char *node,
			  const uint8_t *value, size_t len, size_t max, struct cc_error *err)
{
	char key[192];
	if (node_key(tenant, kind, node, key, sizeof(key), err) < 0)
		return -EINVAL;
	if (len == 0 || len > max)
		return cc_error_set(err, EINVAL, "a node's %s is 1 to %zu bytes", kind, max);
	return cc_store_put(store, key, value, len, CC_STORE_ANY, NULL, err);
}

static int get_node_value(struct cc_store *store, const char *tenant, const char *kind, const char *node, uint8_t **ret,
			  size_t *ret_len, const char *absent, struct cc_error *err)
{
	char key[192];
	if (node_key(tenant, kind, node, key, sizeof(key), err) < 0)
		return -EINVAL;
	char *value;
	int r = cc_store_get(store, key, &value, ret_len, NULL, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "node `%s` is not %s for tenant `%s`", node, absent, tenant);
	if (r == 0)
		*ret = (uint8_t *)value;
	return r;
}

int kbs_node_put(struct cc_store *store, const char *tenant, const char *node, const uint8_t *ak, size_t len,
		 struct cc_error *err)
{
	return put_node_value(store, tenant, "node", node, ak, len, AK_MAX, err);
}

int kbs_node_get(struct cc_store *store, const char *tenant, const char *node, uint8_t **ret, size_t *ret_len,
		 struct cc_error *err)
{
	return get_node_value(store, tenant, "node", node, ret, ret_len, "registered", err);
}

int kbs_enrollment_put(struct cc_store *store, const char *tenant, const char *node, const uint8_t *cert, size_t len,
		       struct cc_error *err)
{
	return put_node_value(store, tenant, "enroll", node, cert, len, CERT_MAX, err);
}

int kbs_enrollment_get(struct cc_store *store, const char *tenant, const char *node, uint8_t **ret, size_t *ret_len,
		       struct cc_error *err)
{
	return get_node_value(store, tenant, "enroll", node, ret, ret_len, "enrolled", err);
}
