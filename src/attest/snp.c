/* AMD SEV-SNP attestation report parsing and verification (see snp.h). Offsets are those of the
 * ATTESTATION_REPORT structure in the SEV-SNP firmware ABI specification. */
#include "attest/snp.h"

#include "attest/chain.h"
#include "attest/verifier.h"
#include "lib/base/bytes.h"
#include "lib/base/error.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <string.h>

#define SIGNATURE_ALGO_ECDSA_P384_SHA384 1

/* AMD's VCEK certificate extensions. */
#define OID_TCB_BOOTLOADER "1.3.6.1.4.1.3704.1.3.1"
#define OID_TCB_TEE        "1.3.6.1.4.1.3704.1.3.2"
#define OID_TCB_SNP        "1.3.6.1.4.1.3704.1.3.3"
#define OID_TCB_MICROCODE  "1.3.6.1.4.1.3704.1.3.8"
#define OID_HWID           "1.3.6.1.4.1.3704.1.4"

static struct snp_tcb tcb_at(const uint8_t *p)
{
	return (struct snp_tcb){ .bootloader = p[0], .tee = p[1], .snp = p[6], .microcode = p[7] };
}

int snp_report_parse(const uint8_t *d, size_t len, struct snp_report *r, struct cc_error *err)
{
	if (len != SNP_REPORT_SIZE)
		return cc_error_set(err, EINVAL, "an SNP report is %d bytes, not %zu", SNP_REPORT_SIZE, len);
	memset(r, 0, sizeof(*r));
	r->version = cc_le32(d + 0x00);
	if (r->version < 2 || r->version > 5)
		return cc_error_set(err, EINVAL, "SNP report version %u is not supported (2 to 5)", r->version);
	r->guest_svn = cc_le32(d + 0x04);
	r->policy = cc_le64(d + 0x08);
	memcpy(r->family_id, d + 0x10, 16);
	memcpy(r->image_id, d + 0x20, 16);
	r->vmpl = cc_le32(d + 0x30);
	r->signature_algo = cc_le32(d + 0x34);
	if (r->signature_algo != SIGNATURE_ALGO_ECDSA_P384_SHA384)
		return cc_error_set(err, EINVAL, "SNP report signature algorithm %u is not ECDSA P-384/SHA-384",
				    r->signature_algo);
	if (!(r->policy & SNP_POLICY_RESERVED_ONE))
		return cc_error_set(err, EINVAL, "SNP guest policy 0x%llx lacks its reserved bit 17",
				    (unsigned long long)r->policy);
	r->current_tcb = tcb_at(d + 0x38);
	r->platform_info = cc_le64(d + 0x40);
	memcpy(r->report_data, d + 0x50, 64);
	memcpy(r->measurement, d + 0x90, 48);
	memcpy(r->host_data, d + 0xC0, 32);
	memcpy(r->id_key_digest, d + 0xE0, 48);
	memcpy(r->author_key_digest, d + 0x110, 48);
	memcpy(r->report_id, d + 0x140, 32);
	r->reported_tcb = tcb_at(d + 0x180);
	memcpy(r->chip_id, d + 0x1A0, 64);
	r->committed_tcb = tcb_at(d + 0x1E0);
	r->launch_tcb = tcb_at(d + 0x1F0);
	memcpy(r->signature_r, d + 0x2A0, 72);
	memcpy(r->signature_s, d + 0x2E8, 72);
	return 0;
}

static void reverse(const uint8_t *in, uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i++)
		out[i] = in[len - 1 - i];
}

static int check_signature(const uint8_t *data, const struct snp_report *r, X509 *vcek, struct cc_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(vcek);
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384)
		return cc_error_set(err, EINVAL, "the VCEK's key is not ECDSA P-384");
	uint8_t be_r[72], be_s[72]; /* the report stores r and s little-endian */
	reverse(r->signature_r, be_r, 72);
	reverse(r->signature_s, be_s, 72);
	if (!cc_ecdsa_verify(key, EVP_sha384(), be_r, be_s, 72, data, SNP_SIGNED_LENGTH))
		return cc_error_set(err, EBADMSG, "the SNP report signature does not verify with the VCEK");
	return 0;
}

/* The raw value of a VCEK extension (AMD stores hwID as raw bytes, TCB levels as DER INTEGERs). */
static const ASN1_OCTET_STRING *extension(X509 *cert, const char *oid)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	int index = obj ? X509_get_ext_by_OBJ(cert, obj, -1) : -1;
	ASN1_OBJECT_free(obj);
	return index < 0 ? NULL : X509_EXTENSION_get_data(X509_get_ext(cert, index));
}

static int extension_int(X509 *cert, const char *oid, long *ret)
{
	const ASN1_OCTET_STRING *v = extension(cert, oid);
	if (!v)
		return -ENOENT;
	const unsigned char *p = ASN1_STRING_get0_data(v);
	ASN1_INTEGER *i = d2i_ASN1_INTEGER(NULL, &p, ASN1_STRING_length(v));
	if (!i)
		return -EINVAL;
	*ret = ASN1_INTEGER_get(i);
	ASN1_INTEGER_free(i);
	return 0;
}

