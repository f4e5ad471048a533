/* TDX collateral evaluation (see tdx_collateral.h). The signature of each collateral covers the exact
 * bytes of its inner object as served, so that text is cut out of the document rather than
 * re-serialised. */
#include "attest/tdx_collateral.h"

#include "attest/chain.h"
#include "attest/tdx.h"
#include "attest/verifier.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/base/timeutil.h"
#include "lib/crypto/encode.h"
#include "lib/crypto/signature.h"
#include "lib/json/json.h"

#include <errno.h>
#include <openssl/asn1.h>
#include <openssl/objects.h>
#include <stdbool.h>
#include <string.h>
#include <strings.h>

#define OID_SGX_EXTENSIONS "1.2.840.113741.1.13.1"
#define OID_SGX_TCB        "1.2.840.113741.1.13.1.2"
#define OID_SGX_PCEID      "1.2.840.113741.1.13.1.3"
#define OID_SGX_FMSPC      "1.2.840.113741.1.13.1.4"
#define OID_SGX_PCESVN     "1.2.840.113741.1.13.1.2.17"

/* What the PCK certificate says about the platform. */
struct platform {
	int sgx_svn[16], pce_svn;
	uint8_t fmspc[6], pce_id[2];
	bool have_tcb, have_fmspc, have_pce_id;
};

static bool oid_is(const ASN1_OBJECT *obj, const char *text)
{
	char buf[64];
	return OBJ_obj2txt(buf, sizeof(buf), obj, 1) > 0 && strcmp(buf, text) == 0;
}

/* A SEQUENCE { OBJECT, value } element of the SGX extension. */
static bool pair(const ASN1_TYPE *t, STACK_OF(ASN1_TYPE) * *ret)
{
	if (t->type != V_ASN1_SEQUENCE)
		return false;
	const unsigned char *p = t->value.sequence->data;
	STACK_OF(ASN1_TYPE) *seq = d2i_ASN1_SEQUENCE_ANY(NULL, &p, t->value.sequence->length);
	if (!seq || sk_ASN1_TYPE_num(seq) != 2 || sk_ASN1_TYPE_value(seq, 0)->type != V_ASN1_OBJECT) {
		sk_ASN1_TYPE_pop_free(seq, ASN1_TYPE_free);
		return false;
	}
	*ret = seq;
	return true;
}

static void read_tcb(const ASN1_TYPE *value, struct platform *pf)
{
	if (value->type != V_ASN1_SEQUENCE)
		return;
	const unsigned char *p = value->value.sequence->data;
	STACK_OF(ASN1_TYPE) *items = d2i_ASN1_SEQUENCE_ANY(NULL, &p, value->value.sequence->length);
	for (int i = 0; items && i < sk_ASN1_TYPE_num(items); i++) {
		STACK_OF(ASN1_TYPE) * kv;
		if (!pair(sk_ASN1_TYPE_value(items, i), &kv))
			continue;
		const ASN1_OBJECT *oid = sk_ASN1_TYPE_value(kv, 0)->value.object;
		const ASN1_TYPE *v = sk_ASN1_TYPE_value(kv, 1);
		char text[64];
		OBJ_obj2txt(text, sizeof(text), oid, 1);
		size_t prefix = strlen(OID_SGX_TCB) + 1;
		if (v->type == V_ASN1_INTEGER && strncmp(text, OID_SGX_TCB ".", prefix) == 0) {
			long n = strtol(text + prefix, NULL, 10), svn = ASN1_INTEGER_get(v->value.integer);
			if (n >= 1 && n <= 16)
				pf->sgx_svn[n - 1] = (int)svn;
			else if (strcmp(text, OID_SGX_PCESVN) == 0)
				pf->pce_svn = (int)svn, pf->have_tcb = true;
		}
		sk_ASN1_TYPE_pop_free(kv, ASN1_TYPE_free);
	}
	sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
}

static int read_platform(X509 *pck, struct platform *pf, struct cc_error *err)
{
	memset(pf, 0, sizeof(*pf));
	ASN1_OBJECT *ext_oid = OBJ_txt2obj(OID_SGX_EXTENSIONS, 1);
	int index = ext_oid ? X509_get_ext_by_OBJ(pck, ext_oid, -1) : -1;
	ASN1_OBJECT_free(ext_oid);
	if (index < 0)
		return cc_error_set(err, EINVAL, "the PCK certificate has no SGX extensions");
	const ASN1_OCTET_STRING *data = X509_EXTENSION_get_data(X509_get_ext(pck, index));
	const unsigned char *p = ASN1_STRING_get0_data(data);
	STACK_OF(ASN1_TYPE) *items = d2i_ASN1_SEQUENCE_ANY(NULL, &p, ASN1_STRING_length(data));
	for (int i = 0; items && i < sk_ASN1_TYPE_num(items); i++) {
		STACK_OF(ASN1_TYPE) * kv;
		if (!pair(sk_ASN1_TYPE_value(items, i), &kv))
			continue;
		const ASN1_OBJECT *oid = sk_ASN1_TYPE_value(kv, 0)->value.object;
		const ASN1_TYPE *v = sk_ASN1_TYPE_value(kv, 1);
		if (oid_is(oid, OID_SGX_TCB)) {
			read_tcb(v, pf);
		} else if (v->type == V_ASN1_OCTET_STRING && oid_is(oid, OID_SGX_FMSPC) &&
			   ASN1_STRING_length(v->value.octet_string) == 6) {
			memcpy(pf->fmspc, ASN1_STRING_get0_data(v->value.octet_string), 6);
			pf->have_fmspc = true;
		} else if (v->type == V_ASN1_OCTET_STRING && oid_is(oid, OID_SGX_PCEID) &&
			   ASN1_STRING_length(v->value.octet_string) == 2) {
			memcpy(pf->pce_id, ASN1_STRING_get0_data(v->value.octet_string), 2);
			pf->have_pce_id = true;
		}
		sk_ASN1_TYPE_pop_free(kv, ASN1_TYPE_free);
	}
	sk_ASN1_TYPE_pop_free(items, ASN1_TYPE_free);
	if (!pf->have_tcb || !pf->have_fmspc || !pf->have_pce_id)
		return cc_error_set(err, EINVAL, "the PCK certificate's SGX extensions lack the TCB, FMSPC or PCE ID");
	return 0;
}

