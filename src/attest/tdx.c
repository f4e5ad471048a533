/* Intel TDX quote v4 parsing and verification (see tdx.h). Offsets follow the quote format of the
 * Intel TDX DCAP Quoting Library API: a 48-byte header, the 584-byte TD report, then the signature
 * data: quote signature, attestation key, and certification data of type 6 (QE report certification
 * data) that holds the QE report, its signature, the QE authentication data and, as certification
 * data of type 5, the PCK certificate chain in PEM. */
#include "attest/tdx.h"

#include "attest/chain.h"
#include "attest/tdx_collateral.h"
#include "attest/verifier.h"
#include "lib/base/bytes.h"
#include "lib/base/error.h"
#include "lib/crypto/digest.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <string.h>

#define QUOTE_VERSION          4
#define ATTESTATION_KEY_ECDSA  2 /* ECDSA-256 with P-256 */
#define TEE_TYPE_TDX           0x81
#define CERT_DATA_QE_REPORT    6
#define CERT_DATA_PCK_CHAIN    5
#define SGX_REPORT_DATA_OFFSET 320
#define TD_ATTRIBUTES_DEBUG    0x01 /* TDATTRIBUTES bit 0: the TD is debuggable */

/* A bounds-checked reader over the quote, so no length field from the quote can reach past it. */
struct reader {
	const uint8_t *data;
	size_t len, at;
};

static const uint8_t *take(struct reader *rd, size_t n)
{
	if (n > rd->len - rd->at)
		return NULL;
	const uint8_t *p = rd->data + rd->at;
	rd->at += n;
	return p;
}

static void parse_td_report(const uint8_t *p, struct tdx_quote *q)
{
	memcpy(q->tee_tcb_svn, p, 16);
	memcpy(q->mr_seam, p + 16, 48);
	memcpy(q->mr_signer_seam, p + 64, 48);
	memcpy(q->seam_attributes, p + 112, 8);
	memcpy(q->td_attributes, p + 120, 8);
	memcpy(q->xfam, p + 128, 8);
	memcpy(q->mr_td, p + 136, 48);
	memcpy(q->mr_config_id, p + 184, 48);
	memcpy(q->mr_owner, p + 232, 48);
	memcpy(q->mr_owner_config, p + 280, 48);
	for (int i = 0; i < 4; i++)
		memcpy(q->rtmr[i], p + 328 + 48 * i, 48);
	memcpy(q->report_data, p + 520, 64);
}

/* Certification data: a 2-byte type, a 4-byte size, then the data. */
static int take_certification(struct reader *rd, uint16_t want, struct reader *ret, struct cc_error *err)
{
	const uint8_t *head = take(rd, 6);
	if (!head)
		return cc_error_set(err, EINVAL, "TDX quote truncated in its certification data header");
	uint16_t type = cc_le16(head);
	uint32_t size = cc_le32(head + 2);
	if (type != want)
		return cc_error_set(err, EINVAL, "TDX quote certification data type %u, expected %u", type, want);
	const uint8_t *body = take(rd, size);
	if (!body)
		return cc_error_set(err, EINVAL,
				    "TDX quote certification data of type %u claims %u bytes, more than remain", type,
				    size);
	*ret = (struct reader){ .data = body, .len = size };
	return 0;
}

