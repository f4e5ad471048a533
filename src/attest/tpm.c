/* TPM 2.0 quote verification (see tpm.h). The TPM structures are unmarshalled with tpm2-tss's
 * libtss2-mu, which checks every size field against the buffer. */
#include "attest/tpm.h"

#include "attest/tpm_credential.h"
#include "attest/verifier.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/launch_measurement.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <string.h>
#include <tss2/tss2_mu.h>

#define EVIDENCE_JSON_MAX (1u << 20)
#define PCR_MAX           24

struct bank {
	const char *name;
	TPMI_ALG_HASH alg;
	const EVP_MD *(*md)(void);
};

static const struct bank banks[] = {
	{ "sha256", TPM2_ALG_SHA256, EVP_sha256 },
	{ "sha384", TPM2_ALG_SHA384, EVP_sha384 },
	{ "sha512", TPM2_ALG_SHA512, EVP_sha512 },
};

static const struct bank *bank_of(TPMI_ALG_HASH alg)
{
	for (size_t i = 0; i < sizeof(banks) / sizeof(banks[0]); i++)
		if (banks[i].alg == alg)
			return &banks[i];
	return NULL;
}

/* A base64 field of the evidence, decoded. */
static int field_bytes(const json_t *evidence, const char *name, uint8_t **ret, size_t *ret_len, struct cc_error *err)
{
	const char *text = json_string_value(json_object_get(evidence, name));
	if (!text)
		return cc_error_set(err, EINVAL, "TPM evidence lacks `%s` (base64)", name);
	if (cc_base64_decode(text, strlen(text), ret, ret_len) < 0)
		return cc_error_set(err, EINVAL, "TPM evidence `%s` is not base64", name);
	return 0;
}

static EVP_PKEY *rsa_public_key(const TPMS_RSA_PARMS *parms, const TPM2B_PUBLIC_KEY_RSA *n)
{
	uint32_t exponent = parms->exponent ? parms->exponent : 65537; /* 0 means the default */
	uint8_t e[4] = { (uint8_t)(exponent >> 24), (uint8_t)(exponent >> 16), (uint8_t)(exponent >> 8),
			 (uint8_t)exponent };
	return cc_rsa_public_key(n->buffer, n->size, e, sizeof(e));
}

/* The AK's TPM2B_PUBLIC as recorded at registration: attributes checked, key extracted. */
static int load_ak(const uint8_t *data, size_t len, EVP_PKEY **ret, struct cc_error *err)
{
	if (!data)
		return cc_error_set(err, EINVAL, "no attestation key given");
	int r = tpm_check_ak(data, len, err);
	if (r < 0)
		return r;
	TPM2B_PUBLIC pub = { 0 };
	size_t offset = 0;
	Tss2_MU_TPM2B_PUBLIC_Unmarshal(data, len, &offset, &pub);
	const TPMT_PUBLIC *p = &pub.publicArea;
	EVP_PKEY *key = NULL;
	if (p->type == TPM2_ALG_ECC) {
		const char *group = p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256   ? "prime256v1"
				    : p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P384 ? "secp384r1"
											    : NULL;
		size_t width = p->parameters.eccDetail.curveID == TPM2_ECC_NIST_P256 ? 32 : 48;
		const TPMS_ECC_POINT *q = &p->unique.ecc;
		uint8_t xy[96] = { 0 };
		if (group && q->x.size <= width && q->y.size <= width) {
			memcpy(xy + width - q->x.size, q->x.buffer, q->x.size);
			memcpy(xy + 2 * width - q->y.size, q->y.buffer, q->y.size);
			key = cc_ec_public_key(group, xy, 2 * width);
		}
	} else if (p->type == TPM2_ALG_RSA) {
		key = rsa_public_key(&p->parameters.rsaDetail, &p->unique.rsa);
	}
	if (!key)
		return cc_error_set(err, EINVAL, "the attestation key is not a usable P-256, P-384 or RSA key");
	*ret = key;
	return 0;
}

