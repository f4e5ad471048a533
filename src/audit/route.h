/* What leaves the forwarder, and to where: redaction of configured fields before events are
 * chained (so the sensitive value never reaches the queue or any SIEM, and the chain still
 * verifies), and per-output routing by severity, component and tenant. */
#pragma once

#include "lib/event/event.h"

#include <stdbool.h>

struct cc_error;

/* Replaces the value at a dotted path ("actor", "reason", "extra.k8s.requestObject") with
 * "[REDACTED]". A path that does not exist in this event is left alone. */
void audit_redact(struct cc_event *ev, const char *path);

struct audit_route {
	enum cc_event_severity min_severity; /* events at least this severe (RFC 5424: lower is worse) */
	char **components;                   /* NULL-terminated, or NULL for all */
	char **tenants;                      /* NULL-terminated, or NULL for all */
};

/* Parses "min-severity=warning&component=runtime,attest&tenant=bank-a" (the query part of an
 * output URL). */
int audit_route_parse(const char *query, struct audit_route *ret, struct cc_error *err);
void audit_route_free(struct audit_route *r);
bool audit_route_match(const struct audit_route *r, const struct cc_event *ev);