int tdx_quote_parse(const uint8_t *data, size_t len, struct tdx_quote *q, struct cc_error *err)
{
	memset(q, 0, sizeof(*q));
	struct reader rd = { .data = data, .len = len };
	const uint8_t *header = take(&rd, TDX_QUOTE_HEADER_SIZE), *report = take(&rd, TDX_TD_REPORT_SIZE);
	if (!header || !report)
		return cc_error_set(err, EINVAL, "a TDX quote is at least %d bytes, not %zu", TDX_SIGNED_LENGTH + 4,
				    len);
	q->version = cc_le16(header);
	q->attestation_key_type = cc_le16(header + 2);
	q->tee_type = cc_le32(header + 4);
	q->qe_svn = cc_le16(header + 8);
	q->pce_svn = cc_le16(header + 10);
	memcpy(q->qe_vendor_id, header + 12, 16);
	memcpy(q->user_data, header + 28, 20);
	if (q->version != QUOTE_VERSION)
		return cc_error_set(err, EINVAL, "TDX quote version %u is not supported (4)", q->version);
	if (q->attestation_key_type != ATTESTATION_KEY_ECDSA)
		return cc_error_set(err, EINVAL, "TDX quote attestation key type %u is not ECDSA P-256",
				    q->attestation_key_type);
	if (q->tee_type != TEE_TYPE_TDX)
		return cc_error_set(err, EINVAL, "quote TEE type 0x%x is not TDX (0x81)", q->tee_type);
	parse_td_report(report, q);

	const uint8_t *size = take(&rd, 4);
	if (!size)
		return cc_error_set(err, EINVAL, "TDX quote truncated before its signature data");
	struct reader sig = { .data = rd.data + rd.at, .len = cc_le32(size) };
	if (!take(&rd, sig.len))
		return cc_error_set(err, EINVAL, "TDX quote signature data claims %zu bytes, only %zu remain", sig.len,
				    rd.len - rd.at);
	const uint8_t *signature = take(&sig, 64), *key = take(&sig, 64);
	if (!signature || !key)
		return cc_error_set(err, EINVAL, "TDX quote signature data too short for the signature and key");
	memcpy(q->signature, signature, 64);
	memcpy(q->attestation_key, key, 64);

	struct reader qe, chain;
	if (take_certification(&sig, CERT_DATA_QE_REPORT, &qe, err) < 0)
		return cc_error_prefix(err, "QE report");
	q->qe_report = take(&qe, SGX_REPORT_SIZE);
	q->qe_report_signature = take(&qe, 64);
	const uint8_t *auth_size = take(&qe, 2);
	if (!q->qe_report || !q->qe_report_signature || !auth_size)
		return cc_error_set(err, EINVAL, "TDX quote QE report certification data is truncated");
	q->qe_auth_data_len = cc_le16(auth_size);
	if (!(q->qe_auth_data = take(&qe, q->qe_auth_data_len)))
		return cc_error_set(err, EINVAL, "TDX quote QE authentication data claims %zu bytes, more than remain",
				    q->qe_auth_data_len);
	if (take_certification(&qe, CERT_DATA_PCK_CHAIN, &chain, err) < 0)
		return cc_error_prefix(err, "PCK certificate chain");
	q->pck_chain = (const char *)chain.data;
	q->pck_chain_len = chain.len;
	return 0;
}

/* The QE report is genuine when the PCK key signed it, and it vouches for the attestation key when
 * its report data is SHA-256(attestation key || QE authentication data) padded with zeros. */
static int check_qe_report(const struct tdx_quote *q, X509 *pck, struct cc_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(pck);
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 256)
		return cc_error_set(err, EINVAL, "the PCK certificate's key is not ECDSA P-256");
	if (!cc_ecdsa_verify(key, EVP_sha256(), q->qe_report_signature, q->qe_report_signature + 32, 32, q->qe_report,
			     SGX_REPORT_SIZE))
		return cc_error_set(err, EBADMSG, "the QE report signature does not verify with the PCK key");
	uint8_t expected[64] = { 0 };
	struct cc_digest_ctx *sha;
	int r = cc_digest_begin(CC_DIGEST_SHA256, &sha, err);
	if (r < 0)
		return r;
	cc_digest_update(sha, q->attestation_key, sizeof(q->attestation_key));
	cc_digest_update(sha, q->qe_auth_data, q->qe_auth_data_len);
	if ((r = cc_digest_end(sha, expected, err)) < 0)
		return r;
	if (memcmp(q->qe_report + SGX_REPORT_DATA_OFFSET, expected, sizeof(expected)) != 0)
		return cc_error_set(err, EBADMSG, "the QE report does not bind the attestation key");
	return 0;
}

