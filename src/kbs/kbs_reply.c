/* Problem bodies and decision events of the key broker (see kbs_reply.h). */
#include "kbs/kbs_reply.h"

#include "lib/base/cleanup.h"
#include "lib/event/emit.h"
#include "lib/event/event.h"
#include "lib/json/json.h"

#include <stdarg.h>
#include <stdio.h>

#define PROBLEM_BASE "https://github.com/confidential-containers/kbs/errors/"

void kbs_problem(struct cc_http_response *resp, int status, const char *kind, const char *fmt, ...)
{
	char detail[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(detail, sizeof(detail), fmt, ap);
	va_end(ap);
	_cleanup_free_ char *type = cc_xasprintf(PROBLEM_BASE "%s", kind);
	cc_http_response_json(resp, status, json_pack("{s:s, s:s}", "type", type, "detail", detail));
}

void kbs_record(const struct cc_http_request *req, const char *action, const char *tenant, const char *object,
		bool allowed, const char *reason)
{
	const char *actor = !req->peer ? NULL : req->peer->cert_verified ? req->peer->common_name : req->peer->address;
	kbs_record_as(actor, action, tenant, object, allowed, reason);
}

void kbs_record_as(const char *actor, const char *action, const char *tenant, const char *object, bool allowed,
		   const char *reason)
{
	cc_event_emit_decision("kbs", action, actor, tenant, object, allowed, reason);
}

void kbs_record_extra(const char *actor, const char *action, const char *tenant, const char *object, bool allowed,
		      const char *reason, json_t *extra)
{
	cc_event_emit_decision_extra("kbs", action, actor, tenant, object, allowed, reason, extra);
}
