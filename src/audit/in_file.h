/* What the two file inputs share (events:FILE in in_file.c, k8s-audit:FILE in in_k8s_audit.c):
 * the file is followed (follow.h) by the reader thread, which parses its lines as cocoon events or
 * as Kubernetes audit events; its position is persisted in the queue directory once the lines
 * read up to it are durable. */
#pragma once

#include "audit/input.h"

int audit_file_input_start(struct audit_input *in, struct audit_forwarder *f, bool k8s, struct cc_error *err);
void audit_file_input_commit(struct audit_input *in);
void audit_file_input_stop(struct audit_input *in);
