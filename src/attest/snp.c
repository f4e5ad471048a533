/* AMD SEV-SNP attestation report parsing and verification (see snp.h). Offsets are those of the
 * ATTESTATION_REPORT structure in the SEV-SNP firmware ABI specification. */
#include "attest/snp.h"

#include "base/error.h"
#include "crypto/encode.h"

#include <errno.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define SIGNATURE_ALGO_ECDSA_P384_SHA384 1

/* AMD's VCEK certificate extensions. */
#define OID_TCB_BOOTLOADER "1.3.6.1.4.1.3704.1.3.1"
#define OID_TCB_TEE        "1.3.6.1.4.1.3704.1.3.2"
#define OID_TCB_SNP        "1.3.6.1.4.1.3704.1.3.3"
#define OID_TCB_MICROCODE  "1.3.6.1.4.1.3704.1.3.8"
#define OID_HWID           "1.3.6.1.4.1.3704.1.4"

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static struct snp_tcb tcb_at(const uint8_t *p)
{
	return (struct snp_tcb){ .bootloader = p[0], .tee = p[1], .snp = p[6], .microcode = p[7] };
}

int snp_report_parse(const uint8_t *d, size_t len, struct snp_report *r, struct cc_error *err)
{
	if (len != SNP_REPORT_SIZE)
		return cc_error_set(err, EINVAL, "an SNP report is %d bytes, not %zu", SNP_REPORT_SIZE, len);
	memset(r, 0, sizeof(*r));
	r->version = le32(d + 0x00);
	if (r->version < 2 || r->version > 5)
		return cc_error_set(err, EINVAL, "SNP report version %u is not supported (2 to 5)", r->version);
	r->guest_svn = le32(d + 0x04);
	r->policy = le64(d + 0x08);
	memcpy(r->family_id, d + 0x10, 16);
	memcpy(r->image_id, d + 0x20, 16);
	r->vmpl = le32(d + 0x30);
	r->signature_algo = le32(d + 0x34);
	if (r->signature_algo != SIGNATURE_ALGO_ECDSA_P384_SHA384)
		return cc_error_set(err, EINVAL, "SNP report signature algorithm %u is not ECDSA P-384/SHA-384",
				    r->signature_algo);
	if (!(r->policy & SNP_POLICY_RESERVED_ONE))
		return cc_error_set(err, EINVAL, "SNP guest policy 0x%llx lacks its reserved bit 17",
				    (unsigned long long)r->policy);
	r->current_tcb = tcb_at(d + 0x38);
	r->platform_info = le64(d + 0x40);
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

/* The report's little-endian r and s as a DER ECDSA signature. */
static int der_signature(const struct snp_report *r, uint8_t **ret, int *ret_len)
{
	uint8_t be_r[72], be_s[72];
	for (int i = 0; i < 72; i++) {
		be_r[i] = r->signature_r[71 - i];
		be_s[i] = r->signature_s[71 - i];
	}
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = BN_bin2bn(be_r, 72, NULL), *bs = BN_bin2bn(be_s, 72, NULL);
	if (!sig || !br || !bs || ECDSA_SIG_set0(sig, br, bs) != 1) {
		BN_free(br);
		BN_free(bs);
		ECDSA_SIG_free(sig);
		return -ENOMEM;
	}
	*ret = NULL;
	*ret_len = i2d_ECDSA_SIG(sig, ret);
	ECDSA_SIG_free(sig);
	return *ret_len > 0 ? 0 : -ENOMEM;
}

static int check_signature(const uint8_t *data, const struct snp_report *r, X509 *vcek, struct cc_error *err)
{
	EVP_PKEY *key = X509_get0_pubkey(vcek);
	if (!key || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC || EVP_PKEY_get_bits(key) != 384)
		return cc_error_set(err, EINVAL, "the VCEK's key is not ECDSA P-384");
	uint8_t *sig;
	int sig_len;
	if (der_signature(r, &sig, &sig_len) < 0)
		return cc_error_set(err, ENOMEM, "cannot encode the report signature");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	bool valid = ctx && EVP_DigestVerifyInit(ctx, NULL, EVP_sha384(), NULL, key) == 1 &&
		     EVP_DigestVerify(ctx, sig, (size_t)sig_len, data, SNP_SIGNED_LENGTH) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(sig);
	if (!valid)
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

static int check_chain(X509 *vcek, const struct snp_verify_options *o, struct cc_error *err)
{
	BIO *bio = BIO_new_mem_buf(o->chain_pem, (int)o->chain_len);
	X509_STORE *store = X509_STORE_new();
	STACK_OF(X509) *untrusted = sk_X509_new_null();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	int r = 0, anchors = 0;
	if (!bio || !store || !untrusted || !ctx) {
		r = cc_error_set(err, ENOMEM, "cannot set up the certificate check");
		goto out;
	}
	X509 *cert;
	while ((cert = PEM_read_bio_X509(bio, NULL, NULL, NULL))) {
		/* The self-signed ARK is the anchor; the ASK is an intermediate to be verified. */
		if (X509_check_issued(cert, cert) == X509_V_OK) {
			X509_STORE_add_cert(store, cert);
			anchors++;
			X509_free(cert);
		} else {
			sk_X509_push(untrusted, cert);
		}
	}
	if (anchors == 0) {
		r = cc_error_set(err, EINVAL, "the chain has no self-signed ARK to anchor the VCEK");
		goto out;
	}
	X509_STORE_CTX_init(ctx, store, vcek, untrusted);
	if (o->at)
		X509_VERIFY_PARAM_set_time(X509_STORE_CTX_get0_param(ctx), o->at);
	if (X509_verify_cert(ctx) != 1)
		r = cc_error_set(err, EBADMSG, "the VCEK does not chain to the ARK: %s",
				 X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
out:
	X509_STORE_CTX_free(ctx);
	sk_X509_pop_free(untrusted, X509_free);
	X509_STORE_free(store);
	BIO_free(bio);
	return r;
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
	if ((rc = check_chain(vcek, o, err)) == 0 && (rc = check_signature(data, r, vcek, err)) == 0)
		rc = check_vcek_binding(r, vcek, err);
	X509_free(vcek);
	return rc;
}

static json_t *hex(const uint8_t *data, size_t len)
{
	char text[2 * 64 + 1];
	cc_hex_encode(data, len, text);
	return json_string(text);
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
			 (int)r->vmpl, "measurement", hex(r->measurement, 48), "host_data", hex(r->host_data, 32),
			 "report_data", hex(r->report_data, 64), "id_key_digest", hex(r->id_key_digest, 48),
			 "family_id", hex(r->family_id, 16), "image_id", hex(r->image_id, 16), "chip_id",
			 hex(r->chip_id, 64), "reported_tcb", tcb_json(&r->reported_tcb), "current_tcb",
			 tcb_json(&r->current_tcb));
}
