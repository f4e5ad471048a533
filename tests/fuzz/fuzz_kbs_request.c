/* libFuzzer target: what a guest sends the key broker besides evidence: the tee-pubkey JWK (parsed
 * and used to encrypt, as a resource release does), a bearer token (checked against a fixed key),
 * resource paths, and what a node sends for pod certificates: the request body of
 * POST /kbs/v0/mtls/certificate with its DNS names, the runtime data's cocoon-csr, and service
 * account token claims (as if their signature had verified), and the revocation bodies of
 * POST /kbs/v0/mtls/revoke and the admin API's mtls/revoke. The first byte picks which. */
#include "kbs/kbs_mtls_checks.h"
#include "kbs/kbs_mtls_revoke.h"
#include "kbs/kbs_sa_token.h"
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
	switch (data[0] % 8) {
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
	case 2: kbs_check_resource_path(text, NULL); break;
	case 3: {
		struct kbs_mtls_request req;
		if (kbs_mtls_request_parse(text, strlen(text), &req, NULL) == 0) {
			kbs_mtls_dns_names_check(req.dns_names, req.n_dns_names, "shop", "cluster.local", NULL);
			kbs_mtls_request_free(&req);
		}
		break;
	}
	case 4: {
		json_t *runtime = json_loads(text, 0, NULL);
		if (runtime && kbs_mtls_csr_list_check(runtime, NULL) == 0) {
			static const uint8_t digest[CC_SPKI_DIGEST_SIZE];
			kbs_mtls_csr_bound(json_object_get(runtime, "cocoon-csr"), digest);
		}
		json_decref(runtime);
		break;
	}
	case 6:
	case 7: {
		struct kbs_mtls_revoke_request req;
		int r = data[0] % 8 == 6 ? kbs_mtls_revoke_request_parse(text, strlen(text), &req, NULL)
					 : kbs_mtls_admin_revoke_parse(text, strlen(text), &req, NULL);
		if (r == 0) {
			if (req.n_serials > KBS_MTLS_REVOKE_SERIALS_MAX || cc_crl_reason_name(req.reason) == NULL)
				abort(); /* a parsed body is within its bounds */
			for (size_t i = 0; i < req.n_serials; i++)
				if (strspn(req.serials[i], "0123456789abcdef") != strlen(req.serials[i]))
					abort(); /* serials come out in the records' spelling */
			kbs_mtls_revoke_request_free(&req);
		}
		break;
	}
	default: { /* 5 */
		json_t *claims = json_loads(text, 0, NULL);
		struct kbs_sa_identity id;
		if (claims && kbs_sa_identity_from_claims(claims, "acme", 1800000000, &id, NULL) == 0 &&
		    (!id.pod_uid[0] || !id.namespace[0]))
			abort(); /* an identity is never half empty */
		json_decref(claims);
	}
	}
	free(text);
	return 0;
}
