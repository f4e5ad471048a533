/* lib/net/dns.c: queries as a real client sends them and answers checked byte for byte, then every
 * malformed input the reader must refuse without a crash. The queries were captured from glibc's stub
 * resolver (libresolv's res_nquery, with and without RES_USE_EDNS0, Debian 12) sending to a UDP socket;
 * the answers are this encoder's, which the same resolver accepted and printed as expected (A, AAAA,
 * SRV, PTR, CNAME, NXDOMAIN with the SOA, TC and its retry over TCP). dig (dnsutils) was not installed
 * where they were made. */
#include "lib/base/buf.h"
#include "lib/base/cleanup.h"
#include "lib/base/error.h"
#include "lib/net/dns.h"
#include "unit.h"

#include <errno.h>

/* ---- captured bytes ---- */

static const uint8_t query_a[] = {
	0xe6, 0x10, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x03, 0x61, 0x70, 0x69,
	0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75,
	0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01,
};

static const uint8_t query_a_edns_case[] = {
	0x5d, 0x75, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x41, 0x70,
	0x69, 0x07, 0x44, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x53, 0x56, 0x43, 0x07, 0x63,
	0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01,
	0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t query_aaaa_edns[] = {
	0x2f, 0xb6, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x61, 0x70,
	0x69, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63,
	0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x1c,
	0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t query_srv[] = {
	0xa6, 0x64, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x5f, 0x68,
	0x74, 0x74, 0x70, 0x04, 0x5f, 0x74, 0x63, 0x70, 0x03, 0x61, 0x70, 0x69, 0x07, 0x64, 0x65,
	0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75, 0x73, 0x74,
	0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x21, 0x00, 0x01,
};

static const uint8_t query_ptr_edns[] = {
	0x3c, 0xeb, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x02, 0x31, 0x30, 0x01, 0x30, 0x02,
	0x39, 0x36, 0x02, 0x31, 0x30, 0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61, 0x72, 0x70, 0x61,
	0x00, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xb0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t query_cname[] = {
	0x93, 0xc5, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x05, 0x61, 0x6c, 0x69, 0x61,
	0x73, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75,
	0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01,
};

static const uint8_t query_nx[] = {
	0x9a, 0xc1, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x6d, 0x69, 0x73, 0x73,
	0x69, 0x6e, 0x67, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63,
	0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01,
};

static const uint8_t query_many[] = {
	0x50, 0xe3, 0x01, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x04, 0x6d, 0x61, 0x6e,
	0x79, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c,
	0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01,
};

static const uint8_t answer_a[] = {
	0xe6, 0x10, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x03, 0x61, 0x70, 0x69,
	0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75,
	0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0,
	0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0x0a, 0x60, 0x00, 0x0a,
};

static const uint8_t answer_a_edns_case[] = {
	0x5d, 0x75, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x03, 0x41, 0x70,
	0x69, 0x07, 0x44, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x53, 0x56, 0x43, 0x07, 0x63,
	0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01,
	0x00, 0x01, 0xc0, 0x0c, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0x0a,
	0x60, 0x00, 0x0a, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t answer_aaaa_edns[] = {
	0x2f, 0xb6, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x03, 0x61, 0x70, 0x69, 0x07, 0x64,
	0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72,
	0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x1c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x1c, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x05, 0x00, 0x10, 0xfd, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x0a, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t answer_srv[] = {
	0xa6, 0x64, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x05, 0x5f, 0x68, 0x74, 0x74, 0x70,
	0x04, 0x5f, 0x74, 0x63, 0x70, 0x03, 0x61, 0x70, 0x69, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03,
	0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00,
	0x00, 0x21, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x25, 0x00, 0x00,
	0x00, 0x64, 0x00, 0x50, 0x03, 0x61, 0x70, 0x69, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73,
	0x76, 0x63, 0x07, 0x63, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00,
};

static const uint8_t answer_ptr_edns[] = {
	0x3c, 0xeb, 0x85, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x02, 0x31, 0x30, 0x01,
	0x30, 0x02, 0x39, 0x36, 0x02, 0x31, 0x30, 0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04,
	0x61, 0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01, 0xc0, 0x0c, 0x00, 0x0c, 0x00, 0x01, 0x00,
	0x00, 0x00, 0x05, 0x00, 0x1f, 0x03, 0x61, 0x70, 0x69, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c,
	0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75, 0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f,
	0x63, 0x61, 0x6c, 0x00, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

static const uint8_t answer_cname[] = {
	0x93, 0xc5, 0x85, 0x00, 0x00, 0x01, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x05, 0x61, 0x6c, 0x69, 0x61,
	0x73, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75,
	0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x0c,
	0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x06, 0x03, 0x61, 0x70, 0x69, 0xc0, 0x12, 0xc0,
	0x3d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x05, 0x00, 0x04, 0x0a, 0x60, 0x00, 0x0a,
};

static const uint8_t answer_nx[] = {
	0x9a, 0xc1, 0x85, 0x03, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x07, 0x6d, 0x69, 0x73, 0x73, 0x69,
	0x6e, 0x67, 0x07, 0x64, 0x65, 0x66, 0x61, 0x75, 0x6c, 0x74, 0x03, 0x73, 0x76, 0x63, 0x07, 0x63, 0x6c, 0x75,
	0x73, 0x74, 0x65, 0x72, 0x05, 0x6c, 0x6f, 0x63, 0x61, 0x6c, 0x00, 0x00, 0x01, 0x00, 0x01, 0xc0, 0x20, 0x00,
	0x06, 0x00, 0x01, 0x00, 0x00, 0x00, 0x1e, 0x00, 0x2a, 0x02, 0x6e, 0x73, 0x03, 0x64, 0x6e, 0x73, 0xc0, 0x20,
	0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0xc0, 0x20, 0x00, 0x00, 0x00, 0x01, 0x00,
	0x00, 0x1c, 0x20, 0x00, 0x00, 0x07, 0x08, 0x00, 0x01, 0x51, 0x80, 0x00, 0x00, 0x00, 0x1e,
};

/* ---- helpers ---- */

/* What the test-only reader of an answer found. */
struct answer {
	uint16_t id, flags, qd, an, ns, ar;
	char qname[CC_DNS_TEXT_MAX];
	uint16_t types[64];
	char owners[4][CC_DNS_TEXT_MAX];
	size_t records;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Reads an answer as a client would: header, question, then every record of every section, names
 * (owners, and those in PTR, CNAME, SRV and SOA data) expanded; it must end exactly at len. */
static void read_answer(const void *data, size_t len, struct answer *a)
{
	const uint8_t *msg = data;
	memset(a, 0, sizeof(*a));
	assert_true(len >= 12);
	a->id = be16(msg);
	a->flags = be16(msg + 2);
	a->qd = be16(msg + 4);
	a->an = be16(msg + 6);
	a->ns = be16(msg + 8);
	a->ar = be16(msg + 10);
	size_t pos = 12;
	char name[CC_DNS_TEXT_MAX];
	assert_int_equal(a->qd, 1);
	assert_int_equal(cc_dns_name_from_wire(msg, len, &pos, a->qname, NULL), 0);
	pos += 4;
	for (unsigned i = 0; i < (unsigned)a->an + a->ns + a->ar; i++) {
		assert_int_equal(cc_dns_name_from_wire(msg, len, &pos, name, NULL), 0);
		if (a->records < 4)
			strcpy(a->owners[a->records], name);
		assert_true(pos + 10 <= len);
		uint16_t type = be16(msg + pos), rdlength = be16(msg + pos + 8);
		if (a->records < 64)
			a->types[a->records] = type;
		a->records++;
		pos += 10;
		assert_true(pos + rdlength <= len);
		size_t rd = pos;
		if (type == CC_DNS_PTR || type == CC_DNS_CNAME || type == CC_DNS_SRV || type == CC_DNS_SOA) {
			if (type == CC_DNS_SRV)
				rd += 6;
			assert_int_equal(cc_dns_name_from_wire(msg, len, &rd, name, NULL), 0);
			if (type == CC_DNS_SOA)
				assert_int_equal(cc_dns_name_from_wire(msg, len, &rd, name, NULL), 0);
			assert_int_equal(rd, pos + rdlength - (type == CC_DNS_SOA ? 20 : 0));
		}
		pos += rdlength;
	}
	assert_int_equal(pos, len);
}

static struct cc_dns_record record(uint16_t type, const char *owner)
{
	struct cc_dns_record r = { .type = type, .ttl = 5 };
	strcpy(r.name, owner);
	return r;
}

static struct cc_dns_record a_record(const char *owner, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	struct cc_dns_record r = record(CC_DNS_A, owner);
	uint8_t addr[4] = { a, b, c, d };
	memcpy(r.data.a, addr, 4);
	return r;
}

static struct cc_dns_record name_record(uint16_t type, const char *owner, const char *target)
{
	struct cc_dns_record r = record(type, owner);
	strcpy(r.data.name, target);
	return r;
}

static void parse_ok(const uint8_t *msg, size_t len, struct cc_dns_query *q)
{
	struct cc_error err = { 0 };
	int r = cc_dns_parse_query(msg, len, q, &err);
	if (r < 0)
		fail_msg("parse: %s", err.message);
}

/* Writes the answer to the captured query and compares it with the expected bytes. */
static void expect_answer(const uint8_t *query, size_t query_len, int rcode, const struct cc_dns_record *recs,
			  size_t count, const uint8_t *expected, size_t expected_len)
{
	struct cc_dns_query q;
	parse_ok(query, query_len, &q);
	struct cc_buf out = CC_BUF_INIT;
	struct cc_error err = { 0 };
	assert_int_equal(
	    cc_dns_write_answer(&q, rcode, true, false, recs, count, "cluster.local", 30, false, &out, &err), 0);
	assert_int_equal(out.len, expected_len);
	assert_memory_equal(out.data, expected, expected_len);
	struct answer a;
	read_answer(out.data, out.len, &a);
	assert_int_equal(a.id, q.id);
	cc_buf_free(&out);
}

/* ---- queries as sent ---- */

static void test_parse_query(void **state)
{
	struct cc_dns_query q;
	parse_ok(query_a, sizeof(query_a), &q);
	assert_int_equal(q.id, 0xe610);
	assert_int_equal(q.flags, 0x0100); /* RD */
	assert_string_equal(q.name, "api.default.svc.cluster.local");
	assert_int_equal(q.type, CC_DNS_A);
	assert_int_equal(q.class, CC_DNS_CLASS_IN);
	assert_false(q.edns);
	assert_int_equal(q.udp_size, 512);

	/* glibc's OPT says 1200; the name's case (as a DNS 0x20 resolver would vary it) is folded in the
	 * text and kept in the wire form. */
	parse_ok(query_a_edns_case, sizeof(query_a_edns_case), &q);
	assert_string_equal(q.name, "api.default.svc.cluster.local");
	assert_true(q.edns);
	assert_int_equal(q.udp_size, 1200);
	assert_int_equal(q.wire_name_len, 31);
	assert_memory_equal(q.wire_name, "\3Api\7Default\3SVC\7cluster", 24);

	parse_ok(query_srv, sizeof(query_srv), &q);
	assert_string_equal(q.name, "_http._tcp.api.default.svc.cluster.local");
	assert_int_equal(q.type, CC_DNS_SRV);
	parse_ok(query_ptr_edns, sizeof(query_ptr_edns), &q);
	assert_string_equal(q.name, "10.0.96.10.in-addr.arpa");
	assert_int_equal(q.type, CC_DNS_PTR);
}

/* ---- answers: bytes a real resolver accepted ---- */

static void test_answer_a(void **state)
{
	struct cc_dns_record r = a_record("api.default.svc.cluster.local", 10, 96, 0, 10);
	expect_answer(query_a, sizeof(query_a), CC_DNS_NOERROR, &r, 1, answer_a, sizeof(answer_a));
	/* QR AA RD; the owner is a pointer to the question at offset 12 (RFC 1035 §4.1.4). */
	assert_int_equal(be16(answer_a + 2), 0x8500);
	assert_int_equal(be16(answer_a + sizeof(query_a)), 0xc00c);
}

static void test_answer_keeps_query_case(void **state)
{
	struct cc_dns_record r = a_record("api.default.svc.cluster.local", 10, 96, 0, 10);
	expect_answer(query_a_edns_case, sizeof(query_a_edns_case), CC_DNS_NOERROR, &r, 1, answer_a_edns_case,
		      sizeof(answer_a_edns_case));
	/* The question echoed as sent ("Api.Default.SVC"), the owner pointing at it, an OPT at the end. */
	assert_memory_equal(answer_a_edns_case + 12, query_a_edns_case + 12, 35);
	assert_int_equal(be16(answer_a_edns_case + 10), 1);
	const uint8_t *opt = answer_a_edns_case + sizeof(answer_a_edns_case) - 11;
	assert_int_equal(opt[0], 0);
	assert_int_equal(be16(opt + 1), CC_DNS_OPT);
}

static void test_answer_aaaa(void **state)
{
	struct cc_dns_record r = record(CC_DNS_AAAA, "api.default.svc.cluster.local");
	r.data.aaaa[0] = 0xfd;
	r.data.aaaa[15] = 0x0a;
	expect_answer(query_aaaa_edns, sizeof(query_aaaa_edns), CC_DNS_NOERROR, &r, 1, answer_aaaa_edns,
		      sizeof(answer_aaaa_edns));
}

static void test_answer_srv(void **state)
{
	struct cc_dns_record r = record(CC_DNS_SRV, "_http._tcp.api.default.svc.cluster.local");
	r.data.srv.priority = 0;
	r.data.srv.weight = 100;
	r.data.srv.port = 80;
	strcpy(r.data.srv.target, "api.default.svc.cluster.local");
	expect_answer(query_srv, sizeof(query_srv), CC_DNS_NOERROR, &r, 1, answer_srv, sizeof(answer_srv));
	/* RFC 2782: the target is written whole although the question holds it as a suffix. */
	assert_int_equal(be16(answer_srv + sizeof(answer_srv) - 39), 37); /* RDLENGTH: 6 + a 31-byte name */
	assert_memory_equal(answer_srv + sizeof(answer_srv) - 31, "\3api\7default", 12);
}

static void test_answer_ptr(void **state)
{
	struct cc_dns_record r = name_record(CC_DNS_PTR, "10.0.96.10.in-addr.arpa", "api.default.svc.cluster.local");
	expect_answer(query_ptr_edns, sizeof(query_ptr_edns), CC_DNS_NOERROR, &r, 1, answer_ptr_edns,
		      sizeof(answer_ptr_edns));
}

static void test_answer_cname_compressed(void **state)
{
	struct cc_dns_record r[2] = {
		name_record(CC_DNS_CNAME, "alias.default.svc.cluster.local", "api.default.svc.cluster.local"),
		a_record("api.default.svc.cluster.local", 10, 96, 0, 10),
	};
	expect_answer(query_cname, sizeof(query_cname), CC_DNS_NOERROR, r, 2, answer_cname, sizeof(answer_cname));
	/* The CNAME's target is "api" and a pointer to "default.svc.cluster.local" in the question; the A
	 * record's owner is a pointer to that target. */
	size_t target = sizeof(query_cname) + 12;
	assert_memory_equal(answer_cname + target, "\3api\xc0\x12", 6);
	assert_int_equal(be16(answer_cname + target + 6), 0xc000 | target);
}

static void test_answer_nxdomain_soa(void **state)
{
	expect_answer(query_nx, sizeof(query_nx), CC_DNS_NXDOMAIN, NULL, 0, answer_nx, sizeof(answer_nx));
	struct answer a;
	read_answer(answer_nx, sizeof(answer_nx), &a);
	assert_int_equal(a.flags & 0xf, CC_DNS_NXDOMAIN);
	assert_int_equal(a.an, 0);
	assert_int_equal(a.ns, 1);
	assert_int_equal(a.types[0], CC_DNS_SOA);
	assert_string_equal(a.owners[0], "cluster.local");
	/* serial, refresh, retry, expire, minimum (the TTL given) */
	const uint8_t timers[20] = { 0, 0, 0, 1, 0, 0, 0x1c, 0x20, 0, 0, 0x07, 0x08, 0, 1, 0x51, 0x80, 0, 0, 0, 30 };
	assert_memory_equal(answer_nx + sizeof(answer_nx) - 20, timers, 20);

	/* NOERROR without records (NODATA) gets the SOA too; without a zone there is none. */
	struct cc_dns_query q;
	parse_ok(query_a, sizeof(query_a), &q);
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(
	    cc_dns_write_answer(&q, CC_DNS_NOERROR, true, false, NULL, 0, "cluster.local", 5, false, &out, NULL), 0);
	read_answer(out.data, out.len, &a);
	assert_int_equal(a.flags & 0xf, CC_DNS_NOERROR);
	assert_int_equal(a.ns, 1);
	cc_buf_reset(&out);
	assert_int_equal(cc_dns_write_answer(&q, CC_DNS_NXDOMAIN, true, false, NULL, 0, NULL, 5, false, &out, NULL), 0);
	read_answer(out.data, out.len, &a);
	assert_int_equal(a.ns, 0);
	assert_int_equal(a.records, 0);
	cc_buf_free(&out);
}

static void test_answer_flags(void **state)
{
	struct cc_dns_query q;
	parse_ok(query_a, sizeof(query_a), &q);
	q.flags = 0; /* RD clear in the query: clear in the answer */
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(cc_dns_write_answer(&q, CC_DNS_REFUSED, false, true, NULL, 0, NULL, 0, false, &out, NULL), 0);
	assert_int_equal(be16((uint8_t *)out.data + 2), 0x8000 | 0x0080 | CC_DNS_REFUSED);
	cc_buf_free(&out);
}

/* A query built by hand (no wire form) is echoed from its text. */
static void test_answer_hand_made_query(void **state)
{
	struct cc_dns_query q = { .id = 7, .flags = 0x0100, .type = CC_DNS_A, .class = CC_DNS_CLASS_IN };
	strcpy(q.name, "api.default.svc.cluster.local");
	struct cc_dns_record r = a_record("api.default.svc.cluster.local", 10, 96, 0, 10);
	struct cc_buf out = CC_BUF_INIT;
	assert_int_equal(cc_dns_write_answer(&q, CC_DNS_NOERROR, true, false, &r, 1, NULL, 0, false, &out, NULL), 0);
	/* The same bytes as the answer to glibc's query but for the id. */
	assert_int_equal(out.len, sizeof(answer_a));
	assert_memory_equal(out.data + 2, answer_a + 2, sizeof(answer_a) - 2);
	cc_buf_free(&out);
}

/* ---- truncation and EDNS0 sizes ---- */

/* Writes count A records for the many-records query with udp_size and edns set as given. */
static void write_many(struct cc_dns_query *q, size_t count, bool tcp, struct cc_buf *out, struct answer *a)
{
	struct cc_dns_record recs[64];
	for (size_t i = 0; i < count; i++)
		recs[i] = a_record("many.default.svc.cluster.local", 10, 244, 1, (uint8_t)i);
	cc_buf_reset(out);
	assert_int_equal(cc_dns_write_answer(q, CC_DNS_NOERROR, true, false, recs, count, NULL, 0, tcp, out, NULL), 0);
	read_answer(out->data, out->len, a);
}

static void test_truncation(void **state)
{
	struct cc_dns_query q;
	struct answer a;
	struct cc_buf out = CC_BUF_INIT;
	parse_ok(query_many, sizeof(query_many), &q);
	/* 48-byte question part, 16 bytes a record: 29 fit in 512 bytes. */
	write_many(&q, 40, false, &out, &a);
	assert_true(a.flags & 0x0200);
	assert_int_equal(a.an, 29);
	assert_int_equal(out.len, 48 + 29 * 16);
	assert_true(out.len <= 512);
	/* Exactly 512 bytes are not truncated. */
	write_many(&q, 29, false, &out, &a);
	assert_false(a.flags & 0x0200);
	assert_int_equal(a.an, 29);
	/* Over TCP all of them. */
	write_many(&q, 40, true, &out, &a);
	assert_false(a.flags & 0x0200);
	assert_int_equal(a.an, 40);
	cc_buf_free(&out);
}

/* The query for many.default.svc.cluster.local A with an OPT announcing size (glibc's layout). */
static size_t query_with_opt(uint8_t *buf, uint16_t size)
{
	memcpy(buf, query_many, sizeof(query_many));
	buf[11] = 1; /* ARCOUNT */
	uint8_t opt[11] = { 0, 0, CC_DNS_OPT, (uint8_t)(size >> 8), (uint8_t)size };
	memcpy(buf + sizeof(query_many), opt, 11);
	return sizeof(query_many) + 11;
}

static void test_edns_size(void **state)
{
	uint8_t buf[128];
	struct cc_dns_query q;
	struct answer a;
	struct cc_buf out = CC_BUF_INIT;

	/* 600 bytes: 48 + 11 for the OPT leave room for 33 records; the OPT is still there. */
	parse_ok(buf, query_with_opt(buf, 600), &q);
	assert_int_equal(q.udp_size, 600);
	write_many(&q, 40, false, &out, &a);
	assert_true(a.flags & 0x0200);
	assert_int_equal(a.an, 33);
	assert_int_equal(a.ar, 1);
	assert_int_equal(a.types[33], CC_DNS_OPT);
	assert_true(out.len <= 600);
	/* Our OPT: root owner, type 41, our size 1232 in CLASS, TTL and RDLENGTH 0 (RFC 6891 §6.1.2). */
	const uint8_t opt[11] = { 0, 0, 41, 0x04, 0xd0, 0, 0, 0, 0, 0, 0 };
	assert_memory_equal(out.data + out.len - 11, opt, 11);

	/* Below 512 counts as 512 (§6.2.5); above 4096 is held to 4096. */
	parse_ok(buf, query_with_opt(buf, 100), &q);
	assert_int_equal(q.udp_size, 512);
	write_many(&q, 40, false, &out, &a);
	assert_int_equal(a.an, 28);
	assert_true(out.len <= 512);
	parse_ok(buf, query_with_opt(buf, 65535), &q);
	assert_int_equal(q.udp_size, 4096);
	write_many(&q, 40, false, &out, &a);
	assert_false(a.flags & 0x0200);
	assert_int_equal(a.an, 40);
	cc_buf_free(&out);
}

/* ---- malformed queries: refused, never a crash ---- */

static int parse(const void *msg, size_t len)
{
	struct cc_dns_query q;
	struct cc_error err = { 0 };
	int r = cc_dns_parse_query(msg, len, &q, &err);
	if (r < 0)
		assert_true(err.message[0] != '\0');
	return r;
}

static void test_short_and_truncated(void **state)
{
	/* Every prefix of a valid query, the header included, is refused. */
	for (size_t len = 0; len < sizeof(query_a_edns_case); len++)
		assert_int_equal(parse(query_a_edns_case, len), -EBADMSG);
	assert_int_equal(parse(query_a_edns_case, sizeof(query_a_edns_case)), 0);
	/* The id is there for the error answer once the header could be read. */
	struct cc_dns_query q = { 0 };
	assert_int_equal(cc_dns_parse_query(query_a, 20, &q, NULL), -EBADMSG);
	assert_int_equal(q.id, 0xe610);
	/* Bytes after the last record. */
	uint8_t buf[128];
	memcpy(buf, query_a, sizeof(query_a));
	buf[sizeof(query_a)] = 0;
	assert_int_equal(parse(buf, sizeof(query_a) + 1), -EBADMSG);
}

static void test_bad_counts(void **state)
{
	uint8_t buf[128];
	const struct {
		size_t offset;
		uint8_t value;
	} cases[] = {
		{ 5, 0 },  /* QDCOUNT 0 */
		{ 5, 2 },  /* QDCOUNT 2 */
		{ 7, 1 },  /* ANCOUNT 1 */
		{ 9, 1 },  /* NSCOUNT 1 */
		{ 11, 1 }, /* ARCOUNT 1 with no record */
	};
	for (size_t i = 0; i < CC_ARRAY_SIZE(cases); i++) {
		memcpy(buf, query_a, sizeof(query_a));
		buf[cases[i].offset] = cases[i].value;
		assert_int_equal(parse(buf, sizeof(query_a)), -EBADMSG);
	}
	/* ARCOUNT 0 with glibc's OPT after the question: trailing bytes. */
	memcpy(buf, query_a_edns_case, sizeof(query_a_edns_case));
	buf[11] = 0;
	assert_int_equal(parse(buf, sizeof(query_a_edns_case)), -EBADMSG);
}

static void test_response_and_opcode(void **state)
{
	uint8_t buf[128];
	struct cc_buf out = CC_BUF_INIT;
	/* A response sent as a query (QR=1): refused, and no error answer either. */
	memcpy(buf, query_a, sizeof(query_a));
	buf[2] |= 0x80;
	assert_int_equal(parse(buf, sizeof(query_a)), -EBADMSG);
	cc_dns_write_error(buf, sizeof(query_a), CC_DNS_FORMERR, &out);
	assert_int_equal(out.len, 0);
	/* Our own answer fed back in is a response too. */
	cc_dns_write_error(answer_a, sizeof(answer_a), CC_DNS_FORMERR, &out);
	assert_int_equal(out.len, 0);
	/* Opcode STATUS (2): NOTIMP with the question echoed. */
	memcpy(buf, query_a, sizeof(query_a));
	buf[2] = 0x10 | 0x01;
	assert_int_equal(parse(buf, sizeof(query_a)), -ENOTSUP);
	cc_dns_write_error(buf, sizeof(query_a), CC_DNS_NOTIMP, &out);
	struct answer a;
	read_answer(out.data, out.len, &a);
	assert_int_equal(a.id, 0xe610);
	assert_int_equal(a.flags, 0x8000 | 0x1000 | 0x0100 | CC_DNS_NOTIMP);
	assert_string_equal(a.qname, "api.default.svc.cluster.local");
	cc_buf_free(&out);
}

static void test_bad_names(void **state)
{
	uint8_t buf[600];
	size_t n;
	/* A label of 64 bytes: on the wire its length byte 0x40 is the obsolete extended label type. */
	memset(buf, 0, 12);
	buf[5] = 1;
	buf[12] = 64;
	memset(buf + 13, 'a', 64);
	n = 13 + 64;
	memcpy(buf + n, "\0\0\1\0\1", 5);
	assert_int_equal(parse(buf, n + 5), -EBADMSG);
	buf[12] = 63; /* then the 64th byte, 'a' (0x61), reads as the obsolete label type 0x40 */
	assert_int_equal(parse(buf, n + 5), -EBADMSG);

	/* Names of 256 and 255 bytes: three labels of 63, one of 62 or 61, the root. */
	for (uint8_t last = 62; last >= 61; last--) {
		n = 12;
		for (int i = 0; i < 4; i++) {
			uint8_t len = i < 3 ? 63 : last;
			buf[n++] = len;
			memset(buf + n, 'b', len);
			n += len;
		}
		memcpy(buf + n, "\0\0\1\0\1", 5);
		assert_int_equal(parse(buf, n + 5), last == 62 ? -EBADMSG : 0);
	}

	/* A compression pointer in the question, to itself and into the header. */
	const uint8_t self[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0x0c, 0, 1, 0, 1 };
	assert_int_equal(parse(self, sizeof(self)), -EBADMSG);
	const uint8_t into_header[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 1, 'a', 0xc0, 0x02, 0, 1, 0, 1 };
	assert_int_equal(parse(into_header, sizeof(into_header)), -EBADMSG);
	/* Extended label types 0x40 and 0x80. */
	const uint8_t ext[] = { 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x41, 'a', 0, 0, 1, 0, 1 };
	assert_int_equal(parse(ext, sizeof(ext)), -EBADMSG);
}

static void test_bad_additional(void **state)
{
	uint8_t buf[128];
	size_t base = sizeof(query_a_edns_case);
	/* Two OPT records (RFC 6891 §6.1.1). */
	memcpy(buf, query_a_edns_case, base);
	memcpy(buf + base, query_a_edns_case + base - 11, 11);
	buf[11] = 2;
	assert_int_equal(parse(buf, base + 11), -EBADMSG);
	/* An OPT owned by a name other than the root: a pointer to the question. */
	memcpy(buf, query_a_edns_case, base);
	memmove(buf + base - 10, buf + base - 11, 11);
	buf[base - 11] = 0xc0;
	buf[base - 10] = 0x0c;
	assert_int_equal(parse(buf, base + 1), -EBADMSG);
	/* A record whose owner points at itself: a loop refused. */
	buf[base - 11] = 0xc0;
	buf[base - 10] = (uint8_t)(base - 11);
	assert_int_equal(parse(buf, base + 1), -EBADMSG);
	/* Two pointers that point at each other. */
	memcpy(buf, query_a_edns_case, base);
	const uint8_t loop[] = { 0xc0, (uint8_t)(base - 9), 0xc0, (uint8_t)(base - 11) };
	buf[11] = 1;
	memcpy(buf + base - 11, loop, 4);
	memcpy(buf + base - 7, "\0\51\4\260\0\0\0\0\0\0", 10);
	assert_int_equal(parse(buf, base + 3), -EBADMSG);
	/* RDLENGTH past the end. */
	memcpy(buf, query_a_edns_case, base);
	buf[base - 1] = 1;
	assert_int_equal(parse(buf, base), -EBADMSG);
	/* Another record type is skipped (a pointer to the question as its owner is fine). */
	memcpy(buf, query_a_edns_case, base);
	const uint8_t txt[] = { 0xc0, 0x0c, 0, 16, 0, 1, 0, 0, 0, 0, 0, 2, 1, 'x' };
	memcpy(buf + base, txt, sizeof(txt));
	buf[11] = 2;
	struct cc_dns_query q;
	parse_ok(buf, base + sizeof(txt), &q);
	assert_true(q.edns);
}

static void test_write_error(void **state)
{
	struct cc_buf out = CC_BUF_INIT;
	struct answer a;
	/* One byte: no id, nothing to send. */
	cc_dns_write_error(query_a, 1, CC_DNS_FORMERR, &out);
	assert_int_equal(out.len, 0);
	/* A cut header: the id alone. */
	cc_dns_write_error(query_a, 5, CC_DNS_FORMERR, &out);
	assert_int_equal(out.len, 12);
	assert_int_equal(be16((uint8_t *)out.data), 0xe610);
	assert_int_equal(be16((uint8_t *)out.data + 2), 0x8000 | 0x0100 | CC_DNS_FORMERR);
	assert_int_equal(be16((uint8_t *)out.data + 4), 0);
	/* Two questions: FORMERR without any. */
	uint8_t buf[128];
	memcpy(buf, query_a, sizeof(query_a));
	buf[5] = 2;
	cc_buf_reset(&out);
	cc_dns_write_error(buf, sizeof(query_a), CC_DNS_FORMERR, &out);
	assert_int_equal(out.len, 12);
	/* A readable question with a bad additional section: echoed, SERVFAIL as asked. */
	memcpy(buf, query_a_edns_case, sizeof(query_a_edns_case));
	buf[sizeof(query_a_edns_case) - 1] = 9;
	cc_buf_reset(&out);
	cc_dns_write_error(buf, sizeof(query_a_edns_case), CC_DNS_SERVFAIL, &out);
	read_answer(out.data, out.len, &a);
	assert_int_equal(a.flags & 0xf, CC_DNS_SERVFAIL);
	assert_string_equal(a.qname, "api.default.svc.cluster.local");
	assert_memory_equal(out.data + 12, query_a_edns_case + 12, 35); /* case kept */
	cc_buf_free(&out);
}

/* ---- names ---- */

static void test_name_to_wire(void **state)
{
	uint8_t wire[CC_DNS_NAME_MAX];
	struct cc_error err = { 0 };
	assert_int_equal(cc_dns_name_to_wire("", wire, sizeof(wire), NULL), 1);
	assert_int_equal(wire[0], 0);
	assert_int_equal(cc_dns_name_to_wire(".", wire, sizeof(wire), NULL), 1);
	assert_int_equal(cc_dns_name_to_wire("Svc.Cluster.Local.", wire, sizeof(wire), NULL), 19);
	assert_memory_equal(wire, "\3Svc\7Cluster\5Local", 19); /* case kept: owner names go out as given */
	assert_int_equal(cc_dns_name_to_wire("a\\046b.c\\\\", wire, sizeof(wire), NULL), 8);
	assert_memory_equal(wire, "\3a.b\2c\\", 8);
	assert_int_equal(cc_dns_name_to_wire("a..b", wire, sizeof(wire), &err), -EINVAL);
	assert_non_null(strstr(err.message, "empty label"));
	assert_int_equal(cc_dns_name_to_wire(".a", wire, sizeof(wire), NULL), -EINVAL);
	assert_int_equal(cc_dns_name_to_wire("a\\", wire, sizeof(wire), NULL), -EINVAL);
	assert_int_equal(cc_dns_name_to_wire("a\\25", wire, sizeof(wire), NULL), -EINVAL);
	assert_int_equal(cc_dns_name_to_wire("a\\256", wire, sizeof(wire), NULL), -EINVAL);
	assert_int_equal(cc_dns_name_to_wire("abc", wire, 4, NULL), -EINVAL); /* 5 bytes needed */
	assert_int_equal(cc_dns_name_to_wire("abc", wire, 5, NULL), 5);

	char text[400];
	memset(text, 'x', 63);
	text[63] = '\0';
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), NULL), 65);
	strcpy(text + 63, "x");
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), &err), -EINVAL);
	assert_non_null(strstr(err.message, "63"));
	/* 253 characters (255 bytes) fit; 254 do not. */
	for (int i = 0; i < 127; i++) {
		text[2 * i] = 'y';
		text[2 * i + 1] = '.';
	}
	text[253] = '\0';
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), NULL), 255);
	text[253] = 'z';
	text[254] = '\0';
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), NULL), -EINVAL);
}

