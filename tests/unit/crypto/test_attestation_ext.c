#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/crypto/attestation_ext.h"
#include "lib/crypto/x509_leaf.h"
#include "pki_fixture.h"
#include "unit.h"

#include <errno.h>

/* A small DER writer of its own, so that the encoder is checked against bytes built independently
 * and the decoder gets inputs the encoder would never make. */
struct der {
	uint8_t b[4096];
	size_t n;
};

static void put(struct der *d, const void *data, size_t len)
{
	assert_true(d->n + len <= sizeof(d->b));
	memcpy(d->b + d->n, data, len);
	d->n += len;
}

static void tlv(struct der *d, uint8_t tag, const void *content, size_t len)
{
	uint8_t head[4] = { tag };
	size_t h = 1;
	if (len < 128)
		head[h++] = (uint8_t)len;
	else if (len < 256)
		head[h++] = 0x81, head[h++] = (uint8_t)len;
	else
		head[h++] = 0x82, head[h++] = (uint8_t)(len >> 8), head[h++] = (uint8_t)len;
	put(d, head, h);
	put(d, content, len);
}

static void str(struct der *d, const char *s)
{
	tlv(d, 0x0c, s, strlen(s));
}

static void integer(struct der *d, unsigned v)
{
	uint8_t b[5];
	size_t n = 0;
	if (v >= 0x800000)
		b[n++] = (uint8_t)(v >> 24);
	if (v >= 0x8000)
		b[n++] = (uint8_t)(v >> 16);
	if (v >= 0x80)
		b[n++] = (uint8_t)(v >> 8);
	b[n++] = (uint8_t)v;
	tlv(d, 0x02, b, n);
}

struct variant {
	unsigned version;
	const char *tenant;
	const char *time;
	size_t evidence_len;
	int instance; /* -1 writes INTEGER -1 */
};

static const struct variant base = { 1, "acme", "20260101000000Z", 48, 2 };

static void build(struct der *out, const struct variant *v)
{
	uint8_t digest[64];
	memset(digest, 0xab, sizeof(digest));
	struct der container = { 0 }, containers = { 0 }, body = { 0 };
	str(&container, "uid-web-2");
	if (v->instance < 0)
		tlv(&container, 0x02, "\xff", 1);
	else
		integer(&container, (unsigned)v->instance);
	tlv(&container, 0x04, digest, 48);
	integer(&container, 300);
	tlv(&containers, 0x30, container.b, container.n);

	integer(&body, v->version);
	str(&body, v->tenant);
	str(&body, "node-1");
	str(&body, "tpm");
	tlv(&body, 0x18, v->time, strlen(v->time));
	str(&body, "0b7c7c9e-jti");
	tlv(&body, 0x04, digest, v->evidence_len);
	tlv(&body, 0x04, digest + 1, 48);
	tlv(&body, 0x30, containers.b, containers.n);
	tlv(out, 0x30, body.b, body.n);
}

static struct cc_attested_container sample_container(void)
{
	struct cc_attested_container c = { .name = "uid-web-2", .instance = 2, .log_seq = 300 };
	memset(c.measurement, 0xab, sizeof(c.measurement));
	return c;
}

static struct cc_attestation sample(struct cc_attested_container *c)
{
	struct cc_attestation a = {
		.version = 1,
		.tenant = "acme",
		.node = "node-1",
		.tee = "tpm",
		.attested_at = 1767225600, /* 2026-01-01T00:00:00Z */
		.ear_id = "0b7c7c9e-jti",
		.containers = c,
		.n_containers = 1,
	};
	memset(a.evidence_digest, 0xab, sizeof(a.evidence_digest));
	memset(a.policy_digest, 0xab, sizeof(a.policy_digest));
	return a;
}

