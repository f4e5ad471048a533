/* The registry of audit inputs. */
#include "audit/input.h"

#include "lib/base/cleanup.h"
#include "lib/base/error.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

const struct audit_input_ops *const audit_input_kinds[] = {
	&audit_in_k8s_audit, &audit_in_file, &audit_in_socket, &audit_in_webhook, NULL,
};

static const struct audit_input_ops *kind_of(const char *spec)
{
	for (size_t i = 0; audit_input_kinds[i]; i++)
		if (strncmp(spec, audit_input_kinds[i]->prefix, strlen(audit_input_kinds[i]->prefix)) == 0)
			return audit_input_kinds[i];
	return NULL;
}

static int unsupported(const char *spec, struct cc_error *err)
{
	char kinds[256] = "";
	size_t used = 0;
	for (size_t i = 0; audit_input_kinds[i]; i++)
		used += (size_t)snprintf(kinds + used, used < sizeof(kinds) ? sizeof(kinds) - used : 0, "%s%s",
					 i == 0                     ? ""
					 : audit_input_kinds[i + 1] ? ", "
								    : " or ",
					 audit_input_kinds[i]->usage);
	return cc_error_set(err, EINVAL, "unsupported input `%s` (use %s)", spec, kinds);
}

int audit_input_parse(const char *spec, struct audit_input *in, struct cc_error *err)
{
	const struct audit_input_ops *ops = kind_of(spec);
	if (!ops)
		return unsupported(spec, err);
	size_t n = strlen(ops->prefix);
	if (spec[n] == '\0')
		return cc_error_set(err, EINVAL, "input `%s` names no %s", spec, strchr(ops->usage, ':') + 1);
	*in = (struct audit_input){ .ops = ops, .target = cc_xstrdup(spec + n) };
	audit_settings_init(&in->settings, ops->settings, ops->settings_size);
	return 0;
}

void audit_input_free(struct audit_input *in)
{
	free(in->target);
	in->target = NULL;
	audit_settings_free(&in->settings);
}
