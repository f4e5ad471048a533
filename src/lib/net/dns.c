/* DNS wire format (see dns.h). Reading: every length and count from the wire is checked against the
 * bytes that remain before it is used, and a name is gathered into a 255-byte array, so nothing in a
 * query can make the reader loop or read out of bounds; compression pointers are refused in the
 * question (a query has nothing to point at) and followed only backwards elsewhere, which rules out
 * loops. Writing: the answer is built in place in the caller's buffer, a record at a time, and a
 * record that takes the message past its size is taken back and TC set. */
#include "lib/net/dns.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define HEADER_LEN   12
#define TCP_MAX      65535
#define OPT_LEN      11   /* root owner, type, class, TTL, RDLENGTH 0 */
#define OPT_SIZE     1232 /* the UDP size our OPT advertises (DNS Flag Day 2020: no fragments) */
#define LABEL_MAX    63
#define PTR_MAX      0x3fff /* a compression pointer has 14 bits of offset (RFC 1035 §4.1.4) */
#define COMPRESS_MAX 128    /* names' suffixes remembered as pointer targets; beyond, names go uncompressed */

/* Header flags (RFC 1035 §4.1.1). */
#define FLAG_QR     0x8000
#define FLAG_OPCODE 0x7800
#define FLAG_AA     0x0400
#define FLAG_TC     0x0200
#define FLAG_RD     0x0100
#define FLAG_RA     0x0080

/* SOA timers as CoreDNS's kubernetes plugin writes them. */
#define SOA_SERIAL  1
#define SOA_REFRESH 7200
#define SOA_RETRY   1800
#define SOA_EXPIRE  86400

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- names ---- */

/* Reads the name at *pos into wire (uncompressed, case kept, at most CC_DNS_NAME_MAX bytes) and moves
 * *pos past the name's bytes at *pos. A pointer must point before the start of the run of labels it
 * ends, so the runs start ever earlier and the walk ends (RFC 1035 §4.1.4 points at a "prior
 * occurrence"); pointers are refused altogether unless allow_pointers. */
static int read_name(const uint8_t *msg, size_t len, size_t *pos, bool allow_pointers, uint8_t *wire, size_t *ret_len,
		     struct cc_error *err)
{
	size_t p = *pos, run_start = *pos, end = 0, n = 0;
	for (;;) {
		if (p >= len)
			return cc_error_set(err, EBADMSG, "DNS name at offset %zu runs past the message's end", *pos);
		uint8_t b = msg[p];
		if ((b & 0xc0) == 0xc0) {
			if (!allow_pointers)
				return cc_error_set(err, EBADMSG, "compression pointer in a query's question");
			if (p + 1 >= len)
				return cc_error_set(err, EBADMSG, "DNS compression pointer cut off at offset %zu", p);
			size_t target = (size_t)(get16(msg + p) & PTR_MAX);
			if (target >= run_start)
				return cc_error_set(err, EBADMSG,
						    "DNS compression pointer at offset %zu points forward or loops", p);
			if (!end)
				end = p + 2;
			p = run_start = target;
			continue;
		}
		if (b & 0xc0) /* 0x40 and 0x80: extended and bit-string labels, obsolete (RFC 6891 §5) */
			return cc_error_set(err, EBADMSG, "DNS label type 0x%02x at offset %zu is not supported", b, p);
		if (n + 1 + b > CC_DNS_NAME_MAX)
			return cc_error_set(err, EBADMSG, "DNS name at offset %zu is longer than 255 bytes", *pos);
		if (b == 0)
			break;
		if (p + 1 + b > len)
			return cc_error_set(err, EBADMSG, "DNS label at offset %zu runs past the message's end", p);
		memcpy(wire + n, msg + p, 1 + (size_t)b);
		n += 1 + (size_t)b;
		p += 1 + (size_t)b;
	}
	wire[n++] = 0;
	*pos = end ? end : p + 1;
	*ret_len = n;
	return 0;
}

/* ASCII only, whatever the locale (RFC 4343: DNS compares names without regard to ASCII case). */
static uint8_t lower(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c - 'A' + 'a') : c;
}