static void test_encoding_matches_the_asn1(void **state)
{
	struct cc_attested_container c = sample_container();
	struct cc_attestation a = sample(&c);
	struct cc_error err = { 0 };
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), 0);
	struct der expected = { 0 };
	build(&expected, &base);
	assert_int_equal(len, expected.n);
	assert_memory_equal(der, expected.b, len);

	_cleanup_(cc_attestation_freep) struct cc_attestation *back = NULL;
	assert_int_equal(cc_attestation_ext_decode(der, len, &back, &err), 0);
	assert_int_equal(back->version, 1);
	assert_string_equal(back->tenant, "acme");
	assert_string_equal(back->node, "node-1");
	assert_string_equal(back->tee, "tpm");
	assert_string_equal(back->ear_id, "0b7c7c9e-jti");
	assert_int_equal(back->attested_at, 1767225600);
	assert_memory_equal(back->evidence_digest, a.evidence_digest, 48);
	assert_memory_equal(back->policy_digest, a.policy_digest, 48);
	assert_int_equal(back->n_containers, 1);
	assert_string_equal(back->containers[0].name, "uid-web-2");
	assert_int_equal(back->containers[0].instance, 2);
	assert_int_equal(back->containers[0].log_seq, 300);
	assert_memory_equal(back->containers[0].measurement, c.measurement, 48);
}

static void test_many_and_no_containers(void **state)
{
	struct cc_attested_container cs[40];
	char names[40][16];
	for (int i = 0; i < 40; i++) {
		cs[i] = sample_container();
		snprintf(names[i], sizeof(names[i]), "uid-c-%d", i);
		cs[i].name = names[i];
		cs[i].instance = i;
		cs[i].log_seq = 1000000 + i;
	}
	struct cc_attestation a = sample(cs);
	a.n_containers = 40;
	struct cc_error err = { 0 };
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), 0);
	_cleanup_(cc_attestation_freep) struct cc_attestation *back = NULL;
	assert_int_equal(cc_attestation_ext_decode(der, len, &back, &err), 0);
	assert_int_equal(back->n_containers, 40);
	assert_string_equal(back->containers[39].name, "uid-c-39");
	assert_int_equal(back->containers[39].log_seq, 1000039);

	a.n_containers = 0;
	_cleanup_free_ uint8_t *none = NULL;
	assert_int_equal(cc_attestation_ext_encode(&a, &none, &len, &err), 0);
	_cleanup_(cc_attestation_freep) struct cc_attestation *empty = NULL;
	assert_int_equal(cc_attestation_ext_decode(none, len, &empty, &err), 0);
	assert_int_equal(empty->n_containers, 0);
	assert_null(empty->containers);
}

static void expect_decode_refused(const uint8_t *der, size_t len, const char *why)
{
	struct cc_error err = { 0 };
	struct cc_attestation *a = NULL;
	assert_int_equal(cc_attestation_ext_decode(der, len, &a, &err), -EINVAL);
	assert_null(a);
	if (!strstr(err.message, why))
		fail_msg("expected \"%s\" in \"%s\"", why, err.message);
}

static void expect_variant_refused(const struct variant *v, const char *why)
{
	struct der d = { 0 };
	build(&d, v);
	expect_decode_refused(d.b, d.n, why);
}

static void test_decode_refusals(void **state)
{
	struct variant v = base;
	v.version = 2;
	expect_variant_refused(&v, "version 2");
	v = base;
	v.evidence_len = 47;
	expect_variant_refused(&v, "evidenceDigest is 47 bytes");
	v.evidence_len = 49;
	expect_variant_refused(&v, "evidenceDigest is 49 bytes");
	v = base;
	v.tenant = "";
	expect_variant_refused(&v, "tenant must be");
	v.tenant = "ac\xc3";
	expect_variant_refused(&v, "tenant is not valid UTF-8");
	v = base;
	v.time = "20260101000000.5Z";
	expect_variant_refused(&v, "attestedAt");
	v.time = "20260101000000+0100";
	expect_variant_refused(&v, "attestedAt");
	v = base;
	v.instance = -1;
	expect_variant_refused(&v, "container 1: attestation container instance is negative");

	struct der d = { 0 };
	build(&d, &base);
	uint8_t copy[4096];
	memcpy(copy, d.b, d.n);
	copy[d.n] = 0;
	expect_decode_refused(copy, d.n + 1, "1 bytes after its end");
	expect_decode_refused(copy, d.n - 1, "not a CocoonAttestation");
	expect_decode_refused((const uint8_t *)"\x30\x00", 2, "not a CocoonAttestation");
	expect_decode_refused((const uint8_t *)"garbage", 7, "not a CocoonAttestation");
	expect_decode_refused(copy, 0, "empty");

	/* BER forms of the same content: a long-form length where a short one fits, an indefinite
	 * length, and a non-minimal INTEGER. */
	struct der body = { 0 };
	put(&body, d.b + 3, d.n - 3); /* d is 30 81 LL ... */
	assert_int_equal(d.b[1], 0x81);
	struct der long_form = { 0 };
	uint8_t head[] = { 0x30, 0x82, (uint8_t)(body.n >> 8), (uint8_t)body.n };
	put(&long_form, head, sizeof(head));
	put(&long_form, body.b, body.n);
	expect_decode_refused(long_form.b, long_form.n, "BER, not DER");
	struct der indefinite = { 0 };
	put(&indefinite, "\x30\x80", 2);
	put(&indefinite, body.b, body.n);
	put(&indefinite, "\x00\x00", 2);
	expect_decode_refused(indefinite.b, indefinite.n, "BER, not DER");
	struct der padded = { 0 };
	put(&padded, "\x30\x81", 2);
	uint8_t padded_len = (uint8_t)(body.n + 1);
	put(&padded, &padded_len, 1);
	put(&padded, "\x02\x02\x00\x01", 4); /* version 1 as 00 01 */
	put(&padded, body.b + 3, body.n - 3);
	expect_decode_refused(padded.b, padded.n, "not a CocoonAttestation");

	uint8_t *big = calloc(1, CC_ATTESTATION_EXT_MAX + 1);
	expect_decode_refused(big, CC_ATTESTATION_EXT_MAX + 1, "limit");
	free(big);
}

