/* The provider's audit events: every scale decision (allowed or refused, with the reason) and every
 * provisioning step (done, failed, rolled back, found at reconcile) is one event of component
 * "scale" on the block it concerns. A step whose event cannot be written fails (fail closed), so
 * nothing the provider does goes unrecorded. Actions:
 *
 *   block.create     decision to create a block (allow/deny)        block.created   the driver made it
 *   block.delete     decision to delete a block (allow/deny)        block.deleted   the driver removed it
 *   block.rollback   a failed create and its undoing (error)        block.reconcile what start-up found
 *   target.decrease  NodeGroupDecreaseTargetSize (allow/deny)
 */
#pragma once

#include "lib/event/event.h"

struct cc_error;

/* Writes one event; object is the block id. On failure err says the step could not be recorded. */
int scale_provider_event(const char *action, const char *actor, const char *block, enum cc_event_verdict verdict,
			 enum cc_event_severity severity, const char *reason, struct cc_error *err);