static bool digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool plain_char(uint8_t c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* An uncompressed wire name (as read_name leaves it) as canonical text. A name of at most 255 bytes
 * has at most 250 bytes in labels when it has four or more labels (each costs a length byte), and
 * at most 189 with three: escaped, 4 * 250 + 3 dots = 1003 characters at worst, which text holds. */
static void wire_to_text(const uint8_t *wire, char text[CC_DNS_TEXT_MAX])
{
	size_t t = 0;
	for (size_t i = 0; wire[i]; i += 1 + (size_t)wire[i]) {
		if (i)
			text[t++] = '.';
		for (size_t j = 1; j <= wire[i]; j++) {
			uint8_t c = lower(wire[i + j]);
			if (plain_char(c)) {
				text[t++] = (char)c;
			} else {
				snprintf(text + t, 5, "\\%03u", c);
				t += 4;
			}
		}
	}
	text[t] = '\0';
}

int cc_dns_name_from_wire(const void *msg, size_t len, size_t *pos, char text[CC_DNS_TEXT_MAX], struct cc_error *err)
{
	uint8_t wire[CC_DNS_NAME_MAX];
	size_t wire_len;
	int r = read_name(msg, len, pos, true, wire, &wire_len, err);
	if (r < 0)
		return r;
	wire_to_text(wire, text);
	return 0;
}

/* One character of a label in text at *s, escapes decoded (RFC 1035 §5.1: \DDD and \X). */
static int text_char(const char **s, uint8_t *ret)
{
	const char *p = *s;
	if (*p != '\\') {
		*ret = (uint8_t)*p;
		*s = p + 1;
		return 0;
	}
	if (digit(p[1])) {
		if (!digit(p[2]) || !digit(p[3]))
			return -EINVAL;
		unsigned v = (unsigned)(p[1] - '0') * 100 + (unsigned)(p[2] - '0') * 10 + (unsigned)(p[3] - '0');
		if (v > 255)
			return -EINVAL;
		*ret = (uint8_t)v;
		*s = p + 4;
		return 0;
	}
	if (!p[1])
		return -EINVAL;
	*ret = (uint8_t)p[1];
	*s = p + 2;
	return 0;
}

int cc_dns_name_to_wire(const char *text, uint8_t *out, size_t size, struct cc_error *err)
{
	uint8_t wire[CC_DNS_NAME_MAX];
	size_t n = 0;
	const char *s = text;
	if (strcmp(s, ".") == 0)
		s++;
	while (*s) {
		size_t label = n++; /* the length byte, filled once the label is read */
		while (*s && *s != '.') {
			uint8_t c;
			if (text_char(&s, &c) < 0)
				return cc_error_set(err, EINVAL, "DNS name `%.300s`: bad escape", text);
			if (n - label > LABEL_MAX)
				return cc_error_set(err, EINVAL, "DNS name `%.300s`: a label is longer than 63 bytes",
						    text);
			if (n + 1 >= CC_DNS_NAME_MAX) /* c at n and the root's 0 after it */
				return cc_error_set(err, EINVAL, "DNS name `%.300s` is longer than 255 bytes", text);
			wire[n++] = c;
		}
		if (n - label == 1)
			return cc_error_set(err, EINVAL, "DNS name `%.300s` has an empty label", text);
		wire[label] = (uint8_t)(n - label - 1);
		if (*s == '.')
			s++; /* a trailing dot ends the name as the end of the text does */
	}
	wire[n++] = 0;
	if (n > size)
		return cc_error_set(err, EINVAL, "DNS name `%.300s` does not fit %zu bytes", text, size);
	memcpy(out, wire, n);
	return (int)n;
}

static bool label_equal(const uint8_t *a, const uint8_t *b)
{
	if (a[0] != b[0])
		return false;
	for (size_t i = 1; i <= a[0]; i++)
		if (lower(a[i]) != lower(b[i]))
			return false;
	return true;
}

bool cc_dns_name_in_zone(const char *name, const char *zone)
{
	uint8_t n[CC_DNS_NAME_MAX], z[CC_DNS_NAME_MAX];
	int n_len = cc_dns_name_to_wire(name, n, sizeof(n), NULL);
	int z_len = cc_dns_name_to_wire(zone, z, sizeof(z), NULL);
	if (n_len < 0 || z_len < 0 || n_len < z_len)
		return false;
	size_t i = 0;
	while ((size_t)(n_len - z_len) > i)
		i += 1 + (size_t)n[i];
	if (i != (size_t)(n_len - z_len))
		return false; /* the zone's length falls inside a label of the name */
	for (size_t j = 0; z[j]; j += 1 + (size_t)z[j])
		if (!label_equal(n + i + j, z + j))
			return false;
	return true;
}

/* ---- reading a query ---- */

/* Skips one resource record of the additional section; an OPT (RFC 6891 §6.1) sets the UDP size. */
static int read_additional(const uint8_t *msg, size_t len, size_t *pos, struct cc_dns_query *q, struct cc_error *err)
{
	uint8_t owner[CC_DNS_NAME_MAX];
	size_t owner_len;
	int r = read_name(msg, len, pos, true, owner, &owner_len, err);
	if (r < 0)
		return r;
	if (len - *pos < 10)
		return cc_error_set(err, EBADMSG, "DNS record at offset %zu is cut off", *pos);
	const uint8_t *fixed = msg + *pos;
	uint16_t rdlength = get16(fixed + 8);
	*pos += 10;
	if (len - *pos < rdlength)
		return cc_error_set(err, EBADMSG, "DNS record data at offset %zu runs past the message's end", *pos);
	*pos += rdlength;
	if (get16(fixed) != CC_DNS_OPT)
		return 0;
	if (q->edns)
		return cc_error_set(err, EBADMSG, "DNS query with two OPT records"); /* RFC 6891 §6.1.1 */
	if (owner_len != 1)
		return cc_error_set(err, EBADMSG, "DNS OPT record with an owner name other than the root");
	uint16_t size = get16(fixed + 2); /* §6.1.2: CLASS is the requestor's UDP payload size */
	q->edns = true;
	q->udp_size = size < CC_DNS_UDP_MIN ? CC_DNS_UDP_MIN : size > CC_DNS_UDP_MAX ? CC_DNS_UDP_MAX : size;
	return 0;
}

/* The header's checks, after which only the question and the additional section are left. */
static int check_header(const uint8_t *msg, struct cc_error *err)
{
	uint16_t flags = get16(msg + 2);
	if (flags & FLAG_QR)
		return cc_error_set(err, EBADMSG, "DNS message is a response (QR=1), not a query");
	if (flags & FLAG_OPCODE)
		return cc_error_set(err, ENOTSUP, "DNS opcode %u is not supported, only QUERY",
				    (unsigned)(flags & FLAG_OPCODE) >> 11);
	if (get16(msg + 4) != 1)
		return cc_error_set(err, EBADMSG, "DNS query has %u questions, not one", get16(msg + 4));
	if (get16(msg + 6) || get16(msg + 8))
		return cc_error_set(err, EBADMSG, "DNS query has records in its answer or authority section");
	return 0;
}

int cc_dns_parse_query(const void *data, size_t len, struct cc_dns_query *ret, struct cc_error *err)
{
	const uint8_t *msg = data;
	if (len < HEADER_LEN)
		return cc_error_set(err, EBADMSG, "DNS message of %zu bytes is shorter than its header", len);
	ret->id = get16(msg);
	ret->flags = get16(msg + 2);
	int r = check_header(msg, err);
	if (r < 0)
		return r;
	struct cc_dns_query q = { .id = ret->id, .flags = ret->flags, .udp_size = CC_DNS_UDP_MIN };
	size_t pos = HEADER_LEN;
	r = read_name(msg, len, &pos, false, q.wire_name, &q.wire_name_len, err);
	if (r < 0)
		return r;
	if (len - pos < 4)
		return cc_error_set(err, EBADMSG, "DNS question is cut off after its name");
	q.type = get16(msg + pos);
	q.class = get16(msg + pos + 2);
	pos += 4;
	for (unsigned i = get16(msg + 10); i > 0; i--) {
		r = read_additional(msg, len, &pos, &q, err);
		if (r < 0)
			return r;
	}
	if (pos != len)
		return cc_error_set(err, EBADMSG, "DNS query has %zu bytes after its last record", len - pos);
	wire_to_text(q.wire_name, q.name);
	*ret = q;
	return 0;
}

/* ---- writing an answer ---- */

struct dns_writer {
	struct cc_buf *out;
	size_t start;                   /* the message's first byte in out */
	size_t limit;                   /* the most bytes the records may take the message to */
	uint16_t targets[COMPRESS_MAX]; /* offsets of names' suffixes written before: pointer targets */
	size_t n_targets;
	uint16_t counts[3]; /* answer, authority, additional */
	bool truncated;
	struct cc_error *err;
};

static size_t writer_len(const struct dns_writer *w)
{
	return w->out->len - w->start;
}

static int put(struct dns_writer *w, const void *data, size_t len)
{
	if (cc_buf_append(w->out, data, len) < 0)
		return cc_error_set(w->err, EMSGSIZE, "DNS answer does not fit the output buffer");
	return 0;
}

static int put16_at_end(struct dns_writer *w, uint16_t v)
{
	uint8_t b[2];
	put16(b, v);
	return put(w, b, 2);
}

static int put32_at_end(struct dns_writer *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return put(w, b, 4);
}

/* Whether the name written at off (labels, maybe ending in a pointer) equals the wire suffix, without
 * regard to case. We wrote what is at off, but the step bound keeps a mistake from looping. */
static bool written_name_equals(const struct dns_writer *w, size_t off, const uint8_t *suffix)
{
	const uint8_t *msg = (const uint8_t *)w->out->data + w->start;
	size_t len = writer_len(w);
	for (int steps = 0; steps < 2 * CC_DNS_NAME_MAX; steps++) {
		if (off >= len)
			return false;
		if ((msg[off] & 0xc0) == 0xc0) {
			if (off + 1 >= len)
				return false;
			off = get16(msg + off) & PTR_MAX;
			continue;
		}
		if (off + 1 + msg[off] > len || !label_equal(msg + off, suffix))
			return false;
		if (msg[off] == 0)
			return true;
		suffix += 1 + suffix[0];
		off += 1 + (size_t)msg[off];
	}
	return false;
}

/* The offset of an earlier name equal to suffix, or 0 (the header: never a name). */
static uint16_t find_target(const struct dns_writer *w, const uint8_t *suffix)
{
	for (size_t i = 0; i < w->n_targets; i++)
		if (written_name_equals(w, w->targets[i], suffix))
			return w->targets[i];
	return 0;
}

/* Writes an uncompressed wire name, as a pointer to the longest earlier suffix when compress (RFC 1035
 * §4.1.4), and remembers the suffixes written here as targets for later names. */
static int write_name(struct dns_writer *w, const uint8_t *wire, bool compress)
{
	size_t i = 0;
	uint16_t target = 0;
	for (; wire[i]; i += 1 + (size_t)wire[i]) {
		if (compress && (target = find_target(w, wire + i)))
			break;
		size_t off = writer_len(w) + i;
		if (off <= PTR_MAX && w->n_targets < COMPRESS_MAX)
			w->targets[w->n_targets++] = (uint16_t)off;
	}
	int r = put(w, wire, i);
	if (r < 0)
		return r;
	if (target)
		return put16_at_end(w, (uint16_t)(0xc000 | target));
	return put(w, "", 1);
}

/* Converts a record's name and writes it; the message names the record. */
static int write_text_name(struct dns_writer *w, const char *text, bool compress, const char *what)
{
	uint8_t wire[CC_DNS_NAME_MAX];
	if (cc_dns_name_to_wire(text, wire, sizeof(wire), w->err) < 0)
		return cc_error_prefix(w->err, "%s", what);
	return write_name(w, wire, compress);
}

/* TYPE, CLASS IN, TTL and a RDLENGTH of 0 filled in by end_rdata; returns where RDLENGTH is. */
static int begin_rdata(struct dns_writer *w, uint16_t type, uint32_t ttl, size_t *ret_rdlength)
{
	int r;
	if ((r = put16_at_end(w, type)) < 0 || (r = put16_at_end(w, CC_DNS_CLASS_IN)) < 0 ||
	    (r = put32_at_end(w, ttl)) < 0)
		return r;
	*ret_rdlength = w->out->len;
	return put16_at_end(w, 0);
}

static void end_rdata(struct dns_writer *w, size_t rdlength_at)
{
	put16((uint8_t *)w->out->data + rdlength_at, (uint16_t)(w->out->len - rdlength_at - 2));
}

static int write_rdata(struct dns_writer *w, const struct cc_dns_record *rec, const char *what)
{
	switch (rec->type) {
	case CC_DNS_A: return put(w, rec->data.a, 4);
	case CC_DNS_AAAA: return put(w, rec->data.aaaa, 16);
	case CC_DNS_PTR:
	case CC_DNS_CNAME: return write_text_name(w, rec->data.name, true, what);
	case CC_DNS_SRV: {
		int r;
		if ((r = put16_at_end(w, rec->data.srv.priority)) < 0 ||
		    (r = put16_at_end(w, rec->data.srv.weight)) < 0 || (r = put16_at_end(w, rec->data.srv.port)) < 0)
			return r;
		/* RFC 2782: "name compression is not to be used for this field". */
		return write_text_name(w, rec->data.srv.target, false, what);
	}
	default: return cc_error_set(w->err, EINVAL, "%s: type %u cannot be written", what, rec->type);
	}
}

static int write_record(struct dns_writer *w, const struct cc_dns_record *rec, size_t index)
{
	char what[64];
	snprintf(what, sizeof(what), "DNS record %zu", index);
	size_t rdlength_at;
	int r = write_text_name(w, rec->name, true, what);
	if (r < 0 || (r = begin_rdata(w, rec->type, rec->ttl, &rdlength_at)) < 0 || (r = write_rdata(w, rec, what)) < 0)
		return r;
	end_rdata(w, rdlength_at);
	return 0;
}

/* The SOA of a negative answer (RFC 2308 §3), names as CoreDNS's kubernetes plugin gives them. */
static int write_soa(struct dns_writer *w, const char *zone, uint32_t ttl)
{
	uint8_t z[CC_DNS_NAME_MAX], name[CC_DNS_NAME_MAX];
	int z_len = cc_dns_name_to_wire(zone, z, sizeof(z), w->err);
	if (z_len < 0)
		return cc_error_prefix(w->err, "SOA zone");
	if ((size_t)z_len + 11 > CC_DNS_NAME_MAX)
		return cc_error_set(w->err, EINVAL, "SOA zone `%s` is too long for hostmaster.<zone>", zone);
	size_t rdlength_at;
	int r = write_name(w, z, true);
	if (r < 0 || (r = begin_rdata(w, CC_DNS_SOA, ttl, &rdlength_at)) < 0)
		return r;
	memcpy(name, "\2ns\3dns", 7);
	memcpy(name + 7, z, (size_t)z_len);
	if ((r = write_name(w, name, true)) < 0)
		return r;
	memcpy(name, "\12hostmaster", 11);
	memcpy(name + 11, z, (size_t)z_len);
	if ((r = write_name(w, name, true)) < 0)
		return r;
	const uint32_t timers[] = { SOA_SERIAL, SOA_REFRESH, SOA_RETRY, SOA_EXPIRE, ttl };
	for (size_t i = 0; i < 5; i++)
		if ((r = put32_at_end(w, timers[i])) < 0)
			return r;
	end_rdata(w, rdlength_at);
	return 0;
}

/* Where the message stood before a record, to take the record back when it does not fit. */
struct writer_mark {
	size_t len, n_targets;
};

static struct writer_mark writer_mark(const struct dns_writer *w)
{
	return (struct writer_mark){ w->out->len, w->n_targets };
}

/* Counts the record written since mark in section, or, when it took the message past its limit,
 * takes it back (and the pointer targets it added) and sets TC: nothing more is written then. */
static void writer_fit(struct dns_writer *w, struct writer_mark mark, int section)
{
	if (writer_len(w) <= w->limit) {
		w->counts[section]++;
		return;
	}
	w->out->len = mark.len;
	w->out->data[mark.len] = '\0';
	w->n_targets = mark.n_targets;
	w->truncated = true;
}

/* The header with zero counts and the question (from the bytes as sent when the query was parsed). */
static int write_question(struct dns_writer *w, const struct cc_dns_query *q)
{
	uint8_t header[HEADER_LEN] = { 0 };
	put16(header + 4, 1);
	int r = put(w, header, HEADER_LEN);
	if (r < 0)
		return r;
	uint8_t wire[CC_DNS_NAME_MAX];
	const uint8_t *name = q->wire_name;
	if (!q->wire_name_len || q->wire_name_len > CC_DNS_NAME_MAX) {
		if (cc_dns_name_to_wire(q->name, wire, sizeof(wire), w->err) < 0)
			return cc_error_prefix(w->err, "DNS question");
		name = wire;
	}
	if ((r = write_name(w, name, false)) < 0 || (r = put16_at_end(w, q->type)) < 0)
		return r;
	return put16_at_end(w, q->class);
}

static void finish_header(struct dns_writer *w, const struct cc_dns_query *q, int rcode, bool aa, bool ra)
{
	uint8_t *h = (uint8_t *)w->out->data + w->start;
	uint16_t flags = FLAG_QR | (q->flags & (FLAG_OPCODE | FLAG_RD)) | (uint16_t)rcode;
	flags |= (aa ? FLAG_AA : 0) | (ra ? FLAG_RA : 0) | (w->truncated ? FLAG_TC : 0);
	put16(h, q->id);
	put16(h + 2, flags);
	put16(h + 6, w->counts[0]);
	put16(h + 8, w->counts[1]);
	put16(h + 10, w->counts[2]);
}

static int write_answer(struct dns_writer *w, const struct cc_dns_query *q, int rcode,
			const struct cc_dns_record *records, size_t count, const char *soa_zone, uint32_t soa_ttl)
{
	int r = write_question(w, q);
	if (r < 0)
		return r;
	/* Each record takes at least 12 bytes, so the 65535-byte limit ends this before a count overflows. */
	for (size_t i = 0; i < count && !w->truncated; i++) {
		struct writer_mark mark = writer_mark(w);
		if ((r = write_record(w, &records[i], i)) < 0)
			return r;
		writer_fit(w, mark, 0);
	}
	bool negative = rcode == CC_DNS_NXDOMAIN || (rcode == CC_DNS_NOERROR && count == 0);
	if (soa_zone && negative && !w->truncated) {
		struct writer_mark mark = writer_mark(w);
		if ((r = write_soa(w, soa_zone, soa_ttl)) < 0)
			return r;
		writer_fit(w, mark, 1);
	}
	if (!q->edns)
		return 0;
	/* RFC 6891 §6.1.2: our UDP size in CLASS; extended RCODE, version and flags 0; no options. */
	static const uint8_t opt[OPT_LEN] = { 0, 0, CC_DNS_OPT, OPT_SIZE >> 8, OPT_SIZE & 0xff };
	w->counts[2]++;
	return put(w, opt, OPT_LEN);
}

int cc_dns_write_answer(const struct cc_dns_query *q, int rcode, bool authoritative, bool recursion_available,
			const struct cc_dns_record *records, size_t count, const char *soa_zone, uint32_t soa_ttl,
			bool tcp, struct cc_buf *out, struct cc_error *err)
{
	if (rcode < 0 || rcode > 15)
		return cc_error_set(err, EINVAL, "DNS rcode %d does not fit the header (0 to 15)", rcode);
	struct dns_writer w = { .out = out, .start = out->len, .err = err };
	size_t size = q->udp_size < CC_DNS_UDP_MIN ? CC_DNS_UDP_MIN : q->udp_size;
	/* The OPT is written after the records, so their limit leaves room for it. */
	w.limit = (tcp ? TCP_MAX : size) - (q->edns ? OPT_LEN : 0);
	int r = write_answer(&w, q, rcode, records, count, soa_zone, soa_ttl);
	if (r < 0) {
		out->len = w.start;
		if (out->data)
			out->data[w.start] = '\0';
		return r;
	}
	finish_header(&w, q, rcode, authoritative, recursion_available);
	return 0;
}

/* The question of a refused query, as its bytes, when there is exactly one and it reads. */
static size_t readable_question(const uint8_t *msg, size_t len)
{
	if (len < HEADER_LEN || get16(msg + 4) != 1)
		return 0;
	uint8_t wire[CC_DNS_NAME_MAX];
	size_t pos = HEADER_LEN, wire_len;
	if (read_name(msg, len, &pos, false, wire, &wire_len, NULL) < 0 || len - pos < 4)
		return 0;
	return pos + 4 - HEADER_LEN;
}

void cc_dns_write_error(const void *query, size_t len, int rcode, struct cc_buf *out)
{
	const uint8_t *msg = query;
	if (len < 2)
		return;
	uint16_t flags = len >= 4 ? get16(msg + 2) : 0;
	if (flags & FLAG_QR)
		return;
	size_t question = readable_question(msg, len);
	uint8_t header[HEADER_LEN] = { msg[0], msg[1] };
	put16(header + 2, (uint16_t)(FLAG_QR | (flags & (FLAG_OPCODE | FLAG_RD)) | (rcode & 0xf)));
	put16(header + 4, question ? 1 : 0);
	size_t start = out->len;
	if (cc_buf_append(out, header, HEADER_LEN) < 0 || cc_buf_append(out, msg + HEADER_LEN, question) < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
}
