/* libFuzzer target: what a guest sends the key broker besides evidence: the tee-pubkey JWK (parsed
 * and used to encrypt, as a resource release does), a bearer token (checked against a fixed key), and
 * resource paths. The first byte picks which. */
#include "kbs/kbs_tenant.h"
#include "lib/crypto/jose.h"

#include <jansson.h>
#include <openssl/ec.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static EVP_PKEY *token_key;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (!token_key)
		token_key = EVP_EC_gen("prime256v1");
	char *text = strndup((const char *)data + 1, size - 1);
	if (!text)
		return 0;
	switch (data[0] % 3) {
	case 0: {
		json_t *jwk = json_loads(text, 0, NULL), *jwe = NULL;
		if (jwk && cc_jose_jwe_encrypt(jwk, (const uint8_t *)"secret", 6, &jwe, NULL) == 0)
			json_decref(jwe);
		json_decref(jwk);
		break;
	}
	case 1: {
		json_t *claims = NULL;
		if (cc_jose_jwt_verify_es256(token_key, text, &claims, NULL) == 0)
			abort(); /* nothing the fuzzer makes is signed by a key generated here */
		break;
	}
	default: kbs_check_resource_path(text, NULL);
	}
	free(text);
	return 0;
}
