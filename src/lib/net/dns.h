/* DNS messages as a cluster's name server reads queries and writes answers (RFC 1035): the header, one
 * question, and answers of type A, AAAA (RFC 3596), SRV (RFC 2782), PTR and CNAME with name compression,
 * EDNS0's OPT record recognized (RFC 6891: its UDP size honoured, one OPT echoed), truncation for UDP.
 * No I/O: the server hands in a datagram (or a TCP message without its 2-byte length) and sends what
 * lands in the buffer. Untrusted input: fuzzed (tests/fuzz/fuzz_dns.c).
 *
 * Names as text are canonical, so the server can compare them with strcmp: lower-cased, labels joined
 * by '.', no trailing dot, "" for the root, and every byte outside [a-z0-9-_] written as \DDD (decimal,
 * RFC 1035 §5.1), so a '.' in the text always separates labels. cc_dns_name_to_wire reads that form
 * and also \c escapes, upper case and a trailing dot. */
#pragma once

#include "lib/base/buf.h"
#include "lib/base/error.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* RR types (RFC 1035 §3.2.2, RFC 3596, RFC 2782, RFC 6891) and QTYPE ANY. */
enum {
	CC_DNS_A = 1,
	CC_DNS_NS = 2,
	CC_DNS_CNAME = 5,
	CC_DNS_SOA = 6,
	CC_DNS_PTR = 12,
	CC_DNS_AAAA = 28,
	CC_DNS_SRV = 33,
	CC_DNS_OPT = 41,
	CC_DNS_ANY = 255,
};

enum { CC_DNS_CLASS_IN = 1 };

/* RCODEs (RFC 1035 §4.1.1). */
enum {
	CC_DNS_NOERROR = 0,
	CC_DNS_FORMERR = 1,
	CC_DNS_SERVFAIL = 2,
	CC_DNS_NXDOMAIN = 3,
	CC_DNS_NOTIMP = 4,
	CC_DNS_REFUSED = 5,
};

#define CC_DNS_NAME_MAX 255 /* wire length of a name (RFC 1035 §2.3.4); plain text is at most 253 characters */
/* Room for a name as text with its NUL. Plain names take at most 254 bytes; escaping every byte as
 * \DDD makes the longest possible name (four labels, 250 bytes) 1003 characters. */
#define CC_DNS_TEXT_MAX 1004
#define CC_DNS_UDP_MIN  512  /* RFC 1035 §4.2.1, and the floor for an OPT's size (RFC 6891 §6.2.5) */
#define CC_DNS_UDP_MAX  4096 /* the most we honour from a client's OPT */

struct cc_dns_query {
	uint16_t id;
	uint16_t flags;             /* as sent (the RD bit is copied into the answer) */
	char name[CC_DNS_TEXT_MAX]; /* canonical text (see the top of this file) */
	uint16_t type, class;
	uint16_t udp_size; /* 512, or the OPT's size (512 to 4096) */
	bool edns;         /* the query had an OPT record: the answer gets one */
	/* The name's wire form as sent, case kept, echoed in the answer's question: resolvers that
	 * randomize the case of a name (DNS 0x20) check the echo byte for byte. 0 in a query built by
	 * hand: the echo is then written from name. */
	uint8_t wire_name[CC_DNS_NAME_MAX];
	size_t wire_name_len;
};

/* Parses a query: QR=0, opcode QUERY, exactly one question whose name has no compression pointer (a
 * query has nothing to point at), answer and authority counts 0, additional records skipped except one
 * OPT (recognized: version and options ignored), nothing after the last record. Returns 0;
 * -EBADMSG for FORMERR material (malformed, truncated, not exactly one question, two OPTs, and also
 * a response, QR=1, which a server must drop rather than answer: see cc_dns_write_error);
 * -ENOTSUP for an opcode other than QUERY (answer NOTIMP). Unlike other ret_ parameters, ret->id and
 * ret->flags are filled whenever the 12-byte header was readable. */
int cc_dns_parse_query(const void *msg, size_t len, struct cc_dns_query *ret, struct cc_error *err);

struct cc_dns_record {
	char name[CC_DNS_TEXT_MAX]; /* owner name, text (escapes read as by cc_dns_name_to_wire) */
	uint16_t type;              /* A, AAAA, SRV, PTR or CNAME; class is IN */
	uint32_t ttl;
	union {
		uint8_t a[4];
		uint8_t aaaa[16];
		struct {
			uint16_t priority, weight, port;
			char target[CC_DNS_TEXT_MAX];
		} srv;
		char name[CC_DNS_TEXT_MAX]; /* PTR, CNAME */
	} data;
};

/* Appends the answer to q to out (the message starts at out->len, so a TCP length can be put in front
 * afterwards): the header (QR=1, AA and RA as given, RD copied from the query, rcode 0 to 15), the
 * question echoed, the records in order in the answer section, and for NXDOMAIN or a NOERROR without
 * records an SOA of soa_zone in the authority section when soa_zone is non-NULL (RFC 2308 §3: TTL and
 * minimum soa_ttl; mname ns.dns.<zone>, rname hostmaster.<zone>, serial 1, as CoreDNS's kubernetes
 * plugin does but for its serial), and an OPT when the query had one. Owner names, CNAME and PTR
 * targets and the SOA's names are compressed against earlier names; SRV targets are not (RFC 2782).
 * The message is kept within q->udp_size over UDP and 65535 bytes over TCP: the records that do not
 * fit are left out, from the first that does not fit on, and TC is set.
 * For a query that parsed but cannot be answered (SERVFAIL, REFUSED), call this with no records.
 * 0; -EINVAL for a record or zone this cannot write (the message names it); -EMSGSIZE past out's
 * limit. On error out is as it was. */
int cc_dns_write_answer(const struct cc_dns_query *q, int rcode, bool authoritative, bool recursion_available,
			const struct cc_dns_record *records, size_t count, const char *soa_zone, uint32_t soa_ttl,
			bool tcp, struct cc_buf *out, struct cc_error *err);

/* Appends an error answer (FORMERR, SERVFAIL, NOTIMP, REFUSED) for a query cc_dns_parse_query refused:
 * the id, opcode and RD, and the question when the query had exactly one that could be read. Appends
 * nothing when there is nothing to answer: fewer than 2 bytes (no id), or a response (QR=1; answering
 * it could start a loop between two servers): the server then sends nothing. */
void cc_dns_write_error(const void *query, size_t len, int rcode, struct cc_buf *out);

/* Text (as above) to an uncompressed wire name in out. Returns its length (1 for the root); -EINVAL
 * for an empty label, a label over 63 bytes, a name over 255 bytes, a bad escape, or size too small. */
int cc_dns_name_to_wire(const char *text, uint8_t *out, size_t size, struct cc_error *err);

/* Reads the name at *pos in msg, following compression pointers (only backwards, so a loop cannot
 * form), into canonical text and moves *pos past the name's bytes at *pos. 0; -EBADMSG when it is
 * malformed or runs past len. */
int cc_dns_name_from_wire(const void *msg, size_t len, size_t *pos, char text[CC_DNS_TEXT_MAX], struct cc_error *err);

/* Whether name equals zone or is below it ("a.b.cluster.local" in "cluster.local"), compared label by
 * label without regard to case; every name is in the root zone "". False when either is not a name. */
bool cc_dns_name_in_zone(const char *name, const char *zone);
