/* CocoonAttestation DER (attestation_ext.h) through OpenSSL's ASN.1 templates, which do the tag and
 * length work. The templates also accept BER (indefinite lengths, long-form lengths), so the decoder
 * re-encodes what it read and refuses input that differs: only DER, the one encoding a signature
 * over a certificate can pin, gets through. What the templates cannot say (sizes, version, UTF-8,
 * the time's form) is checked afterwards, field by field. */
#include "lib/crypto/attestation_ext.h"

#include "lib/base/error.h"
#include "lib/base/utf8.h"

#include <errno.h>
#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

/* OpenSSL's template macros name the C structure after the ASN.1 type, so these two are typedefs:
 * the one place the no-typedef rule gives way, kept to this file. */
typedef struct {
	ASN1_UTF8STRING *name;
	ASN1_INTEGER *instance;
	ASN1_OCTET_STRING *measurement;
	ASN1_INTEGER *log_seq;
} COCOON_CONTAINER;

DEFINE_STACK_OF(COCOON_CONTAINER)

typedef struct {
	ASN1_INTEGER *version;
	ASN1_UTF8STRING *tenant;
	ASN1_UTF8STRING *node;
	ASN1_UTF8STRING *tee;
	ASN1_GENERALIZEDTIME *attested_at;
	ASN1_UTF8STRING *ear_id;
	ASN1_OCTET_STRING *evidence_digest;
	ASN1_OCTET_STRING *policy_digest;
	STACK_OF(COCOON_CONTAINER) * containers;
} COCOON_ATTESTATION;

ASN1_SEQUENCE(COCOON_CONTAINER) = {
	ASN1_SIMPLE(COCOON_CONTAINER, name, ASN1_UTF8STRING),
	ASN1_SIMPLE(COCOON_CONTAINER, instance, ASN1_INTEGER),
	ASN1_SIMPLE(COCOON_CONTAINER, measurement, ASN1_OCTET_STRING),
	ASN1_SIMPLE(COCOON_CONTAINER, log_seq, ASN1_INTEGER),
} static_ASN1_SEQUENCE_END(COCOON_CONTAINER)

ASN1_SEQUENCE(COCOON_ATTESTATION) = {
	ASN1_SIMPLE(COCOON_ATTESTATION, version, ASN1_INTEGER),
	ASN1_SIMPLE(COCOON_ATTESTATION, tenant, ASN1_UTF8STRING),
	ASN1_SIMPLE(COCOON_ATTESTATION, node, ASN1_UTF8STRING),
	ASN1_SIMPLE(COCOON_ATTESTATION, tee, ASN1_UTF8STRING),
	ASN1_SIMPLE(COCOON_ATTESTATION, attested_at, ASN1_GENERALIZEDTIME),
	ASN1_SIMPLE(COCOON_ATTESTATION, ear_id, ASN1_UTF8STRING),
	ASN1_SIMPLE(COCOON_ATTESTATION, evidence_digest, ASN1_OCTET_STRING),
	ASN1_SIMPLE(COCOON_ATTESTATION, policy_digest, ASN1_OCTET_STRING),
	ASN1_SEQUENCE_OF(COCOON_ATTESTATION, containers, COCOON_CONTAINER),
} static_ASN1_SEQUENCE_END(COCOON_ATTESTATION)

#define ATTESTATION_ITEM ASN1_ITEM_rptr(COCOON_ATTESTATION)
#define CONTAINER_ITEM   ASN1_ITEM_rptr(COCOON_CONTAINER)

void cc_attestation_free(struct cc_attestation *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n_containers; i++)
		free(a->containers[i].name);
	free(a->containers);
	free(a->tenant);
	free(a->node);
	free(a->tee);
	free(a->ear_id);
	free(a);
}

/* ---- encoding ---- */

static int check_string(const char *s, const char *what, struct cc_error *err)
{
	size_t len = s ? strnlen(s, CC_ATTESTATION_STRING_MAX + 1) : 0;
	if (len == 0 || len > CC_ATTESTATION_STRING_MAX)
		return cc_error_set(err, EINVAL, "attestation %s must be 1-%d bytes", what, CC_ATTESTATION_STRING_MAX);
	if (!cc_utf8_valid(s, len, NULL))
		return cc_error_set(err, EINVAL, "attestation %s is not valid UTF-8", what);
	return 0;
}