/* The raw text of the object that is the value of "name" at the top level of doc. */
static bool inner_object(const char *doc, size_t len, const char *name, const char **ret, size_t *ret_len)
{
	char quoted[40];
	snprintf(quoted, sizeof(quoted), "\"%s\"", name);
	const char *end = doc + len;
	const char *p = memmem(doc, len, quoted, strlen(quoted));
	if (!p)
		return false;
	p += strlen(quoted);
	while (p < end && (*p == ' ' || *p == ':' || *p == '\n' || *p == '\t' || *p == '\r'))
		p++;
	if (p >= end || *p != '{')
		return false;
	int depth = 0;
	bool in_string = false;
	for (const char *q = p; q < end; q++) {
		if (in_string) {
			if (*q == '\\')
				q++;
			else if (*q == '"')
				in_string = false;
		} else if (*q == '"') {
			in_string = true;
		} else if (*q == '{') {
			depth++;
		} else if (*q == '}' && --depth == 0) {
			*ret = p;
			*ret_len = (size_t)(q - p + 1);
			return true;
		}
	}
	return false;
}

/* Parses one signed collateral document and checks its signature with the signing key and its
 * validity window at time at. */
static int signed_body(const struct attest_blob *blob, const char *name, EVP_PKEY *signer, time_t at, json_t **ret,
		       struct cc_error *err)
{
	const char *doc = (const char *)blob->data, *inner;
	size_t inner_len;
	_cleanup_json_ json_t *whole = NULL;
	if (cc_json_parse(doc, blob->len, 1u << 20, name, &whole, err) < 0)
		return -EINVAL;
	const char *sig_hex = json_string_value(json_object_get(whole, "signature"));
	uint8_t sig[64];
	if (!inner_object(doc, blob->len, name, &inner, &inner_len) || !sig_hex || strlen(sig_hex) != 128 ||
	    cc_hex_decode(sig_hex, sig, sizeof(sig)) < 0)
		return cc_error_set(err, EINVAL, "collateral `%s` lacks its object or a 64-byte hex signature", name);
	if (!cc_ecdsa_verify(signer, EVP_sha256(), sig, sig + 32, 32, inner, inner_len))
		return cc_error_set(err, EBADMSG,
				    "the signature of collateral `%s` does not verify with the TCB signing key", name);
	/* Evaluate exactly the text that was signed, not whatever else the document holds. */
	_cleanup_json_ json_t *body = NULL;
	if (cc_json_parse(inner, inner_len, 1u << 20, name, &body, err) < 0)
		return -EINVAL;

	const char *issued = json_string_value(json_object_get(body, "issueDate"));
	const char *next = json_string_value(json_object_get(body, "nextUpdate"));
	int64_t issued_ns, next_ns, now_ns = at ? (int64_t)at * 1000000000 : cc_time_now_ns();
	if (!issued || !next || cc_time_parse_rfc3339(issued, &issued_ns) < 0 ||
	    cc_time_parse_rfc3339(next, &next_ns) < 0)
		return cc_error_set(err, EINVAL, "collateral `%s` lacks issueDate or nextUpdate", name);
	if (now_ns < issued_ns || now_ns > next_ns)
		return cc_error_set(err, EACCES,
				    "collateral `%s` is not valid at this time (issued %s, next update %s)", name,
				    issued, next);
	*ret = json_incref(body);
	return 0;
}

static bool hex_equal(const char *hex, const uint8_t *bytes, size_t len)
{
	uint8_t decoded[64];
	return hex && strlen(hex) == 2 * len && len <= sizeof(decoded) && cc_hex_decode(hex, decoded, len) == 0 &&
	       memcmp(decoded, bytes, len) == 0;
}

static bool components_at_least(const json_t *levels, const int *have, size_t count)
{
	if (json_array_size(levels) != count)
		return false;
	for (size_t i = 0; i < count; i++)
		if (have[i] < json_integer_value(json_object_get(json_array_get(levels, i), "svn")))
			return false;
	return true;
}

