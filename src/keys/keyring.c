/* Versioned keys under a root key (see keyring.h). */
#include "keys/keyring.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/aead.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/random.h"
#include "lib/crypto/secure.h"
#include "lib/json/json.h"
#include "lib/store/store.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FORMAT_V1      0x01
#define VERSIONS_MAX   1024
#define CHANGE_RETRIES 5

struct key_version {
	uint32_t version;
	bool retired;
	uint8_t key[CC_AEAD_KEY_SIZE];
};

struct keyring {
	char tenant[64], name[64];
	uint32_t primary;
	int64_t revision;
	size_t count;
	struct key_version *versions;
};

int keyring_check_name(const char *what, const char *name, struct cc_error *err)
{
	size_t n = name ? strlen(name) : 0;
	bool ok = n >= 1 && n <= 63 && (islower((unsigned char)name[0]) || isdigit((unsigned char)name[0]));
	for (size_t i = 0; ok && i < n; i++)
		ok = islower((unsigned char)name[i]) || isdigit((unsigned char)name[i]) || name[i] == '-';
	if (!ok)
		return cc_error_set(
		    err, EINVAL, "%s `%s` must be 1-63 characters of a-z, 0-9 and -, starting with a letter or digit",
		    what, name ? name : "");
	return 0;
}

static void store_key(const char *tenant, const char *name, char *out, size_t size)
{
	snprintf(out, size, "keys/%s/%s", tenant, name);
}

/* Associated data of a version's sealed material and of data encrypted under it. */
static size_t version_aad(const char *purpose, const char *tenant, const char *name, uint32_t version, char *out,
			  size_t size)
{
	return (size_t)snprintf(out, size, "cocoon-%s:%s/%s:v%u", purpose, tenant, name, version);
}

static json_t *new_version(const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
			   uint32_t version, struct cc_error *err)
{
	uint8_t key[CC_AEAD_KEY_SIZE], sealed[CC_AEAD_KEY_SIZE + CC_AEAD_OVERHEAD];
	char aad[160], created[40];
	if (cc_random_bytes(key, sizeof(key), err) < 0)
		return NULL;
	size_t aad_len = version_aad("key", tenant, name, version, aad, sizeof(aad));
	int r = cc_aead_seal(root, aad, aad_len, key, sizeof(key), sealed, err);
	cc_wipe(key, sizeof(key));
	if (r < 0)
		return NULL;
	_cleanup_free_ char *material = cc_base64_encode(sealed, sizeof(sealed));
	cc_time_format_rfc3339(cc_time_now_ns(), created, sizeof(created));
	return json_pack("{s:I, s:s, s:s, s:s}", "version", (json_int_t)version, "state", "enabled", "created", created,
			 "material", material);
}

static json_t *find_version(json_t *doc, uint32_t version)
{
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(doc, "versions"), i, v)
		if (json_integer_value(json_object_get(v, "version")) == (json_int_t)version)
			return v;
	return NULL;
}

