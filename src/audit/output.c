/* The registry of audit outputs. */
#include "audit/output.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct audit_output_ops *const audit_output_kinds[] = {
	&audit_out_file, &audit_out_syslog_tls, &audit_out_relp_tls, &audit_out_hec_https, NULL,
};

static const struct audit_output_ops *kind_of(const char *spec)
{
	for (size_t i = 0; audit_output_kinds[i]; i++)
		if (strncmp(spec, audit_output_kinds[i]->prefix, strlen(audit_output_kinds[i]->prefix)) == 0)
			return audit_output_kinds[i];
	return NULL;
}

static int unsupported(const char *spec, struct cc_error *err)
{
	char kinds[256] = "";
	size_t used = 0;
	for (size_t i = 0; audit_output_kinds[i]; i++)
		used += (size_t)snprintf(kinds + used, used < sizeof(kinds) ? sizeof(kinds) - used : 0, "%s%s",
					 i == 0                      ? ""
					 : audit_output_kinds[i + 1] ? ", "
								     : " or ",
					 audit_output_kinds[i]->usage);
	return cc_error_set(err, EINVAL, "unsupported output `%s` (use %s)", spec, kinds);
}

int audit_output_parse(const char *spec, struct audit_output *o, struct cc_error *err)
{
	const struct audit_output_ops *ops = kind_of(spec);
	if (!ops)
		return unsupported(spec, err);
	size_t n = strlen(ops->prefix);
	if (spec[n] == '\0')
		return cc_error_set(err, EINVAL, "output `%s` names no target", spec);
	*o = (struct audit_output){ .ops = ops, .target = cc_xstrdup(spec + n), .format = ops->default_format };
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
	audit_settings_init(&o->settings, ops->settings, ops->settings_size);
	return 0;
}

void audit_output_free(struct audit_output *o)
{
	if (o->ops && o->ops->close)
		o->ops->close(o);
	free(o->target);
	o->target = NULL;
	audit_route_free(&o->route);
	audit_settings_free(&o->settings);
}
