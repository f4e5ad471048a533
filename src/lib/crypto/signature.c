/* Raw ECDSA signatures and points (see signature.h). */
#include "lib/crypto/signature.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/param_build.h>
#include <string.h>

bool cc_ecdsa_verify(EVP_PKEY *key, const EVP_MD *md, const uint8_t *r, const uint8_t *s, size_t width,
		     const void *data, size_t len)
{
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(r, (int)width, NULL), *bs = BN_bin2bn(s, (int)width, NULL);
	if (!sig || !br || !bs || ECDSA_SIG_set0(sig, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(sig);
		return false;
	}
	unsigned char *der = NULL;
	int der_len = i2d_ECDSA_SIG(sig, &der);
	ECDSA_SIG_free(sig);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool valid = der_len > 0 && ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		     EVP_DigestVerify(ctx, der, (size_t)der_len, data, len) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return valid;
}

EVP_PKEY *cc_ec_public_key(const char *group, const uint8_t *xy, size_t len)
{
	uint8_t point[1 + 2 * 66];
	if (len > sizeof(point) - 1 || len % 2 != 0)
		return NULL;
	point[0] = POINT_CONVERSION_UNCOMPRESSED;
	memcpy(point + 1, xy, len);
	OSSL_PARAM params[] = {
		OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)group, 0),
		OSSL_PARAM_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, len + 1),
		OSSL_PARAM_END,
	};
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *key = NULL;
	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	EVP_PKEY_CTX_free(ctx);
	if (key) {
		/* fromdata does not check the point is on the curve; a public-key check does. */
		EVP_PKEY_CTX *check = EVP_PKEY_CTX_new(key, NULL);
		bool on_curve = check && EVP_PKEY_public_check(check) == 1;
		EVP_PKEY_CTX_free(check);
		if (!on_curve) {
			EVP_PKEY_free(key);
			key = NULL;
		}
	}
	return key;
}

EVP_PKEY *cc_rsa_public_key(const uint8_t *n, size_t n_len, const uint8_t *e, size_t e_len)
{
	BIGNUM *bn = BN_bin2bn(n, (int)n_len, NULL), *be = BN_bin2bn(e, (int)e_len, NULL);
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	OSSL_PARAM *params = NULL;
	EVP_PKEY *key = NULL;
	bool built = bn && be && bld && ctx && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) &&
		     OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) &&
		     (params = OSSL_PARAM_BLD_to_param(bld)) && EVP_PKEY_fromdata_init(ctx) == 1 &&
		     EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) == 1;
	if (!built) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	return key;
}
