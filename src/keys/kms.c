/* The KMS v2 plugin service (see kms.h). Handlers run on the server's connection threads; they
 * share the current key ring under a read lock, and a reload swaps it under the write lock. */
#include "keys/kms.h"

#include "keys/keyring.h"
#include "kms.pb-c.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/secure.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KMS_API_VERSION "v2"
/* The annotation says how to read the ciphertext; keys must be fully qualified domain names. */
#define FORMAT_ANNOTATION "format.kms.cocoon.io"
#define FORMAT_VALUE      "aes-256-gcm-v1"

struct kms_service {
	struct cc_store *store;
	uint8_t root[KEYS_ROOT_KEY_SIZE];
	char tenant[64], name[64];
	pthread_rwlock_t lock;
	struct keyring *ring;
	char key_id[160];
	char healthz[256]; /* "ok" or the last reload failure */
};

int kms_service_new(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		    const char *name, struct kms_service **ret, struct cc_error *err)
{
	struct keyring *ring;
	int r = keyring_load(store, root, tenant, name, &ring, err);
	if (r < 0)
		return r;
	struct kms_service *svc = cc_xcalloc(1, sizeof(*svc));
	svc->store = store;
	memcpy(svc->root, root, sizeof(svc->root));
	snprintf(svc->tenant, sizeof(svc->tenant), "%s", tenant);
	snprintf(svc->name, sizeof(svc->name), "%s", name);
	pthread_rwlock_init(&svc->lock, NULL);
	svc->ring = ring;
	keyring_version_id(ring, keyring_primary(ring), svc->key_id, sizeof(svc->key_id));
	snprintf(svc->healthz, sizeof(svc->healthz), "ok");
	*ret = svc;
	return 0;
}

void kms_service_free(struct kms_service *svc)
{
	if (!svc)
		return;
	keyring_free(svc->ring);
	cc_wipe(svc->root, sizeof(svc->root));
	pthread_rwlock_destroy(&svc->lock);
	free(svc);
}

int kms_service_refresh(struct kms_service *svc, bool *ret_changed, struct cc_error *err)
{
	*ret_changed = false;
	struct keyring *ring;
	int r = keyring_load(svc->store, svc->root, svc->tenant, svc->name, &ring, err);
	pthread_rwlock_wrlock(&svc->lock);
	if (r < 0) {
		snprintf(svc->healthz, sizeof(svc->healthz), "key ring unavailable: %s", cc_error_message(err));
	} else {
		snprintf(svc->healthz, sizeof(svc->healthz), "ok");
		if (keyring_revision(ring) == keyring_revision(svc->ring)) {
			keyring_free(ring);
		} else {
			char key_id[160];
			keyring_version_id(ring, keyring_primary(ring), key_id, sizeof(key_id));
			*ret_changed = strcmp(key_id, svc->key_id) != 0;
			memcpy(svc->key_id, key_id, sizeof(key_id));
			keyring_free(svc->ring);
			svc->ring = ring;
		}
	}
	pthread_rwlock_unlock(&svc->lock);
	return r;
}

void kms_service_key_id(struct kms_service *svc, char *out, size_t size)
{
	pthread_rwlock_rdlock(&svc->lock);
	snprintf(out, size, "%s", svc->key_id);
	pthread_rwlock_unlock(&svc->lock);
}

/* A refused request is a security decision: record it (successes are counted, not logged, at
 * thousands per second). */
static void record_denial(const char *action, const char *uid, const char *reason)
{
	cc_event_emit_decision("kms", action, NULL, NULL, uid && *uid ? uid : "(no uid)", false, reason);
}

static enum cc_grpc_code status(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				void *userdata)
{
	struct kms_service *svc = userdata;
	V2__StatusRequest *req = v2__status_request__unpack(NULL, len, request);
	if (!req)
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "request is not a StatusRequest message");
	v2__status_request__free_unpacked(req, NULL);
	V2__StatusResponse out = V2__STATUS_RESPONSE__INIT;
	char key_id[160], healthz[256];
	pthread_rwlock_rdlock(&svc->lock);
	memcpy(key_id, svc->key_id, sizeof(key_id));
	memcpy(healthz, svc->healthz, sizeof(healthz));
	pthread_rwlock_unlock(&svc->lock);
	out.version = KMS_API_VERSION;
	out.healthz = healthz;
	out.key_id = key_id;
	return cc_grpc_reply(call, &out.base, resp);
}

