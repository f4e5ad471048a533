/* The Kubernetes KMS v2 plugin (/v2.KeyManagementService/Status|Encrypt|Decrypt over gRPC on a unix
 * socket): kube-apiserver sends data-encryption keys here to be wrapped by a key ring of
 * src/keys/keyring.h. The ring is reloaded from the store when it changes (polled), so a rotation
 * by `cocoon key rotate` shows up as a new key_id within a poll interval, while ciphertexts of older
 * versions keep decrypting until those versions are retired. */
#pragma once

#include "keys/root_key.h"
#include "lib/net/grpc.h"

#include <stddef.h>
#include <stdint.h>

struct cc_error;
struct cc_store;
struct kms_service;

/* KMS v2 limits the ciphertext to 1 KiB. */
#define KMS_MAX_CIPHERTEXT 1024

/* Loads the key ring (which must exist). The service keeps store and root for reloading. */
int kms_service_new(struct cc_store *store, const uint8_t root[KEYS_ROOT_KEY_SIZE], const char *tenant,
		    const char *name, struct kms_service **ret, struct cc_error *err);
void kms_service_free(struct kms_service *svc);

/* Reloads the ring when its store revision changed. *ret_changed says whether the primary key id
 * changed. On failure the previous ring stays in use and Status reports the failure as unhealthy. */
int kms_service_refresh(struct kms_service *svc, bool *ret_changed, struct cc_error *err);

/* The current write key id ("<tenant>/<name>:v<N>"). out must hold 160 bytes. */
void kms_service_key_id(struct kms_service *svc, char *out, size_t size);

#define KMS_METHOD_COUNT 3
void kms_service_methods(struct kms_service *svc, struct cc_grpc_method out[KMS_METHOD_COUNT]);
