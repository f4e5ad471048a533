/* The registry of audit outputs. */
#include "audit/output.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

static const struct {
	const char *prefix;
	const struct audit_output_ops *ops;
} outputs[] = {
	{ "file:", &audit_out_file },
	{ "syslog+tls://", &audit_out_syslog_tls },
	{ "relp+tls://", &audit_out_relp_tls },
	{ "hec+https://", &audit_out_hec_https },
};

int audit_output_parse(const char *spec, struct audit_output *o, struct cc_error *err)
{
	for (size_t i = 0; i < CC_ARRAY_SIZE(outputs); i++) {
		size_t n = strlen(outputs[i].prefix);
		if (strncmp(spec, outputs[i].prefix, n) != 0)
			continue;
		if (spec[n] == '\0')
			return cc_error_set(err, EINVAL, "output `%s` names no target", spec);
		o->ops = outputs[i].ops;
		o->target = cc_xstrdup(spec + n);
		o->format = outputs[i].ops->default_format;
		char *query = strchr(o->target, '?');
		if (query) {
			*query++ = '\0';
			o->routed = true;
			int r = audit_route_parse(query, &o->route, err);
			if (r < 0) {
				free(o->target);
				o->target = NULL;
				return cc_error_prefix(err, "output `%s`", spec);
			}
		}
		return 0;
	}
	return cc_error_set(err, EINVAL,
			    "unsupported output `%s` (use file:PATH, syslog+tls://HOST:PORT, relp+tls://HOST:PORT or "
			    "hec+https://HOST:PORT)",
			    spec);
}

void audit_output_free(struct audit_output *o)
{
	if (o->ops && o->ops->close)
		o->ops->close(o);
	free(o->target);
	o->target = NULL;
	audit_route_free(&o->route);
}
