/* Output formats for security events, one file per format behind one interface (Fluent Bit's
 * plugin shape): RFC 5424 syslog, ArcSight CEF, QRadar LEEF 2.0, JSON lines. Each formats one
 * chained record (see chain.h) into one line without a trailing newline; the transport adds its
 * framing (octet counting, newline). */
#pragma once

#include "lib/base/buf.h"
#include "lib/event/event.h"

#include <stdint.h>

struct cc_error;

/* What every format receives: the event and its place in the hash chain. */
struct audit_record {
	const struct cc_event *event;
	uint64_t seq;
	const char *hash; /* "sha256:<hex>" of this record */
	const char *json; /* the chained JSON record ({"event":...,"hash":...,"prev":...,"seq":...}) */
};

enum audit_format {
	AUDIT_FORMAT_JSON,
	AUDIT_FORMAT_RFC5424,
	AUDIT_FORMAT_CEF,
	AUDIT_FORMAT_LEEF,
	AUDIT_FORMAT_MAX, /* invalid */
};

struct audit_formatter {
	const char *name;
	int (*format)(const struct audit_record *rec, struct cc_buf *out);
};

enum audit_format audit_format_from_string(const char *name);
const struct audit_formatter *audit_formatter(enum audit_format f);

int audit_format_json(const struct audit_record *rec, struct cc_buf *out);
int audit_format_rfc5424(const struct audit_record *rec, struct cc_buf *out);
int audit_format_cef(const struct audit_record *rec, struct cc_buf *out);
int audit_format_leef(const struct audit_record *rec, struct cc_buf *out);

/* A checkpoint record (chain.h) in format f: as it is for JSON, as the message of an RFC 5424
 * line (where verify reads it), as a tagged line for CEF and LEEF. */
int audit_format_checkpoint(enum audit_format f, const char *json, size_t len, struct cc_buf *out);

/* CEF and LEEF severities run 0-10 (10 worst); RFC 5424 runs 0 (emergency) to 7 (debug). */
int audit_severity_0_to_10(enum cc_event_severity s);