static enum cc_grpc_code encrypt(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				 void *userdata)
{
	struct kms_service *svc = userdata;
	V2__EncryptRequest *req = v2__encrypt_request__unpack(NULL, len, request);
	if (!req)
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "request is not an EncryptRequest message");
	enum cc_grpc_code code = CC_GRPC_OK;
	size_t plain_len = req->plaintext.len;
	if (plain_len == 0 || plain_len + KEYRING_OVERHEAD > KMS_MAX_CIPHERTEXT) {
		code = cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT,
				    "plaintext of %zu bytes: must be 1 to %d bytes so the ciphertext fits in %d",
				    plain_len, KMS_MAX_CIPHERTEXT - KEYRING_OVERHEAD, KMS_MAX_CIPHERTEXT);
		record_denial("kms.encrypt", req->uid, call->message);
		goto out;
	}
	uint8_t cipher[KMS_MAX_CIPHERTEXT];
	char key_id[160];
	struct cc_error err = { 0 };
	pthread_rwlock_rdlock(&svc->lock);
	int r = keyring_encrypt(svc->ring, req->plaintext.data, plain_len, cipher, &err);
	memcpy(key_id, svc->key_id, sizeof(key_id));
	pthread_rwlock_unlock(&svc->lock);
	if (r < 0) {
		code = cc_grpc_fail(call, CC_GRPC_INTERNAL, "encryption failed: %s", cc_error_message(&err));
		goto out;
	}
	V2__EncryptResponse__AnnotationsEntry format = V2__ENCRYPT_RESPONSE__ANNOTATIONS_ENTRY__INIT;
	V2__EncryptResponse__AnnotationsEntry *annotations[] = { &format };
	format.key = FORMAT_ANNOTATION;
	format.value = (ProtobufCBinaryData){ .data = (uint8_t *)FORMAT_VALUE, .len = strlen(FORMAT_VALUE) };
	V2__EncryptResponse out = V2__ENCRYPT_RESPONSE__INIT;
	out.ciphertext = (ProtobufCBinaryData){ .data = cipher, .len = plain_len + KEYRING_OVERHEAD };
	out.key_id = key_id;
	out.n_annotations = 1;
	out.annotations = annotations;
	code = cc_grpc_reply(call, &out.base, resp);
out:
	cc_wipe(req->plaintext.data, req->plaintext.len);
	v2__encrypt_request__free_unpacked(req, NULL);
	return code;
}

static enum cc_grpc_code decrypt(struct cc_grpc_call *call, const uint8_t *request, size_t len, struct cc_buf *resp,
				 void *userdata)
{
	struct kms_service *svc = userdata;
	V2__DecryptRequest *req = v2__decrypt_request__unpack(NULL, len, request);
	if (!req)
		return cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "request is not a DecryptRequest message");
	enum cc_grpc_code code = CC_GRPC_OK;
	uint8_t plain[KMS_MAX_CIPHERTEXT];
	size_t plain_len = 0;
	if (req->ciphertext.len > KMS_MAX_CIPHERTEXT || !req->key_id || !*req->key_id) {
		code = cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT, "%s",
				    req->ciphertext.len > KMS_MAX_CIPHERTEXT ? "ciphertext is over 1 KiB"
									     : "key_id is missing");
		record_denial("kms.decrypt", req->uid, call->message);
		goto out;
	}
	struct cc_error err = { 0 };
	uint32_t version = 0;
	char version_id[160];
	pthread_rwlock_rdlock(&svc->lock);
	int r =
	    keyring_decrypt(svc->ring, req->ciphertext.data, req->ciphertext.len, plain, &plain_len, &version, &err);
	if (r == 0)
		keyring_version_id(svc->ring, version, version_id, sizeof(version_id));
	pthread_rwlock_unlock(&svc->lock);
	if (r < 0) {
		code = cc_grpc_fail(call, r == -ENOKEY ? CC_GRPC_NOT_FOUND : CC_GRPC_INVALID_ARGUMENT, "%s",
				    cc_error_message(&err));
		record_denial("kms.decrypt", req->uid, call->message);
		goto out;
	}
	/* The key id kube-apiserver stored with the data must name the version that made it. */
	if (strcmp(version_id, req->key_id) != 0) {
		code = cc_grpc_fail(call, CC_GRPC_INVALID_ARGUMENT,
				    "key_id `%.160s` does not match the ciphertext's key %s", req->key_id, version_id);
		record_denial("kms.decrypt", req->uid, call->message);
		goto out;
	}
	V2__DecryptResponse out = V2__DECRYPT_RESPONSE__INIT;
	out.plaintext = (ProtobufCBinaryData){ .data = plain, .len = plain_len };
	code = cc_grpc_reply(call, &out.base, resp);
out:
	cc_wipe(plain, sizeof(plain));
	v2__decrypt_request__free_unpacked(req, NULL);
	return code;
}

void kms_service_methods(struct kms_service *svc, struct cc_grpc_method out[KMS_METHOD_COUNT])
{
	out[0] = (struct cc_grpc_method){ "/v2.KeyManagementService/Status", status, svc };
	out[1] = (struct cc_grpc_method){ "/v2.KeyManagementService/Encrypt", encrypt, svc };
	out[2] = (struct cc_grpc_method){ "/v2.KeyManagementService/Decrypt", decrypt, svc };
}
