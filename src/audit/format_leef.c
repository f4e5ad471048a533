/* IBM QRadar Log Event Extended Format 2.0:
 *   LEEF:2.0|Vendor|Product|Version|EventID|DelimiterChar|key=value<delim>key=value...
 * The delimiter is a tab, declared as x09. Header fields escape '|' and '\'; attribute values
 * escape tab, line breaks and '\' so one event is one line and one attribute per field. */
#include "audit/format.h"
#include "lib/base/timeutil.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static void header(struct cc_buf *out, const char *value)
{
	for (const char *p = value ? value : ""; *p; p++) {
		if (*p == '\\' || *p == '|')
			cc_buf_append(out, "\\", 1);
		cc_buf_append(out, *p == '\n' || *p == '\r' || *p == '\t' ? " " : p, 1);
	}
	cc_buf_append(out, "|", 1);
}

static void attribute(struct cc_buf *out, bool *first, const char *key, const char *value)
{
	if (!value)
		return;
	cc_buf_appendf(out, "%s%s=", *first ? "" : "\t", key);
	*first = false;
	for (const char *p = value; *p; p++) {
		if (*p == '\t')
			cc_buf_append_str(out, "\\t");
		else if (*p == '\n')
			cc_buf_append_str(out, "\\n");
		else if (*p == '\r')
			cc_buf_append_str(out, "\\r");
		else if (*p == '\\')
			cc_buf_append_str(out, "\\\\");
		else
			cc_buf_append(out, p, 1);
	}
}

int audit_format_leef(const struct audit_record *rec, struct cc_buf *out)
{
	const struct cc_event *ev = rec->event;
	cc_buf_append_str(out, "LEEF:2.0|");
	header(out, "cocoon");
	header(out, "cocoon");
	header(out, COCOON_VERSION);
	header(out, ev->action);
	cc_buf_append_str(out, "x09|");
	char time[CC_TIME_RFC3339_MAX], sev[8], seq[24];
	cc_time_format_rfc3339(ev->time_ns, time, sizeof(time));
	snprintf(sev, sizeof(sev), "%d",
		 audit_severity_0_to_10(ev->severity) ? audit_severity_0_to_10(ev->severity) : 1);
	snprintf(seq, sizeof(seq), "%llu", (unsigned long long)rec->seq);
	bool first = true;
	attribute(out, &first, "devTime", time);
	attribute(out, &first, "devTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSSX");
	attribute(out, &first, "sev", sev);
	attribute(out, &first, "cat", ev->component);
	attribute(out, &first, "identHostName", ev->node);
	attribute(out, &first, "usrName", ev->actor);
	attribute(out, &first, "action", cc_event_verdict_to_string(ev->verdict));
	attribute(out, &first, "resource", ev->object);
	attribute(out, &first, "tenant", ev->tenant);
	attribute(out, &first, "reason", ev->reason);
	attribute(out, &first, "eventId", ev->id);
	attribute(out, &first, "chainSeq", seq);
	attribute(out, &first, "chainHash", rec->hash);
	return 0;
}
