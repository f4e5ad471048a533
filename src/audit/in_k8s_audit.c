/* k8s-audit:FILE input: the Kubernetes API server's audit log (audit.k8s.io/v1 Event, JSON
 * lines), followed across rotation by rename and by copytruncate (follow.h); the reader thread
 * maps each line to a cocoon event without building a JSON tree (k8s_line.c). */
#include "audit/in_file.h"

static int k8s_audit_start(struct audit_input *in, struct audit_forwarder *f, struct cc_error *err)
{
	return audit_file_input_start(in, f, true, err);
}

const struct audit_input_ops audit_in_k8s_audit = {
	.kind = "k8s_audit",
	.prefix = "k8s-audit:",
	.usage = "k8s-audit:FILE",
	.start = k8s_audit_start,
	.commit = audit_file_input_commit,
	.stop = audit_file_input_stop,
};
