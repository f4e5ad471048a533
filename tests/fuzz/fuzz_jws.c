/* libFuzzer target: compact JWS tokens and JWKs (lib/crypto/jws.h), which any client hands cocoond
 * as a bearer token and any identity provider as its key set. The input is a token, or with a
 * newline first a JWK (JSON) and then the token: the JWK is read as a key, and the token is peeked at
 * and verified with it. Besides never crashing: nothing verifies with a key that did not sign it
 * (every input's signature is the fuzzer's, not a key's). */
#include "lib/base/error.h"
#include "lib/crypto/jws.h"
#include "lib/json/json.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > CC_JWS_MAX * 2)
		return 0;
	char *text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	char *token = text;
	EVP_PKEY *key = NULL;
	const char *alg = NULL;
	struct cc_error err = { 0 };
	char *newline = strchr(text, '\n');
	if (newline) {
		*newline = '\0';
		token = newline + 1;
		json_t *jwk = NULL;
		if (cc_json_parse(text, strlen(text), 1u << 16, "fuzz", &jwk, &err) == 0) {
			cc_jws_key_from_jwk(jwk, &key, &alg, &err);
			json_decref(jwk);
		}
	}
	json_t *header = NULL, *payload = NULL;
	if (cc_jws_peek(token, &header, &payload, &err) == 0) {
		json_decref(header);
		json_decref(payload);
	}
	if (key) {
		json_t *claims = NULL;
		if (cc_jws_verify(token, key, alg, &claims, &err) == 0)
			abort(); /* a forged signature verified */
		EVP_PKEY_free(key);
	}
	free(text);
	return 0;
}
