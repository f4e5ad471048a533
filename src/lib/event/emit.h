/* Emitting security events. A process opens one sink at start-up; every component then calls
 * cc_event_emit for each decision. The sink today is a JSON-lines file (one canonical event per
 * line, appended atomically); the audit pipeline's durable socket input is the next sink. */
#pragma once

#include "lib/event/event.h"

#include <stdbool.h>

struct cc_error;

/* Appends to path (created 0600). Replaces a previously opened sink. */
int cc_event_sink_open_file(const char *path, struct cc_error *err);
/* Sends to the audit forwarder's socket (`cocoon audit forward --input socket:PATH`); each event
 * is acknowledged only once it is durable there. Replaces a previously opened sink. */
int cc_event_sink_open_socket(const char *path, struct cc_error *err);
/* Opens the socket named by COCOON_AUDIT_SOCKET if set, else the file at default_path. */
int cc_event_sink_open_default(const char *default_path, struct cc_error *err);
void cc_event_sink_close(void);

/* Writes the event to the sink and frees it. Without a sink the event goes to the debug log, so
 * nothing is silently lost in tools that have no sink configured. Returns a negative errno when the
 * sink could not take it (the caller of a security decision then fails closed). */
int cc_event_emit(struct cc_event *ev);

/* One allow/deny decision to the sink, severity info when allowed and warning when denied; the
 * fields but component and action may be NULL. For the many decision points of the components. */
int cc_event_emit_decision(const char *component, const char *action, const char *actor, const char *tenant,
			   const char *object, bool allowed, const char *reason);