static int check_signature(EVP_PKEY *ak, const uint8_t *quote, size_t quote_len, const TPMT_SIGNATURE *sig,
			   const struct bank **ret_bank, struct cc_error *err)
{
	bool ecdsa = sig->sigAlg == TPM2_ALG_ECDSA;
	TPMI_ALG_HASH hash = ecdsa                            ? sig->signature.ecdsa.hash
			     : sig->sigAlg == TPM2_ALG_RSASSA ? sig->signature.rsassa.hash
			     : sig->sigAlg == TPM2_ALG_RSAPSS ? sig->signature.rsapss.hash
							      : TPM2_ALG_NULL;
	const struct bank *bank = bank_of(hash);
	if (!bank)
		return cc_error_set(err, EINVAL, "quote signature algorithm 0x%x with hash 0x%x is not supported",
				    sig->sigAlg, hash);
	if (ecdsa != (EVP_PKEY_get_base_id(ak) == EVP_PKEY_EC))
		return cc_error_set(err, EBADMSG, "the quote signature's algorithm does not match the attestation key");
	bool valid;
	if (ecdsa) {
		const TPM2B_ECC_PARAMETER *r = &sig->signature.ecdsa.signatureR, *s = &sig->signature.ecdsa.signatureS;
		size_t width = r->size > s->size ? r->size : s->size;
		uint8_t br[TPM2_MAX_ECC_KEY_BYTES] = { 0 }, bs[TPM2_MAX_ECC_KEY_BYTES] = { 0 };
		memcpy(br + width - r->size, r->buffer, r->size);
		memcpy(bs + width - s->size, s->buffer, s->size);
		valid = width > 0 && cc_ecdsa_verify(ak, bank->md(), br, bs, width, quote, quote_len);
	} else {
		const TPM2B_PUBLIC_KEY_RSA *s = &sig->signature.rsassa.sig; /* same layout for RSAPSS */
		EVP_MD_CTX *ctx = EVP_MD_CTX_new();
		EVP_PKEY_CTX *pctx = NULL;
		valid = ctx && EVP_DigestVerifyInit(ctx, &pctx, bank->md(), NULL, ak) == 1;
		if (valid && sig->sigAlg == TPM2_ALG_RSAPSS)
			valid = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
				EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_AUTO) == 1;
		valid = valid && EVP_DigestVerify(ctx, s->buffer, s->size, quote, quote_len) == 1;
		EVP_MD_CTX_free(ctx);
	}
	if (!valid)
		return cc_error_set(err, EBADMSG, "the quote signature does not verify with the attestation key");
	*ret_bank = bank;
	return 0;
}

/* A supplied PCR value: pcrs[bank][index] as hex of the bank's digest size. */
static int pcr_value(const json_t *pcrs, const struct bank *bank, unsigned index, uint8_t *out, struct cc_error *err)
{
	char key[8];
	snprintf(key, sizeof(key), "%u", index);
	const char *hex = json_string_value(json_object_get(json_object_get(pcrs, bank->name), key));
	size_t size = (size_t)EVP_MD_get_size(bank->md());
	if (!hex)
		return cc_error_set(err, EINVAL, "TPM evidence lacks the value of PCR %s:%u, which the quote selects",
				    bank->name, index);
	if (strncmp(hex, "0x", 2) == 0)
		hex += 2;
	if (strlen(hex) != 2 * size || cc_hex_decode(hex, out, size) < 0)
		return cc_error_set(err, EINVAL, "PCR %s:%u is not %zu bytes of hex", bank->name, index, size);
	return 0;
}

/* TPM2_Quote's pcrDigest: the hash (of the signing scheme) over the selected PCR values, bank by
 * bank in selection order, PCRs in ascending order. */
static int check_pcr_digest(const TPMS_QUOTE_INFO *info, const json_t *pcrs, const struct bank *sign_bank,
			    struct cc_error *err)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx || EVP_DigestInit_ex(ctx, sign_bank->md(), NULL) != 1) {
		EVP_MD_CTX_free(ctx);
		return cc_error_set(err, EIO, "cannot hash the PCR values");
	}
	int r = 0;
	for (uint32_t b = 0; r == 0 && b < info->pcrSelect.count; b++) {
		const TPMS_PCR_SELECTION *sel = &info->pcrSelect.pcrSelections[b];
		const struct bank *bank = bank_of(sel->hash);
		if (!bank) {
			r = cc_error_set(err, EINVAL, "the quote selects PCRs of unsupported bank 0x%x", sel->hash);
			break;
		}
		for (unsigned i = 0; r == 0 && i < 8u * sel->sizeofSelect && i < PCR_MAX; i++) {
			if (!(sel->pcrSelect[i / 8] & (1u << (i % 8))))
				continue;
			uint8_t value[EVP_MAX_MD_SIZE];
			if ((r = pcr_value(pcrs, bank, i, value, err)) == 0)
				EVP_DigestUpdate(ctx, value, (size_t)EVP_MD_get_size(bank->md()));
		}
	}
	uint8_t digest[EVP_MAX_MD_SIZE];
	unsigned digest_len = 0;
	if (r == 0 && EVP_DigestFinal_ex(ctx, digest, &digest_len) != 1)
		r = cc_error_set(err, EIO, "cannot hash the PCR values");
	EVP_MD_CTX_free(ctx);
	if (r == 0 && (info->pcrDigest.size != digest_len || memcmp(info->pcrDigest.buffer, digest, digest_len) != 0))
		r = cc_error_set(err, EBADMSG, "the supplied PCR values do not match the quote's PCR digest");
	return r;
}