/* Applies op to doc (NULL for a key that does not exist yet); returns the new document. */
static json_t *apply(json_t *doc, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
		     enum keyring_op op, uint32_t version, uint32_t *ret_version, struct cc_error *err)
{
	if (op == KEYRING_CREATE) {
		if (doc) {
			cc_error_set(err, EEXIST, "key `%s/%s` already exists", tenant, name);
			return NULL;
		}
		json_t *first = new_version(root, tenant, name, 1, err);
		*ret_version = 1;
		return first ? json_pack("{s:s, s:s, s:i, s:[o]}", "tenant", tenant, "name", name, "primary", 1,
					 "versions", first)
			     : NULL;
	}
	if (!doc) {
		cc_error_set(err, ENOENT, "key `%s/%s` does not exist", tenant, name);
		return NULL;
	}
	json_t *next = json_deep_copy(doc);
	uint32_t primary = (uint32_t)json_integer_value(json_object_get(next, "primary"));
	if (op == KEYRING_ROTATE) {
		uint32_t newest = 0;
		size_t i;
		json_t *v;
		json_array_foreach (json_object_get(next, "versions"), i, v)
			if ((uint32_t)json_integer_value(json_object_get(v, "version")) > newest)
				newest = (uint32_t)json_integer_value(json_object_get(v, "version"));
		if (newest >= VERSIONS_MAX) {
			json_decref(next);
			cc_error_set(err, ENOSPC, "key `%s/%s` has %d versions; create a new key", tenant, name,
				     VERSIONS_MAX);
			return NULL;
		}
		json_t *added = new_version(root, tenant, name, newest + 1, err);
		if (!added) {
			json_decref(next);
			return NULL;
		}
		json_array_append_new(json_object_get(next, "versions"), added);
		json_object_set_new(next, "primary", json_integer(newest + 1));
		*ret_version = newest + 1;
		return next;
	}
	json_t *v = find_version(next, version);
	if (!v || version == primary || strcmp(json_string_value(json_object_get(v, "state")), "retired") == 0) {
		cc_error_set(err, EINVAL, "key `%s/%s`: version %u %s", tenant, name, version,
			     !v                   ? "does not exist"
			     : version == primary ? "is the primary; rotate first"
						  : "is already retired");
		json_decref(next);
		return NULL;
	}
	json_object_set_new(v, "state", json_string("retired"));
	*ret_version = version;
	return next;
}

int keyring_change(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
		   enum keyring_op op, uint32_t version, uint32_t *ret_version, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0 || keyring_check_name("key name", name, err) < 0)
		return -EINVAL;
	char key[160];
	store_key(tenant, name, key, sizeof(key));
	/* Read, change, write if nobody else wrote in between; otherwise read again. */
	for (int attempt = 0; attempt < CHANGE_RETRIES; attempt++) {
		_cleanup_free_ char *value = NULL;
		size_t len;
		int64_t revision = CC_STORE_ABSENT;
		int r = cc_store_get(store, key, &value, &len, &revision, err);
		if (r < 0 && r != -ENOENT)
			return r;
		json_t *doc = NULL;
		if (r == 0 && cc_json_parse(value, len, CC_JSON_MAX_SIZE, key, &doc, NULL) < 0)
			return cc_error_set(err, EUCLEAN, "store: key `%s/%s` is not valid JSON", tenant, name);
		uint32_t changed = 0;
		json_t *next = apply(doc, root, tenant, name, op, version, &changed, err);
		json_decref(doc);
		if (!next)
			return -(err && err->code ? err->code : EINVAL);
		_cleanup_free_ char *text = json_dumps(next, JSON_COMPACT);
		json_decref(next);
		r = cc_store_put(store, key, text, strlen(text), revision, NULL, err);
		if (r == -ESTALE)
			continue;
		if (r == 0 && ret_version)
			*ret_version = changed;
		return r;
	}
	return cc_error_set(err, EBUSY, "key `%s/%s` keeps changing under concurrent writers; try again", tenant, name);
}

struct list_walk {
	json_t *out;
};

static int list_one(const char *key, const char *value, size_t len, int64_t revision, void *userdata)
{
	(void)revision;
	struct list_walk *walk = userdata;
	json_t *doc = NULL;
	if (cc_json_parse(value, len, CC_JSON_MAX_SIZE, key, &doc, NULL) < 0)
		return 0; /* reported when the key itself is used */
	json_t *versions = json_array();
	size_t i;
	json_t *v;
	json_array_foreach (json_object_get(doc, "versions"), i, v)
		json_array_append_new(versions,
				      json_pack("{s:O, s:O, s:O}", "version", json_object_get(v, "version"), "state",
						json_object_get(v, "state"), "created", json_object_get(v, "created")));
	json_array_append_new(walk->out, json_pack("{s:O, s:O, s:o}", "name", json_object_get(doc, "name"), "primary",
						   json_object_get(doc, "primary"), "versions", versions));
	json_decref(doc);
	return 0;
}