static int check_quote_signature(const uint8_t *data, const struct tdx_quote *q, struct cc_error *err)
{
	EVP_PKEY *key = cc_ec_public_key("prime256v1", q->attestation_key, sizeof(q->attestation_key));
	if (!key)
		return cc_error_set(err, EINVAL, "the TDX attestation key is not a P-256 point");
	bool valid = cc_ecdsa_verify(key, EVP_sha256(), q->signature, q->signature + 32, 32, data, TDX_SIGNED_LENGTH);
	EVP_PKEY_free(key);
	if (!valid)
		return cc_error_set(err, EBADMSG, "the TDX quote signature does not verify with the attestation key");
	return 0;
}

int tdx_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err)
{
	struct tdx_quote q;
	int r = tdx_quote_parse(in->evidence, in->evidence_len, &q, err);
	if (r < 0)
		return r;
	STACK_OF(X509) * chain;
	if (attest_pem_certificates(q.pck_chain, q.pck_chain_len, &chain, err) < 0)
		return cc_error_prefix(err, "the quote's PCK certificate chain");
	/* Intel's chains list the PCK certificate first. */
	X509 *pck = sk_X509_value(chain, 0);
	struct attest_chain_options o = {
		.anchors_pem = in->roots_pem,
		.anchors_len = in->roots_len,
		.crls = in->crls,
		.n_crls = in->n_crls,
		.at = in->at,
	};
	if ((r = attest_chain_verify(pck, chain, &o, "PCK certificate", err)) == 0 &&
	    (r = check_qe_report(&q, pck, err)) == 0)
		r = check_quote_signature(in->evidence, &q, err);
	json_t *claims = r == 0 ? tdx_quote_claims(&q) : NULL;
	if (r == 0 && in->tcb_info.len) {
		struct tdx_collateral c = { &in->tcb_info, &in->qe_identity, &in->collateral_chain };
		o.n_crls = 0; /* the CRLs are the PCK chain's */
		r = tdx_collateral_evaluate(&q, pck, &c, &o, claims, err);
	}
	sk_X509_pop_free(chain, X509_free);
	if (r == 0 && in->nonce &&
	    (in->nonce_len > sizeof(q.report_data) || memcmp(q.report_data, in->nonce, in->nonce_len) != 0))
		r = cc_error_set(err, EBADMSG,
				 "the TDX report_data does not carry the expected nonce: a replay or another session");
	if (r < 0) {
		json_decref(claims);
		return r;
	}
	*ret_claims = claims;
	return 0;
}

static json_t *qe_claims(const uint8_t *report)
{
	return json_pack("{s:o, s:o, s:i, s:i}", "mrenclave", cc_json_hex(report + 64, 32), "mrsigner",
			 cc_json_hex(report + 128, 32), "isvprodid", cc_le16(report + 256), "isvsvn",
			 cc_le16(report + 258));
}

json_t *tdx_quote_claims(const struct tdx_quote *q)
{
	json_t *claims = json_pack(
	    "{s:s, s:i, s:i, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:b, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "tee", "tdx",
	    "version", q->version, "qe_svn", q->qe_svn, "pce_svn", q->pce_svn, "qe_vendor_id",
	    cc_json_hex(q->qe_vendor_id, 16), "tee_tcb_svn", cc_json_hex(q->tee_tcb_svn, 16), "mr_seam",
	    cc_json_hex(q->mr_seam, 48), "mr_signer_seam", cc_json_hex(q->mr_signer_seam, 48), "seam_attributes",
	    cc_json_hex(q->seam_attributes, 8), "td_attributes", cc_json_hex(q->td_attributes, 8), "debug",
	    (int)!!(q->td_attributes[0] & TD_ATTRIBUTES_DEBUG), "xfam", cc_json_hex(q->xfam, 8), "mrtd",
	    cc_json_hex(q->mr_td, 48), "mrconfigid", cc_json_hex(q->mr_config_id, 48), "mrowner",
	    cc_json_hex(q->mr_owner, 48), "mrownerconfig", cc_json_hex(q->mr_owner_config, 48), "report_data",
	    cc_json_hex(q->report_data, 64), "qe", qe_claims(q->qe_report));
	for (int i = 0; i < 4; i++) {
		char name[8];
		snprintf(name, sizeof(name), "rtmr%d", i);
		json_object_set_new(claims, name, cc_json_hex(q->rtmr[i], 48));
	}
	return claims;
}
