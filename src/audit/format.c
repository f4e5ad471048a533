/* The registry of output formats. */
#include "audit/format.h"

#include "lib/base/timeutil.h"

#include <string.h>

static const struct audit_formatter formatters[AUDIT_FORMAT_MAX] = {
	[AUDIT_FORMAT_JSON] = { "json", audit_format_json },
	[AUDIT_FORMAT_RFC5424] = { "rfc5424", audit_format_rfc5424 },
	[AUDIT_FORMAT_CEF] = { "cef", audit_format_cef },
	[AUDIT_FORMAT_LEEF] = { "leef", audit_format_leef },
};

enum audit_format audit_format_from_string(const char *name)
{
	for (int i = 0; i < AUDIT_FORMAT_MAX; i++)
		if (name && strcmp(formatters[i].name, name) == 0)
			return (enum audit_format)i;
	return AUDIT_FORMAT_MAX;
}

const struct audit_formatter *audit_formatter(enum audit_format f)
{
	return f < AUDIT_FORMAT_MAX ? &formatters[f] : NULL;
}

int audit_severity_0_to_10(enum cc_event_severity s)
{
	if (s >= CC_SEVERITY_MAX)
		return 5;
	return (int)((7 - (int)s) * 10 + 3) / 7; /* emergency 10, critical 7, warning 4, info 1, debug 0 */
}

int audit_format_json(const struct audit_record *rec, struct cc_buf *out)
{
	return cc_buf_append_str(out, rec->json);
}

int audit_format_checkpoint(enum audit_format f, const char *json, size_t len, struct cc_buf *out)
{
	if (f == AUDIT_FORMAT_RFC5424) {
		char now[CC_TIME_RFC3339_MAX];
		cc_time_format_rfc3339(cc_time_now_ns(), now, sizeof(now));
		/* facility 13, severity 6 (informational); no structured data; microsecond time. */
		cc_buf_appendf(out, "<110>1 %.26sZ - cocoon audit checkpoint - \xEF\xBB\xBF", now);
	} else if (f == AUDIT_FORMAT_CEF) {
		cc_buf_append_str(out,
				  "CEF:0|cocoon|cocoon|" COCOON_VERSION "|audit.checkpoint|audit checkpoint|1|msg=");
	} else if (f == AUDIT_FORMAT_LEEF) {
		cc_buf_append_str(out, "LEEF:2.0|cocoon|cocoon|" COCOON_VERSION "|audit.checkpoint|x09|checkpoint=");
	}
	return cc_buf_append(out, json, len);
}