/* The first (highest) TCB level the platform meets, as Intel orders them. */
static void platform_status(const json_t *tcb_info, const struct platform *pf, const struct tdx_quote *q,
			    json_t *claims)
{
	int tdx_svn[16];
	for (int i = 0; i < 16; i++)
		tdx_svn[i] = q->tee_tcb_svn[i];
	size_t i;
	json_t *level;
	json_array_foreach (json_object_get(tcb_info, "tcbLevels"), i, level) {
		json_t *tcb = json_object_get(level, "tcb");
		if (components_at_least(json_object_get(tcb, "sgxtcbcomponents"), pf->sgx_svn, 16) &&
		    pf->pce_svn >= json_integer_value(json_object_get(tcb, "pcesvn")) &&
		    components_at_least(json_object_get(tcb, "tdxtcbcomponents"), tdx_svn, 16)) {
			json_object_set(claims, "tcb_status", json_object_get(level, "tcbStatus"));
			json_object_set(claims, "tcb_date", json_object_get(level, "tcbDate"));
			return;
		}
	}
	json_object_set_new(claims, "tcb_status", json_string("NotSupported"));
}

/* The QE's identity (masks applied) and the status of its ISV SVN. */
static int qe_status(const json_t *identity, const struct tdx_quote *q, json_t *claims, struct cc_error *err)
{
	const uint8_t *report = q->qe_report;
	uint8_t misc[4], misc_mask[4], attrs[16], attrs_mask[16];
	const char *mrsigner = json_string_value(json_object_get(identity, "mrsigner"));
	bool ok =
	    hex_equal(mrsigner, report + 128, 32) &&
	    json_integer_value(json_object_get(identity, "isvprodid")) == (report[256] | report[257] << 8) &&
	    cc_hex_decode(json_string_value(json_object_get(identity, "miscselect")) ?: "", misc, 4) == 0 &&
	    cc_hex_decode(json_string_value(json_object_get(identity, "miscselectMask")) ?: "", misc_mask, 4) == 0 &&
	    cc_hex_decode(json_string_value(json_object_get(identity, "attributes")) ?: "", attrs, 16) == 0 &&
	    cc_hex_decode(json_string_value(json_object_get(identity, "attributesMask")) ?: "", attrs_mask, 16) == 0;
	/* MISCSELECT is a little-endian 32-bit value in the report; the collateral writes it big-endian. */
	for (int i = 0; ok && i < 4; i++)
		ok = (report[16 + 3 - i] & misc_mask[i]) == misc[i];
	for (int i = 0; ok && i < 16; i++)
		ok = (report[48 + i] & attrs_mask[i]) == attrs[i];
	if (!ok)
		return cc_error_set(err, EBADMSG, "the Quoting Enclave does not match Intel's QE identity");
	int isvsvn = report[258] | report[259] << 8;
	size_t i;
	json_t *level;
	json_array_foreach (json_object_get(identity, "tcbLevels"), i, level)
		if (isvsvn >= json_integer_value(json_object_get(json_object_get(level, "tcb"), "isvsvn"))) {
			json_object_set(claims, "qe_tcb_status", json_object_get(level, "tcbStatus"));
			return 0;
		}
	json_object_set_new(claims, "qe_tcb_status", json_string("NotSupported"));
	return 0;
}

int tdx_collateral_evaluate(const struct tdx_quote *q, X509 *pck, const struct tdx_collateral *c,
			    const struct attest_chain_options *anchors, json_t *claims, struct cc_error *err)
{
	STACK_OF(X509) *chain = NULL;
	int r = attest_pem_certificates((const char *)c->chain->data, c->chain->len, &chain, err);
	if (r < 0)
		return cc_error_prefix(err, "the collateral signing chain");
	X509 *signer = sk_X509_value(chain, 0);
	_cleanup_json_ json_t *tcb_info = NULL, *identity = NULL;
	struct platform pf;
	r = attest_chain_verify(signer, chain, anchors, "TCB signing certificate", err);
	if (r == 0)
		r = signed_body(c->tcb_info, "tcbInfo", X509_get0_pubkey(signer), anchors->at, &tcb_info, err);
	if (r == 0)
		r = signed_body(c->qe_identity, "enclaveIdentity", X509_get0_pubkey(signer), anchors->at, &identity,
				err);
	sk_X509_pop_free(chain, X509_free);
	if (r < 0 || (r = read_platform(pck, &pf, err)) < 0)
		return r;
	const char *id = json_string_value(json_object_get(tcb_info, "id"));
	if (!id || strcmp(id, "TDX") != 0)
		return cc_error_set(err, EINVAL, "the TCB info is not for TDX");
	if (!hex_equal(json_string_value(json_object_get(tcb_info, "fmspc")), pf.fmspc, 6) ||
	    !hex_equal(json_string_value(json_object_get(tcb_info, "pceId")), pf.pce_id, 2))
		return cc_error_set(err, EINVAL, "the TCB info is for another platform (FMSPC or PCE ID differs)");
	platform_status(tcb_info, &pf, q, claims);
	return qe_status(identity, q, claims, err);
}
