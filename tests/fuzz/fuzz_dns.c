/* libFuzzer target: the DNS codec (lib/net/dns.c) as the cluster's name server drives it. Every input
 * is read as a query; one that parses is answered (records chosen from the input's bytes, owned by the
 * query's name and its parents, over UDP and TCP), and the answer is read back by a small reader here
 * that expands every name: it must end where the message ends, stay within the size asked for, carry
 * the query's id and question, and give back each record as written (which checks the compression
 * pointers). A query that does not parse gets the error answer, which must read back too. The name
 * codec must round-trip whatever the reader accepts. */
#include "lib/base/buf.h"
#include "lib/net/dns.h"

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define check(cond)                                                                                                    \
	do {                                                                                                           \
		if (!(cond))                                                                                           \
			abort();                                                                                       \
	} while (0)

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

/* The record's data as text ("" for addresses, compared as bytes). */
static const char *record_target(const struct cc_dns_record *r)
{
	return r->type == CC_DNS_SRV ? r->data.srv.target : r->data.name;
}

/* Reads one answer record at *pos and compares it with want (NULL: only read it). */
static void read_record(const uint8_t *msg, size_t len, size_t *pos, const struct cc_dns_record *want)
{
	char name[CC_DNS_TEXT_MAX];
	check(cc_dns_name_from_wire(msg, len, pos, name, NULL) == 0);
	check(len - *pos >= 10);
	uint16_t type = be16(msg + *pos), rdlength = be16(msg + *pos + 8);
	*pos += 10;
	check(len - *pos >= rdlength);
	size_t rd = *pos, end = *pos + rdlength;
	*pos = end;
	if (type == CC_DNS_SOA) {
		check(cc_dns_name_from_wire(msg, end, &rd, name, NULL) == 0);
		check(cc_dns_name_from_wire(msg, end, &rd, name, NULL) == 0);
		check(end - rd == 20);
	}
	if (!want)
		return;
	check(strcmp(name, want->name) == 0 && type == want->type);
	if (type == CC_DNS_A || type == CC_DNS_AAAA) {
		check(rdlength == (type == CC_DNS_A ? 4 : 16) && memcmp(msg + rd, want->data.aaaa, rdlength) == 0);
		return;
	}
	if (type == CC_DNS_SRV) {
		check(rdlength > 6 && be16(msg + rd + 4) == want->data.srv.port);
		rd += 6;
	}
	check(cc_dns_name_from_wire(msg, end, &rd, name, NULL) == 0 && rd == end);
	check(strcmp(name, record_target(want)) == 0);
}

/* Reads an answer as a client would; returns the records read in the answer section. */
static unsigned read_answer(const uint8_t *msg, size_t len, uint16_t id, const char *qname,
			    const struct cc_dns_record *recs, size_t count)
{
	check(len >= 12 && be16(msg) == id && (msg[2] & 0x80));
	unsigned qd = be16(msg + 4), an = be16(msg + 6), ns = be16(msg + 8), ar = be16(msg + 10);
	size_t pos = 12;
	char name[CC_DNS_TEXT_MAX];
	check(qd <= 1 && an <= count);
	if (qd) {
		check(cc_dns_name_from_wire(msg, len, &pos, name, NULL) == 0 && len - pos >= 4);
		check(!qname || strcmp(name, qname) == 0);
		pos += 4;
	}
	for (unsigned i = 0; i < an + ns + ar; i++)
		read_record(msg, len, &pos, i < an ? &recs[i] : NULL);
	check(pos == len);
	return an;
}

/* Canonical text round-trips through the wire form, and every parent is in the zone of its name. */
static void check_name(const char *text, const uint8_t *wire, size_t wire_len)
{
	uint8_t again[CC_DNS_NAME_MAX];
	check(cc_dns_name_to_wire(text, again, sizeof(again), NULL) == (int)wire_len);
	for (size_t i = 0; i < wire_len; i++)
		check(again[i] == lower(wire[i]));
	check(cc_dns_name_in_zone(text, text) && cc_dns_name_in_zone(text, ""));
	for (const char *dot = strchr(text, '.'); dot; dot = strchr(dot + 1, '.'))
		check(cc_dns_name_in_zone(text, dot + 1));
}