static int check_for_encoding(const struct cc_attestation *a, struct cc_error *err)
{
	if (a->version != CC_ATTESTATION_VERSION)
		return cc_error_set(err, EINVAL, "attestation version %lld is not %d", (long long)a->version,
				    CC_ATTESTATION_VERSION);
	int r = 0;
	r = r ?: check_string(a->tenant, "tenant", err);
	r = r ?: check_string(a->node, "node", err);
	r = r ?: check_string(a->tee, "tee", err);
	r = r ?: check_string(a->ear_id, "earId", err);
	if (r < 0)
		return r;
	if (a->n_containers > CC_ATTESTATION_CONTAINERS_MAX || (a->n_containers > 0 && !a->containers))
		return cc_error_set(err, EINVAL, "attestation lists %zu containers; at most %d", a->n_containers,
				    CC_ATTESTATION_CONTAINERS_MAX);
	for (size_t i = 0; i < a->n_containers; i++) {
		const struct cc_attested_container *c = &a->containers[i];
		if ((r = check_string(c->name, "container name", err)) < 0)
			return r;
		if (c->instance < 0 || c->log_seq < 0)
			return cc_error_set(err, EINVAL, "attestation container `%s` has a negative instance or logSeq",
					    c->name);
	}
	return 0;
}

static bool set_string(ASN1_STRING *to, const void *data, size_t len)
{
	return ASN1_STRING_set(to, data, (int)len) == 1;
}

static bool fill_container(COCOON_CONTAINER *to, const struct cc_attested_container *c)
{
	return set_string(to->name, c->name, strlen(c->name)) && ASN1_INTEGER_set_int64(to->instance, c->instance) &&
	       set_string(to->measurement, c->measurement, sizeof(c->measurement)) &&
	       ASN1_INTEGER_set_int64(to->log_seq, c->log_seq);
}

static bool fill(COCOON_ATTESTATION *to, const struct cc_attestation *a)
{
	if (!ASN1_INTEGER_set_int64(to->version, a->version) || !set_string(to->tenant, a->tenant, strlen(a->tenant)) ||
	    !set_string(to->node, a->node, strlen(a->node)) || !set_string(to->tee, a->tee, strlen(a->tee)) ||
	    !ASN1_GENERALIZEDTIME_set(to->attested_at, a->attested_at) ||
	    !set_string(to->ear_id, a->ear_id, strlen(a->ear_id)) ||
	    !set_string(to->evidence_digest, a->evidence_digest, sizeof(a->evidence_digest)) ||
	    !set_string(to->policy_digest, a->policy_digest, sizeof(a->policy_digest)))
		return false;
	for (size_t i = 0; i < a->n_containers; i++) {
		COCOON_CONTAINER *c = (COCOON_CONTAINER *)ASN1_item_new(CONTAINER_ITEM);
		if (!c || !fill_container(c, &a->containers[i]) || !sk_COCOON_CONTAINER_push(to->containers, c)) {
			ASN1_item_free((ASN1_VALUE *)c, CONTAINER_ITEM);
			return false;
		}
	}
	return true;
}

int cc_attestation_ext_encode(const struct cc_attestation *a, uint8_t **ret_der, size_t *ret_len, struct cc_error *err)
{
	int r = check_for_encoding(a, err);
	if (r < 0)
		return r;
	COCOON_ATTESTATION *asn = (COCOON_ATTESTATION *)ASN1_item_new(ATTESTATION_ITEM);
	unsigned char *der = NULL;
	int len = asn && fill(asn, a) ? ASN1_item_i2d((ASN1_VALUE *)asn, &der, ATTESTATION_ITEM) : -1;
	ASN1_item_free((ASN1_VALUE *)asn, ATTESTATION_ITEM);
	ERR_clear_error();
	if (len <= 0)
		return cc_error_set(err, EINVAL, "cannot encode the attestation (is attestedAt within years 0-9999?)");
	if (len > CC_ATTESTATION_EXT_MAX) {
		OPENSSL_free(der);
		return cc_error_set(err, EINVAL, "attestation of %d bytes is larger than the limit of %d bytes", len,
				    CC_ATTESTATION_EXT_MAX);
	}
	uint8_t *copy = malloc((size_t)len);
	if (copy)
		memcpy(copy, der, (size_t)len);
	OPENSSL_free(der);
	if (!copy)
		return cc_error_set(err, ENOMEM, "out of memory encoding the attestation");
	*ret_der = copy;
	*ret_len = (size_t)len;
	return 0;
}

