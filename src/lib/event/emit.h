/* Emitting security events. A process opens one sink at start-up; every component then calls
 * cc_event_emit for each decision. The sink is a JSON-lines file (one canonical event per line,
 * appended atomically) or the audit forwarder's socket (`cocoon audit forward --input
 * socket:PATH`), where an event counts once the forwarder says it is durable.
 *
 * An event is never lost without a word. When the forwarder cannot take an event (nothing listens,
 * no answer within 5 s, a refusal), it is appended to PATH.spool, synced, which the forwarder's
 * socket input reads when it runs, and an error log names the event's component and action. When
 * the spool cannot take it either, cc_event_emit logs that the event was NOT recorded and returns
 * a negative errno: the caller of a security decision then fails closed. */
#pragma once

#include "lib/event/event.h"

#include <stdbool.h>

struct cc_error;

/* Appends to path (created 0600). Replaces a previously opened sink. */
int cc_event_sink_open_file(const char *path, struct cc_error *err);
/* Sends to the audit forwarder's socket (`cocoon audit forward --input socket:PATH`); each event
 * is acknowledged only once it is durable there. Replaces a previously opened sink. When the
 * socket cannot be reached now, this fails (a command that needs the forwarder at start refuses
 * to run), yet the socket stays the sink: later events try it again, else go to the spool. */
int cc_event_sink_open_socket(const char *path, struct cc_error *err);
/* Opens the socket named by COCOON_AUDIT_SOCKET if set, else the file at default_path. */
int cc_event_sink_open_default(const char *default_path, struct cc_error *err);
void cc_event_sink_close(void);

/* Writes the event to the sink (or the spool, see above) and frees it. Without a sink the event
 * goes to the debug log, so nothing is silently lost in tools that have no sink configured.
 * Returns a negative errno when neither the sink nor the spool took it (the caller of a security
 * decision then fails closed). */
int cc_event_emit(struct cc_event *ev);

/* One allow/deny decision to the sink, severity info when allowed and warning when denied; the
 * fields but component and action may be NULL. For the many decision points of the components. */
int cc_event_emit_decision(const char *component, const char *action, const char *actor, const char *tenant,
			   const char *object, bool allowed, const char *reason);
/* The same with extra fields (an object whose members are taken into the event's extra; extra is
 * taken, NULL for none). */
int cc_event_emit_decision_extra(const char *component, const char *action, const char *actor, const char *tenant,
				 const char *object, bool allowed, const char *reason, json_t *extra);