int keyring_list(struct cc_store *store, const char *tenant, json_t **ret, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0)
		return -EINVAL;
	char prefix[96];
	snprintf(prefix, sizeof(prefix), "keys/%s/", tenant);
	struct list_walk walk = { .out = json_array() };
	int r = cc_store_list(store, prefix, list_one, &walk, err);
	if (r < 0) {
		json_decref(walk.out);
		return r;
	}
	*ret = walk.out;
	return 0;
}

void keyring_free(struct keyring *kr)
{
	if (!kr)
		return;
	cc_wipe(kr->versions, kr->count * sizeof(*kr->versions));
	free(kr->versions);
	free(kr);
}

/* Opens one stored version; every field is checked because the store is outside our control. */
static int open_version(struct keyring *kr, const uint8_t root[KEYS_ROOT_KEY_SIZE], json_t *v, struct key_version *out,
			struct cc_error *err)
{
	json_int_t number = json_integer_value(json_object_get(v, "version"));
	const char *state = json_string_value(json_object_get(v, "state"));
	const char *material = json_string_value(json_object_get(v, "material"));
	if (number < 1 || number > VERSIONS_MAX || !state || !material ||
	    (strcmp(state, "enabled") != 0 && strcmp(state, "retired") != 0))
		return cc_error_set(err, EUCLEAN, "store: key `%s/%s` has a malformed version entry", kr->tenant,
				    kr->name);
	out->version = (uint32_t)number;
	out->retired = strcmp(state, "retired") == 0;
	_cleanup_free_ uint8_t *sealed = NULL;
	size_t sealed_len;
	if (cc_base64_decode(material, strlen(material), &sealed, &sealed_len) < 0 ||
	    sealed_len != CC_AEAD_KEY_SIZE + CC_AEAD_OVERHEAD)
		return cc_error_set(err, EUCLEAN, "store: key `%s/%s` version %u: material is malformed", kr->tenant,
				    kr->name, out->version);
	char aad[160];
	size_t aad_len = version_aad("key", kr->tenant, kr->name, out->version, aad, sizeof(aad));
	if (cc_aead_open(root, aad, aad_len, sealed, sealed_len, out->key, NULL) < 0)
		return cc_error_set(
		    err, EBADMSG,
		    "key `%s/%s` version %u does not open with this root key (wrong root key, or the store "
		    "was altered)",
		    kr->tenant, kr->name, out->version);
	return 0;
}

int keyring_load(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant, const char *name,
		 struct keyring **ret, struct cc_error *err)
{
	if (keyring_check_name("tenant", tenant, err) < 0 || keyring_check_name("key name", name, err) < 0)
		return -EINVAL;
	char key[160];
	store_key(tenant, name, key, sizeof(key));
	_cleanup_free_ char *value = NULL;
	size_t len;
	int64_t revision;
	int r = cc_store_get(store, key, &value, &len, &revision, err);
	if (r == -ENOENT)
		return cc_error_set(err, ENOENT, "key `%s/%s` does not exist (create it with `cocoon key create`)",
				    tenant, name);
	if (r < 0)
		return r;
	json_t *doc = NULL;
	cc_json_parse(value, len, CC_JSON_MAX_SIZE, key, &doc, NULL); /* NULL when malformed: refused below */
	json_t *versions = json_object_get(doc, "versions");
	size_t count = json_array_size(versions);
	if (!doc || count == 0 || count > VERSIONS_MAX) {
		json_decref(doc);
		return cc_error_set(err, EUCLEAN, "store: key `%s/%s` is malformed", tenant, name);
	}
	struct keyring *kr = cc_xcalloc(1, sizeof(*kr));
	kr->versions = cc_xcalloc(count, sizeof(*kr->versions));
	snprintf(kr->tenant, sizeof(kr->tenant), "%s", tenant);
	snprintf(kr->name, sizeof(kr->name), "%s", name);
	kr->revision = revision;
	kr->primary = (uint32_t)json_integer_value(json_object_get(doc, "primary"));
	size_t i;
	json_t *v;
	json_array_foreach (versions, i, v) {
		if ((r = open_version(kr, root, v, &kr->versions[i], err)) < 0)
			break;
		kr->count++;
	}
	json_decref(doc);
	const struct key_version *primary = NULL;
	for (i = 0; r == 0 && i < kr->count; i++)
		if (kr->versions[i].version == kr->primary)
			primary = &kr->versions[i];
	if (r == 0 && (!primary || primary->retired))
		r = cc_error_set(err, EUCLEAN, "store: key `%s/%s` has no usable primary version %u", tenant, name,
				 kr->primary);
	if (r < 0) {
		keyring_free(kr);
		return r;
	}
	*ret = kr;
	return 0;
}