/* ---- decoding ---- */

static int take_string(const ASN1_STRING *s, const char *what, char **ret, struct cc_error *err)
{
	int len = ASN1_STRING_length(s);
	const char *data = (const char *)ASN1_STRING_get0_data(s);
	if (len <= 0 || len > CC_ATTESTATION_STRING_MAX)
		return cc_error_set(err, EINVAL, "attestation %s must be 1-%d bytes", what, CC_ATTESTATION_STRING_MAX);
	if (memchr(data, '\0', (size_t)len) || !cc_utf8_valid(data, (size_t)len, NULL))
		return cc_error_set(err, EINVAL, "attestation %s is not valid UTF-8 without NUL bytes", what);
	if (!(*ret = strndup(data, (size_t)len)))
		return cc_error_set(err, ENOMEM, "out of memory decoding the attestation");
	return 0;
}

static int take_digest(const ASN1_OCTET_STRING *s, const char *what, uint8_t out[CC_ATTESTATION_DIGEST_SIZE],
		       struct cc_error *err)
{
	if (ASN1_STRING_length(s) != CC_ATTESTATION_DIGEST_SIZE)
		return cc_error_set(err, EINVAL, "attestation %s is %d bytes, not %d (SHA-384)", what,
				    ASN1_STRING_length(s), CC_ATTESTATION_DIGEST_SIZE);
	memcpy(out, ASN1_STRING_get0_data(s), CC_ATTESTATION_DIGEST_SIZE);
	return 0;
}

static int take_count(const ASN1_INTEGER *n, const char *what, int64_t *ret, struct cc_error *err)
{
	int64_t v;
	if (!ASN1_INTEGER_get_int64(&v, n) || v < 0) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "attestation %s is negative or does not fit 64 bits", what);
	}
	*ret = v;
	return 0;
}

/* X.690 §11.7: DER's GeneralizedTime is YYYYMMDDHHMMSSZ (no fraction here, no offset). */
static int take_time(const ASN1_GENERALIZEDTIME *t, time_t *ret, struct cc_error *err)
{
	const unsigned char *s = ASN1_STRING_get0_data(t);
	struct tm tm;
	if (ASN1_STRING_length(t) != 15 || s[14] != 'Z' || !ASN1_TIME_to_tm(t, &tm)) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "attestation attestedAt is not a GeneralizedTime YYYYMMDDHHMMSSZ");
	}
	*ret = timegm(&tm);
	return 0;
}

static int take_containers(const STACK_OF(COCOON_CONTAINER) * list, struct cc_attestation *a, struct cc_error *err)
{
	int n = sk_COCOON_CONTAINER_num(list);
	if (n > CC_ATTESTATION_CONTAINERS_MAX)
		return cc_error_set(err, EINVAL, "attestation lists %d containers; at most %d", n,
				    CC_ATTESTATION_CONTAINERS_MAX);
	if (n <= 0)
		return 0;
	if (!(a->containers = calloc((size_t)n, sizeof(*a->containers))))
		return cc_error_set(err, ENOMEM, "out of memory decoding the attestation");
	for (int i = 0; i < n; i++) {
		const COCOON_CONTAINER *c = sk_COCOON_CONTAINER_value(list, i);
		struct cc_attested_container *to = &a->containers[i];
		a->n_containers = (size_t)i + 1; /* so that cc_attestation_free frees what is taken */
		int r = take_string(c->name, "container name", &to->name, err);
		r = r ?: take_count(c->instance, "container instance", &to->instance, err);
		r = r ?: take_digest(c->measurement, "container measurement", to->measurement, err);
		r = r ?: take_count(c->log_seq, "container logSeq", &to->log_seq, err);
		if (r < 0)
			return cc_error_prefix(err, "container %d", i + 1);
	}
	return 0;
}

