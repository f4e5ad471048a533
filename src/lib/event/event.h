/* The security event: one record shape for every security-relevant fact in cocoon (an admission
 * verdict, a key release, a profile decision, an exec). Components fill one in and emit it; the
 * audit pipeline chains, queues and forwards it. The canonical JSON form (sorted keys, compact) is
 * what gets hashed and signed, so it must stay stable: add fields, never rename them.
 *
 *   {"action":"key.release","actor":"system:node:n1","component":"attest","extra":{...},
 *    "id":"<uuid>","node":"n1","object":"tenant-a/volumes/db","reason":"TPM quote verified",
 *    "schema":"cocoon.event/v1","severity":"notice","tenant":"tenant-a",
 *    "time":"2026-11-28T07:31:18.123456789Z","verdict":"allow"}
 */
#pragma once

#include <jansson.h>
#include <stdint.h>

struct cc_buf;
struct cc_error;

#define CC_EVENT_SCHEMA    "cocoon.event/v1"
#define CC_EVENT_FIELD_MAX 4096         /* bytes per text field */
#define CC_EVENT_MAX_SIZE  (64u * 1024) /* canonical JSON, extra fields included */

enum cc_event_verdict {
	CC_VERDICT_NONE, /* a fact, not a decision */
	CC_VERDICT_ALLOW,
	CC_VERDICT_DENY,
	CC_VERDICT_ERROR, /* the decision could not be made; callers fail closed */
	CC_VERDICT_MAX,   /* invalid */
};

/* RFC 5424 §6.2.1 severities, numbered as there, so syslog output needs no table. */
enum cc_event_severity {
	CC_SEVERITY_EMERGENCY = 0,
	CC_SEVERITY_ALERT,
	CC_SEVERITY_CRITICAL,
	CC_SEVERITY_ERROR,
	CC_SEVERITY_WARNING,
	CC_SEVERITY_NOTICE,
	CC_SEVERITY_INFO,
	CC_SEVERITY_DEBUG,
	CC_SEVERITY_MAX, /* invalid */
};

struct cc_event {
	char id[37];     /* UUID v4, or the origin's id (a Kubernetes auditID) */
	int64_t time_ns; /* Unix time of the fact, nanoseconds */
	char *component; /* runtime, attest, scan, audit, node, ... */
	char *node;      /* host name of the machine it happened on */
	char *tenant;    /* owning tenant, or NULL */
	char *actor;     /* who: user, service account, certificate subject, process */
	char *action;    /* what, dotted verb: "container.start", "key.release" */
	char *object;    /* on what: "pod/ns/name", an image digest, a key name */
	enum cc_event_verdict verdict;
	char *reason; /* why, one sentence */
	enum cc_event_severity severity;
	json_t *extra; /* object of further fields, may be NULL */
	/* One more extra field kept as canonical JSON text instead of a tree (see
	 * cc_event_set_extra_text); NULL when unused. */
	char *extra_text_key;
	char *extra_text;
};

const char *cc_event_verdict_to_string(enum cc_event_verdict v);
enum cc_event_verdict cc_event_verdict_from_string(const char *s);
const char *cc_event_severity_to_string(enum cc_event_severity s);
enum cc_event_severity cc_event_severity_from_string(const char *s);

/* Starts an event now, on this host, with a fresh id, severity info and no verdict. */
int cc_event_new(const char *component, const char *action, struct cc_event **ret, struct cc_error *err);
/* The same for an event whose id comes from its source (a Kubernetes auditID): no UUID is drawn. */
int cc_event_new_with_id(const char *component, const char *action, const char *id, struct cc_event **ret,
			 struct cc_error *err);

void cc_event_free(struct cc_event *ev);

/* Setters copy the value; NULL clears the field. Values longer than CC_EVENT_FIELD_MAX are cut
 * at a UTF-8 boundary and marked with "…". */
void cc_event_set_actor(struct cc_event *ev, const char *actor);
void cc_event_set_object(struct cc_event *ev, const char *object);
void cc_event_set_tenant(struct cc_event *ev, const char *tenant);
void cc_event_set_node(struct cc_event *ev, const char *node);
void cc_event_set_reason(struct cc_event *ev, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cc_event_set_verdict(struct cc_event *ev, enum cc_event_verdict verdict, enum cc_event_severity severity);
/* Adds or replaces one extra field (steals the reference to value). */
void cc_event_set_extra(struct cc_event *ev, const char *key, json_t *value);
/* Adds one extra field as canonical JSON text (cc_json_canonical's form; takes ownership), for a
 * large value that arrived as text and is only passed on: the audit pipeline keeps the original
 * Kubernetes event this way instead of building and sorting a tree for it. It appears in every
 * serialisation exactly as the same value set with cc_event_set_extra would. One such field per
 * event; setting a tree field of the same name replaces it. */
void cc_event_set_extra_text(struct cc_event *ev, const char *key, char *canonical);
/* Turns a text field back into a tree in ev->extra, for code that edits extra (redaction). */
void cc_event_expand_extra(struct cc_event *ev);

json_t *cc_event_to_json(const struct cc_event *ev);
/* Canonical serialisation (see above); malloc'd. */
char *cc_event_canonical(const struct cc_event *ev);
void cc_event_canonical_append(struct cc_buf *out, const struct cc_event *ev);

/* Validates and reads an event from JSON (as received from a producer over the audit socket).
 * The caller bounds the size of the text it parsed (cc_event_parse does: CC_EVENT_MAX_SIZE). */
int cc_event_from_json(const json_t *obj, struct cc_event **ret, struct cc_error *err);
int cc_event_parse(const char *data, size_t len, struct cc_event **ret, struct cc_error *err);

static inline void cc_event_freep(struct cc_event **p)
{
	cc_event_free(*p);
}
#define _cleanup_event_ __attribute__((cleanup(cc_event_freep)))