/* Records picked by the input's bytes: owners the query's name or a parent, data the name. */
static size_t make_records(const struct cc_dns_query *q, const uint8_t *data, size_t size, struct cc_dns_record *recs,
			   size_t max)
{
	static const uint16_t types[] = { CC_DNS_A, CC_DNS_AAAA, CC_DNS_SRV, CC_DNS_PTR, CC_DNS_CNAME };
	size_t count = size ? data[size - 1] % max : 0;
	const char *parent = strchr(q->name, '.');
	for (size_t i = 0; i < count; i++) {
		uint8_t b = data[i % size];
		struct cc_dns_record *r = &recs[i];
		memset(r, 0, sizeof(*r));
		r->type = types[b % 5];
		r->ttl = b;
		strcpy(r->name, (b & 0x20) && parent ? parent + 1 : q->name);
		memset(r->data.aaaa, b, sizeof(r->data.aaaa));
		r->data.srv.port = b;
		strcpy(r->type == CC_DNS_SRV ? r->data.srv.target : r->data.name,
		       (b & 0x40) && parent ? parent + 1 : q->name);
	}
	return count;
}

static void answer(const struct cc_dns_query *q, const uint8_t *data, size_t size)
{
	static struct cc_dns_record recs[48];
	size_t count = make_records(q, data, size, recs, 48);
	const char *parent = strchr(q->name, '.');
	const char *zone = size > 1 && (data[1] & 1) ? (parent ? parent + 1 : q->name) : NULL;
	int rcode = size > 1 ? data[1] % 6 : 0;
	bool soa = zone && (rcode == CC_DNS_NXDOMAIN || (rcode == CC_DNS_NOERROR && count == 0));
	for (int tcp = 0; tcp < 2; tcp++) {
		struct cc_buf out = CC_BUF_INIT;
		int r = cc_dns_write_answer(q, rcode, true, false, recs, count, zone, 30, tcp, &out, NULL);
		if (r < 0) {
			/* Only a zone too long for hostmaster.<zone> is refused. */
			uint8_t wire[CC_DNS_NAME_MAX];
			check(r == -EINVAL && soa && cc_dns_name_to_wire(zone, wire, sizeof(wire), NULL) + 11 > 255);
			check(out.len == 0);
			cc_buf_free(&out); /* the writer rolls back the length; the caller's buffer is the caller's */
			return;
		}
		check(tcp || out.len <= q->udp_size);
		unsigned an = read_answer((const uint8_t *)out.data, out.len, q->id, q->name, recs, count);
		bool tc = out.data[2] & 0x02;
		/* 48 records of at most 273 bytes always fit 65535; TC exactly when something was left out. */
		check(an == count || (!tcp && tc));
		check(!tc || an < count || (soa && be16((const uint8_t *)out.data + 8) == 0));
		check((out.data[3] & 0xf) == rcode);
		cc_buf_free(&out);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cc_dns_query q;
	struct cc_error err = { 0 };
	int r = cc_dns_parse_query(data, size, &q, &err);
	if (r == 0) {
		check(q.udp_size >= 512 && q.udp_size <= 4096);
		check_name(q.name, q.wire_name, q.wire_name_len);
		answer(&q, data, size);
	} else {
		check((r == -EBADMSG || r == -ENOTSUP) && err.message[0]);
		struct cc_buf out = CC_BUF_INIT;
		cc_dns_write_error(data, size, r == -ENOTSUP ? CC_DNS_NOTIMP : CC_DNS_FORMERR, &out);
		if (out.len)
			read_answer((const uint8_t *)out.data, out.len, be16(data), NULL, NULL, 0);
		check(out.len || size < 2 || (size >= 4 && (data[2] & 0x80)));
		cc_buf_free(&out);
	}
	/* The name reader on its own, at the first offsets: what it accepts round-trips. */
	for (size_t pos = 0; pos < size && pos < 16; pos++) {
		char text[CC_DNS_TEXT_MAX];
		size_t at = pos;
		if (cc_dns_name_from_wire(data, size, &at, text, NULL) < 0)
			continue;
		check(at > pos && at <= size);
		uint8_t wire[CC_DNS_NAME_MAX];
		int n = cc_dns_name_to_wire(text, wire, sizeof(wire), NULL);
		check(n > 0);
		size_t again_at = 0;
		char again[CC_DNS_TEXT_MAX];
		check(cc_dns_name_from_wire(wire, (size_t)n, &again_at, again, NULL) == 0 && again_at == (size_t)n);
		check(strcmp(text, again) == 0);
	}
	return 0;
}