static int check_vcek_binding(const struct snp_report *r, X509 *vcek, struct cc_error *err)
{
	const ASN1_OCTET_STRING *hwid = extension(vcek, OID_HWID);
	if (!hwid || ASN1_STRING_length(hwid) != 64 || memcmp(ASN1_STRING_get0_data(hwid), r->chip_id, 64) != 0)
		return cc_error_set(err, EBADMSG, "the VCEK belongs to another chip (hwID differs from chip_id)");
	static const struct {
		const char *oid, *name;
		size_t offset;
	} levels[] = {
		{ OID_TCB_BOOTLOADER, "bootloader", offsetof(struct snp_tcb, bootloader) },
		{ OID_TCB_TEE, "tee", offsetof(struct snp_tcb, tee) },
		{ OID_TCB_SNP, "snp", offsetof(struct snp_tcb, snp) },
		{ OID_TCB_MICROCODE, "microcode", offsetof(struct snp_tcb, microcode) },
	};
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		long level;
		if (extension_int(vcek, levels[i].oid, &level) < 0)
			return cc_error_set(err, EINVAL, "the VCEK lacks its %s TCB level", levels[i].name);
		uint8_t reported = ((const uint8_t *)&r->reported_tcb)[levels[i].offset];
		if (level != reported)
			return cc_error_set(err, EBADMSG, "reported %s TCB %u differs from the VCEK's %ld",
					    levels[i].name, reported, level);
	}
	return 0;
}

int snp_report_verify(const uint8_t *data, size_t len, const struct snp_verify_options *o, struct snp_report *r,
		      struct cc_error *err)
{
	int rc = snp_report_parse(data, len, r, err);
	if (rc < 0)
		return rc;
	const unsigned char *p = o->vcek_der;
	X509 *vcek = d2i_X509(NULL, &p, (long)o->vcek_len);
	if (!vcek)
		return cc_error_set(err, EINVAL, "the VCEK is not a DER certificate");
	struct attest_chain_options chain = { .anchors_pem = o->chain_pem, .anchors_len = o->chain_len, .at = o->at };
	/* The ASK in the chain file is an intermediate; the self-signed ARK is the anchor. */
	STACK_OF(X509) *intermediates = NULL;
	if (attest_pem_certificates(o->chain_pem, o->chain_len, &intermediates, err) < 0) {
		X509_free(vcek);
		return cc_error_prefix(err, "the ASK/ARK chain");
	}
	if ((rc = attest_chain_verify(vcek, intermediates, &chain, "VCEK", err)) == 0 &&
	    (rc = check_signature(data, r, vcek, err)) == 0)
		rc = check_vcek_binding(r, vcek, err);
	sk_X509_pop_free(intermediates, X509_free);
	X509_free(vcek);
	return rc;
}

static json_t *tcb_json(const struct snp_tcb *t)
{
	return json_pack("{s:i, s:i, s:i, s:i}", "bootloader", t->bootloader, "tee", t->tee, "snp", t->snp, "microcode",
			 t->microcode);
}

json_t *snp_report_claims(const struct snp_report *r)
{
	json_t *policy =
	    json_pack("{s:b, s:b, s:b, s:b}", "debug", (int)!!(r->policy & SNP_POLICY_DEBUG), "migrate_ma",
		      (int)!!(r->policy & SNP_POLICY_MIGRATE_MA), "smt", (int)!!(r->policy & SNP_POLICY_SMT),
		      "single_socket", (int)!!(r->policy & SNP_POLICY_SINGLE_SOCKET));
	return json_pack("{s:s, s:i, s:I, s:o, s:i, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o, s:o}", "tee", "snp",
			 "version", (int)r->version, "guest_svn", (json_int_t)r->guest_svn, "policy", policy, "vmpl",
			 (int)r->vmpl, "measurement", cc_json_hex(r->measurement, 48), "host_data",
			 cc_json_hex(r->host_data, 32), "report_data", cc_json_hex(r->report_data, 64), "id_key_digest",
			 cc_json_hex(r->id_key_digest, 48), "family_id", cc_json_hex(r->family_id, 16), "image_id",
			 cc_json_hex(r->image_id, 16), "chip_id", cc_json_hex(r->chip_id, 64), "reported_tcb",
			 tcb_json(&r->reported_tcb), "current_tcb", tcb_json(&r->current_tcb));
}

int snp_report_check_nonce(const struct snp_report *r, const uint8_t *nonce, size_t len, struct cc_error *err)
{
	if (len > sizeof(r->report_data) || memcmp(r->report_data, nonce, len) != 0)
		return cc_error_set(
		    err, EBADMSG, "the SNP report_data does not carry the expected nonce: a replay or another session");
	return 0;
}

int snp_verify(const struct attest_input *in, json_t **ret_claims, struct cc_error *err)

{
	struct snp_verify_options o = {
		.vcek_der = in->endorsement,
		.vcek_len = in->endorsement_len,
		.chain_pem = in->roots_pem,
		.chain_len = in->roots_len,
		.at = in->at,
	};
	struct snp_report r;
	int rc = snp_report_verify(in->evidence, in->evidence_len, &o, &r, err);
	if (rc == 0 && in->nonce)
		rc = snp_report_check_nonce(&r, in->nonce, in->nonce_len, err);
	if (rc == 0)
		*ret_claims = snp_report_claims(&r);
	return rc;
}