static int take(const COCOON_ATTESTATION *asn, struct cc_attestation *a, struct cc_error *err)
{
	int r = take_count(asn->version, "version", &a->version, err);
	if (r == 0 && a->version != CC_ATTESTATION_VERSION)
		return cc_error_set(err, EINVAL, "attestation version %lld is not %d (a newer issuer?)",
				    (long long)a->version, CC_ATTESTATION_VERSION);
	r = r ?: take_string(asn->tenant, "tenant", &a->tenant, err);
	r = r ?: take_string(asn->node, "node", &a->node, err);
	r = r ?: take_string(asn->tee, "tee", &a->tee, err);
	r = r ?: take_time(asn->attested_at, &a->attested_at, err);
	r = r ?: take_string(asn->ear_id, "earId", &a->ear_id, err);
	r = r ?: take_digest(asn->evidence_digest, "evidenceDigest", a->evidence_digest, err);
	r = r ?: take_digest(asn->policy_digest, "policyDigest", a->policy_digest, err);
	return r ?: take_containers(asn->containers, a, err);
}

/* Decodes with the templates and checks that the input is the DER of what was decoded. */
static int decode_der(const uint8_t *der, size_t len, COCOON_ATTESTATION **ret, struct cc_error *err)
{
	const unsigned char *p = der;
	COCOON_ATTESTATION *asn = (COCOON_ATTESTATION *)ASN1_item_d2i(NULL, &p, (long)len, ATTESTATION_ITEM);
	if (!asn) {
		ERR_clear_error();
		return cc_error_set(err, EINVAL, "attestation is not a CocoonAttestation SEQUENCE");
	}
	int r = 0;
	unsigned char *again = NULL;
	if (p != der + len)
		r = cc_error_set(err, EINVAL, "attestation has %zu bytes after its end", (size_t)(der + len - p));
	else {
		int n = ASN1_item_i2d((ASN1_VALUE *)asn, &again, ATTESTATION_ITEM);
		if (n != (int)len || memcmp(again, der, len) != 0)
			r = cc_error_set(err, EINVAL, "attestation is BER, not DER (X.690 §10)");
	}
	OPENSSL_free(again);
	ERR_clear_error();
	if (r < 0) {
		ASN1_item_free((ASN1_VALUE *)asn, ATTESTATION_ITEM);
		return r;
	}
	*ret = asn;
	return 0;
}

int cc_attestation_ext_decode(const uint8_t *der, size_t len, struct cc_attestation **ret, struct cc_error *err)
{
	if (len == 0 || len > CC_ATTESTATION_EXT_MAX)
		return cc_error_set(err, EINVAL, "attestation of %zu bytes is empty or over the limit of %d bytes", len,
				    CC_ATTESTATION_EXT_MAX);
	COCOON_ATTESTATION *asn = NULL;
	int r = decode_der(der, len, &asn, err);
	if (r < 0)
		return r;
	_cleanup_(cc_attestation_freep) struct cc_attestation *a = calloc(1, sizeof(*a));
	r = a ? take(asn, a, err) : cc_error_set(err, ENOMEM, "out of memory decoding the attestation");
	ASN1_item_free((ASN1_VALUE *)asn, ATTESTATION_ITEM);
	if (r < 0)
		return r;
	*ret = CC_TAKE_PTR(a);
	return 0;
}

int cc_attestation_ext_from_cert(X509 *cert, struct cc_attestation **ret, struct cc_error *err)
{
	ASN1_OBJECT *oid = OBJ_txt2obj(CC_ATTESTATION_EXT_OID, 1);
	if (!oid)
		return cc_error_set(err, ENOMEM, "cannot make the attestation extension's OID");
	int at = X509_get_ext_by_OBJ(cert, oid, -1);
	int again = at >= 0 ? X509_get_ext_by_OBJ(cert, oid, at) : -1;
	ASN1_OBJECT_free(oid);
	ERR_clear_error();
	if (at < 0)
		return cc_error_set(err, ENOENT, "certificate has no attestation extension (%s)",
				    CC_ATTESTATION_EXT_OID);
	if (again >= 0)
		return cc_error_set(err, EINVAL, "certificate has the attestation extension twice");
	const ASN1_OCTET_STRING *value = X509_EXTENSION_get_data(X509_get_ext(cert, at));
	return cc_attestation_ext_decode(ASN1_STRING_get0_data(value), (size_t)ASN1_STRING_length(value), ret, err);
}
