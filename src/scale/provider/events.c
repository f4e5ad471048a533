/* The provider's audit events (see events.h). */
#include "scale/provider/events.h"

#include "lib/base/error.h"
#include "lib/event/emit.h"

#include <errno.h>
#include <string.h>

int scale_provider_event(const char *action, const char *actor, const char *block, enum cc_event_verdict verdict,
			 enum cc_event_severity severity, const char *reason, struct cc_error *err)
{
	struct cc_event *ev;
	int r = cc_event_new("scale", action, &ev, err);
	if (r < 0)
		return r;
	cc_event_set_actor(ev, actor ? actor : "cocoon scale provider");
	cc_event_set_object(ev, block);
	cc_event_set_verdict(ev, verdict, severity);
	if (reason)
		cc_event_set_reason(ev, "%s", reason);
	r = cc_event_emit(ev);
	/* -EIO whatever the cause (a full disk is no shortage of blocks): the caller answers UNAVAILABLE. */
	if (r < 0)
		return cc_error_set(err, EIO, "the %s event of block %s could not be written to the audit stream (%s)",
				    action, block, strerror(-r));
	return 0;
}