static void test_name_from_wire(void **state)
{
	char text[CC_DNS_TEXT_MAX];
	size_t pos = 0;
	/* Odd bytes are escaped so the text reads back to the same name. */
	const uint8_t odd[] = { 5, 'A', '.', 0, '\\', 0xff, 2, 'b', '_', 0 };
	assert_int_equal(cc_dns_name_from_wire(odd, sizeof(odd), &pos, text, NULL), 0);
	assert_int_equal(pos, sizeof(odd));
	assert_string_equal(text, "a\\046\\000\\092\\255.b_");
	uint8_t wire[CC_DNS_NAME_MAX];
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), NULL), (int)sizeof(odd));
	assert_memory_equal(wire, "\5a.\0\\\377\2b_", sizeof(odd));

	/* The longest text: four labels of 63, 63, 63 and 61 bytes, all escaped. */
	uint8_t big[255];
	size_t n = 0;
	for (int i = 0; i < 4; i++) {
		uint8_t len = i < 3 ? 63 : 61;
		big[n++] = len;
		memset(big + n, '*', len);
		n += len;
	}
	big[n++] = 0;
	assert_int_equal(n, 255);
	pos = 0;
	assert_int_equal(cc_dns_name_from_wire(big, n, &pos, text, NULL), 0);
	assert_int_equal(strlen(text), CC_DNS_TEXT_MAX - 1);
	assert_int_equal(cc_dns_name_to_wire(text, wire, sizeof(wire), NULL), 255);
	assert_memory_equal(wire, big, 255);

	/* Pointers: backwards is followed, forwards and onto itself refused. */
	const uint8_t msg[] = { 1, 'a', 0, 1, 'b', 0xc0, 0, 0xc0, 9, 0xc0, 7, 0xc0 };
	pos = 3;
	assert_int_equal(cc_dns_name_from_wire(msg, sizeof(msg), &pos, text, NULL), 0);
	assert_string_equal(text, "b.a");
	assert_int_equal(pos, 7);
	pos = 7;
	assert_int_equal(cc_dns_name_from_wire(msg, sizeof(msg), &pos, text, NULL), -EBADMSG);
	pos = 9;
	assert_int_equal(cc_dns_name_from_wire(msg, sizeof(msg), &pos, text, NULL), -EBADMSG);
	pos = 11; /* a pointer cut in half */
	assert_int_equal(cc_dns_name_from_wire(msg, sizeof(msg), &pos, text, NULL), -EBADMSG);
}