static bool selected(const TPMS_QUOTE_INFO *info, TPMI_ALG_HASH alg, unsigned index)
{
	for (uint32_t b = 0; b < info->pcrSelect.count; b++) {
		const TPMS_PCR_SELECTION *sel = &info->pcrSelect.pcrSelections[b];
		if (sel->hash == alg && index / 8 < sel->sizeofSelect &&
		    (sel->pcrSelect[index / 8] & (1u << (index % 8))))
			return true;
	}
	return false;
}

/* A record's parts (launch measurement v2) must make its measurement; they become claims the policy
 * can judge: rootfs, image (the manifest digest when the rootfs is an image's), profile and config. */
static int claim_parts(const json_t *record, const char *measurement, json_t *claim, size_t index, struct cc_error *err)
{
	const json_t *parts = json_object_get(record, "parts");
	if (!parts)
		return 0; /* a version 1 record: its measurement alone */
	struct cc_launch_parts p;
	char made[CC_LAUNCH_MEASUREMENT_SIZE];
	struct cc_error why = { 0 };
	if (cc_launch_parts_from_json(parts, &p, &why) < 0 || cc_launch_measurement(&p, made, &why) < 0)
		return cc_error_set(err, EBADMSG, "measurement log record %zu: %s", index, cc_error_message(&why));
	if (strcmp(made, measurement) != 0)
		return cc_error_set(err, EBADMSG, "measurement log record %zu: its parts do not make its measurement",
				    index);
	json_object_set_new(claim, "rootfs", json_string(p.rootfs));
	if (strncmp(p.rootfs, "image:", 6) == 0)
		json_object_set_new(claim, "image", json_string(p.rootfs + 6));
	json_object_set_new(claim, "profile", json_string(p.profile));
	json_object_set_new(claim, "config", json_string(p.config));
	return 0;
}

/* Replays the measurement log: each record extended its PCR with its SHA-384 measurement in the
 * sha384 bank (and with SHA-256 of it in the sha256 bank). The result must be the quoted value, so
 * the log is exactly what was measured. Returns the containers as claims. */
static int replay_log(const TPMS_QUOTE_INFO *info, const json_t *pcrs, const json_t *log, json_t **ret,
		      struct cc_error *err)
{
	json_t *containers = json_array();
	uint8_t replayed[PCR_MAX][48] = { 0 }, replayed256[PCR_MAX][32] = { 0 };
	bool used[PCR_MAX] = { false };
	size_t i;
	json_t *record;
	json_array_foreach (log, i, record) {
		json_t *pcr = json_object_get(record, "pcr");
		const char *measurement = json_string_value(json_object_get(record, "measurement"));
		const char *container = json_string_value(json_object_get(record, "container"));
		uint8_t digest[48];
		if (!json_is_integer(pcr) || json_integer_value(pcr) < 0 || json_integer_value(pcr) >= PCR_MAX ||
		    !measurement || !container || strncmp(measurement, "sha384:", 7) != 0 ||
		    strlen(measurement) != 7 + 96 || cc_hex_decode(measurement + 7, digest, 48) < 0) {
			json_decref(containers);
			return cc_error_set(err, EINVAL, "measurement log record %zu is malformed", i);
		}
		unsigned index = (unsigned)json_integer_value(pcr);
		if (!selected(info, TPM2_ALG_SHA384, index)) {
			json_decref(containers);
			return cc_error_set(err, EINVAL,
					    "measurement log record %zu extends PCR %u, which the quote does not cover",
					    i, index);
		}
		used[index] = true;
		uint8_t buf[96], digest256[32];
		memcpy(buf, replayed[index], 48);
		memcpy(buf + 48, digest, 48);
		EVP_Digest(buf, 96, replayed[index], NULL, EVP_sha384(), NULL);
		EVP_Digest(digest, 48, digest256, NULL, EVP_sha256(), NULL);
		memcpy(buf, replayed256[index], 32);
		memcpy(buf + 32, digest256, 32);
		EVP_Digest(buf, 64, replayed256[index], NULL, EVP_sha256(), NULL);
		json_t *claim = json_pack("{s:s, s:s, s:O?}", "container", container, "measurement", measurement,
					  "time", json_object_get(record, "time"));
		if (claim_parts(record, measurement, claim, i, err) < 0) {
			json_decref(claim);
			json_decref(containers);
			return -EBADMSG;
		}
		json_array_append_new(containers, claim);
	}
	for (unsigned index = 0; index < PCR_MAX; index++) {
		if (!used[index])
			continue;
		uint8_t quoted[48];
		int r = pcr_value(pcrs, &banks[1], index, quoted, err);
		if (r == 0 && memcmp(quoted, replayed[index], 48) != 0)
			r = cc_error_set(err, EBADMSG,
					 "the measurement log does not replay to the quoted PCR sha384:%u", index);
		if (r == 0 && selected(info, TPM2_ALG_SHA256, index) &&
		    ((r = pcr_value(pcrs, &banks[0], index, quoted, err)) == 0) &&
		    memcmp(quoted, replayed256[index], 32) != 0)
			r = cc_error_set(err, EBADMSG,
					 "the measurement log does not replay to the quoted PCR sha256:%u", index);
		if (r < 0) {
			json_decref(containers);
			return r;
		}
	}
	*ret = containers;
	return 0;
}

