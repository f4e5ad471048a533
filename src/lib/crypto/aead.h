/* AES-256-GCM authenticated encryption with associated data (NIST SP 800-38D).
 * Sealed output layout: 12-byte random nonce || ciphertext || 16-byte tag, so one blob carries all
 * that opening needs. Associated data binds context (a key id, a record id) that is not encrypted
 * but must not be swapped. */
#pragma once

#include <stddef.h>
#include <stdint.h>

struct cc_error;

#define CC_AEAD_KEY_SIZE   32
#define CC_AEAD_NONCE_SIZE 12
#define CC_AEAD_TAG_SIZE   16
#define CC_AEAD_OVERHEAD   (CC_AEAD_NONCE_SIZE + CC_AEAD_TAG_SIZE)

/* out must hold len + CC_AEAD_OVERHEAD bytes. */
int cc_aead_seal(const uint8_t key[CC_AEAD_KEY_SIZE], const void *aad, size_t aad_len, const void *plain, size_t len,
		 uint8_t *out, struct cc_error *err);

/* out must hold sealed_len - CC_AEAD_OVERHEAD bytes. Any change to key, aad or sealed fails with
 * -EBADMSG and out is wiped. */
int cc_aead_open(const uint8_t key[CC_AEAD_KEY_SIZE], const void *aad, size_t aad_len, const uint8_t *sealed,
		 size_t sealed_len, uint8_t *out, struct cc_error *err);

/* Explicit-nonce variants for protocols that carry the nonce separately (JWE, KMS). */
int cc_aead_seal_nonce(const uint8_t key[CC_AEAD_KEY_SIZE], const uint8_t nonce[CC_AEAD_NONCE_SIZE], const void *aad,
		       size_t aad_len, const void *plain, size_t len, uint8_t *ret_cipher,
		       uint8_t ret_tag[CC_AEAD_TAG_SIZE], struct cc_error *err);
int cc_aead_open_nonce(const uint8_t key[CC_AEAD_KEY_SIZE], const uint8_t nonce[CC_AEAD_NONCE_SIZE], const void *aad,
		       size_t aad_len, const uint8_t *cipher, size_t len, const uint8_t tag[CC_AEAD_TAG_SIZE],
		       uint8_t *out, struct cc_error *err);