static void test_name_in_zone(void **state)
{
	assert_true(cc_dns_name_in_zone("cluster.local", "cluster.local"));
	assert_true(cc_dns_name_in_zone("api.default.svc.Cluster.Local", "cluster.local."));
	assert_true(cc_dns_name_in_zone("anything.example", ""));
	assert_false(cc_dns_name_in_zone("mycluster.local", "cluster.local"));
	assert_false(cc_dns_name_in_zone("local", "cluster.local"));
	/* An escaped dot is part of a label: "x.cluster" then "local". */
	assert_false(cc_dns_name_in_zone("x\\046cluster.local", "cluster.local"));
	assert_false(cc_dns_name_in_zone("x\\.cluster.local", "cluster.local"));
	assert_true(cc_dns_name_in_zone("x\\.cluster.local", "local"));
	assert_true(cc_dns_name_in_zone("x\\.cluster.local", "X\\046Cluster.local"));
	assert_false(cc_dns_name_in_zone("a..b", ""));
}

/* ---- writing errors ---- */

static void test_write_refused(void **state)
{
	struct cc_dns_query q;
	parse_ok(query_a, sizeof(query_a), &q);
	struct cc_buf out = CC_BUF_INIT;
	struct cc_error err = { 0 };
	cc_buf_append_str(&out, "kept");
	assert_int_equal(cc_dns_write_answer(&q, 16, true, false, NULL, 0, NULL, 0, false, &out, &err), -EINVAL);
	struct cc_dns_record r[2] = { a_record("ok.cluster.local", 1, 2, 3, 4), record(CC_DNS_NS, "x") };
	assert_int_equal(cc_dns_write_answer(&q, 0, true, false, r, 2, NULL, 0, false, &out, &err), -EINVAL);
	assert_non_null(strstr(err.message, "record 1"));
	r[1] = a_record("bad..name", 1, 2, 3, 4);
	assert_int_equal(cc_dns_write_answer(&q, 0, true, false, r, 2, NULL, 0, false, &out, &err), -EINVAL);
	assert_non_null(strstr(err.message, "bad..name"));
	assert_int_equal(cc_dns_write_answer(&q, CC_DNS_NXDOMAIN, true, false, NULL, 0, "a..b", 0, false, &out, &err),
			 -EINVAL);
	assert_int_equal(out.len, 4);
	assert_string_equal(out.data, "kept");
	cc_buf_free(&out);

	/* A buffer limit below the answer: -EMSGSIZE, the buffer as it was. */
	cc_buf_init_limited(&out, 40);
	cc_buf_append_str(&out, "kept");
	assert_int_equal(cc_dns_write_answer(&q, 0, true, false, r, 1, NULL, 0, false, &out, &err), -EMSGSIZE);
	assert_int_equal(out.len, 4);
	cc_buf_free(&out);
}