static json_t *claims_of(const TPMS_ATTEST *a, const json_t *pcrs, json_t *containers)
{
	char firmware[32];
	snprintf(firmware, sizeof(firmware), "%016llx", (unsigned long long)a->firmwareVersion);
	return json_pack("{s:s, s:o, s:o, s:s, s:{s:I, s:I, s:I, s:b}, s:O, s:o}", "tee", "tpm", "nonce",
			 cc_json_hex(a->extraData.buffer, a->extraData.size), "qualified_signer",
			 cc_json_hex(a->qualifiedSigner.name, a->qualifiedSigner.size), "firmware_version", firmware,
			 "clock", "clock", (json_int_t)a->clockInfo.clock, "reset_count",
			 (json_int_t)a->clockInfo.resetCount, "restart_count", (json_int_t)a->clockInfo.restartCount,
			 "safe", (int)a->clockInfo.safe, "pcrs", pcrs, "containers", containers);
}

int tpm_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err)
{
	if (!in->nonce)
		return cc_error_set(err, EINVAL, "a TPM quote needs the expected nonce to be checked against");
	_cleanup_json_ json_t *evidence = NULL;
	if (cc_json_parse((const char *)in->evidence, in->evidence_len, EVIDENCE_JSON_MAX, "evidence", &evidence, err) <
	    0)
		return cc_error_prefix(err, "TPM evidence is not a JSON object (docs/attest.md)");
	if (!json_is_object(evidence))
		return cc_error_set(err, EINVAL, "TPM evidence is not a JSON object (docs/attest.md)");
	json_t *pcrs = json_object_get(evidence, "pcrs"), *log = json_object_get(evidence, "measurements");
	if (!json_is_object(pcrs) || (log && !json_is_array(log)))
		return cc_error_set(err, EINVAL,
				    "TPM evidence needs `pcrs` (an object) and optional `measurements` (an array)");
	_cleanup_free_ uint8_t *quote = NULL, *sig_bytes = NULL;
	size_t quote_len, sig_len;
	int r;
	if ((r = field_bytes(evidence, "quote", &quote, &quote_len, err)) < 0 ||
	    (r = field_bytes(evidence, "signature", &sig_bytes, &sig_len, err)) < 0)
		return r;
	TPMS_ATTEST attest = { 0 };
	TPMT_SIGNATURE sig = { 0 };
	size_t offset = 0;
	if (Tss2_MU_TPMS_ATTEST_Unmarshal(quote, quote_len, &offset, &attest) != TSS2_RC_SUCCESS || offset != quote_len)
		return cc_error_set(err, EINVAL, "the quote is not a TPMS_ATTEST structure");
	if (attest.magic != TPM2_GENERATED_VALUE || attest.type != TPM2_ST_ATTEST_QUOTE)
		return cc_error_set(err, EBADMSG, "the quote is not a TPM-generated quote (magic 0x%x, type 0x%x)",
				    attest.magic, attest.type);
	offset = 0;
	if (Tss2_MU_TPMT_SIGNATURE_Unmarshal(sig_bytes, sig_len, &offset, &sig) != TSS2_RC_SUCCESS || offset != sig_len)
		return cc_error_set(err, EINVAL, "the quote signature is not a TPMT_SIGNATURE structure");
	EVP_PKEY *ak = NULL;
	if ((r = load_ak(in->endorsement, in->endorsement_len, &ak, err)) < 0)
		return r;
	const struct bank *sign_bank = NULL;
	r = check_signature(ak, quote, quote_len, &sig, &sign_bank, err);
	EVP_PKEY_free(ak);
	if (r < 0)
		return r;
	if (attest.extraData.size != in->nonce_len || memcmp(attest.extraData.buffer, in->nonce, in->nonce_len) != 0)
		return cc_error_set(
		    err, EBADMSG, "the quote's nonce (extraData) is not the expected one: a replay or another session");
	const TPMS_QUOTE_INFO *info = &attest.attested.quote;
	if ((r = check_pcr_digest(info, pcrs, sign_bank, err)) < 0)
		return r;
	json_t *containers = NULL;
	if (log)
		r = replay_log(info, pcrs, log, &containers, err);
	else
		containers = json_array();
	if (r < 0)
		return r;
	*ret_claims = claims_of(&attest, pcrs, containers);
	return 0;
}