static void test_encode_refusals(void **state)
{
	struct cc_attested_container c = sample_container();
	struct cc_attestation a = sample(&c);
	struct cc_error err = { 0 };
	uint8_t *der = NULL;
	size_t len;
	a.version = 2;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	a = sample(&c);
	a.node = "";
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	assert_non_null(strstr(err.message, "node"));
	a = sample(&c);
	a.ear_id = NULL;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	a = sample(&c);
	c.log_seq = -1;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	assert_non_null(strstr(err.message, "negative"));
	c = sample_container();
	a.tee = "\xff";
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	a = sample(&c);
	a.n_containers = CC_ATTESTATION_CONTAINERS_MAX + 1;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), -EINVAL);
	assert_null(der);
}

static void test_from_cert(void **state)
{
	X509 *ca;
	EVP_PKEY *ca_key;
	fixture_ca("P-256", "tenant CA", 86400, NULL, &ca, &ca_key);
	EVP_PKEY *key = EVP_EC_gen("P-256");
	struct cc_attested_container c = sample_container();
	struct cc_attestation a = sample(&c);
	struct cc_error err = { 0 };
	_cleanup_free_ uint8_t *der = NULL;
	size_t len;
	assert_int_equal(cc_attestation_ext_encode(&a, &der, &len, &err), 0);
	struct cc_leaf_profile profile = {
		.common_name = "shop/web-2",
		.spiffe_id = "spiffe://acme.example/ns/shop/sa/web/pod/1",
		.lifetime = 600,
		.extension_oid = CC_ATTESTATION_EXT_OID,
		.extension_der = der,
		.extension_len = len,
	};
	X509 *leaf;
	assert_int_equal(cc_x509_leaf_issue(&profile, key, ca, ca_key, time(NULL), &leaf, &err), 0);
	_cleanup_(cc_attestation_freep) struct cc_attestation *back = NULL;
	assert_int_equal(cc_attestation_ext_from_cert(leaf, &back, &err), 0);
	assert_string_equal(back->containers[0].name, "uid-web-2");
	X509_free(leaf);

	profile.extension_oid = NULL;
	profile.extension_der = NULL;
	assert_int_equal(cc_x509_leaf_issue(&profile, key, ca, ca_key, time(NULL), &leaf, &err), 0);
	struct cc_attestation *none = NULL;
	assert_int_equal(cc_attestation_ext_from_cert(leaf, &none, &err), -ENOENT);
	assert_null(none);
	X509_free(leaf);
	X509_free(ca);
	EVP_PKEY_free(ca_key);
	EVP_PKEY_free(key);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encoding_matches_the_asn1),
		cmocka_unit_test(test_many_and_no_containers),
		cmocka_unit_test(test_decode_refusals),
		cmocka_unit_test(test_encode_refusals),
		cmocka_unit_test(test_from_cert),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