int64_t keyring_revision(const struct keyring *kr)
{
	return kr->revision;
}

uint32_t keyring_primary(const struct keyring *kr)
{
	return kr->primary;
}

void keyring_version_id(const struct keyring *kr, uint32_t version, char *out, size_t size)
{
	snprintf(out, size, "%s/%s:v%u", kr->tenant, kr->name, version);
}

static const struct key_version *version_of(const struct keyring *kr, uint32_t version)
{
	for (size_t i = 0; i < kr->count; i++)
		if (kr->versions[i].version == version)
			return &kr->versions[i];
	return NULL;
}

int keyring_encrypt(const struct keyring *kr, const void *plain, size_t len, uint8_t *out, struct cc_error *err)
{
	const struct key_version *v = version_of(kr, kr->primary);
	uint8_t *nonce = out + 5, *data = out + 5 + CC_AEAD_NONCE_SIZE;
	out[0] = FORMAT_V1;
	out[1] = (uint8_t)(v->version >> 24);
	out[2] = (uint8_t)(v->version >> 16);
	out[3] = (uint8_t)(v->version >> 8);
	out[4] = (uint8_t)v->version;
	if (cc_random_bytes(nonce, CC_AEAD_NONCE_SIZE, err) < 0)
		return -EIO;
	char aad[160];
	size_t aad_len = version_aad("data", kr->tenant, kr->name, v->version, aad, sizeof(aad));
	return cc_aead_seal_nonce(v->key, nonce, aad, aad_len, plain, len, data, data + len, err);
}

int keyring_decrypt(const struct keyring *kr, const uint8_t *cipher, size_t len, uint8_t *out, size_t *ret_len,
		    uint32_t *ret_version, struct cc_error *err)
{
	if (len < KEYRING_OVERHEAD || cipher[0] != FORMAT_V1)
		return cc_error_set(err, EBADMSG,
				    "ciphertext is not in cocoon's format (too short or unknown format byte)");
	uint32_t version = (uint32_t)cipher[1] << 24 | (uint32_t)cipher[2] << 16 | (uint32_t)cipher[3] << 8 | cipher[4];
	const struct key_version *v = version_of(kr, version);
	if (!v || v->retired)
		return cc_error_set(err, ENOKEY, "key `%s/%s` version %u %s", kr->tenant, kr->name, version,
				    v ? "is retired" : "does not exist");
	size_t data_len = len - KEYRING_OVERHEAD;
	const uint8_t *data = cipher + 5 + CC_AEAD_NONCE_SIZE;
	char aad[160];
	size_t aad_len = version_aad("data", kr->tenant, kr->name, version, aad, sizeof(aad));
	if (cc_aead_open_nonce(v->key, cipher + 5, aad, aad_len, data, data_len, data + data_len, out, NULL) < 0)
		return cc_error_set(err, EBADMSG, "ciphertext was altered or not made with key `%s/%s` version %u",
				    kr->tenant, kr->name, version);
	*ret_len = data_len;
	if (ret_version)
		*ret_version = version;
	return 0;
}