/* Appending after other bytes (a TCP length put in front later, say): offsets are the message's own. */
static void test_write_after_prefix(void **state)
{
	struct cc_dns_query q;
	parse_ok(query_cname, sizeof(query_cname), &q);
	struct cc_dns_record r[2] = {
		name_record(CC_DNS_CNAME, "alias.default.svc.cluster.local", "api.default.svc.cluster.local"),
		a_record("api.default.svc.cluster.local", 10, 96, 0, 10),
	};
	struct cc_buf out = CC_BUF_INIT;
	cc_buf_append(&out, "\0\0", 2);
	assert_int_equal(cc_dns_write_answer(&q, 0, true, false, r, 2, NULL, 0, true, &out, NULL), 0);
	assert_int_equal(out.len - 2, sizeof(answer_cname));
	assert_memory_equal(out.data + 2, answer_cname, sizeof(answer_cname));
	cc_buf_free(&out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_query),
		cmocka_unit_test(test_answer_a),
		cmocka_unit_test(test_answer_keeps_query_case),
		cmocka_unit_test(test_answer_aaaa),
		cmocka_unit_test(test_answer_srv),
		cmocka_unit_test(test_answer_ptr),
		cmocka_unit_test(test_answer_cname_compressed),
		cmocka_unit_test(test_answer_nxdomain_soa),
		cmocka_unit_test(test_answer_flags),
		cmocka_unit_test(test_answer_hand_made_query),
		cmocka_unit_test(test_truncation),
		cmocka_unit_test(test_edns_size),
		cmocka_unit_test(test_short_and_truncated),
		cmocka_unit_test(test_bad_counts),
		cmocka_unit_test(test_response_and_opcode),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_bad_additional),
		cmocka_unit_test(test_write_error),
		cmocka_unit_test(test_name_to_wire),
		cmocka_unit_test(test_name_from_wire),
		cmocka_unit_test(test_name_in_zone),
		cmocka_unit_test(test_write_refused),
		cmocka_unit_test(test_write_after_prefix),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
