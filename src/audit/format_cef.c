/* ArcSight Common Event Format:
 *   CEF:0|Vendor|Product|Version|SignatureID|Name|Severity|Extension
 * Header fields escape '\' and '|'; extension values escape '\', '=' and line breaks (the
 * "Implementing ArcSight CEF" guide, "Character encoding"). */
#include "audit/format.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void header(struct cc_buf *out, const char *value)
{
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '|')
			cc_buf_append(out, "\\", 1);
		if (*p == '\n' || *p == '\r')
			cc_buf_append(out, " ", 1);
		else
			cc_buf_append(out, p, 1);
	}
	cc_buf_append(out, "|", 1);
}

static void extension(struct cc_buf *out, bool *first, const char *key, const char *value)
{
	if (!value)
		return;
	cc_buf_appendf(out, "%s%s=", *first ? "" : " ", key);
	*first = false;
	for (const char *p = value; *p; p++) {
		if (*p == '\\' || *p == '=')
			cc_buf_appendf(out, "\\%c", *p);
		else if (*p == '\n')
			cc_buf_append_str(out, "\\n");
		else if (*p == '\r')
			cc_buf_append_str(out, "\\r");
		else
			cc_buf_append(out, p, 1);
	}
}

int audit_format_cef(const struct audit_record *rec, struct cc_buf *out)
{
	const struct cc_event *ev = rec->event;
	cc_buf_append_str(out, "CEF:0|");
	header(out, "cocoon");
	header(out, "cocoon");
	header(out, COCOON_VERSION);
	header(out, ev->action);
	header(out, ev->reason ? ev->reason : ev->action);
	cc_buf_appendf(out, "%d|", audit_severity_0_to_10(ev->severity));
	char rt[24], seq[24];
	snprintf(rt, sizeof(rt), "%lld", (long long)(ev->time_ns / 1000000));
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)rec->seq);
	bool first = true;
	extension(out, &first, "rt", rt);
	extension(out, &first, "externalId", ev->id);
	extension(out, &first, "cat", ev->component);
	extension(out, &first, "dvchost", ev->node);
	extension(out, &first, "suser", ev->actor);
	extension(out, &first, "act", cc_event_verdict_to_string(ev->verdict));
	extension(out, &first, "outcome",
		  ev->verdict == CC_VERDICT_ALLOW  ? "success"
		  : ev->verdict == CC_VERDICT_NONE ? "info"
						   : "failure");
	extension(out, &first, "msg", ev->reason);
	extension(out, &first, "cs1Label", ev->object ? "object" : NULL);
	extension(out, &first, "cs1", ev->object);
	extension(out, &first, "cs2Label", ev->tenant ? "tenant" : NULL);
	extension(out, &first, "cs2", ev->tenant);
	extension(out, &first, "cs3Label", "chainHash");
	extension(out, &first, "cs3", rec->hash);
	extension(out, &first, "cn1Label", "chainSeq");
	extension(out, &first, "cn1", seq);
	return 0;
}
